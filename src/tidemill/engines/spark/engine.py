"""The Spark engine (`tidemill.engines.base.Engine`): the job's Spark SQL run as written on a
Spark session (`session.shared`, TIDEMILL_SPARK__URL), no translation.

A run: Spark reads each table's files itself where it can (`hadoop.spark_path`: `hdfs://`,
`s3://` as `s3a://` with hadoop-aws, `file://` by its path, so a `spark://` cluster must share
the node's file system for those) and the others after `io.files.local_path` made them local;
with the table's declared schema into a temporary view of a run-private session (session zone =
plan zone); the query's columns cast to the types their valtypes name; the result written by
Spark as one Parquet file, into a staging directory beside `plan.result_uri` when Spark can
write there (`s3://` with hadoop-aws, `hdfs://`) and renamed into place, otherwise into a
private scratch directory and uploaded, in both cases while the lease holds. A run is a Spark
job group: `io.stop` cancels exactly its jobs. The run's memory limit (`plan.limits.memory`)
is Spark's unified memory (`core.spark_resources.memory_fraction`): work beyond it spills, in
local mode into the run's scratch directory (`spill`).

Before Spark sees it, the SQL passes the same checks as on every engine (`core.sql`: one query,
Spark's table functions only, no server functions, only the job's tables), and Spark functions
that reach the JVM or the server's files (`reflect`, `java_method`, `input_file_name` ...) are
refused with JOB_SQL_INVALID.
"""

from __future__ import annotations

import re
import shutil
import struct
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext, suppress
from dataclasses import replace
from pathlib import Path
from typing import Protocol, cast

import pyarrow as pa
import pyarrow.parquet as pq
from py4j.protocol import Py4JError  # type: ignore[import-untyped]
from pyspark.errors import AnalysisException, ParseException, PySparkException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)
from sqlglot import exp

from tidemill.core import sql
from tidemill.core.models import SchemaField
from tidemill.core.plans import BatchPlan, TablePlan
from tidemill.core.spark_resources import (
    DEFAULT_FRACTION,
    heap_mib,
    local_heap_mib,
    memory_fraction,
)
from tidemill.engines.base import EXCEEDED, Committed, Files, RunIO, Stopped
from tidemill.engines.spark import footers, hadoop, session, spill
from tidemill.engines.spark.types import NATIVE, spark_type, valtype
from tidemill.errors import BackendError, Failure, InvalidInputError

STOP_POLL = 0.05  # seconds between looks at `io.stop` while a job runs

# Spark functions that call into the JVM or name the server's files (Spark SQL built-ins).
REFUSED_FUNCTIONS = frozenset(
    {
        "reflect",
        "java_method",
        "try_reflect",
        "input_file_name",
        "input_file_block_start",
        "input_file_block_length",
        "current_user",
        "user",
        "session_user",
    }
)

# Spark's error classes for a value that does not parse as its column's type (FAILFAST).
_PARSE_FAILURE = re.compile(
    r"MALFORMED_RECORD_IN_PARSING|CANNOT_PARSE_JSON_FIELD|BadRecordException"
)
_ERROR_CLASS = re.compile(r"\[([A-Z_]+(?:\.[A-Z_]+)?)\]")


class SparkEngine:
    """Runs Spark SQL on Spark. Runs and checks may overlap (each has its own session)."""

    name = "spark"

    def __init__(
        self, url: str = session.DEFAULT_URL, *, jars: str = "", driver_memory: str = "1g",
        executor_memory: str = "1g", cores_max: str = "", driver_java_options: str = "",
    ) -> None:  # fmt: skip
        self.url = url
        self.driver_java_options = driver_java_options
        self.jars = jars
        self.driver_memory = driver_memory
        self.executor_memory = executor_memory
        self.cores_max = cores_max
        self.s3a = hadoop.has_s3a(jars)

    def profile(self, memory: str | None = None) -> session.Profile:
        """The Spark application a run with memory limit `memory` ("48MiB") needs; None: the
        default (Spark's own memory fraction). The limit applies per JVM that runs tasks: the
        driver in local mode, each executor on a cluster."""
        driver = heap_mib(self.driver_memory)
        base = session.Profile(
            self.url, self.jars, f"{driver}m", self.executor_memory, DEFAULT_FRACTION,
            self.cores_max, self.driver_java_options,
        )  # fmt: skip
        if memory is None:
            return base
        if base.local:  # the driver runs the tasks: its heap follows the limit too
            heap = local_heap_mib(memory, driver)
            fraction = memory_fraction(memory, heap)
            return replace(base, driver_memory=f"{heap}m", memory_fraction=fraction)
        fraction = memory_fraction(memory, heap_mib(self.executor_memory))
        return replace(base, memory_fraction=fraction)

    def check(
        self, sql_text: str, tables: Mapping[str, Sequence[SchemaField]]
    ) -> list[SchemaField]:
        columns = {name: [(f.key, f.valtype) for f in fields] for name, fields in tables.items()}
        _refuse(sql_text, columns)
        spark = session.check_session(self.profile())
        for name, fields in columns.items():
            _empty(spark, _struct(fields)).createOrReplaceTempView(name)
        frame = _analysed(spark, sql_text)
        keys = sql.schema_keys(frame.columns)
        return [
            SchemaField(k, valtype(f.dataType.simpleString()))
            for k, f in zip(keys, frame.schema.fields, strict=True)
        ]

    def prepare(self) -> None:
        """Start the shared session now (seconds) rather than in the first run."""
        session.shared(self.profile())

    def close(self) -> None:
        """Nothing of a run's is kept: the shared session is the process's (`session.shared`)
        and ends with it."""

    def run(self, plan: BatchPlan, io: RunIO) -> Committed:
        _refuse(plan.sql, plan.schemas())
        with ExitStack() as stack:
            scratch = Path(tempfile.mkdtemp(prefix=".run-", dir=io.scratch))
            stack.callback(shutil.rmtree, scratch, ignore_errors=True)
            if io.stop is not None and io.stop.is_set():
                raise Stopped()
            profile = self.profile(plan.limits.memory)
            spark = session.run_session(profile, plan.zone)
            endpoint = hadoop.s3_endpoint(io.files)
            s3a = self.s3a and endpoint is not None
            if s3a and endpoint is not None:
                hadoop_conf = spark.sparkContext._jsc.hadoopConfiguration()
                for key, value in hadoop.s3a_settings(endpoint).items():
                    hadoop_conf.set(key, value)
            local = _inputs(plan, io, stack, s3a=s3a)
            names: dict[str, str] = {}
            try:
                for table in plan.tables:
                    _register(spark, table, local, names)
            except AnalysisException as exc:  # an input Spark reads itself is gone
                _missing(io.files, local)
                raise BackendError(
                    Failure.INTERNAL, f"Spark could not read the inputs: {_first_line(exc)}"
                ) from exc
            frame = _analysed(spark, plan.sql)
            keys = sql.schema_keys(frame.columns)
            conformed, schema = _conform(frame, keys)
            staging = ""
            if hadoop.writes_directly(plan.result_uri, s3a=s3a):
                staging = hadoop.staging_uri(plan.result_uri)
                staged = cast(StagedFiles, io.files)
                stack.callback(_remove_prefix, staged, staging + "/")
                out = hadoop.spark_path(staging, s3a=s3a) or staging
            else:
                out = str(scratch / "out")
            group = f"tidemill-{plan.batch_uid or uuid.uuid4().hex}"
            failure: Exception | None = None
            unparsed = False
            spilling: AbstractContextManager[None] = (
                spill.into(spark, scratch / "spill") if profile.local else nullcontext()
            )
            with spilling, _job_group(spark, group, io.stop):
                try:
                    conformed.coalesce(1).write.parquet(out)
                except (Py4JError, PySparkException, ConnectionError) as exc:
                    if io.stop is not None and io.stop.is_set():
                        raise Stopped() from exc
                    if not session.alive(spark):
                        raise BackendError(
                            Failure.INTERNAL,
                            f"{EXCEEDED}, or Spark's driver failed otherwise: its JVM exited"
                            " during the run (a new session starts for the next batch)",
                        ) from exc
                    failure = _run_error(exc, names)
                    unparsed = _PARSE_FAILURE.search(str(exc)) is not None
                    del exc  # py4j: no Java error kept alive while _bad_input talks to Spark
            if failure is not None:
                found = _bad_input(spark, plan, local) if unparsed else None
                raise found or failure
            if io.stop is not None and io.stop.is_set():
                raise Stopped()
            if staging:
                staged = cast(StagedFiles, io.files)
                (written,) = [
                    i.uri
                    for i in staged.list(staging + "/")
                    if i.uri.rsplit("/", 1)[-1].startswith("part-") and i.uri.endswith(".parquet")
                ]
                rows = _remote_rows(staged, written)
                if io.publish_staged is not None:
                    io.publish_staged(written, plan.result_uri)
                else:
                    with io.lease.publishing():
                        staged.rename(written, plan.result_uri)
                return Committed(schema, rows, plan.result_uri)
            (part,) = sorted(Path(out).glob("part-*.parquet"))
            rows = pq.ParquetFile(part).metadata.num_rows
            io.publish_result(plan.result_uri, part)
            return Committed(schema, rows, plan.result_uri)


def _inputs(plan: BatchPlan, io: RunIO, stack: ExitStack, *, s3a: bool) -> dict[str, str]:
    """The path Spark reads each input URI of `plan` by (its tables' files and upstream
    results): the URI's own where Spark reaches it (`hadoop.spark_path`), else a local copy
    through `io.files`, held until `stack` closes."""
    paths: dict[str, str] = {}
    for table in plan.tables:
        uris = [table.result] if table.result is not None else [f.uri for f in table.files]
        for uri in uris:
            if uri in paths:
                continue
            direct = hadoop.spark_path(uri, s3a=s3a)
            if direct is None or uri.startswith("file://"):
                # file://: through the Storage too, which refuses a missing file by its URI
                direct = str(stack.enter_context(io.files.local_path(uri)))
            paths[uri] = direct
    return paths


class _Info(Protocol):
    uri: str
    size: int


class StagedFiles(Files, Protocol):
    """What a run that lets Spark write beside the result needs of `io.files` besides `Files`
    (`tidemill.storage`'s `Storage` has it all; such a run happens only with one)."""

    def list(self, prefix: str) -> Iterator[_Info]: ...

    def stat(self, uri: str) -> _Info: ...

    def read(self, uri: str, start: int = 0, length: int | None = None) -> bytes: ...

    def rename(self, src: str, dst: str) -> None: ...

    def delete_prefix(self, prefix: str) -> int: ...


def _missing(files: Files, paths: Mapping[str, str]) -> None:
    """Raise the Storage's own NotFoundError for the first input Spark was to read itself that
    is no longer there (listed at planning, deleted since); nothing when all are there."""
    staged = cast(StagedFiles, files)
    for uri, path in paths.items():
        if "://" in path:  # read by Spark itself (local copies were checked by local_path)
            staged.stat(uri)


def _remote_rows(files: StagedFiles, uri: str) -> int:
    """Rows of the Parquet file at `uri`, from its footer (read by range through `files`):
    the footer's length is the 4 bytes before the closing magic."""
    size = files.stat(uri).size
    (length,) = struct.unpack("<I", files.read(uri, size - 8, 4))
    footer = files.read(uri, size - 8 - length, length + 8)
    return int(pq.read_metadata(pa.BufferReader(b"PAR1" + footer)).num_rows)


def _remove_prefix(files: StagedFiles, prefix: str) -> None:
    """Delete what a run staged under `prefix` (nothing there after a publish's rename)."""
    with suppress(Exception):  # cleanup must not hide the run's own outcome
        files.delete_prefix(prefix)


def _refuse(sql_text: str, tables: Mapping[str, Sequence[tuple[str, str]]]) -> None:
    """JOB_SQL_INVALID for SQL no engine runs (`core.sql`) or that reaches the JVM/server."""
    query = sql.parse_query(sql_text)
    for function in query.find_all(exp.Func):
        name = (
            function.name if isinstance(function, exp.Anonymous) else function.sql_name()
        ).lower()
        if name in REFUSED_FUNCTIONS:
            raise InvalidInputError(
                Failure.JOB_SQL_INVALID,
                f"function {name}() is not available: it reaches the server's JVM or files;"
                " job SQL may read only its tables",
            )
    for key, table_columns in tables.items():
        for _, vt in table_columns:
            spark_type(vt)  # SCHEMA_TYPE_INVALID
        del key
    known = {name.lower() for name in tables}
    unknown = sorted(n for n in sql.referenced_tables(sql_text) if n.lower() not in known)
    if unknown:
        defined = ", ".join(sorted(tables)) or "none"
        raise InvalidInputError(
            Failure.JOB_SQL_INVALID,
            f"unknown table {unknown[0]!r}: the job's tables are {defined}",
            tables=unknown,
        )


# Spark's type of each type name `spark_type` gives (built here: parsing the name through the
# JVM costs ~20 ms a column on a loaded machine, measured).
_DATA_TYPES: dict[str, DataType] = {
    "bigint": LongType(),
    "double": DoubleType(),
    "timestamp": TimestampType(),
    "boolean": BooleanType(),
    "string": StringType(),
}


def _struct(columns: Sequence[tuple[str, str]]) -> StructType:
    return StructType([StructField(k, _DATA_TYPES[spark_type(vt)], True) for k, vt in columns])


def _empty(spark: SparkSession, schema: StructType) -> DataFrame:
    """An empty frame of `schema`, made in the JVM (a LocalRelation, two py4j calls): pyspark's
    `createDataFrame(emptyRDD(), schema)` pickles a Python RDD for it, ~40 ms a table on a
    loaded machine (measured)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None  # a running context has its gateway
    jspark = spark._jsparkSession
    frame = jspark.createDataFrame(jvm.java.util.ArrayList(), jspark.parseDataType(schema.json()))
    return DataFrame(frame, spark)


def _analysed(spark: SparkSession, sql_text: str) -> DataFrame:
    """`sql_text` parsed and analysed (not run): JOB_SQL_INVALID with Spark's reason."""
    try:
        return spark.sql(sql_text)
    except ParseException as exc:
        raise InvalidInputError(
            Failure.JOB_SQL_INVALID, f"SQL syntax error: {_first_line(exc)}"
        ) from exc
    except AnalysisException as exc:
        raise InvalidInputError(Failure.JOB_SQL_INVALID, _first_line(exc)) from exc


# A map column with each key once, its last value kept (as pyspark's collect gives it): Spark's
# from_json builds maps with repeated keys, which Parquet readers refuse ("Map keys must be
# unique"); map_from_entries of unique keys needs no spark.sql.mapKeyDedupPolicy.
_LAST_KEY_WINS = (
    "map_from_entries(filter(map_entries({0}),"
    " (e, i) -> NOT exists(slice(map_keys({0}), i + 2, size({0})), k -> k = e.key)))"
)


def _conform(frame: DataFrame, keys: list[str]) -> tuple[DataFrame, list[SchemaField]]:
    """`frame` with its columns named `keys`, in the types their valtypes name; arrays, maps,
    structs and binary are kept as they are (the DuckDB engine writes them natively too, and
    the result endpoint shows them as JSON arrays/objects and base64 text)."""
    positional = frame.toDF(*(f"c{i}" for i in range(len(keys))))
    columns: list[Column] = []
    schema: list[SchemaField] = []
    for i, (key, field) in enumerate(zip(keys, frame.schema.fields, strict=True)):
        simple = field.dataType.simpleString()
        vt = valtype(simple)
        column = F.col(f"c{i}")
        if simple.startswith("map<"):
            column = F.expr(_LAST_KEY_WINS.format(f"c{i}"))
        elif not (vt == "string" and simple.startswith(NATIVE)):
            column = column.cast(spark_type(vt))
        columns.append(column.alias(key))
        schema.append(SchemaField(key, vt))
    return positional.select(*columns), schema


def _register(
    spark: SparkSession, table: TablePlan, local: Mapping[str, str], names: dict[str, str]
) -> None:
    """A temporary view `table.table` over its local files; `names` gets path → user's name."""
    if table.result is not None:
        frame = spark.read.parquet(str(local[table.result]))
        frame.createOrReplaceTempView(table.table)
        return
    paths = [str(local[f.uri]) for f in table.files]
    for f in table.files:
        names[str(local[f.uri])] = f.name or f.uri
    schema = _struct(table.columns)
    kind = (table.file_type or "json").lower()
    if not paths:
        frame = _empty(spark, schema)
    elif kind in ("json", "csv"):
        frame = _read_text_format(spark, table, paths, schema, "FAILFAST")
    elif kind == "parquet":
        declared = [(k, spark_type(vt)) for k, vt in table.columns]
        given = footers.inferred_as_declared(paths, declared)
        raw = (spark.read.schema(schema) if given else spark.read).parquet(*paths)
        frame = raw.select(*(F.col(k).cast(spark_type(vt)).alias(k) for k, vt in table.columns))
    else:  # text: each line is the first column
        first = table.columns[0][0] if table.columns else "value"
        frame = spark.read.text(paths).withColumnRenamed("value", first)
    frame.createOrReplaceTempView(table.table)


def _read_text_format(
    spark: SparkSession, table: TablePlan, paths: list[str], schema: StructType, mode: str
) -> DataFrame:
    """A JSON or CSV table's files read with `schema` in Spark's parse `mode`."""
    reader = spark.read.schema(schema).option("mode", mode)
    if mode == "PERMISSIVE":
        reader = reader.option("columnNameOfCorruptRecord", CORRUPT)
    if (table.file_type or "json").lower() == "json":
        return reader.json(paths)
    reader = reader.option("header", bool(table.contains_header))
    return reader.option("sep", table.delimiter or ",").csv(paths)


CORRUPT = "_tidemill_corrupt_record"


def _bad_input(
    spark: SparkSession, plan: BatchPlan, local: Mapping[str, str]
) -> InvalidInputError | None:
    """The first input file whose data does not hold its table's schema, named as the user
    knows it, with the line of its first bad record where the file is plain text; None when
    every file reads. Run after a failed run, to say which file (Spark's error often names
    none)."""
    for table in plan.tables:
        if table.result is not None or (table.file_type or "json").lower() not in ("json", "csv"):
            continue
        for file in table.files:
            path = str(local[file.uri])
            schema = _struct(table.columns)
            try:
                _read_text_format(spark, table, [path], schema, "FAILFAST").write.format(
                    "noop"
                ).mode("overwrite").save()
                continue
            except (Py4JError, PySparkException):
                pass
            where = _bad_line(spark, table, path, schema)
            return InvalidInputError(
                Failure.DS_VERIFY_SCHEMA,
                f"input file {file.name or file.uri}{where} does not hold the table's schema"
                f" ({', '.join(f'{k} {vt}' for k, vt in table.columns)})",
            )
    return None


def _bad_line(spark: SparkSession, table: TablePlan, path: str, schema: StructType) -> str:
    """ ", line N" of the first record Spark cannot read in the plain-text file `path`, or ""."""
    wide = StructType([*schema.fields, StructField(CORRUPT, StringType())])
    try:
        frame = _read_text_format(spark, table, [path], wide, "PERMISSIVE")
        # Every column read (Spark refuses a query of the corrupt-record column alone), and
        # fetched through py4j: DataFrame.collect's local socket is left to the collector.
        bad = frame.where(F.col(CORRUPT).isNotNull()).limit(1)._jdf.collectAsList()
        compressed = path.endswith((".gz", ".zst", ".bz2", ".snappy", ".lz4"))
        if bad.isEmpty() or compressed or "://" in path:  # lines of local text files only
            return ""
        record = str(bad.get(0).getAs(CORRUPT)).rstrip("\r\n")
    except (Py4JError, PySparkException):
        return ""
    with open(path, encoding="utf-8", errors="replace") as text:
        for number, line in enumerate(text, start=1):
            if line.rstrip("\r\n") == record:
                return f", line {number}"
    return ""


@contextmanager
def _job_group(spark: SparkSession, group: str, stop: threading.Event | None) -> Iterator[None]:
    """Spark jobs started by this thread in the block belong to `group`; `stop` cancels it."""
    context = spark.sparkContext
    context.setJobGroup(group, "tidemill batch", interruptOnCancel=True)
    done = threading.Event()

    def watch() -> None:
        assert stop is not None
        while not done.is_set():
            if stop.wait(STOP_POLL):
                context.cancelJobGroup(group)
                done.wait(STOP_POLL)

    watcher = threading.Thread(target=watch, name="tidemill-spark-stop", daemon=True)
    if stop is not None:
        watcher.start()
    try:
        yield
    finally:
        done.set()
        if stop is not None:
            watcher.join()
        with suppress(Py4JError, OSError):  # a JVM that died in the block has nothing to clear
            context.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]


def _run_error(exc: BaseException, names: Mapping[str, str]) -> Exception:
    """What a failed write means: a bad input file (named as the user knows it), memory, other."""
    text = str(exc)
    for path, name in sorted(names.items(), key=lambda item: -len(item[0])):
        if path in text:
            reason = _ERROR_CLASS.search(text)
            why = f" ({reason.group(1)})" if reason else ""
            return InvalidInputError(
                Failure.DS_VERIFY_SCHEMA,
                f"input file {name} does not hold the table's schema{why}",
            )
    if "OutOfMemoryError" in text or "SparkOutOfMemoryError" in text:
        return BackendError(
            Failure.INTERNAL, f"{EXCEEDED}: use a larger container or a query that needs less"
        )
    reason = _ERROR_CLASS.search(text)
    return BackendError(
        Failure.INTERNAL,
        f"the query failed on Spark ({reason.group(1) if reason else type(exc).__name__})",
    )


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "getMessage", lambda: str(exc))()
    return str(text).strip().split("\n")[0]

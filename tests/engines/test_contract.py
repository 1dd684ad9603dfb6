"""The engine contract (tidemill.engines.base.Engine), run against every registered engine.

Nothing here names an engine: a new one (Spark, issue 13) is registered and passes this file
unchanged. Inputs are real files read by URI; results are read back with pyarrow, not with the
engine under test.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tidemill.api.errors import WIRE_BY_FAILURE
from tidemill.core.models import AccountScope, SchemaField
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.engines import registry
from tidemill.engines.base import EXCEEDED, Engine, RunIO, Stopped
from tidemill.errors import Failure, InvalidInputError, TidemillError

ZONE = "Asia/Shanghai"
SHANGHAI = timezone(timedelta(hours=8))
SCOPE = AccountScope("acct", frozenset())


@pytest.fixture(params=registry.names())
def engine(request: pytest.FixtureRequest) -> Engine:
    """A fresh engine of each registered kind."""
    return registry.ENGINES[request.param]()


class LocalFiles:
    """`file://` URIs, written literally (the storage registry's convention): the files an
    engine reads and where it commits. Records every upload, to show what was published."""

    def __init__(self) -> None:
        self.uploads: list[str] = []

    @staticmethod
    def path(uri: str) -> Path:
        assert uri.startswith("file://"), uri
        return Path(uri.removeprefix("file://"))

    @contextmanager
    def local_path(self, uri: str) -> Iterator[Path]:
        yield self.path(uri)

    def upload(self, uri: str, source: Path, *, move: bool = False) -> None:
        target = self.path(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".tmp-{uuid.uuid4().hex}")
        (shutil.move if move else shutil.copyfile)(source, temporary)
        temporary.replace(target)
        self.uploads.append(uri)


def uri(path: Path) -> str:
    return "file://" + str(path)


LOGS: list[dict[str, Any]] = [
    {"id": 1, "host": "a", "bytes": 100, "ratio": 0.5, "at": "2024-01-01T08:00:00+08:00",
     "ok": True},
    {"id": 2, "host": "b", "bytes": 250, "ratio": 1.25, "at": "2024-01-01T09:30:00+08:00",
     "ok": False},
    {"id": 3, "host": "a", "bytes": 50, "ratio": 2.0, "at": "2024-01-02T00:00:00Z", "ok": True},
    {"id": 4, "host": "c", "bytes": None, "ratio": None, "at": "2024-01-03T12:00:00+08:00",
     "ok": None},
    {"id": 5, "host": "b", "bytes": 7, "ratio": 0.125, "at": "2024-01-01T23:59:59+08:00",
     "ok": True},
]  # fmt: skip
LOG_SCHEMA = (
    ("id", "long", True), ("host", "string", False), ("bytes", "long", False),
    ("ratio", "float", False), ("at", "date", False), ("ok", "boolean", False),
)  # fmt: skip
HOSTS_CSV = "host,region\na,north\nb,south\nc,north\n"
HOST_SCHEMA = (("host", "string", False), ("region", "string", False))


def write(path: Path, text: str) -> InputFile:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    fmt = path.suffix.removeprefix(".")
    return InputFile(uri(path), path.stat().st_size, fmt, name=f"bucket/{path.name}")


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[TablePlan, ...]:
    logs = [
        write(tmp_path / "in" / "logs-1.json", "".join(json.dumps(r) + "\n" for r in LOGS[:3])),
        write(tmp_path / "in" / "logs-2.json", "".join(json.dumps(r) + "\n" for r in LOGS[3:])),
    ]
    hosts = write(tmp_path / "in" / "hosts.csv", HOSTS_CSV)
    return (
        TablePlan("logs", LOG_SCHEMA, tuple(logs), file_type="json"),
        TablePlan("hosts", HOST_SCHEMA, (hosts,), file_type="csv", delimiter=",",
                  contains_header=True),
    )  # fmt: skip


def plan_of(
    tmp_path: Path, sql: str, tables: tuple[TablePlan, ...] = (), *, memory: str = "1GB",
    threads: int = 2, name: str = "result",
) -> BatchPlan:  # fmt: skip
    result = uri(tmp_path / "warehouse" / name / "result.parquet")
    return BatchPlan(1, SCOPE, "j", 1, sql, tables, result, Limits(threads, memory), ZONE)


def io_of(tmp_path: Path, files: LocalFiles | None = None, **kw: object) -> RunIO:
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    return RunIO(files or LocalFiles(), scratch=scratch, **kw)  # type: ignore[arg-type]


def schemas(tables: tuple[TablePlan, ...]) -> dict[str, list[SchemaField]]:
    return {t.table: [SchemaField(k, v) for k, v, _ in t.schema] for t in tables}


def read(result_uri: str) -> pa.Table:
    return pq.read_table(LocalFiles.path(result_uri))


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# --- SQL and types ----------------------------------------------------------------------------

ARROW_BY_VALTYPE = {
    "long": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
}


def assert_types(table: pa.Table, schema: list[SchemaField]) -> None:
    """Each result column has the Parquet type its valtype names."""
    assert [f.key for f in schema] == table.column_names
    for column, field in zip(table.schema, schema, strict=True):
        if field.valtype == "date":
            assert pa.types.is_timestamp(column.type) and column.type.tz is not None, column
        elif field.valtype == "string":
            assert pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        else:
            assert column.type == ARROW_BY_VALTYPE[field.valtype], column


def test_a_run_commits_the_query_result_with_the_schema_check_predicted(
    engine: Engine, inputs: tuple[TablePlan, ...], tmp_path: Path
) -> None:
    sql = (
        "SELECT l.host, h.region, count(1) AS n, sum(l.bytes) AS total, avg(l.ratio) AS ratio,"
        " max(l.at) AS last_at, max(l.ok) AS any_ok FROM logs l JOIN hosts h ON l.host = h.host"
        " GROUP BY l.host, h.region ORDER BY l.host"
    )
    expected_schema = [
        SchemaField("host", "string"), SchemaField("region", "string"), SchemaField("n", "long"),
        SchemaField("total", "long"), SchemaField("ratio", "float"),
        SchemaField("last_at", "date"), SchemaField("any_ok", "boolean"),
    ]  # fmt: skip
    files = LocalFiles()
    plan = plan_of(tmp_path, sql, inputs)

    checked = engine.check(sql, schemas(inputs))
    committed = engine.run(plan, io_of(tmp_path, files))

    assert checked == committed.schema == expected_schema
    assert committed.result_uri == plan.result_uri and files.uploads == [plan.result_uri]
    table = read(committed.result_uri)
    assert_types(table, committed.schema)
    regions = {"a": "north", "b": "south", "c": "north"}
    expected = []
    for host in sorted({r["host"] for r in LOGS}):
        rows = [r for r in LOGS if r["host"] == host]
        sizes = [r["bytes"] for r in rows if r["bytes"] is not None]
        ratios = [r["ratio"] for r in rows if r["ratio"] is not None]
        oks = [r["ok"] for r in rows if r["ok"] is not None]
        expected.append({
            "host": host, "region": regions[host], "n": len(rows),
            "total": sum(sizes) if sizes else None,
            "ratio": sum(ratios) / len(ratios) if ratios else None,
            "last_at": max(instant(r["at"]) for r in rows), "any_ok": max(oks) if oks else None,
        })  # fmt: skip
    assert committed.rows == len(expected)
    assert table.to_pylist() == expected


def test_a_table_can_be_an_upstream_result(
    engine: Engine, inputs: tuple[TablePlan, ...], tmp_path: Path
) -> None:
    first = plan_of(tmp_path, "SELECT host, bytes, at FROM logs WHERE bytes > 60", inputs)
    engine.run(first, io_of(tmp_path))
    upstream = TablePlan(
        "big", (("host", "string", False), ("bytes", "long", False), ("at", "date", False)),
        result=first.result_uri,
    )  # fmt: skip
    sql = "SELECT host, bytes * 2 AS doubled, date_format(at, 'yyyy-MM-dd HH:mm') AS t FROM big"

    committed = engine.run(
        plan_of(tmp_path, sql + " ORDER BY host", (upstream,), name="child"), io_of(tmp_path)
    )

    assert read(committed.result_uri).to_pylist() == [
        {"host": "a", "doubled": 200, "t": "2024-01-01 08:00"},
        {"host": "b", "doubled": 500, "t": "2024-01-01 09:30"},
    ]
    assert committed.schema == [
        SchemaField("host", "string"),
        SchemaField("doubled", "long"),
        SchemaField("t", "string"),
    ]


@pytest.mark.parametrize(
    ("sql", "valtypes", "row"),
    [
        ("SELECT 1 AS a, 2.5D AS b, 'x' AS c, true AS d", ["long", "float", "string", "boolean"],
         {"a": 1, "b": 2.5, "c": "x", "d": True}),
        ("SELECT CAST('2024-02-29' AS DATE) AS d, TIMESTAMP '2024-02-29 12:00:00' AS t",
         ["date", "date"],
         {"d": datetime(2024, 2, 29, tzinfo=SHANGHAI),
          "t": datetime(2024, 2, 29, 12, tzinfo=SHANGHAI)}),
        ("SELECT sum(id) AS s, count(1) AS n FROM range(1000)", ["long", "long"],
         {"s": 499500, "n": 1000}),
        ("SELECT 9007199254740993 AS big", ["long"], {"big": 9007199254740993}),
        ("SELECT CAST(NULL AS STRING) AS s, CAST(NULL AS BIGINT) AS l", ["string", "long"],
         {"s": None, "l": None}),
    ],
)  # fmt: skip
def test_result_columns_have_their_valtypes_types(
    engine: Engine, tmp_path: Path, sql: str, valtypes: list[str], row: dict[str, object]
) -> None:
    committed = engine.run(plan_of(tmp_path, sql), io_of(tmp_path))

    assert [f.valtype for f in committed.schema] == valtypes
    assert engine.check(sql, {}) == committed.schema
    table = read(committed.result_uri)
    assert_types(table, committed.schema)
    got = table.to_pylist()[0]
    for key, value in row.items():  # instants compare as instants, whatever zone they carry
        assert got[key] == value, key


def test_a_bad_input_file_fails_the_run_naming_it_and_commits_nothing(
    engine: Engine, inputs: tuple[TablePlan, ...], tmp_path: Path
) -> None:
    bad = write(tmp_path / "in" / "logs-3.json", '{"id": "not a number"}\n')
    logs = inputs[0]
    tables = (TablePlan("logs", LOG_SCHEMA, (*logs.files, bad), file_type="json"),)
    files = LocalFiles()
    plan = plan_of(tmp_path, "SELECT sum(id) AS n FROM logs", tables)

    with pytest.raises(InvalidInputError) as caught:
        engine.run(plan, io_of(tmp_path, files))

    assert "bucket/logs-3.json" in caught.value.message
    assert str(tmp_path) not in caught.value.message  # the name, never a server path
    assert files.uploads == [] and not LocalFiles.path(plan.result_uri).exists()


# --- limits and spill -------------------------------------------------------------------------

ROWS = 2_000_000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> TablePlan:
    """2M rows, ~80 MB of strings once read: more than the small memory limits below."""
    path = tmp_path_factory.mktemp("big") / "big.parquet"
    ids = pa.array(range(ROWS), pa.int64())
    text = pa.array([f"value-{i:012d}-{'x' * 40}" for i in range(ROWS)])
    pq.write_table(pa.table({"id": ids, "s": text}), path)
    file = InputFile(uri(path), path.stat().st_size, "parquet")
    return TablePlan("t", (("id", "long", False), ("s", "string", False)), (file,),
                     file_type="parquet")  # fmt: skip


def size_of(directory: Path) -> int:
    """Bytes of the files under `directory` now (files may vanish while it looks)."""
    total = 0
    with suppress(OSError):  # a directory removed while it is walked
        for path in directory.rglob("*"):
            with suppress(OSError):
                total += path.stat().st_size if path.is_file() else 0
    return total


def test_work_beyond_the_memory_limit_spills_to_scratch_and_succeeds(
    engine: Engine, big: TablePlan, tmp_path: Path
) -> None:
    io = io_of(tmp_path)
    scratch = tmp_path / "scratch"
    peak = [0]
    done = threading.Event()

    def watch() -> None:  # what the run keeps in its scratch directory, at most
        while not done.is_set():
            peak[0] = max(peak[0], size_of(scratch))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        sql = "SELECT s, id FROM t ORDER BY s DESC"
        committed = engine.run(plan_of(tmp_path, sql, (big,), memory="48MiB", threads=1), io)
    finally:
        done.set()
        watcher.join()

    result = LocalFiles.path(committed.result_uri)
    assert committed.rows == ROWS
    first = pq.ParquetFile(result).read_row_group(0).slice(0, 1).to_pylist()[0]
    assert first == {"s": f"value-{ROWS - 1:012d}-{'x' * 40}", "id": ROWS - 1}
    assert peak[0] > result.stat().st_size  # it spilled there, beyond the result itself
    assert list(scratch.iterdir()) == []  # and cleaned up


def test_work_that_cannot_spill_fails_the_run_as_exceeding_the_memory(
    engine: Engine, big: TablePlan, tmp_path: Path
) -> None:
    files = LocalFiles()
    plan = plan_of(tmp_path, "SELECT collect_list(s) AS l FROM t", (big,), memory="32MiB",
                   threads=1)  # fmt: skip

    with pytest.raises(TidemillError, match=EXCEEDED):
        engine.run(plan, io_of(tmp_path, files))

    assert files.uploads == []


def test_a_run_within_its_memory_limit_is_unaffected(
    engine: Engine, big: TablePlan, tmp_path: Path
) -> None:
    sql = "SELECT count(1) AS n, max(length(s)) AS longest, sum(id % 7) AS s FROM t"

    committed = engine.run(plan_of(tmp_path, sql, (big,), memory="64MiB", threads=1),
                           io_of(tmp_path))  # fmt: skip

    assert read(committed.result_uri).to_pylist() == [
        {"n": ROWS, "longest": 59, "s": sum(i % 7 for i in range(ROWS))}
    ]


# --- stopping ---------------------------------------------------------------------------------

LONG = "SELECT sum(a.id * b.id) AS x FROM range(300000) a CROSS JOIN range(300000) b"


def test_stop_ends_a_running_query_and_publishes_nothing(engine: Engine, tmp_path: Path) -> None:
    stop = threading.Event()
    files = LocalFiles()
    io = io_of(tmp_path, files, stop=stop)
    plan = plan_of(tmp_path, LONG)
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(engine.run(plan, io))
        except BaseException as exc:
            outcome.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    time.sleep(1.0)
    assert runner.is_alive(), outcome  # the query is long: still running
    stopped = time.monotonic()
    stop.set()
    runner.join(10)

    assert not runner.is_alive()
    assert time.monotonic() - stopped < 5
    assert len(outcome) == 1 and isinstance(outcome[0], Stopped)
    assert files.uploads == [] and not LocalFiles.path(plan.result_uri).exists()
    assert io.scratch is not None and list(io.scratch.iterdir()) == []


def test_a_run_stopped_before_it_starts_does_not_run(engine: Engine, tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    files = LocalFiles()

    with pytest.raises(Stopped):
        engine.run(plan_of(tmp_path, LONG), io_of(tmp_path, files, stop=stop))

    assert files.uploads == []


def test_the_engine_runs_again_after_a_stop(engine: Engine, tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        engine.run(plan_of(tmp_path, LONG), io_of(tmp_path, stop=stop))

    committed = engine.run(plan_of(tmp_path, "SELECT 42 AS n"), io_of(tmp_path))

    assert read(committed.result_uri).to_pylist() == [{"n": 42}]


# --- the lease --------------------------------------------------------------------------------


class LostLease:
    def publishing(self) -> Iterator[None]:
        raise TidemillError(Failure.INTERNAL, "lost its lease")


def test_a_run_whose_lease_is_lost_publishes_nothing(engine: Engine, tmp_path: Path) -> None:
    files = LocalFiles()
    plan = plan_of(tmp_path, "SELECT 42 AS n")

    with pytest.raises(TidemillError, match="lost its lease"):
        engine.run(plan, RunIO(files, LostLease(), scratch=tmp_path))  # type: ignore[arg-type]

    assert files.uploads == [] and not LocalFiles.path(plan.result_uri).exists()


# --- the sandbox ------------------------------------------------------------------------------

SECRET = "the-server-secret-7f3a"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside every input: no job may read it."""
    path = tmp_path / "private" / "secret.csv"
    path.parent.mkdir()
    path.write_text(f"key\n{SECRET}\n")
    return path


READS = [
    "SELECT * FROM csv.`{path}`",
    "SELECT * FROM json.`{path}`",
    "SELECT * FROM text.`{path}`",
    "SELECT * FROM parquet.`{path}`",
    "SELECT * FROM read_csv('{path}')",
    "SELECT * FROM read_csv_auto('{path}')",
    "SELECT read_text('{path}') AS x FROM logs",
    "SELECT read_blob('{path}') AS x FROM logs",
    "SELECT * FROM glob('{dir}/*')",
    "SELECT * FROM logs UNION ALL SELECT * FROM csv.`{path}`",
    "SELECT * FROM logs WHERE host IN (SELECT * FROM csv.`{path}`)",
    "SELECT reflect('java.nio.file.Files', 'readString', '{path}') AS x FROM logs",
    "SELECT java_method('java.lang.System', 'getenv', 'HOME') AS x FROM logs",
]


@pytest.mark.parametrize("template", READS)
def test_a_query_cannot_read_a_file_outside_its_inputs(
    engine: Engine, inputs: tuple[TablePlan, ...], secret: Path, tmp_path: Path, template: str
) -> None:
    sql = template.format(path=secret, dir=secret.parent)
    files = LocalFiles()

    with pytest.raises(InvalidInputError) as checked:
        engine.check(sql, schemas(inputs))
    with pytest.raises(TidemillError) as ran:
        engine.run(plan_of(tmp_path, sql, inputs), io_of(tmp_path, files))

    assert WIRE_BY_FAILURE[checked.value.failure][1] == "E18209"
    for message in (checked.value.message, ran.value.message):
        assert SECRET not in message
    assert files.uploads == []


WRITES = [
    "INSERT OVERWRITE DIRECTORY '{dir}' USING csv SELECT * FROM logs",
    "INSERT OVERWRITE LOCAL DIRECTORY '{dir}' SELECT * FROM logs",
    "CREATE TABLE x USING parquet LOCATION '{dir}' AS SELECT * FROM logs",
    "COPY (SELECT * FROM logs) TO '{dir}/out.csv'",
    "EXPORT DATABASE '{dir}'",
    "SELECT * FROM logs; COPY (SELECT 1) TO '{dir}/out.csv'",
    "ATTACH '{dir}/x.db' AS x",
]


@pytest.mark.parametrize("template", WRITES)
def test_a_query_cannot_write_files(
    engine: Engine, inputs: tuple[TablePlan, ...], tmp_path: Path, template: str
) -> None:
    target = tmp_path / "written"
    sql = template.format(dir=target)
    files = LocalFiles()

    with pytest.raises(InvalidInputError) as checked:
        engine.check(sql, schemas(inputs))
    with pytest.raises(TidemillError):
        engine.run(plan_of(tmp_path, sql, inputs), io_of(tmp_path, files))

    assert WIRE_BY_FAILURE[checked.value.failure][1] == "E18209"
    assert not target.exists()
    assert files.uploads == []


EXTENSIONS = [
    "INSTALL httpfs",
    "LOAD httpfs",
    "ADD JAR /tmp/tidemill-no-such.jar",
    "CREATE TEMPORARY FUNCTION f AS 'com.example.F'",
    "SELECT * FROM read_json_auto('https://127.0.0.1:9/x.json')",
    "SELECT * FROM read_parquet('s3://bucket/x.parquet')",
    "SET spark.sql.ansi.enabled = true",
]


@pytest.mark.parametrize("sql", EXTENSIONS)
def test_a_query_cannot_install_or_load_extensions_or_change_settings(
    engine: Engine, tmp_path: Path, sql: str
) -> None:
    with pytest.raises(InvalidInputError) as checked:
        engine.check(sql, {})
    with pytest.raises(TidemillError):
        engine.run(plan_of(tmp_path, sql), io_of(tmp_path))

    assert WIRE_BY_FAILURE[checked.value.failure][1] == "E18209"


# --- check --------------------------------------------------------------------------------------

REFUSED = [
    ("SELECT nosuch(id) AS x FROM logs", "nosuch"),
    ("SELECT nosuch FROM logs", "nosuch"),
    ("SELECT * FROM nosuch", "nosuch"),
    ("SELECT current_setting('home_directory') AS h FROM logs", "current_setting"),
    ("SELECT host FROM logs GROUP BY", "syntax"),
    ("SELECT 1 AS a; SELECT 2 AS b", "one statement"),
]


@pytest.mark.parametrize(("sql", "named"), REFUSED)
def test_check_refuses_with_e18209_naming_the_construct(
    engine: Engine, inputs: tuple[TablePlan, ...], sql: str, named: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        engine.check(sql, schemas(inputs))

    assert WIRE_BY_FAILURE[caught.value.failure][1] == "E18209"
    assert named in caught.value.message


def test_check_answers_for_tables_with_no_files(engine: Engine) -> None:
    tables = {"logs": [SchemaField(k, v) for k, v, _ in LOG_SCHEMA]}

    assert engine.check("SELECT host, count(1) AS n FROM LOGS GROUP BY host", tables) == [
        SchemaField("host", "string"),
        SchemaField("n", "long"),
    ]

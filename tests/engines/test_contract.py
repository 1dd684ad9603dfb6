"""The engine contract (tidemill.engines.base.Engine), run against every registered engine.

Nothing here names an engine: a new one (Spark, issue 13) is registered and passes this file
unchanged. Inputs are real files read by URI through a real Storage (the `file://` and `mem://`
backends); results are read back through it with pyarrow, not with the engine under test.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, suppress
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
from tidemill.engines.base import EXCEEDED, UNFENCED, Engine, Lease, RunIO, Stopped
from tidemill.errors import Failure, InvalidInputError, TidemillError
from tidemill.storage.local import file_uri
from tidemill.storage.registry import StorageConfig, Storages, open_storages

ZONE = "Asia/Shanghai"
SHANGHAI = timezone(timedelta(hours=8))
SCOPE = AccountScope("acct", frozenset())


# Contract cases an engine cannot hold, and why (docs/decisions.md has each). They run and
# must fail on that engine (strict xfail), and hold on every other engine unchanged.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


@pytest.fixture(params=registry.names())
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A fresh engine of each registered kind, closed after the test."""
    gap = KNOWN_GAPS.get((request.param, request.node.originalname))
    if gap is not None:
        request.applymarker(pytest.mark.xfail(strict=True, reason=gap))
    made = registry.ENGINES[request.param]()
    yield made
    made.close()


# "file-kept": file storage, and the engine may keep a directory between runs (`RunIO.keep`,
# as a worker lets it): a test's later runs use what an earlier one kept.
STORAGES = ["file", "mem", "file-kept"]


class Bench:
    """One test's storage (a fresh root on one backend), its scratch directory, and helpers to
    write inputs, make plans and read results back."""

    def __init__(self, storage: Storages, root: str, scratch: Path, keep: Path | None) -> None:
        self.storage, self.root, self.scratch, self.keep = storage, root, scratch, keep

    def put(self, name: str, data: bytes, fmt: str) -> InputFile:
        uri = f"{self.root}/in/{name}"
        self.storage.put(uri, data)
        return InputFile(uri, len(data), fmt, name=f"bucket/{name}")

    def plan(
        self, sql: str, tables: tuple[TablePlan, ...] = (), *, memory: str = "1GB",
        threads: int = 2, name: str = "result",
    ) -> BatchPlan:  # fmt: skip
        result = f"{self.root}/warehouse/{name}/result.parquet"
        return BatchPlan(1, SCOPE, "j", 1, sql, tables, result, Limits(threads, memory), ZONE)

    def io(self, stop: threading.Event | None = None, lease: Lease = UNFENCED) -> RunIO:
        return RunIO(self.storage, lease, scratch=self.scratch, stop=stop, keep=self.keep)

    def written(self) -> int:
        """Bytes of the files the engine has under its scratch and keep directories now."""
        return size_of(self.scratch) + (size_of(self.keep) if self.keep else 0)

    def left(self, engine: Engine) -> list[str]:
        """What is left under the scratch directory after `engine.prepare` (the last run's
        files are gone by then), and under the keep directory after `engine.close` (what
        the engine kept goes with it; a later run opens anew)."""
        engine.prepare()
        left = [p.name for p in self.scratch.iterdir()]
        if self.keep is not None:
            engine.close()
            left += [p.name for p in self.keep.iterdir()]
        return left

    def read(self, uri: str) -> pa.Table:
        return pq.read_table(pa.BufferReader(self.storage.read(uri)))

    def published(self) -> list[str]:
        """Every file under the warehouse: what runs committed."""
        return [info.uri for info in self.storage.list(f"{self.root}/warehouse/")]


@pytest.fixture(params=STORAGES)
def bench(request: pytest.FixtureRequest, tmp_path: Path) -> Bench:
    storage = open_storages(StorageConfig(memory=True))
    root = f"mem://t-{uuid.uuid4().hex}" if request.param == "mem" else file_uri(tmp_path / "store")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    keep = tmp_path / "keep" if request.param == "file-kept" else None
    if keep is not None:
        keep.mkdir()
    return Bench(storage, root, scratch, keep)


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


def json_lines(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@pytest.fixture
def inputs(bench: Bench) -> tuple[TablePlan, ...]:
    logs = (
        bench.put("logs-1.json", json_lines(LOGS[:3]), "json"),
        bench.put("logs-2.json", json_lines(LOGS[3:]), "json"),
    )
    hosts = bench.put("hosts.csv", HOSTS_CSV.encode(), "csv")
    return (
        TablePlan("logs", LOG_SCHEMA, logs, file_type="json"),
        TablePlan("hosts", HOST_SCHEMA, (hosts,), file_type="csv", delimiter=",",
                  contains_header=True),
    )  # fmt: skip


def schemas(tables: tuple[TablePlan, ...]) -> dict[str, list[SchemaField]]:
    return {t.table: [SchemaField(k, v) for k, v, _ in t.schema] for t in tables}


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
    engine: Engine, inputs: tuple[TablePlan, ...], bench: Bench
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
    plan = bench.plan(sql, inputs)

    checked = engine.check(sql, schemas(inputs))
    committed = engine.run(plan, bench.io())

    assert checked == committed.schema == expected_schema
    assert committed.result_uri == plan.result_uri and bench.published() == [plan.result_uri]
    # what the run left in its scratch is removed by the next prepare at the latest
    assert bench.left(engine) == []
    table = bench.read(committed.result_uri)
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
    engine: Engine, inputs: tuple[TablePlan, ...], bench: Bench
) -> None:
    first = bench.plan("SELECT host, bytes, at FROM logs WHERE bytes > 60", inputs)
    engine.run(first, bench.io())
    upstream = TablePlan(
        "big", (("host", "string", False), ("bytes", "long", False), ("at", "date", False)),
        result=first.result_uri,
    )  # fmt: skip
    sql = "SELECT host, bytes * 2 AS doubled, date_format(at, 'yyyy-MM-dd HH:mm') AS t FROM big"

    committed = engine.run(
        bench.plan(sql + " ORDER BY host", (upstream,), name="child"), bench.io()
    )

    assert bench.read(committed.result_uri).to_pylist() == [
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
    engine: Engine, bench: Bench, sql: str, valtypes: list[str], row: dict[str, object]
) -> None:
    committed = engine.run(bench.plan(sql), bench.io())

    assert [f.valtype for f in committed.schema] == valtypes
    assert engine.check(sql, {}) == committed.schema
    table = bench.read(committed.result_uri)
    assert_types(table, committed.schema)
    got = table.to_pylist()[0]
    for key, value in row.items():  # instants compare as instants, whatever zone they carry
        assert got[key] == value, key


def test_a_bad_input_file_fails_the_run_naming_it_and_commits_nothing(
    engine: Engine, inputs: tuple[TablePlan, ...], bench: Bench, tmp_path: Path
) -> None:
    bad = bench.put("logs-3.json", b'{"id": "not a number"}\n', "json")
    logs = inputs[0]
    tables = (TablePlan("logs", LOG_SCHEMA, (*logs.files, bad), file_type="json"),)
    plan = bench.plan("SELECT sum(id) AS n FROM logs", tables)

    with pytest.raises(InvalidInputError) as caught:
        engine.run(plan, bench.io())

    assert "bucket/logs-3.json" in caught.value.message
    assert str(tmp_path) not in caught.value.message  # the name, never a server path
    assert bench.published() == []


# --- limits and spill -------------------------------------------------------------------------

ROWS = 2_000_000


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2M rows, ~120 MB of strings once read: more than the small memory limits below."""
    path = tmp_path_factory.mktemp("big") / "big.parquet"
    ids = pa.array(range(ROWS), pa.int64())
    text = pa.array([f"value-{i:012d}-{'x' * 40}" for i in range(ROWS)])
    pq.write_table(pa.table({"id": ids, "s": text}), path)
    return path


@pytest.fixture
def big(bench: Bench, big_file: Path) -> TablePlan:
    uri = f"{bench.root}/in/big.parquet"
    bench.storage.upload(uri, big_file)
    file = InputFile(uri, big_file.stat().st_size, "parquet")
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
    engine: Engine, big: TablePlan, bench: Bench
) -> None:
    peak = [0]
    done = threading.Event()

    def watch() -> None:  # what the run keeps in its scratch directory, at most
        while not done.is_set():
            peak[0] = max(peak[0], bench.written())
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        sql = "SELECT s, id FROM t ORDER BY s DESC"
        committed = engine.run(bench.plan(sql, (big,), memory="48MiB", threads=1), bench.io())
    finally:
        done.set()
        watcher.join()

    result = bench.storage.read(committed.result_uri)
    assert committed.rows == ROWS
    first = pq.ParquetFile(pa.BufferReader(result)).read_row_group(0).slice(0, 1).to_pylist()
    assert first == [{"s": f"value-{ROWS - 1:012d}-{'x' * 40}", "id": ROWS - 1}]
    assert peak[0] > len(result)  # it spilled there, beyond the result itself
    # what the run left in its scratch is removed by the next prepare at the latest
    assert bench.left(engine) == []  # and cleaned up


def test_work_that_cannot_spill_fails_the_run_as_exceeding_the_memory(
    engine: Engine, big: TablePlan, bench: Bench
) -> None:
    plan = bench.plan("SELECT collect_list(s) AS l FROM t", (big,), memory="32MiB", threads=1)

    with pytest.raises(TidemillError, match=EXCEEDED):
        engine.run(plan, bench.io())

    assert bench.published() == []


def test_a_run_within_its_memory_limit_is_unaffected(
    engine: Engine, big: TablePlan, bench: Bench
) -> None:
    sql = "SELECT count(1) AS n, max(length(s)) AS longest, sum(id % 7) AS s FROM t"

    committed = engine.run(bench.plan(sql, (big,), memory="64MiB", threads=1), bench.io())

    assert bench.read(committed.result_uri).to_pylist() == [
        {"n": ROWS, "longest": 59, "s": sum(i % 7 for i in range(ROWS))}
    ]


# --- stopping ---------------------------------------------------------------------------------

LONG = "SELECT sum(a.id * b.id) AS x FROM range(300000) a CROSS JOIN range(300000) b"


def test_stop_ends_a_running_query_and_publishes_nothing(engine: Engine, bench: Bench) -> None:
    stop = threading.Event()
    plan = bench.plan(LONG)
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(engine.run(plan, bench.io(stop)))
        except BaseException as exc:
            outcome.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    time.sleep(1.0)
    assert runner.is_alive(), outcome  # the query is long: still running
    stopped = time.monotonic()
    stop.set()
    runner.join(60)

    # LONG runs for many minutes: ending within 20 s means the stop ended it. (Spark's task
    # interruption took 5.2 s once on a loaded two-core CI machine; it is ~1 s here.)
    assert not runner.is_alive()
    assert time.monotonic() - stopped < 20
    assert len(outcome) == 1 and isinstance(outcome[0], Stopped)
    assert bench.published() == []
    # what the run left in its scratch is removed by the next prepare at the latest
    assert bench.left(engine) == []


def test_a_run_stopped_before_it_starts_does_not_run(engine: Engine, bench: Bench) -> None:
    stop = threading.Event()
    stop.set()

    with pytest.raises(Stopped):
        engine.run(bench.plan(LONG), bench.io(stop))

    assert bench.published() == []


def test_the_engine_runs_again_after_a_stop(engine: Engine, bench: Bench) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        engine.run(bench.plan(LONG), bench.io(stop))

    committed = engine.run(bench.plan("SELECT 42 AS n"), bench.io())

    assert bench.read(committed.result_uri).to_pylist() == [{"n": 42}]


# --- the lease --------------------------------------------------------------------------------


class LostLease:
    def publishing(self) -> AbstractContextManager[None]:
        raise TidemillError(Failure.INTERNAL, "lost its lease")


def test_a_run_whose_lease_is_lost_publishes_nothing(engine: Engine, bench: Bench) -> None:
    with pytest.raises(TidemillError, match="lost its lease"):
        engine.run(bench.plan("SELECT 42 AS n"), bench.io(lease=LostLease()))

    assert bench.published() == []


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
    engine: Engine, inputs: tuple[TablePlan, ...], secret: Path, bench: Bench, template: str
) -> None:
    sql = template.format(path=secret, dir=secret.parent)

    with pytest.raises(InvalidInputError) as checked:
        engine.check(sql, schemas(inputs))
    with pytest.raises(TidemillError) as ran:
        engine.run(bench.plan(sql, inputs), bench.io())

    assert WIRE_BY_FAILURE[checked.value.failure][1] == "E18209"
    for message in (checked.value.message, ran.value.message):
        assert SECRET not in message
    assert bench.published() == []


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
    engine: Engine, inputs: tuple[TablePlan, ...], bench: Bench, tmp_path: Path, template: str
) -> None:
    target = tmp_path / "written"
    sql = template.format(dir=target)

    with pytest.raises(InvalidInputError) as checked:
        engine.check(sql, schemas(inputs))
    with pytest.raises(TidemillError):
        engine.run(bench.plan(sql, inputs), bench.io())

    assert WIRE_BY_FAILURE[checked.value.failure][1] == "E18209"
    assert not target.exists()
    assert bench.published() == []


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
    engine: Engine, bench: Bench, sql: str
) -> None:
    with pytest.raises(InvalidInputError) as checked:
        engine.check(sql, {})
    with pytest.raises(TidemillError):
        engine.run(bench.plan(sql), bench.io())

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

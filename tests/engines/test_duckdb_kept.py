"""A DuckDB database kept for the next run of the same account (`RunIO.keep`).

A worker's engine seals a small run's database to a directory of the account's under
`<data dir>/scratch` and serves that account's next run with it, instead of opening a new
database (~14 ms of CPU). What must hold: every run's answer as with a new database; the
database reads only that account's directory; another account, a failure, a stop, a large run
or a run whose tables are views never leave a database kept; the directory goes with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.engines import registry
from tidemill.engines.base import KEPT_PREFIX, RunIO, Stopped, keep_area, sweep_kept
from tidemill.engines.duckdb import engine as engine_module
from tidemill.engines.duckdb.database import open_engine
from tidemill.engines.duckdb.engine import DuckDBEngine
from tidemill.errors import InvalidInputError
from tidemill.storage.local import LocalFiles, file_uri

SCHEMA = (("x", "long", False), ("at", "date", False))


class Runs:
    """A keep directory, a scratch directory and inputs as files; plans for an account."""

    def __init__(self, root: Path) -> None:
        self.root, self.files = root, LocalFiles()
        self.keep, self.scratch, self.inputs = root / "keep", root / "scratch", root / "in"
        for directory in (self.keep, self.scratch, self.inputs):
            directory.mkdir()
        self.count = 0

    def table(self, lines: str, name: str = "t") -> TablePlan:
        self.count += 1
        path = self.inputs / f"{self.count}.json"
        path.write_text(lines)
        files = (InputFile(file_uri(path), path.stat().st_size, "json", name=f"b/{name}.json"),)
        return TablePlan(name, SCHEMA, files, file_type="json")

    def plan(
        self, sql: str, tables: tuple[TablePlan, ...], *, account: int = 1,
        zone: str = "UTC", threads: int = 2, memory: str = "1GB",
    ) -> BatchPlan:  # fmt: skip
        self.count += 1
        result = file_uri(self.root / "results" / f"{self.count}.parquet")
        scope = AccountScope(f"acct{account}", frozenset())
        return BatchPlan(
            account, scope, "j", self.count, sql, tables, result, Limits(threads, memory), zone
        )

    def io(self, stop: threading.Event | None = None) -> RunIO:
        return RunIO(self.files, scratch=self.scratch, stop=stop, keep=self.keep)

    def rows(self, uri: str) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = pq.read_table(self.files.path(uri)).to_pylist()
        return rows

    def areas(self) -> list[str]:
        return sorted(p.name for p in self.keep.iterdir())


@pytest.fixture
def runs(tmp_path: Path) -> Runs:
    return Runs(tmp_path)


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    made = DuckDBEngine()
    yield made
    made.close()


LINES = '{"x": 1, "at": "2024-01-01T00:30:00Z"}\n{"x": 2, "at": "2024-01-01T23:30:00Z"}\n'


def run(engine: DuckDBEngine, runs: Runs, plan: BatchPlan) -> list[dict[str, object]]:
    engine.prepare()  # as a worker does before each plan
    committed = engine.run(plan, runs.io())
    return runs.rows(committed.result_uri)


def test_an_accounts_runs_are_served_by_the_database_it_kept(
    engine: DuckDBEngine, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = []

    def counted(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        opened.append(args)
        return open_engine(*args, **kwargs)

    monkeypatch.setattr(engine_module, "open_engine", counted)
    answers, kept, opens = [], [], []
    for n in range(4):
        table = runs.table(LINES.replace('"x": 2', f'"x": {n + 2}'))
        answers.append(run(engine, runs, runs.plan("SELECT sum(x) AS s FROM t", (table,))))
        kept.append(engine._kept)
        opens.append(len(opened))
    assert answers == [[{"s": 3}], [{"s": 4}], [{"s": 5}], [{"s": 6}]]
    assert kept[0] is not None and kept[0] is kept[1] is kept[2] is kept[3]
    # The first run's database, and one opened ahead after it; none once the kept one serves.
    assert opens[1] == opens[2] == opens[3] <= 2
    assert len(runs.areas()) == 1 and runs.areas()[0].startswith(KEPT_PREFIX)
    engine.prepare()
    # The last run's directory is removed before the next run, with its linked inputs.
    area = runs.keep / runs.areas()[0]
    assert not [p for p in area.iterdir() if p.name.startswith(".run-")]


def test_the_kept_database_reads_and_writes_only_its_accounts_directory(
    engine: DuckDBEngine, runs: Runs
) -> None:
    run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),)))
    con = engine._kept
    assert con is not None
    area = runs.keep / runs.areas()[0]
    (area / "mine.csv").write_text("x\n7\n")
    other = runs.root / "other"
    other.mkdir()
    (other / "secret.csv").write_text("x\n42\n")
    elsewhere, lock = keep_area(runs.keep)  # another account's, on the same node
    (elsewhere / "theirs.csv").write_text("x\n9\n")
    try:
        assert con.execute(f"SELECT x FROM read_csv('{area / 'mine.csv'}')").fetchall() == [(7,)]
        for path in (other / "secret.csv", elsewhere / "theirs.csv", runs.inputs / "1.json"):
            with pytest.raises(duckdb.PermissionException):
                con.execute(f"SELECT * FROM read_csv('{path}')")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"COPY (SELECT 1) TO '{other / 'out.csv'}'")
        os.symlink(other / "secret.csv", area / "link.csv")  # DuckDB follows it, then refuses
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"SELECT * FROM read_csv('{area / 'link.csv'}')")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
        with pytest.raises(duckdb.Error):
            con.execute(f"SET allowed_directories = ['{other}']")
    finally:
        os.close(lock)
    assert not (other / "out.csv").exists()


def test_another_accounts_run_gets_a_database_and_directory_of_its_own(
    engine: DuckDBEngine, runs: Runs
) -> None:
    run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),)))
    first, first_area = engine._kept, runs.areas()
    assert first is not None

    answer = run(
        engine, runs, runs.plan("SELECT max(x) AS m FROM t", (runs.table(LINES),), account=2)
    )

    assert answer == [{"m": 2}]
    assert engine._kept is not None and engine._kept is not first
    with pytest.raises(duckdb.ConnectionException):  # closed, not only set aside
        first.execute("SELECT 1")
    assert len(runs.areas()) == 1 and runs.areas() != first_area


def test_a_failed_run_closes_the_kept_database(engine: DuckDBEngine, runs: Runs) -> None:
    run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),)))
    first = engine._kept
    assert first is not None
    bad = runs.table('{"x": "not a number", "at": "2024-01-01T00:00:00Z"}\n')

    with pytest.raises(InvalidInputError):
        run(engine, runs, runs.plan("SELECT sum(x) AS s FROM t", (bad,)))

    assert engine._kept is None
    engine.prepare()
    with pytest.raises(duckdb.ConnectionException):
        first.execute("SELECT 1")
    answer = run(engine, runs, runs.plan("SELECT sum(x) AS s FROM t", (runs.table(LINES),)))
    assert answer == [{"s": 3}]


def test_a_stopped_run_is_not_kept(engine: DuckDBEngine, runs: Runs) -> None:
    run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),)))
    stop = threading.Event()
    stop.set()
    engine.prepare()
    with pytest.raises(Stopped):
        engine.run(runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),)), runs.io(stop))
    # Stopped before the database was taken: the kept one still serves the next run.
    assert engine._kept is not None
    long = "SELECT count(*) AS n FROM range(400000000) a, t"
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    engine.prepare()
    with pytest.raises(Stopped):
        engine.run(runs.plan(long, (runs.table(LINES),)), runs.io(stop))
    assert engine._kept is None  # interrupted while it ran: closed


def test_limits_and_time_zone_follow_each_plan_on_the_kept_database(
    engine: DuckDBEngine, runs: Runs
) -> None:
    sql = "SELECT cast(at AS string) AS s FROM t ORDER BY x"
    shanghai = run(engine, runs, runs.plan(sql, (runs.table(LINES),), zone="Asia/Shanghai"))
    kept = engine._kept
    utc = run(
        engine, runs,
        runs.plan(sql, (runs.table(LINES),), zone="UTC", threads=1, memory="100MiB"),
    )  # fmt: skip

    assert shanghai == [{"s": "2024-01-01 08:30:00"}, {"s": "2024-01-02 07:30:00"}]
    assert utc == [{"s": "2024-01-01 00:30:00"}, {"s": "2024-01-01 23:30:00"}]
    assert engine._kept is kept and kept is not None
    threads, memory = kept.execute(
        "SELECT current_setting('threads'), current_setting('memory_limit')"
    ).fetchone() or (None, None)
    assert threads == 1 and memory in ("100.0 MiB", "104.8 MB")


@pytest.mark.parametrize(
    "change",
    ["large run", "inputs not linked"],
)
def test_a_run_outside_the_keeping_rules_is_not_kept(
    engine: DuckDBEngine, runs: Runs, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    if change == "large run":  # its peak buffer memory beyond the rule's
        monkeypatch.setattr(engine_module, "KEEP_PEAK_MEMORY", 0)
    else:  # more input files than are linked: read where they are, as without keep
        monkeypatch.setattr(engine_module, "KEEP_INPUTS", 0)

    answer = run(engine, runs, runs.plan("SELECT sum(x) AS s FROM t", (runs.table(LINES),)))

    assert answer == [{"s": 3}]
    assert engine._kept is None


def test_a_query_over_views_is_not_kept(engine: DuckDBEngine, runs: Runs) -> None:
    # A WITH naming a CTE like a table cannot take the tables as CTEs: they become views,
    # which would outlive the run in a kept database.
    sql = "WITH T AS (SELECT 5 AS x) SELECT x FROM T"
    answer = run(engine, runs, runs.plan(sql, (runs.table(LINES),)))
    assert answer == [{"x": 5}]
    assert engine._kept is None


def test_close_removes_the_kept_directory(runs: Runs) -> None:
    engine = DuckDBEngine()
    run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),)))
    kept = engine._kept
    assert runs.areas() and kept is not None

    engine.close()

    assert runs.areas() == []
    with pytest.raises(duckdb.ConnectionException):
        kept.execute("SELECT 1")


def test_registry_close_all_closes_this_process_engines(runs: Runs) -> None:
    engine = registry.engine("duckdb")
    assert isinstance(engine, DuckDBEngine)
    run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),)))
    assert runs.areas()

    registry.close_all()

    assert runs.areas() == []
    assert registry.engine("duckdb") is not engine


def test_a_dead_processes_kept_directory_is_swept_and_a_live_one_kept(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from tidemill.engines.base import keep_area;"
        "print(keep_area(Path(sys.argv[1]))[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], check=True, capture_output=True, text=True
    )
    dead = Path(out.stdout.strip())
    (dead / "spill").mkdir()
    live, lock = keep_area(tmp_path)
    try:
        assert sweep_kept(tmp_path) == [dead.name]
        assert not dead.exists() and live.is_dir()
    finally:
        os.close(lock)
    assert sweep_kept(tmp_path) == [live.name]

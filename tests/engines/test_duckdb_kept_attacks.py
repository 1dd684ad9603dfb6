"""Attacks on the kept DuckDB database (`RunIO.keep`, docs/decisions.md "A kept DuckDB database").

What the kept database promises: a batch's answer is as with a new database, and a batch reads
only its own account's directory. Three of these failed on the commit they were written against
(9242fab): a seed set by an earlier batch, DuckDB's statement counters (both now refused as not
Spark SQL), and a kept directory removed under the engine (now dropped and made again).
"""

from __future__ import annotations

import gzip
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from tests.engines.test_duckdb_kept import LINES, SCHEMA, Runs, run
from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, InputFile, TablePlan
from tidemill.engines.base import RunIO, Stopped, sweep_kept
from tidemill.engines.duckdb import engine as engine_module
from tidemill.engines.duckdb.engine import DuckDBEngine
from tidemill.errors import InvalidInputError, TidemillError
from tidemill.storage.local import file_uri


@pytest.fixture
def runs(tmp_path: Path) -> Runs:
    return Runs(tmp_path)


@pytest.fixture
def engine() -> Iterator[DuckDBEngine]:
    made = DuckDBEngine()
    yield made
    made.close()


def _area(runs: Runs) -> Path:
    (name,) = runs.areas()
    return runs.keep / name


def _answer(made: DuckDBEngine, runs: Runs, plan: BatchPlan, keep: bool) -> list[dict[str, object]]:
    """`run`, with `RunIO.keep` (a worker) or without (a new database per batch)."""
    if keep:
        return run(made, runs, plan)
    made.prepare()
    committed = made.run(plan, RunIO(runs.files, scratch=runs.scratch))
    return runs.rows(committed.result_uri)


# --- state carried from one batch to the next ----------------------------------------------


@pytest.mark.parametrize("keep", [True, False])
def test_an_earlier_batchs_setseed_does_not_fix_a_later_batchs_random_values(
    tmp_path: Path, keep: bool
) -> None:
    # Two workers of one account, each given the same two batches. With a new database per
    # batch their rand() and uuid() differ (as Spark's); a kept database carries the seed.
    answers = []
    for worker in ("w1", "w2"):
        (tmp_path / worker).mkdir()
        runs = Runs(tmp_path / worker)
        made = DuckDBEngine()
        try:
            with pytest.raises(InvalidInputError, match="setseed"):  # not Spark SQL: refused
                seed = runs.plan("SELECT setseed(0.25) AS s FROM t", (runs.table(LINES),))
                _answer(made, runs, seed, keep)
            sql = "SELECT rand() AS r, cast(uuid() AS string) AS u FROM t"
            answers.append(_answer(made, runs, runs.plan(sql, (runs.table(LINES),)), keep))
        finally:
            made.close()
    assert answers[0] != answers[1]


@pytest.mark.parametrize("keep", [True, False])
def test_an_identical_batch_answers_alike_whatever_ran_before_in_the_kept_database(
    engine: DuckDBEngine, runs: Runs, keep: bool
) -> None:
    # DuckDB's statement counters, which count what the kept database ran before, are refused
    # as not Spark SQL (tests/core/test_spark_functions.py) ...
    for counter in ("current_query_id()", "txid_current()"):
        with pytest.raises(InvalidInputError, match="not a Spark SQL function"):
            _answer(
                engine, runs, runs.plan(f"SELECT {counter} AS q FROM t", (runs.table(LINES),)), keep
            )
    # ... and a query of Spark's functions answers alike batch after batch, kept or not.
    sql = (
        "SELECT x, md5(cast(x AS string)) AS h, row_number() OVER (ORDER BY x) AS n,"
        " uuid() IS NULL AS u FROM t"
    )
    _answer(engine, runs, runs.plan(sql, (runs.table(LINES),)), keep)  # translation remembered
    second = _answer(engine, runs, runs.plan(sql, (runs.table(LINES),)), keep)
    kept = engine._kept
    third = _answer(engine, runs, runs.plan(sql, (runs.table(LINES),)), keep)
    assert (kept is not None and engine._kept is kept) == keep  # the kept database served both
    assert second == third


def test_an_account_whose_kept_directory_vanished_still_gets_answers(
    engine: DuckDBEngine, runs: Runs
) -> None:
    run(engine, runs, runs.plan("SELECT sum(x) AS s FROM t", (runs.table(LINES),)))
    engine.prepare()
    shutil.rmtree(_area(runs))

    answers: list[object] = []
    for _ in range(2):
        try:
            answers.append(
                run(engine, runs, runs.plan("SELECT sum(x) AS s FROM t", (runs.table(LINES),)))
            )
        except TidemillError:
            answers.append("failed within the contract")  # at most the first may fail
    assert answers[-1] == [{"s": 3}]


# --- tenancy -----------------------------------------------------------------------------


def test_another_accounts_database_reads_nothing_an_earlier_account_left_behind(
    engine: DuckDBEngine, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if removing A's directory failed (the rmtree ignores errors): B's database, kept for
    # B, still cannot read what is left there, and A's next database is sealed anew.
    def lock_only(area: engine_module._Area) -> None:
        os.close(area.lock)

    monkeypatch.setattr(engine_module._Area, "remove", lock_only)
    run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),)))
    area_a = _area(runs)
    (area_a / "left.csv").write_text("x\n1\n")
    run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),), account=2))
    con_b = engine._kept
    assert con_b is not None
    (area_b,) = (runs.keep / n for n in runs.areas() if runs.keep / n != area_a)
    (area_b / "mine.csv").write_text("x\n2\n")
    assert con_b.execute(f"SELECT x FROM read_csv('{area_b / 'mine.csv'}')").fetchall() == [(2,)]
    with pytest.raises(duckdb.PermissionException):
        con_b.execute(f"SELECT * FROM read_csv('{area_a / 'left.csv'}')")

    answer = run(engine, runs, runs.plan("SELECT sum(x) AS s FROM t", (runs.table(LINES),)))
    con_a = engine._kept
    assert answer == [{"s": 3}] and con_a is not None and con_a is not con_b
    for path in (area_a / "left.csv", area_b / "mine.csv"):  # A's old directory is not its new
        with pytest.raises(duckdb.PermissionException):
            con_a.execute(f"SELECT * FROM read_csv('{path}')")


@pytest.mark.parametrize("other", ["same id, other name", "other id, same name"])
def test_the_kept_database_belongs_to_the_accounts_id_and_name_together(
    engine: DuckDBEngine, runs: Runs, other: str
) -> None:
    first = runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),))
    run(engine, runs, first)
    kept, areas = engine._kept, runs.areas()
    second = runs.plan("SELECT sum(x) AS s FROM t", (runs.table(LINES),))
    if other == "same id, other name":
        second = replace(second, scope=AccountScope("someone-else", frozenset()))
    else:
        second = replace(second, account=first.account + 1, scope=first.scope)

    assert run(engine, runs, second) == [{"s": 3}]

    assert kept is not None and engine._kept is not None and engine._kept is not kept
    with pytest.raises(duckdb.ConnectionException):
        kept.execute("SELECT 1")
    assert len(runs.areas()) == 1 and runs.areas() != areas


def test_a_batch_cannot_name_a_file_of_its_kept_directory_in_its_sql(
    engine: DuckDBEngine, runs: Runs
) -> None:
    run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),)))
    kept = engine._kept
    target = _area(runs) / "planted.json"
    target.write_text('{"x": 99, "at": "2024-01-01T00:00:00Z"}\n')
    for sql in (
        f"SELECT * FROM json.`{target}`",
        f"SELECT * FROM read_json('{target}')",
        f"SELECT x FROM t WHERE x IN (SELECT x FROM read_json_auto('{target}'))",
        f"SELECT read_text('{target}') AS s FROM t",
    ):
        with pytest.raises(InvalidInputError):
            run(engine, runs, runs.plan(sql, (runs.table(LINES),)))
    assert engine._kept is kept  # refused before the database was taken


# --- linked inputs -------------------------------------------------------------------------


def test_inputs_of_one_name_from_several_directories_are_linked_apart(
    engine: DuckDBEngine, runs: Runs
) -> None:
    files = []
    for n, directory in enumerate(("a", "b", "c"), 1):
        (runs.inputs / directory).mkdir()
        line = f'{{"x": {10**n}, "at": "2024-01-01T00:00:00Z"}}\n'
        if directory == "b":  # one compressed: DuckDB takes the compression from the suffix
            path = runs.inputs / directory / "data.json.gz"
            path.write_bytes(gzip.compress(line.encode()))
        else:
            path = runs.inputs / directory / "data.json"
            path.write_text(line)
        files.append(InputFile(file_uri(path), path.stat().st_size, "json", name=path.name))
    table = TablePlan("t", SCHEMA, tuple(files), file_type="json")

    first = run(engine, runs, runs.plan("SELECT sum(x) AS s FROM t", (table,)))
    second = run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (table,)))

    assert first == [{"s": 1110}] and second == [{"n": 3}]
    assert engine._kept is not None


# --- leftovers -----------------------------------------------------------------------------


def _fds_under(root: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(root)):
            found.append(target)
    return found


def test_nothing_is_left_nor_held_after_mixed_batches_and_close(tmp_path: Path) -> None:
    runs = Runs(tmp_path)
    made = DuckDBEngine()
    ok = "SELECT sum(x) AS s FROM t"
    try:
        run(made, runs, runs.plan(ok, (runs.table(LINES),)))
        bad = runs.table('{"x": "nope", "at": "2024-01-01T00:00:00Z"}\n')
        with pytest.raises(InvalidInputError):
            run(made, runs, runs.plan(ok, (bad,)))
        stop = threading.Event()
        stop.set()
        made.prepare()
        with pytest.raises(Stopped):
            made.run(runs.plan(ok, (runs.table(LINES),)), runs.io(stop))
        views = "WITH T AS (SELECT 5 AS x) SELECT x FROM T"
        run(made, runs, runs.plan(views, (runs.table(LINES),)))
        run(made, runs, runs.plan(ok, (runs.table(LINES),), account=2))
        run(made, runs, runs.plan(ok, (runs.table(LINES),)))
        assert len(runs.areas()) == 1 and len(_fds_under(tmp_path)) == 1  # the area's lock
    finally:
        made.close()
    assert runs.areas() == []
    assert list(runs.scratch.iterdir()) == []
    assert _fds_under(tmp_path) == []
    made.close()  # twice: nothing more to do, nothing raised


def test_sweep_leaves_a_live_engines_kept_directory_and_database(
    engine: DuckDBEngine, runs: Runs
) -> None:
    run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),)))
    kept, area = engine._kept, _area(runs)
    engine.prepare()

    assert sweep_kept(runs.keep) == []

    assert area.is_dir()
    answer = run(engine, runs, runs.plan("SELECT sum(x) AS s FROM t", (runs.table(LINES),)))
    assert answer == [{"s": 3}] and kept is not None and engine._kept is kept


def test_a_run_without_keep_after_a_kept_one_drops_it(engine: DuckDBEngine, runs: Runs) -> None:
    # A caller that passes no `keep` (every caller but the worker) gets a database of its
    # own, and the kept one and its directory go: nothing outlives a run without keep.
    run(engine, runs, runs.plan("SELECT count(*) AS n FROM t", (runs.table(LINES),)))
    kept = engine._kept
    engine.prepare()
    committed = engine.run(
        runs.plan("SELECT sum(x) AS s FROM t", (runs.table(LINES),)),
        RunIO(runs.files, scratch=runs.scratch),
    )
    assert runs.rows(committed.result_uri) == [{"s": 3}]
    assert engine._kept is None and runs.areas() == []
    assert kept is not None
    with pytest.raises(duckdb.ConnectionException):
        kept.execute("SELECT 1")

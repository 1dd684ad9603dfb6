"""The corpus on Tidemill's Spark engine: Spark's recorded answers, and the DuckDB engine's.

Each case goes through the Engine contract on `engines/spark` (`check` as job create, `run` as a
batch over the tables' Parquet files, the committed result read as the result endpoint reads
it) and must be *identical* to Spark's recorded answer (values, valtypes, the names the query
fixes: `verdict.judge`). Where the DuckDB engine runs the case too, the two engines' results
must agree: the same valtypes, the same names where the query fixes them, the same rows.

`make test` runs the whole corpus (1,353 cases). A Spark batch costs a Spark job and its
commit, so a module fixture runs the cases' Spark side, `CHUNK` cases ahead at a time, from
`TIDEMILL_FIDELITY_SPARK_THREADS` threads (default 3) on one engine (one Spark application;
each run has its own session and job group); each test then judges its case on its own and runs
the DuckDB side of it (alone: a few datetime-pattern cases take 16-17 s of DuckDB's 20 s guard
on a loaded machine). On a 2-core machine at load average 5-13 the module took 11.3 min, its
Spark side 0.34 s a case, where one case at a time took 26-40 min (docs/decisions.md, "Spark
engine: the whole corpus in make test").
`TIDEMILL_FIDELITY_SPARK=N` runs a fixed, category-stratified subset instead, for local work:
the N cases of each category with the lowest SHA-256 of their id.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.fidelity import answers, canonical
from tests.fidelity.corpus_loader import Entry, load
from tests.fidelity.describe import describe
from tests.fidelity.harness import all_tables, data_files
from tests.fidelity.spark_engine_side import SparkEngineSide
from tests.fidelity.tidemill_side import Outcome, TidemillSide
from tests.fidelity.verdict import judge, named_positions

CORPUS = load()
PER_CATEGORY = os.environ.get("TIDEMILL_FIDELITY_SPARK", "all")
THREADS = int(os.environ.get("TIDEMILL_FIDELITY_SPARK_THREADS", "3"))
CHUNK = 150  # cases run ahead at once (about a minute on a quiet 2-core machine)

# py4j leaves its sockets to the garbage collector.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def chosen(entries: tuple[Entry, ...], per_category: str) -> list[Entry]:
    """Every entry (`per_category` "all"), or the `per_category` of each category with the
    lowest SHA-256 of their id, in corpus order."""
    if per_category == "all":
        return list(entries)
    count = int(per_category)
    by_category: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_category[entry.category].append(entry)
    keep: set[str] = set()
    for members in by_category.values():
        members.sort(key=lambda e: hashlib.sha256(e.case.id.encode()).hexdigest())
        keep.update(e.case.id for e in members[:count])
    return [e for e in entries if e.case.id in keep]


CHOSEN = chosen(CORPUS.entries, PER_CATEGORY)
_ANSWERS: dict[str, dict[str, dict[str, Any]]] = {}


def recorded(entry: Entry) -> dict[str, Any] | None:
    if entry.category not in _ANSWERS:
        _ANSWERS[entry.category] = answers.load(entry.category)
    return _ANSWERS[entry.category].get(entry.case.id)


class Sides:
    def __init__(self, spark: SparkEngineSide, duckdb: TidemillSide) -> None:
        self.spark, self.duckdb = spark, duckdb


@pytest.fixture(scope="module")
def sides() -> Iterator[Sides]:
    tables = all_tables(CORPUS)
    with (
        data_files(tables) as paths,
        SparkEngineSide(paths, tables) as spark,
        TidemillSide(paths, tables) as duckdb,
    ):
        yield Sides(spark, duckdb)


class SparkOutcomes:
    """The Spark engine's outcome of each chosen case that has a current answer, by case id,
    run `THREADS` at a time on the module's engine, `CHUNK` cases ahead of the first one asked
    for: each test's time (pytest-timeout counts its fixtures) stays a chunk's, not the
    corpus's."""

    def __init__(self, side: SparkEngineSide, pool: ThreadPoolExecutor) -> None:
        self._side, self._pool = side, pool
        self._current = [
            e for e in CHOSEN if (r := recorded(e)) is not None and not answers.stale(e, r)
        ]
        self._at = {e.case.id: i for i, e in enumerate(self._current)}
        self._done: dict[str, Outcome] = {}

    def __getitem__(self, case_id: str) -> Outcome:
        if case_id not in self._done:
            first = self._at[case_id]
            chunk = [e for e in self._current[first : first + CHUNK] if e.case.id not in self._done]
            ran = list(self._pool.map(self._side.run, chunk))
            self._done.update((e.case.id, o) for e, o in zip(chunk, ran, strict=True))
        return self._done[case_id]


@pytest.fixture(scope="module")
def spark_outcomes(sides: Sides) -> Iterator[SparkOutcomes]:
    with ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="fidelity-spark") as pool:
        yield SparkOutcomes(sides.spark, pool)


def test_the_subset_covers_every_category() -> None:
    assert {e.category for e in CHOSEN} == set(CORPUS.categories)
    if PER_CATEGORY != "all":
        assert chosen(CORPUS.entries, PER_CATEGORY) == CHOSEN  # the same cases every run


def engines_agree(entry: Entry, spark: Outcome, duckdb: Outcome) -> list[str]:
    """How the two engines' results differ (empty: they agree)."""
    problems = []
    spark_types = [vt for _, vt in spark.schema]
    duckdb_types = [vt for _, vt in duckdb.schema]
    if spark_types != duckdb_types:
        problems.append(f"valtypes: Spark engine {spark_types}, DuckDB engine {duckdb_types}")
    else:
        positions = named_positions(entry.case.sql)
        compare = range(len(spark.schema)) if positions is None else positions
        names = [(spark.schema[i][0], duckdb.schema[i][0]) for i in compare]
        if any(s != d for s, d in names):
            problems.append(f"names (Spark engine, DuckDB engine): {names}")
    if not canonical.same_rows(spark.rows, duckdb.rows, entry.case.ordered):
        problems.append(f"rows: Spark engine {spark.rows[:5]}, DuckDB engine {duckdb.rows[:5]}")
    return problems


@pytest.mark.parametrize("entry", CHOSEN, ids=[e.case.id for e in CHOSEN])
def test_spark_engine_answers_as_spark_and_duckdb(
    entry: Entry, sides: Sides, spark_outcomes: SparkOutcomes
) -> None:
    record = recorded(entry)
    if record is None or answers.stale(entry, record):
        pytest.fail(f"no current Spark answer: run python -m tests.fidelity record {entry.case.id}")
    outcome = spark_outcomes[entry.case.id]
    verdict = judge(entry, record, outcome)
    assert verdict.kind == "identical", describe(entry, record, outcome, verdict)
    theirs = sides.duckdb.run(entry)  # after the Spark runs: its 20 s guard needs no rival
    if theirs.kind == "refused":  # E18209: with TIDEMILL_ENGINE=auto it runs on Spark
        return
    assert theirs.kind == "ran", f"DuckDB engine: {theirs.kind}: {theirs.message}"
    problems = engines_agree(entry, outcome, theirs)
    assert not problems, "\n".join(problems)

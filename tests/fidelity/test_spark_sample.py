"""Spark's recorded answers cannot drift: a random sample re-runs on real Spark every run.

One local Spark (pyspark 3.5.9, ANSI off, Asia/Shanghai) starts for the module and stops after
it; each sampled case's fresh answer must equal the recorded one (schema exactly, rows in the
canonical comparison). The seed is in pytest's header (`TIDEMILL_FIDELITY_SEED` repeats it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fidelity import answers, canonical, spark
from tests.fidelity.corpus_loader import Entry, load
from tests.fidelity.harness import all_tables, data_files
from tests.fidelity.sampling import SEED, sample

SAMPLE = sample()

# py4j leaves its sockets to the garbage collector.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def live_spark() -> Iterator[None]:
    with data_files(all_tables(load())) as paths:
        spark.register(paths)
        try:
            yield
        finally:
            spark.stop()


@pytest.mark.parametrize("entry", SAMPLE, ids=[e.case.id for e in SAMPLE])
def test_recorded_answer_is_sparks(entry: Entry, live_spark: None) -> None:
    recorded = answers.load(entry.category)[entry.case.id]
    fresh = answers.make(entry, spark.answer(entry.case.sql))
    hint = f"(seed {SEED}) re-record: python -m tests.fidelity record {entry.case.id}"
    assert ("error" in fresh) == ("error" in recorded), f"{fresh.get('error')} {hint}"
    if "error" in fresh:
        return
    assert fresh["schema"] == recorded["schema"], hint
    assert canonical.same_rows(recorded["rows"], fresh["rows"], entry.case.ordered), (
        f"Spark now answers {fresh['rows']}\nrecorded: {recorded['rows']}\n{hint}"
    )


def test_sample_is_not_empty() -> None:
    assert SAMPLE, "no case has a recorded Spark answer"

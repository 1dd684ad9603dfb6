"""Every corpus case against Spark's recorded answer, on Tidemill's DuckDB path.

A case passes when Tidemill's answer is Spark's (values, valtypes, names the query fixes), or
when job create refuses it with E18209 naming the construct; a case marked `differs` passes
only while it still differs (strict: a fixed case must drop its mark). Spark's answers are
fixtures (`tests/fidelity/answers/`); `test_spark_sample.py` keeps them honest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fidelity import answers
from tests.fidelity.corpus_loader import Entry, load
from tests.fidelity.describe import describe
from tests.fidelity.harness import all_tables, data_files
from tests.fidelity.tidemill_side import TidemillSide
from tests.fidelity.verdict import REFUSAL_PHRASE, judge

CORPUS = load()
_ANSWERS: dict[str, dict[str, dict[str, Any]]] = {}


def recorded(entry: Entry) -> dict[str, Any] | None:
    if entry.category not in _ANSWERS:
        _ANSWERS[entry.category] = answers.load(entry.category)
    return _ANSWERS[entry.category].get(entry.case.id)


@pytest.fixture(scope="module")
def side() -> Iterator[TidemillSide]:
    tables = all_tables(CORPUS)
    with data_files(tables) as paths, TidemillSide(paths, tables) as engine:
        yield engine


def test_corpus_is_well_formed() -> None:
    assert CORPUS.entries, "the corpus has no cases"
    for entry in CORPUS.entries:
        assert entry.case.id.startswith(f"{entry.category}/")


@pytest.mark.parametrize("entry", CORPUS.entries, ids=[e.case.id for e in CORPUS.entries])
def test_case_matches_spark(entry: Entry, side: TidemillSide) -> None:
    record = recorded(entry)
    if record is None or answers.stale(entry, record):
        pytest.fail(f"no current Spark answer: run python -m tests.fidelity record {entry.case.id}")
    outcome = side.run(entry)
    verdict = judge(entry, record, outcome)
    text = describe(entry, record, outcome, verdict)
    if entry.case.differs:
        assert verdict.kind in ("different", "unnamed"), (
            f"{entry.case.id} is marked differs but is now {verdict.kind}: drop the mark\n{text}"
        )
        return
    if verdict.kind == "refused":
        assert REFUSAL_PHRASE in outcome.message
        return
    assert verdict.kind == "identical", text

"""The corpus rules the loader enforces: ids, categories, tables."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.fidelity.case import Case, Table
from tests.fidelity.corpus_loader import CorpusError, build, load

TABLE = Table(columns=(("k", "long"),), rows=((1,),))


def module(*cases: Case, **tables: Table) -> SimpleNamespace:
    return SimpleNamespace(CASES=list(cases), TABLES=tables)


def test_a_module_reads_shared_tables_and_its_own() -> None:
    corpus = build([("cat", module(Case("cat/a", "select k from cat_x join t on t.id = k"),
                                   cat_x=TABLE))])  # fmt: skip
    (entry,) = corpus.entries
    assert {"t", "u", "cat_x"} <= set(entry.tables)
    assert entry.columns["cat_x"] == [("k", "long")]
    assert corpus.select(["cat"]) == [entry] == corpus.select(["cat/a"])
    with pytest.raises(CorpusError, match="neither a category nor a case id"):
        corpus.select(["nope"])


@pytest.mark.parametrize(
    ("modules", "fault"),
    [
        ([("cat", module(Case("other/a", "select 1")))], "must be cat/<slug>"),
        ([("cat", module(Case("cat/A b", "select 1")))], "must be cat/<slug>"),
        ([("cat", module(Case("cat/a", "select 1"), Case("cat/a", "select 2")))], "twice"),
        ([("cat", module(Case("cat/a", "select * from dog_x")))], "unknown table"),
        ([("cat", module(Case("cat/a", "select 1"), x=TABLE))], "must be named cat_<name>"),
    ],
)
def test_faults_are_named(modules: list[tuple[str, SimpleNamespace]], fault: str) -> None:
    with pytest.raises(CorpusError, match=fault):
        build(modules)


def test_sql_sqlglot_cannot_read_is_a_case_all_the_same() -> None:
    # Tidemill refuses it at create; the loader must not.
    corpus = build([("cat", module(Case("cat/a", "select from where")))])
    assert len(corpus.entries) == 1


def test_hint_arguments_are_not_tables() -> None:
    sql = "select /*+ BROADCAST(b) */ a.id from t a join u b on a.id = b.t_id"
    assert len(build([("cat", module(Case("cat/a", sql)))]).entries) == 1


def test_the_corpus_loads() -> None:
    corpus = load()
    assert "basics" in corpus.categories
    assert len({e.case.id for e in corpus.entries}) == len(corpus.entries)

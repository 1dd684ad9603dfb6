"""The harness's own rules: canonical values, row comparison, names, verdicts."""

from __future__ import annotations

import datetime as dt
import decimal

from tests.fidelity import answers, canonical
from tests.fidelity.case import Case
from tests.fidelity.corpus_loader import Entry
from tests.fidelity.tables import TABLES
from tests.fidelity.tidemill_side import Outcome
from tests.fidelity.verdict import judge, named_positions

ZONE = "Asia/Shanghai"


def test_values_take_the_endpoint_shape() -> None:
    moment = dt.datetime(2009, 7, 30, 2, 15, 30, 123000, tzinfo=dt.UTC)
    assert canonical.value(moment, ZONE) == "2009-07-30T10:15:30.123000+08:00"
    assert canonical.value(moment.replace(microsecond=0), ZONE) == "2009-07-30T10:15:30+08:00"
    summer = dt.datetime(1988, 7, 1, 3, tzinfo=dt.UTC)  # Shanghai kept summer time in 1988
    assert canonical.value(summer, ZONE) == "1988-07-01T12:00:00+09:00"
    assert canonical.value(float("nan"), ZONE) == "NaN"
    assert canonical.value(float("-inf"), ZONE) == "-Infinity"
    assert canonical.value(decimal.Decimal("1.25"), ZONE) == 1.25
    assert canonical.value(b"abc", ZONE) == "YWJj"
    assert canonical.value({1: [dt.date(2026, 1, 2)]}, ZONE) == {"1": ["2026-01-02"]}


def test_doubles_compare_within_a_relative_tolerance_and_types_strictly() -> None:
    assert canonical.same(0.1 + 0.2, 0.3)
    assert not canonical.same(1.0, 1.0001)
    assert not canonical.same(1, 1.0)
    assert not canonical.same(True, 1)
    assert canonical.same({"a": [1.0, None]}, {"a": [1.0 + 1e-12, None]})
    assert not canonical.same({"a": 1}, {"b": 1})


def test_rows_compare_as_multisets_unless_ordered() -> None:
    assert canonical.same_rows([[1], [2], [2]], [[2], [1], [2]], ordered=False)
    assert not canonical.same_rows([[1], [2], [2]], [[2], [1], [1]], ordered=False)
    assert not canonical.same_rows([[1], [2]], [[2], [1]], ordered=True)


def test_names_are_compared_where_the_query_fixes_them() -> None:
    assert named_positions("select a, b + 1, count(*) as c from t") == [0, 2]
    assert named_positions("select * from t") is None
    assert named_positions("select n + 1 from t union all select x as y from u") == []


def entry(sql: str, **kw: object) -> Entry:
    return Entry(Case("probe/x", sql, **kw), "probe", TABLES)  # type: ignore[arg-type]


def record(e: Entry, schema: list[tuple[str, str]], rows: list[list[object]]) -> dict[str, object]:
    columns = [{"name": n, "sparkType": "?", "valtype": v} for n, v in schema]
    return answers.make(e, {"schema": columns, "rows": rows})


def test_verdicts() -> None:
    e = entry("select n + 1, id as k from t")
    spark = record(e, [("(n + 1)", "long"), ("k", "long")], [[2, 1]])
    same = Outcome("ran", schema=[("_n_1_", "long"), ("k", "long")], rows=[[2, 1]])
    assert judge(e, spark, same).kind == "identical"
    renamed = Outcome("ran", schema=[("x", "long"), ("kk", "long")], rows=[[2, 1]])
    assert "names differ" in judge(e, spark, renamed).reason
    retyped = Outcome("ran", schema=[("x", "float"), ("k", "long")], rows=[[2.0, 1]])
    assert "valtypes differ" in judge(e, spark, retyped).reason
    named = Outcome("refused", "lateral view is not supported on the DuckDB engine")
    assert judge(e, spark, named).kind == "refused"
    assert judge(e, spark, Outcome("refused", "Binder Error: x")).kind == "unnamed"
    assert judge(e, spark, Outcome("batch_error", "Conversion Error")).kind == "different"
    assert judge(e, None, same).kind == "unrecorded"
    assert judge(entry("select 2"), spark, same).kind == "unrecorded"  # stale: other SQL
    invalid = answers.make(e, {"error": "AnalysisException"})
    assert judge(e, invalid, same).kind == "invalid"

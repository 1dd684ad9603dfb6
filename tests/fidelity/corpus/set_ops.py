"""Set operations: UNION [ALL|DISTINCT], INTERSECT [ALL], EXCEPT [ALL], MINUS, NULLs in them,
type widening across branches, precedence, ORDER BY / LIMIT / OFFSET / DISTINCT."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "set_ops_a": Table(
        columns=(("k", "long"), ("s", "string"), ("f", "float")),
        rows=(
            (1, "x", 1.5),
            (2, "y", None),
            (2, "y", None),
            (3, None, 3.0),
            (None, "z", 0.5),
            (None, "z", 0.5),
            (5, "w", 2.0),
        ),
    ),
    "set_ops_b": Table(
        columns=(("k", "long"), ("s", "string"), ("f", "float")),
        rows=((2, "y", None), (3, None, 3.0), (3, None, 3.0), (None, "z", 0.5), (4, "v", 4.5)),
    ),
}


def _case(
    slug: str, sql: str, *, ordered: bool = False, differs: str = "", api: bool = False
) -> Case:
    return Case(f"set_ops/{slug}", sql, ordered=ordered, differs=differs, api=api)


CASES: list[Case] = [
    _case("union", "select k, s from set_ops_a union select k, s from set_ops_b"),
    _case("union-all", "select k, s from set_ops_a union all select k, s from set_ops_b"),
    _case("union-distinct", "select k from set_ops_a union distinct select k from set_ops_b"),
    _case("intersect", "select k, s from set_ops_a intersect select k, s from set_ops_b", api=True),
    _case("intersect-all", "select k, s from set_ops_a intersect all select k, s from set_ops_b"),
    _case(
        "intersect-distinct", "select k from set_ops_a intersect distinct select k from set_ops_b"
    ),
    _case("except", "select k, s from set_ops_a except select k, s from set_ops_b"),
    _case(
        "except-all", "select k, s from set_ops_a except all select k, s from set_ops_b", api=True
    ),
    _case("except-distinct", "select k from set_ops_a except distinct select k from set_ops_b"),
    _case("minus", "select k, s from set_ops_a minus select k, s from set_ops_b", api=True),
    _case("minus-all", "select k, s from set_ops_a minus all select k, s from set_ops_b"),
    _case("nulls-match-in-intersect", "select f from set_ops_a intersect select f from set_ops_b"),
    _case("widen-long-double", "select k from set_ops_a union all select f from set_ops_b"),
    _case("widen-long-string", "select k from set_ops_a union all select s from set_ops_b"),
    _case(
        "widen-null-literal",
        "select k, null n from set_ops_a union all select null, f from set_ops_b",
    ),
    _case(
        "names-from-first-branch",
        "select k as first_name from set_ops_a union all select k as second_name from set_ops_b",
    ),
    _case(
        "precedence-intersect-first",
        "select k from set_ops_a union all select k"
        " from set_ops_b intersect select k from set_ops_b",
    ),
    _case(
        "precedence-except-left",
        "select k from set_ops_a except select k from set_ops_b union all select k from set_ops_b",
    ),
    _case(
        "parenthesised",
        "select k from set_ops_a except (select k from set_ops_b union all select 1)",
    ),
    _case(
        "union-order-limit",
        "select k, s from set_ops_a union select k, s from set_ops_b order by k desc, s limit 3",
        ordered=True,
    ),
    _case(
        "union-order-nulls",
        "select k from set_ops_a union select k from set_ops_b order by k",
        ordered=True,
    ),
    _case(
        "union-in-subquery",
        "select count(*) n, sum(k) t from (select k from set_ops_a"
        " union all select k from set_ops_b) u",
    ),
    _case(
        "union-grouped",
        "select s, count(*) n from (select s from set_ops_a union all"
        " select s from set_ops_b) u group by s",
    ),
    _case("distinct", "select distinct k, s from set_ops_a"),
    _case("distinct-nulls", "select distinct f from set_ops_a"),
    _case(
        "limit-offset",
        "select k from set_ops_a order by k nulls last, s limit 2 offset 1",
        ordered=True,
    ),
    _case("order-by-desc-nulls-last", "select k from set_ops_a order by k desc", ordered=True),
    _case(
        "order-by-explicit-nulls", "select k from set_ops_a order by k asc nulls last", ordered=True
    ),
    _case("order-by-ordinal", "select s, k from set_ops_a order by 2 desc, 1", ordered=True),
    _case("order-by-alias", "select k * 2 as kk from set_ops_b order by kk", ordered=True),
    _case(
        "order-by-expression-not-selected", "select s from set_ops_b order by k desc", ordered=True
    ),
    _case("sort-by", "select k from set_ops_a sort by k"),
    _case("distribute-by", "select k, s from set_ops_a distribute by k"),
    _case("cluster-by", "select k from set_ops_a cluster by k"),
    _case("distribute-sort", "select k from set_ops_a distribute by s sort by k desc"),
    _case("union-three", "select 1 x union select 2 union all select 1"),
    _case(
        "values-union",
        "select * from values (1, 'a'), (2, 'b') as t(x, y) union all select k, s from set_ops_b",
    ),
    _case("except-all-duplicates", "select s from set_ops_a except all select s from set_ops_b"),
    _case(
        "intersect-all-duplicates", "select f from set_ops_a intersect all select f from set_ops_b"
    ),
    _case("limit-zero", "select k from set_ops_a limit 0"),
]

"""NULL and NaN semantics: comparisons with NULL, <=>, IN and NOT IN with NULL, the NULL
functions and their types, NaN equal to itself and above every number, -0.0, NULL from a
division by zero."""

from tests.fidelity.case import Case, Table

TABLES = {
    "nulls_values": Table(
        columns=(("id", "long"), ("a", "long"), ("x", "float"), ("s", "string"), ("b", "boolean")),
        rows=(
            (1, 1, 1.5, "a", True),
            (2, None, None, None, None),
            (3, 3, float("nan"), "", False),
            (4, 0, -0.0, "c", True),
            (5, None, 0.0, "a", None),
            (6, 6, float("inf"), "NULL", False),
            (7, -1, float("-inf"), "b", True),
            (8, 3, float("nan"), "c", None),
        ),
    ),
}  # fmt: skip

_Q = "select id, {} as v from nulls_values order by id"


def _c(slug: str, expr: str) -> Case:
    return Case(f"nulls/{slug}", _Q.format(expr), ordered=True)


CASES = [
    _c("eq-null", "a = null"),
    _c("neq-null-column", "a != a"),
    _c("null-safe-eq", "a <=> 3"),
    _c("null-safe-eq-null", "a <=> null"),
    _c("null-safe-eq-columns", "a <=> a"),
    _c("is-distinct-from", "a is distinct from 3"),
    _c("in-with-null", "a in (1, null)"),
    _c("not-in-with-null", "a not in (1, null)"),
    _c("not-in-without-null", "a not in (1, 3)"),
    _c("in-null-value", "null in (1, 2)"),
    _c("and-null", "b and null"),
    _c("or-null", "b or null"),
    _c("not-null-boolean", "not b"),
    _c("nvl", "nvl(a, -9)"),
    _c("nvl-string", "nvl(s, 'none')"),
    _c("nvl2", "nvl2(a, 'has', 'none')"),
    _c("ifnull", "ifnull(x, 0)"),
    _c("nullif", "nullif(a, 3)"),
    _c("nullif-string", "nullif(s, '')"),
    _c("coalesce-three", "coalesce(a, x, 0)"),
    _c("coalesce-all-null", "coalesce(null, null)"),
    _c("isnull", "isnull(a)"),
    _c("isnotnull", "isnotnull(s)"),
    _c("is-null", "a is null"),
    _c("is-not-null", "x is not null"),
    _c("nanvl", "nanvl(x, -1.0)"),
    _c("isnan", "isnan(x)"),
    _c("nan-equals-nan", "x = cast('NaN' as double)"),
    _c("nan-greater-than-inf", "x > cast('Infinity' as double)"),
    _c("nan-null-safe", "x <=> cast('NaN' as double)"),
    _c("negative-zero-equals-zero", "x = 0.0"),
    _c("negative-zero-plus-zero", "x + 0.0"),
    _c("division-by-zero-null", "a / 0"),
    _c("mod-by-zero-null", "a % 0"),
    _c("string-null-text-is-not-null", "s is null"),
    _c("case-without-else", "case when a > 1 then 'big' end"),
    _c("case-null-condition", "case when b then 'yes' when not b then 'no' else 'unknown' end"),
    _c("if-null-condition", "if(b, 1, 0)"),
    _c("concat-with-null", "concat(s, null)"),
    _c("concat-ws-skips-null", "concat_ws('-', s, null, 'z')"),
    _c("length-of-null", "length(s)"),
    _c("null-arithmetic", "a + null"),
    _c("greatest-skips-null", "greatest(a, 2)"),
    _c("least-skips-null", "least(a, null, 2)"),
    Case("nulls/count-skips-nulls",
         "select count(*) as n, count(a) as na, count(x) as nx, count(distinct a) as da "
         "from nulls_values"),
    Case("nulls/sum-avg-skip-nulls",
         "select sum(a) as s, avg(a) as m, min(a) as lo, max(a) as hi from nulls_values"),
    Case("nulls/sum-of-all-null", "select sum(a) as s from nulls_values where a is null"),
    Case("nulls/max-with-nan", "select max(x) as hi, min(x) as lo from nulls_values"),
    Case("nulls/group-by-null", "select a, count(*) as c from nulls_values group by a"),
    Case("nulls/group-by-nan-and-zero",
         "select x, count(*) as c from nulls_values group by x"),
    Case("nulls/distinct-nan", "select distinct x from nulls_values"),
    Case("nulls/order-nulls-first-asc",
         "select id, a from nulls_values order by a, id", ordered=True),
    Case("nulls/order-nulls-last-desc",
         "select id, a from nulls_values order by a desc, id", ordered=True),
    Case("nulls/order-nan-last",
         "select id, x from nulls_values order by x, id", ordered=True),
    Case("nulls/order-nan-first-desc",
         "select id, x from nulls_values order by x desc, id", ordered=True),
    Case("nulls/order-explicit-nulls-last",
         "select id, a from nulls_values order by a nulls last, id", ordered=True),
    Case("nulls/join-on-null-keys",
         "select l.id, r.id as rid from nulls_values l join nulls_values r on l.a = r.a"),
    Case("nulls/join-null-safe",
         "select l.id, r.id as rid from nulls_values l join nulls_values r on l.a <=> r.a"),
    Case("nulls/join-on-nan",
         "select l.id, r.id as rid from nulls_values l join nulls_values r on l.x = r.x"),
    Case("nulls/not-in-subquery-with-null",
         "select id from nulls_values where id not in (select a from nulls_values)"),
    Case("nulls/in-subquery",
         "select id from nulls_values where id in (select a from nulls_values)"),
    Case("nulls/where-null-comparison-drops",
         "select id from nulls_values where a > 0 or a <= 0"),
    Case("nulls/null-literal-type", "select null as n, nvl(null, 1) as m"),
]  # fmt: skip

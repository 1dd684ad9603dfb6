"""Numbers (fault kind 5): division, div, %, decimal literals and arithmetic, round and bround,
floor and ceil, and the output valtypes of numeric expressions."""

from tests.fidelity.case import Case, Table

TABLES = {
    "numbers_values": Table(
        columns=(("id", "long"), ("a", "long"), ("b", "long"), ("x", "float"), ("y", "float")),
        rows=(
            (1, 7, 2, 2.5, 0.5),
            (2, -7, 2, -2.5, -0.5),
            (3, 7, -3, 0.125, 2.675),
            (4, 5, 0, 1.005, 0.0),
            (5, 0, 5, -0.0, 3.0),
            (6, None, 3, None, 1.5),
            (7, 9223372036854775807, 1, 1e308, 1e-5),
            (8, -9, 4, float("nan"), float("inf")),
        ),
    ),
}  # fmt: skip

_Q = "select id, {} as v from numbers_values order by id"


def _c(slug: str, expr: str, *, api: bool = False) -> Case:
    return Case(f"numbers/{slug}", _Q.format(expr), ordered=True, api=api)


CASES = [
    _c("int-division-is-double", "a / b"),
    _c("division-by-zero-is-null", "a / 0", api=True),
    _c("division-by-zero-column", "b / a"),
    _c("double-division-by-zero", "x / y"),
    _c("mod-sign-follows-dividend", "a % b"),
    _c("mod-by-zero-is-null", "a % 0"),
    _c("double-mod", "x % 2"),
    _c("double-mod-by-zero", "x % y"),
    _c("div-truncates", "a div b", api=True),
    _c("div-by-zero-is-null", "a div 0"),
    Case("numbers/div-of-decimals",
         "select id, (a * 1.5) div 0.5 as v from numbers_values where id < 7 order by id",
         ordered=True),
    _c("pmod", "pmod(a, b)"),
    _c("pmod-negative", "pmod(a, 3)"),
    _c("add-long-double", "a + x"),
    _c("mul-long-decimal", "a * 1.5"),
    _c("add-decimal-literals", "1.5 + 2.25 + a"),
    _c("decimal-division", "a / 1.5"),
    _c("decimal-by-decimal", "1.0 / 3 + a * 0"),
    _c("double-times-decimal", "x * 1.5"),
    _c("unary-minus", "-a"),
    _c("unary-minus-double", "-x"),
    _c("round-double-half-up", "round(x, 2)", api=True),
    _c("round-double", "round(x)"),
    Case("numbers/round-long",
         "select id, round(a, -1) as v from numbers_values where id < 7 order by id",
         ordered=True),
    _c("round-y", "round(y, 2)"),
    _c("bround-double", "bround(x, 2)"),
    _c("bround-half-even", "bround(x)"),
    _c("floor-double", "floor(x)"),
    _c("ceil-double", "ceil(x)"),
    _c("floor-long", "floor(a)"),
    _c("ceil-long", "ceiling(a)"),
    _c("floor-decimal", "floor(a * 1.5)"),
    _c("abs-long", "abs(a)"),
    Case("numbers/long-overflow-add", _Q.format("a + 1"), ordered=True),
    Case("numbers/long-overflow-sub-mul", _Q.format("a - 9223372036854775807, a * 3, b * a"),
         ordered=True),
    Case("numbers/long-overflow-neg-abs", _Q.format("-(a + 1), abs(a + 1), -b"), ordered=True),
    Case("numbers/long-min-div-mod",
         _Q.format("(a + 1) div -1, (a + 1) % -1, pmod(a + 1, -1)"), ordered=True),
    Case("numbers/int-overflow-literals",
         "select 2147483647 + 1 a, 2147483647 * 2 b, -2147483647 - 2 c,"
         " 9223372036854775807 + 1 d, 1 + 1 e"),
    Case("numbers/try-arithmetic-overflow",
         _Q.format("try_add(a, 1), try_subtract(-a, 2), try_multiply(a, 2)"), ordered=True),
    Case("numbers/try-arithmetic-fractions",
         _Q.format("try_add(x, 1), try_subtract(x, a), try_multiply(x, 2.5)"), ordered=True),
    Case("numbers/try-add-ints", "select try_add(2147483647, 1) a, try_add(2147483646, 1) b,"
         " try_multiply(65536, 65536) c, try_subtract(-2147483647, 1) d"),
    Case("numbers/int-overflow-length",
         "select id, length(cast(a as string)) + 2147483647 as v from numbers_values order by id",
         ordered=True),
    _c("sqrt-negative", "sqrt(a)"),
    _c("power", "power(a, 2)"),
    _c("sign", "sign(x)"),
    _c("greatest-with-nan", "greatest(x, y)"),
    _c("least-with-null", "least(a, b, null)"),
    Case("numbers/literal-types",
         "select 1 as a, 3000000000 as b, 1.5 as c, 1e3 as d, .5 as e, -1.5 as f, 100.00 as g"),
    Case("numbers/literal-arithmetic",
         "select 1.5 * 2.25 as a, 1.5 + 2.25 as b, 7 / 2 as c, 7 div 2 as d, -7 % 3 as e, "
         "7 % -3 as f, -7.5 % 2 as g"),
    Case("numbers/rounding-literals",
         "select round(2.5) as a, round(-2.5) as b, round(0.125, 2) as c, bround(2.5) as d, "
         "bround(0.125, 2) as e, round(1.45, 1) as f, bround(-2.5) as g, round(2.675d, 2) as h"),
    Case("numbers/floor-ceil-literals",
         "select floor(-1.5) as a, ceil(-1.5) as b, floor(1.5d) as c, ceil(1.2d) as d, "
         "floor(5) as e"),
    Case("numbers/sum-avg-types",
         "select sum(a) as s, avg(a) as m, sum(x) as sx, avg(x) as mx, count(a) as c "
         "from numbers_values where id < 7"),
    Case("numbers/sum-of-decimals",
         "select sum(a * 1.5) as s, avg(a * 1.5) as m from numbers_values where id < 7"),
    Case("numbers/group-by-division",
         "select a / b as q, count(*) as c from numbers_values where id < 7 group by a / b"),
    Case("numbers/integer-literal-division", "select 1 / 2 as a, 1 / 0 as b, 0 / 0 as c"),
    Case("numbers/double-literals-by-zero",
         "select 1.5d / 0 as a, 1.5d % 0 as b, 1.5 / 0 as c, 7 div 0 as d"),
    # Spark's grammar reads `-2147483648` as one int literal; `-(2147483648)` negates a bigint
    Case(
        "numbers/negative-int-literal-overflow",
        "select try_multiply(-2147483648, 10) as a, try_subtract(-2147483648, 1) as b,"
        " -2147483648 * 2 as c, - 2147483648 * 2 as d, -(2147483648) * 2 as e,"
        " abs(-2147483648) as f, -(-2147483648) as g",
    ),
    Case(
        "numbers/negative-bigint-decimal-literals",
        "select -9223372036854775808 as a, -9223372036854775808 - 1 as b,"
        " -(9223372036854775808) as c, -9223372036854775809 as d, 9223372036854775808 as e",
    ),
    Case(
        "numbers/negative-suffixed-literals",
        "select -128Y as a, -32768S as b, -9223372036854775808L * 2 as c",
    ),
    Case(
        "numbers/values-column-overflow",
        "select a + 1 as x, -2147483648 + a as y from values (2147483647), (-1) as t(a)",
    ),
    Case(
        "numbers/values-column-wider-type",
        "select a + 1 as x from values (2147483647), (2147483648) as t(a)",
    ),
    # round/bround of an integral type to negative places: exact, then wrapped to the type
    Case("numbers/round-integral-wraps",
         "select round(cast(127 as tinyint), -1) as a, round(cast(-128 as tinyint), -1) as b, "
         "round(cast(32767 as smallint), -1) as c, round(2147483647, -1) as d, "
         "round(cast(9223372036854775807 as bigint), -1) as e, "
         "bround(cast(127 as tinyint), -1) as f, bround(2147483647, -2) as g, "
         "round(cast(12 as tinyint), -1) as h, "
         "round(cast(9223372036854775807 as bigint), -19) as i, "
         "round(cast(9223372036854775807 as bigint), -20) as j, "
         "bround(cast(-9223372036854775807 as bigint), -5) as k, bround(25, -1) as l, "
         "round(25, -1) as m"),
]  # fmt: skip

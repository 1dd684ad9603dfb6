"""Explicit CAST as Spark 3 does it with ANSI off (fault kind 5 and the cast members of 11, 12):
fractions truncate, overflow wraps or saturates per type, unparseable text is NULL."""

from tests.fidelity.case import Case, Table

TABLES = {
    "casts_values": Table(
        columns=(("id", "long"), ("s", "string"), ("d", "float"), ("n", "long"), ("b", "boolean")),
        rows=(
            (1, "9.6", 9.6, 3000000000, True),
            (2, "-9.6", -9.6, -5, False),
            (3, " 12 ", 2.5, 2147483648, None),
            (4, "1e3", -2.5, 9223372036854775807, True),
            (5, "abc", 1e10, 300, False),
            (6, "", -1e10, -129, True),
            (7, None, None, None, None),
            (8, "+7", float("nan"), 0, False),
            (9, ".5", float("inf"), 65537, True),
            (10, "99999999999", 1e20, -2147483649, False),
            (11, " true ", 0.001, 1, True),
            (12, "YES", 1e-4, 128, False),
            (13, "1.5d", 12345678.9, 32768, True),
            (14, "Infinity", -0.0, -1, False),
            (15, "-inf", 0.1, 7, True),
        ),
    ),
}  # fmt: skip

_Q = "select id, {} as v from casts_values order by id"


def _c(slug: str, expr: str, *, api: bool = False) -> Case:
    return Case(f"casts/{slug}", _Q.format(expr), ordered=True, api=api)


CASES = [
    Case("casts/literal-fraction-to-int",
         "select cast(9.6 as int) as a, cast(-9.6 as int) as b, cast(2.5 as int) as c"),
    Case("casts/literal-double-to-int", "select cast(9.6d as int) as a, cast(-9.6e0 as int) as b"),
    _c("double-to-int", "cast(d as int)", api=True),
    _c("double-to-bigint", "cast(d as bigint)"),
    _c("double-to-smallint", "cast(d as smallint)"),
    _c("double-to-tinyint", "cast(d as tinyint)"),
    _c("double-int-function", "int(d)"),
    _c("double-bigint-function", "bigint(d)"),
    _c("string-to-int", "cast(s as int)"),
    _c("string-to-bigint", "cast(s as bigint)"),
    _c("string-to-smallint", "cast(s as smallint)"),
    _c("string-to-tinyint", "cast(s as tinyint)"),
    _c("string-to-double", "cast(s as double)"),
    _c("string-to-float", "cast(s as float)"),
    _c("string-double-function", "double(s)"),
    _c("string-to-boolean", "cast(s as boolean)"),
    _c("string-to-decimal", "cast(s as decimal(10,2))"),
    _c("long-to-int-wraps", "cast(n as int)"),
    _c("long-to-smallint-wraps", "cast(n as smallint)"),
    _c("long-to-tinyint-wraps", "cast(n as tinyint)"),
    _c("long-to-double", "cast(n as double)"),
    _c("long-to-string", "cast(n as string)"),
    _c("long-to-boolean", "cast(n as boolean)"),
    _c("long-to-decimal", "cast(n as decimal(12,2))"),
    _c("double-to-string", "cast(d as string)"),
    _c("double-string-function", "string(d)"),
    _c("double-to-boolean", "cast(d as boolean)"),
    _c("double-to-decimal", "cast(d as decimal(10,2))"),
    _c("double-to-decimal-half-up", "cast(d * 1.0 as decimal(10,0))"),
    _c("boolean-to-int", "cast(b as int)"),
    _c("boolean-to-double", "cast(b as double)"),
    _c("boolean-to-string", "cast(b as string)"),
    _c("int-to-float-to-string", "cast(cast(n as float) as string)"),
    _c("long-to-float", "cast(n as float)"),
    _c("decimal-literal-to-string", "cast(1.50 as string)"),
    _c("decimal-to-int-wraps", "cast(99999999999.5 as int)"),
    _c("decimal-column-to-int", "cast(cast(d as decimal(20,3)) as int)"),
    _c("decimal-to-tinyint", "cast(300.7 as tinyint)"),
    _c("decimal-rounds-half-up", "cast(d as decimal(3,0))"),
    _c("cast-chain-string-double-int", "cast(cast(s as double) as int)"),
    _c("try-cast-string-to-int", "try_cast(s as int)"),
    _c("try-cast-double-to-int", "try_cast(d as int)"),
    _c("try-cast-long-to-int", "try_cast(n as int)"),
    _c("try-cast-string-to-double", "try_cast(s as double)"),
    Case("casts/literals-to-string",
         "select cast(1e10 as string) as a, cast(1.0d as string) as b, cast(0.001d as string) "
         "as c, cast(1.0E-4 as string) as d, cast(1e7 as string) as e, cast(1234567.0d as "
         "string) as f, cast(0.1d + 0.2d as string) as g, cast(1.0E-10 as string) as h", api=True),
    Case("casts/special-doubles-to-string",
         "select cast(cast('NaN' as double) as string) as a, cast(cast('inf' as double) as "
         "string) as b, cast(cast('-Infinity' as double) as string) as c, cast(-0.0d as string) "
         "as d, cast(123456789012345678d as string) as e"),
    Case("casts/string-whitespace-to-numbers",
         "select cast(' 12 ' as int) as a, cast('\t5\n' as bigint) as b, cast(' 1.5 ' as "
         "double) as c, cast(' 2.25 ' as decimal(4,2)) as d"),
    Case("casts/string-signs-and-points",
         "select cast('+7' as int) as a, cast('.5' as int) as b, cast('5.' as int) as c, "
         "cast('-' as int) as d, cast('1_000' as int) as e, cast('0x10' as int) as f, "
         "cast('-1.9' as bigint) as g"),
    Case("casts/string-to-double-forms",
         "select cast('1.5f' as double) as a, cast('1e5' as double) as b, cast('.5' as double) "
         "as c, cast('5.' as double) as d, cast('1_0' as double) as e, cast(' ' as double) as f,"
         " cast('NAN' as double) as g, cast('-Inf' as double) as h, cast('+infinity' as double)"
         " as i"),
    Case("casts/string-to-boolean-forms",
         "select cast(' true ' as boolean) as a, cast(' yes ' as boolean) as b, cast('T' as "
         "boolean) as c, cast('1' as boolean) as d, cast('0' as boolean) as e, cast('N' as "
         "boolean) as f, cast('2' as boolean) as g, cast('' as boolean) as h, cast('no' as "
         "boolean) as i", api=True),
    Case("casts/numbers-to-boolean",
         "select cast(2 as boolean) as a, cast(0 as boolean) as b, cast(0.0 as boolean) as c, "
         "cast(-0.5d as boolean) as d, cast(cast('nan' as double) as boolean) as e"),
    Case("casts/double-overflow-saturates",
         "select cast(1e10 as int) as a, cast(-1e10 as int) as b, cast(1e20 as bigint) as c, "
         "cast(cast('nan' as double) as int) as d, cast(1e10 as smallint) as e, "
         "cast(1e10 as tinyint) as f", api=True),
    Case("casts/long-overflow-wraps",
         "select cast(3000000000L as int) as a, cast(300 as tinyint) as b, cast(-129 as "
         "tinyint) as c, cast(40000 as smallint) as d"),
    Case("casts/double-to-decimal-literals",
         "select cast(1.005d as decimal(10,2)) as a, cast(2.5d as decimal(2,0)) as b, "
         "cast(-2.5d as decimal(2,0)) as c, cast(1000d as decimal(3,0)) as d"),
    Case("casts/decimal-overflow-is-null",
         "select cast(123.45 as decimal(4,2)) as a, cast('12345' as decimal(4,1)) as b"),
    Case("casts/string-to-decimal-forms",
         "select cast('1e3' as decimal(10,2)) as a, cast(' 1.25 ' as decimal(3,1)) as b, "
         "cast('abc' as decimal(3,1)) as c"),
    Case("casts/typed-literals",
         "select 1L as a, 1S as b, 1Y as c, 1.5D as d, 1BD as e, 2.5BD as f"),
    Case("casts/cast-to-string-in-concat",
         "select concat('v=', 1e10) as a, concat('v=', 1.5) as b, concat('v=', true) as c, "
         "concat('v=', 1.0d/3) as d"),
    _c("cast-in-where", "cast(s as int) > 5"),
    _c("cast-in-arithmetic", "cast(s as int) + cast(d as int)"),
    Case("casts/cast-in-group-by",
         "select cast(d as int) as k, count(*) as c from casts_values group by cast(d as int)"),
    # an integral value's bytes, big-endian, two's complement (a long column: 8 bytes)
    _c("integral-to-binary", "hex(cast(n as binary))"),
    Case("casts/integral-literals-to-binary",
         "select hex(cast(123 as binary)) as a, hex(cast(-123 as binary)) as b,"
         " hex(cast(123Y as binary)) as c, hex(cast(-1S as binary)) as d,"
         " cast(-123L as binary) as e, cast(cast(null as int) as binary) as f"),
    # a decimal beyond a BIGINT keeps its low 64 bits (then 32, 16, 8), as Spark's toLong
    Case("casts/decimal-beyond-bigint-wraps",
         "select cast(12345678901234567890123.5 as bigint) as a,"
         " cast(12345678901234567890123.5 as int) as b,"
         " cast(-9223372036854775809.9 as bigint) as c, cast(9223372036854775808.5 as bigint) as d,"
         " cast(99999999999999999999999999999999999999 as smallint) as e"),
]  # fmt: skip

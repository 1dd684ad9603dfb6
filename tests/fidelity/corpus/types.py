"""Spark types printed as Spark prints them (fault kind 11, intervals aside): binary values,
arrays, maps and structs (also with timestamps inside), their text forms under CAST, booleans
and decimals as text, and the output valtypes of each."""

from tests.fidelity.case import Case, Table

TABLES = {
    "types_values": Table(
        columns=(("id", "long"), ("s", "string"), ("n", "long"), ("x", "float"),
                 ("b", "boolean"), ("ts", "date")),
        rows=(
            (1, "abc", 1, 1.5, True, "2026-11-30T10:15:30+08:00"),
            (2, "", 2, 1e10, False, "2026-11-30T10:15:30.123+08:00"),
            (3, None, None, None, None, None),
            (4, "héllo", -3, float("nan"), True, "1999-12-31T23:59:59+08:00"),
        ),
    ),
}  # fmt: skip

_Q = "select id, {} as v from types_values order by id"


def _c(slug: str, expr: str, *, api: bool = False) -> Case:
    return Case(f"types/{slug}", _Q.format(expr), ordered=True, api=api)


CASES = [
    _c("cast-string-to-binary", "cast(s as binary)", api=True),
    _c("binary-round-trip", "cast(cast(s as binary) as string)"),
    _c("hex-of-binary", "hex(cast(s as binary))"),
    _c("base64-of-binary", "base64(cast(s as binary))"),
    _c("length-of-binary", "length(cast(s as binary))"),
    _c("to-binary-utf8", "to_binary(s, 'utf-8')"),
    _c("unhex", "unhex(hex(s))"),
    _c("unbase64", "unbase64(base64(s))"),
    _c("array-of-longs", "array(n, 2)"),
    _c("array-of-strings", "array(s, 'z')"),
    _c("array-of-doubles", "array(x, 0.5d)"),
    _c("array-of-timestamps", "array(ts)", api=True),
    _c("array-of-booleans", "array(b, true)"),
    _c("nested-array", "array(array(n), array(1, 2))"),
    _c("struct-with-timestamp", "named_struct('t', ts, 'n', n)", api=True),
    _c("struct-of-values", "struct(n, s)"),
    _c("map-string-long", "map('k', n)"),
    _c("map-long-timestamp", "map(id, ts)", api=True),
    _c("map-with-null-value", "map('a', n, 'b', null)"),
    _c("array-cast-to-string", "cast(array(n, null) as string)", api=True),
    _c("string-array-cast-to-string", "cast(array(s, null) as string)"),
    _c("double-array-cast-to-string", "cast(array(x, 1e10d) as string)", api=True),
    _c("map-cast-to-string", "cast(map('a', n, 'b', null) as string)"),
    _c("struct-cast-to-string", "cast(named_struct('a', n, 'b', s) as string)"),
    _c("nested-cast-to-string", "cast(array(array(n, 2), array(3)) as string)"),
    _c("map-of-arrays-cast-to-string", "cast(map(coalesce(s, 'z'), array(b, false)) as string)"),
    _c("array-of-timestamps-cast-to-string", "cast(array(ts) as string)"),
    _c("struct-with-null-cast-to-string", "cast(struct(n, null) as string)"),
    _c("decimal-array-cast-to-string", "cast(array(1.50, 2.5) as string)"),
    _c("boolean-cast-to-string", "cast(b as string)"),
    _c("boolean-concat", "concat('b=', b)"),
    _c("decimal-cast-to-string", "cast(n * 1.50 as string)"),
    _c("double-concat", "concat(x, '')"),
    _c("size-of-array", "size(array(n, 2))"),
    _c("element-at", "element_at(array(n, 2), 1)"),
    _c("array-index", "array(n, 2)[1]"),
    _c("map-lookup", "map('k', n)['k']"),
    _c("struct-field", "named_struct('a', n, 'b', s).b"),
    _c("to-json-map", "to_json(map('a', n))"),
    Case("types/to-json-struct",
         "select id, to_json(named_struct('a', n, 's', s)) as v from types_values "
         "where id != 3 order by id", ordered=True),
    _c("to-json-array", "to_json(array(n, 2))"),
    Case("types/typed-literal-output-types",
         "select 1 as i, 1L as l, 1.5 as d, 1.5d as f, true as b, 'x' as s, "
         "cast(1 as smallint) as sm, cast(1 as tinyint) as ti, cast(1 as float) as fl"),
    Case("types/null-output-type", "select null as n, cast(null as int) as i"),
    Case("types/binary-literal", "select X'616263' as b"),
    Case("types/binary-literal-spaced", "select X '0a1B' as b, x /* odd */ '101' as o, X '' as e"),
]  # fmt: skip

"""Spark 3's non-ANSI CAST, one (source type, target type) pair at a time, as DuckDB expressions.

Where DuckDB's TRY_CAST already gives Spark's value the cast is left to it; elsewhere the cast
becomes a call to one of the macros below (expanded by DuckDB when the query is bound, so they
cost what the inline SQL costs). The rules, each checked against Spark 3.5.9:

* fraction → integral truncates toward zero; double → int/bigint saturates at the type's
  bounds and NaN is 0; double → tinyint/smallint goes through int, then wraps; integral and
  decimal → a narrower integral wraps (two's complement), as Scala's `toInt`/`toShort` do,
  a decimal beyond a BIGINT's range too (its low 64 bits, as `BigInteger.longValue`).
* string → integral: trimmed, optional sign, digits, an optional fraction that is dropped;
  anything else (`1e3`, `1_000`, `-`) or out of range is NULL.
* string → double: trimmed Java syntax (`1.5d`, `.5`, `5.`, `1e5`), `NaN`, `Infinity` and
  `inf` in any case; anything else NULL.
* string → boolean: trimmed, any case: t/true/y/yes/1 and f/false/n/no/0; anything else NULL.
* double → decimal rounds the double's shortest decimal text half up (Spark goes through
  `BigDecimal(Double.toString)`), not the binary value.
* double → string prints as Java's `Double.toString`: 1.0E10, 1.0E-4, 0.001, NaN, Infinity.
* string ↔ binary are UTF-8 bytes; an integral value → binary is its bytes, big-endian;
  arrays, maps and structs print as `[1, 2]`, `{a -> 1}`, `{1, x}` with `null` for NULL
  members.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from tidemill.engines.duckdb.dialect.types import (
    FRACTIONAL,
    INTEGRAL,
    TYPE_META,
    decimal,
    type_members,
)

_WHITESPACE = "chr(32)||chr(9)||chr(10)||chr(11)||chr(12)||chr(13)"
_BITS = {"tinyint": 8, "smallint": 16, "int": 32}
_DUCKDB_NAME = {"tinyint": "TINYINT", "smallint": "SMALLINT", "int": "INTEGER", "bigint": "BIGINT"}

MACROS: tuple[str, ...] = (
    f"CREATE MACRO tidemill_trim(s) AS trim(CAST(s AS VARCHAR), {_WHITESPACE})",
    r"""CREATE MACRO tidemill_str_to_long(s) AS CASE
        WHEN regexp_full_match(tidemill_trim(s), '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)')
        THEN CASE WHEN regexp_extract(tidemill_trim(s), '^[+-]?[0-9]*') IN ('', '+', '-') THEN 0
            ELSE TRY_CAST(regexp_extract(tidemill_trim(s), '^[+-]?[0-9]*') AS BIGINT) END
    END""",
    r"""CREATE MACRO tidemill_str_to_double(s) AS CASE
        WHEN regexp_full_match(tidemill_trim(s),
            '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[dDfF]?')
        THEN TRY_CAST(rtrim(tidemill_trim(s), 'dDfF') AS DOUBLE)
        WHEN lower(tidemill_trim(s)) IN ('nan', '+nan', '-nan') THEN CAST('NaN' AS DOUBLE)
        WHEN lower(tidemill_trim(s)) IN ('inf', '+inf', 'infinity', '+infinity')
        THEN CAST('Infinity' AS DOUBLE)
        WHEN lower(tidemill_trim(s)) IN ('-inf', '-infinity') THEN CAST('-Infinity' AS DOUBLE)
    END""",
    """CREATE MACRO tidemill_str_to_boolean(s) AS CASE
        WHEN lower(tidemill_trim(s)) IN ('t', 'true', 'y', 'yes', '1') THEN true
        WHEN lower(tidemill_trim(s)) IN ('f', 'false', 'n', 'no', '0') THEN false
    END""",
    """CREATE MACRO tidemill_double_to_long(x) AS CASE
        WHEN isnan(x) THEN CAST(0 AS BIGINT)
        WHEN x >= 9223372036854775807.0 THEN CAST(9223372036854775807 AS BIGINT)
        WHEN x <= -9223372036854775808.0 THEN CAST(-9223372036854775808 AS BIGINT)
        ELSE CAST(trunc(x) AS BIGINT)
    END""",
    """CREATE MACRO tidemill_double_to_int(x) AS CAST(CASE
        WHEN isnan(x) THEN 0
        WHEN x >= 2147483647.0 THEN 2147483647
        WHEN x <= -2147483648.0 THEN -2147483648
        ELSE CAST(trunc(x) AS BIGINT)
    END AS INTEGER)""",
    # An integral value's `bits` bits (two's complement), big-endian: Spark's CAST to BINARY.
    """CREATE MACRO tidemill_integral_bytes(v, bits) AS unhex(lpad(
        to_hex(CAST(v AS HUGEINT) & ((CAST(1 AS HUGEINT) << bits) - 1)), bits // 4, '0'))""",
    # Two's complement wrap of a BIGINT into `bits` bits (Scala's Long.toInt/toShort/toByte).
    "CREATE MACRO tidemill_low_bits(v, bits) AS "
    "CAST(v AS BIGINT) & ((CAST(1 AS BIGINT) << bits) - 1)",
    """CREATE MACRO tidemill_wrap(v, bits) AS CASE
        WHEN tidemill_low_bits(v, bits) >= (CAST(1 AS BIGINT) << (bits - 1))
        THEN tidemill_low_bits(v, bits) - (CAST(1 AS BIGINT) << bits)
        ELSE tidemill_low_bits(v, bits)
    END""",
    # Java's Double.toString from DuckDB's shortest text ('1e+22', '10000000000.0', '0.0001').
    r"""CREATE MACRO tidemill_java_digits(t) AS CASE
        WHEN strpos(t, 'e') > 0 THEN
            CASE WHEN strpos(split_part(t, 'e', 1), '.') > 0 THEN split_part(t, 'e', 1)
                ELSE split_part(t, 'e', 1) || '.0' END
            || 'E' || CAST(CAST(split_part(t, 'e', 2) AS INTEGER) AS VARCHAR)
        WHEN split_part(t, '.', 1) <> '0' THEN
            left(split_part(t, '.', 1), 1) || '.'
            || coalesce(nullif(rtrim(substr(split_part(t, '.', 1), 2)
                || split_part(t, '.', 2), '0'), ''), '0')
            || 'E' || CAST(length(split_part(t, '.', 1)) - 1 AS VARCHAR)
        ELSE left(ltrim(split_part(t, '.', 2), '0'), 1) || '.'
            || coalesce(nullif(rtrim(substr(ltrim(split_part(t, '.', 2), '0'), 2), '0'), ''), '0')
            || 'E-' || CAST(length(split_part(t, '.', 2))
                - length(ltrim(split_part(t, '.', 2), '0')) + 1 AS VARCHAR)
    END""",
    """CREATE MACRO tidemill_double_to_string(x) AS CASE
        WHEN x IS NULL THEN NULL
        WHEN isnan(x) THEN 'NaN'
        WHEN x = CAST('Infinity' AS DOUBLE) THEN 'Infinity'
        WHEN x = CAST('-Infinity' AS DOUBLE) THEN '-Infinity'
        WHEN x = 0 THEN CASE WHEN signbit(x) THEN '-0.0' ELSE '0.0' END
        WHEN abs(x) >= 0.001 AND abs(x) < 10000000 THEN CASE
            WHEN strpos(CAST(x AS VARCHAR), '.') > 0 THEN CAST(x AS VARCHAR)
            ELSE CAST(x AS VARCHAR) || '.0' END
        WHEN x < 0 THEN '-' || tidemill_java_digits(CAST(-x AS VARCHAR))
        ELSE tidemill_java_digits(CAST(x AS VARCHAR))
    END""",
)


def call(macro: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=macro, expressions=list(args))


def duckdb_cast(node: exp.Expr, duckdb_type: str, *, safe: bool = True) -> exp.Expr:
    """`node` cast by DuckDB itself (TRY_CAST when `safe`)."""
    to = exp.DataType.build(duckdb_type, dialect="duckdb")
    return exp.TryCast(this=node, to=to) if safe else exp.Cast(this=node, to=to)


def spark_cast(
    node: exp.Expr, source: str | None, target: str | None, *, ansi: bool = False
) -> exp.Expr | None:
    """`node` (of Spark type `source`) cast to Spark type `target` with Spark's non-ANSI result
    (`ansi`: with try_cast's result, NULL where an ANSI cast fails), or None when DuckDB's
    TRY_CAST already gives it (or the types are not known)."""
    if source is None or target is None or source == target:
        return None
    if target == "string" and source == "float":
        from tidemill.engines.duckdb.dialect.translate import unsupported

        raise unsupported("CAST of a FLOAT to STRING (Java's Float.toString digits)")
    if ansi and target in INTEGRAL:
        return _ansi_integral(node, source, target)
    return _typed(_cast(node, source, target), target)


def _typed(node: exp.Expr | None, spark_type: str) -> exp.Expr | None:
    if node is not None:
        node.meta[TYPE_META] = spark_type
    return node


def _ansi_integral(node: exp.Expr, source: str, target: str) -> exp.Expr | None:
    """try_cast to an integral type: whole numbers only, NULL out of range (no wrapping)."""
    if source == "string":
        text = call("tidemill_trim", node)
        whole = exp.If(
            this=exp.Anonymous(
                this="regexp_full_match", expressions=[text, exp.Literal.string("[+-]?[0-9]+")]
            ),
            true=text.copy(),
        )
        return _typed(duckdb_cast(whole, _DUCKDB_NAME[target]), target)
    if source in FRACTIONAL or decimal(source) is not None:
        truncated = exp.Anonymous(this="trunc", expressions=[node])
        return _typed(duckdb_cast(truncated, _DUCKDB_NAME[target]), target)
    return None


def _cast(node: exp.Expr, source: str, target: str) -> exp.Expr | None:
    if target in INTEGRAL:
        if source == "string":
            return _narrow(call("tidemill_str_to_long", node), target)
        if source in FRACTIONAL:
            if target == "bigint":
                return call("tidemill_double_to_long", node)
            whole = call("tidemill_double_to_int", node)
            return whole if target == "int" else _narrow(whole, target, wrap=True)
        if decimal(source) is not None:  # beyond a BIGINT too: its low 64 bits (toLong)
            whole = duckdb_cast(exp.Anonymous(this="trunc", expressions=[node]), "HUGEINT")
            return _narrow(call("tidemill_wrap64", whole), target, wrap=True)
        if source in INTEGRAL and INTEGRAL.index(source) > INTEGRAL.index(target):
            return _narrow(node, target, wrap=True)
        return None
    if target in FRACTIONAL and source == "string":
        value = call("tidemill_str_to_double", node)
        return value if target == "double" else duckdb_cast(value, "FLOAT")
    if target == "boolean" and source == "string":
        return call("tidemill_str_to_boolean", node)
    if decimal(target) is not None:
        if source in FRACTIONAL:
            return duckdb_cast(duckdb_cast(node, "VARCHAR"), _duckdb_decimal(target))
        if source == "string":
            return duckdb_cast(call("tidemill_trim", node), _duckdb_decimal(target))
        return None
    if target == "string":
        return to_string(node, source)
    if target == "binary" and source == "string":
        return exp.Anonymous(this="encode", expressions=[node])
    if target == "binary" and source in INTEGRAL:  # its bytes, big-endian, as Spark's
        return call("tidemill_integral_bytes", node, exp.Literal.number(_BITS.get(source, 64)))
    if target in ("date", "timestamp") and source == "string":
        return _keep_cast(call("tidemill_trim", node), target)
    return None


def to_string(node: exp.Expr, source: str) -> exp.Expr | None:
    """`node` printed as Spark's CAST(... AS STRING) prints it; None: DuckDB prints the same
    (or the source's printing belongs to another module: dates and timestamps)."""
    if source in FRACTIONAL:
        return call("tidemill_double_to_string", node)
    if source == "binary":
        return exp.Anonymous(
            this="try", expressions=[exp.Anonymous(this="decode", expressions=[node])]
        )
    if source.startswith(("array<", "map<", "struct<")):
        return _nested_to_string(node, source)
    return None


def _nested_to_string(node: exp.Expr, source: str) -> exp.Expr:
    """`[1, null]`, `{a -> 1, b -> null}`, `{1, x}`: Spark's text of an array, map or struct."""
    template = sqlglot.parse_one(_text_sql(_PLACEHOLDER, source, 0), dialect="duckdb")
    for column in list(template.find_all(exp.Column)):
        if column.name == _PLACEHOLDER:
            column.replace(node.copy())
    return template


_PLACEHOLDER = "tidemill_value"
_TIMESTAMP_TEXT = (
    "CASE WHEN epoch_us({v}) % 1000000 = 0 THEN strftime({v}, '%Y-%m-%d %H:%M:%S') "
    "ELSE rtrim(strftime({v}, '%Y-%m-%d %H:%M:%S.%f'), '0') END"
)


def _text_sql(value: str, spark_type: str, depth: int) -> str:
    """DuckDB SQL printing `value` (SQL of Spark type `spark_type`) as Spark's CAST to STRING."""
    kind, members = split_type(spark_type)
    var = f"e{depth}"
    if kind == "string":
        return value
    if kind in ("void", "null"):
        return "CAST(NULL AS VARCHAR)"
    if kind in (*INTEGRAL, "boolean") or kind.startswith("decimal"):
        return f"CAST({value} AS VARCHAR)"
    if kind in FRACTIONAL:
        return f"tidemill_double_to_string({value})"
    if kind == "timestamp":
        return _TIMESTAMP_TEXT.format(v=value)
    if kind == "date":
        return f"strftime({value}, '%Y-%m-%d')"
    if kind == "array":
        inner = _text_sql(var, members[0], depth + 1)
        listed = f"list_transform({value}, lambda {var}: coalesce({inner}, 'null'))"
        return f"'[' || array_to_string({listed}, ', ') || ']'"
    if kind == "map":
        key = _text_sql(f"{var}.key", members[0], depth + 1)
        item = _text_sql(f"{var}.value", members[1], depth + 1)
        pair = f"{key} || ' -> ' || coalesce({item}, 'null')"
        listed = f"list_transform(map_entries({value}), lambda {var}: {pair})"
        return f"'{{' || array_to_string({listed}, ', ') || '}}'"
    if kind == "struct":
        fields = [
            f"coalesce({_text_sql(f'struct_extract_at({value}, {i})', t, depth + 1)}, 'null')"
            for i, t in enumerate(members, start=1)
        ]
        joined = " || ', ' || ".join(fields) if fields else "''"
        return f"CASE WHEN {value} IS NULL THEN NULL ELSE '{{' || {joined} || '}}' END"
    from tidemill.engines.duckdb.dialect.translate import unsupported

    raise unsupported(f"CAST of a value of type {spark_type} to STRING")


def split_type(spark_type: str) -> tuple[str, list[str]]:
    """`array<int>` → ('array', ['int']); `map<string,int>` → ('map', ['string', 'int']);
    `struct<a:int,b:string>` → ('struct', ['int', 'string']) (field types only)."""
    kind, members = type_members(spark_type)
    return kind, [member for _, member in members]


def _narrow(node: exp.Expr, target: str, *, wrap: bool = False) -> exp.Expr:
    """`node` (a BIGINT) in integral type `target`: out of range wraps (`wrap`) or is NULL."""
    if target == "bigint":
        return node
    if wrap:
        node = call("tidemill_wrap", node, exp.Literal.number(_BITS[target]))
    return duckdb_cast(node, _DUCKDB_NAME[target], safe=not wrap)


def _duckdb_decimal(spark_type: str) -> str:
    return spark_type.upper()


def _keep_cast(node: exp.Expr, target: str) -> exp.Expr:
    """A Spark-typed cast of `node` for the later passes to translate (dates belong to them)."""
    return exp.TryCast(this=node, to=exp.DataType.build(target, dialect="spark"))

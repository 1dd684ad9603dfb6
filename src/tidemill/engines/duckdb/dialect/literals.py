"""The last pass: Spark's text → timestamp/date conversions of constants done at translation.

`datetimes` turns every timestamp or date literal into calls of the `tidemill_timestamp` /
`tidemill_date` macros (Spark's lenient reading of text, `datetime_values`). DuckDB expands
macros inline, so a call nested in another one multiplies the expression it plans: `ts -
timestamp'2024-01-01 00:00:00'` took 53 s to plan. A constant needs no run-time reading:

* `tidemill_timestamp(tidemill_timestamp(x))` is `tidemill_timestamp(x)` (it is the identity on a
  timestamp), and the same for `tidemill_date`;
* a text constant in the shapes Spark's literals use (`yyyy-MM-dd`, with ` HH:mm`, `:ss` and a
  fraction of up to 6 digits, `T` or a space between; Spark's whitespace trimmed) becomes a
  DuckDB literal: a TIMESTAMP of that wall-clock time read in the session zone (what Spark does
  with a zone-less text) or a DATE. Other text (zones, single digits, invalid days) keeps the
  macro, which gives Spark's answer, NULL included.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlglot import exp

from tidemill.engines.duckdb.dialect.context import Context

MACROS: tuple[str, ...] = ()

# Spark's integral literal suffixes (Y, S, L): sqlglot reads `5Y` as a bare TryCast
_SUFFIX_RANGES = {
    exp.DType.TINYINT: ("tinyint", 8),
    exp.DType.SMALLINT: ("smallint", 16),
    exp.DType.BIGINT: ("bigint", 64),
}

_TIMESTAMP_MACRO = "tidemill_timestamp"
_DATE_MACRO = "tidemill_date"
_TRIM_MACRO = "tidemill_trim"
_SPARK_WHITESPACE = " \t\n\v\f\r"  # what tidemill_trim removes (casts.py)
_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?")


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with constant timestamp/date conversions folded (see the module docstring)."""
    return query.transform(_fold)


def _fold(node: exp.Expr) -> exp.Expr:
    name = _macro(node)
    if name not in (_TIMESTAMP_MACRO, _DATE_MACRO) or len(node.expressions) != 1:
        return node
    arg: exp.Expr = node.expressions[0]
    if _macro(arg) == name:
        return arg  # the identity on a value of its own type
    text = _constant_text(arg)
    if text is None:
        return node
    match = _TEXT.fullmatch(text.strip(_SPARK_WHITESPACE))
    if match is None:
        return node
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        if name == _DATE_MACRO:
            day_only = date(int(year), int(month), int(day))
            return exp.cast(exp.Literal.string(day_only.isoformat()), exp.DataType.build("DATE"))
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0),
            int(second or 0), int((fraction or "").ljust(6, "0")),
        )  # fmt: skip
    except ValueError:
        return node  # 30 February, 24 o'clock: the macro gives Spark's NULL
    naive = exp.cast(exp.Literal.string(moment.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP"))
    return exp.cast(naive, exp.DataType.build("TIMESTAMPTZ"))


def _macro(node: exp.Expr) -> str:
    return node.name.lower() if isinstance(node, exp.Anonymous) else ""


def _constant_text(node: exp.Expr) -> str | None:
    if _macro(node) == _TRIM_MACRO and len(node.expressions) == 1:
        node = node.expressions[0]
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    return None


def signed(query: exp.Expr, context: Context) -> exp.Expr:
    """The first pass: integer literals typed as Spark's grammar types them.

    * `-2147483648` (also `- 2147483648`, `-128Y`) is one literal for Spark, typed by its
      negative value; the minus becomes part of the literal so no pass sees a negation of
      2147483648 (bigint) or of 128Y (out of tinyint's range).
    * A suffixed literal out of its type's range (`128Y`, `40000S`) is a parse error in Spark:
      refused.
    * `-(2147483648)` negates a bigint (DuckDB folds it to an INTEGER constant), and an integer
      beyond bigint's range is a decimal(p,0) (DuckDB: HUGEINT): both get Spark's type by a cast.
    """
    from tidemill.engines.duckdb.dialect.translate import unsupported

    for node in list(query.find_all(exp.Neg)):
        inner = node.this
        if _is_int(inner):
            node.replace(exp.Literal(this=f"-{inner.this}", is_string=False))
        elif _is_suffixed(inner) and _is_int(inner.this):
            inner.this.replace(exp.Literal(this=f"-{inner.this.this}", is_string=False))
            node.replace(inner)
    for cast in list(query.find_all(exp.TryCast)):
        if _is_suffixed(cast) and _is_int(cast.this, signed=True):
            name, bits = _SUFFIX_RANGES[cast.to.this]
            if not -(2 ** (bits - 1)) <= int(cast.this.this) <= 2 ** (bits - 1) - 1:
                raise unsupported(f"a {name} literal out of its range ({cast.this.this})")
    for literal in list(query.find_all(exp.Literal)):
        if not _is_int(literal, signed=True) or isinstance(literal.parent, exp.TryCast | exp.Cast):
            continue
        value = int(literal.this)
        parent = literal.parent
        if -(2**63) <= value <= 2**63 - 1:
            if (
                value > 2**31 - 1
                and isinstance(parent, exp.Paren)
                and isinstance(parent.parent, exp.Neg)
            ):
                literal.replace(exp.cast(literal.copy(), exp.DataType.build("BIGINT")))
            continue
        digits = len(str(abs(value)))
        if digits > 38:
            raise unsupported(f"an integer literal of more than 38 digits ({literal.this})")
        literal.replace(exp.cast(literal.copy(), exp.DataType.build(f"DECIMAL({digits}, 0)")))
    for values in list(query.find_all(exp.Values)):
        _common_column_types(values)
    return query


def _common_column_types(values: exp.Values) -> None:
    """A VALUES column whose constants differ in type (`(2147483647), (2147483648)`) has
    Spark's wider common type: its narrower constants are cast to it, so that the type read
    from the first row (sqlglot's annotator, DuckDB) is the column's."""
    from tidemill.engines.duckdb.dialect.types import literal_type, spark_type_of, wider_all

    rows = values.expressions
    if len(rows) < 2 or not all(isinstance(row, exp.Tuple) for row in rows):
        return
    if len({len(row.expressions) for row in rows}) != 1:
        return
    for position in range(len(rows[0].expressions)):
        cells = [row.expressions[position] for row in rows]
        kinds: list[str | None] = []
        for cell in cells:
            if isinstance(cell, exp.Literal):
                kinds.append(literal_type(cell))
            elif isinstance(cell, exp.Null):
                kinds.append("void")
            elif isinstance(cell, exp.Boolean):
                kinds.append("boolean")
            elif isinstance(cell, exp.Cast):  # TryCast too
                kinds.append(spark_type_of(cell.to))
            else:
                kinds.append(None)
        known = [kind for kind in kinds if kind != "void"]
        if None in kinds or len(set(known)) < 2:
            continue
        common = wider_all(known)
        if common is None:
            continue
        for cell, kind in zip(cells, kinds, strict=True):
            if kind not in (common, "void"):
                cell.replace(exp.cast(cell.copy(), exp.DataType.build(common, dialect="spark")))


def _is_int(node: exp.Expr, signed: bool = False) -> bool:
    if not isinstance(node, exp.Literal) or node.is_string:
        return False
    text = str(node.this)
    return (text[1:] if signed and text.startswith("-") else text).isdigit()


def _is_suffixed(node: exp.Expr) -> bool:
    return (
        isinstance(node, exp.TryCast)
        # a CAST/TRY_CAST the user wrote carries the keys `safe` and `format` (maybe None);
        # sqlglot's reading of a suffixed literal has neither
        and "safe" not in node.args
        and "format" not in node.args
        and node.to.this in _SUFFIX_RANGES
    )

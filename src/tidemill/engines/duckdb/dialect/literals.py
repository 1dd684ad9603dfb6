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

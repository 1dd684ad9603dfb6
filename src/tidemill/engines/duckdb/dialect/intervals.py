"""Spark's ANSI intervals (the interval part of fault kind 11): literals, their arithmetic with
dates and timestamps, `date - date` and `timestamp - timestamp`, and their text.

Spark 3.5 types an interval literal by its fields (`interval 3 days` is INTERVAL DAY,
`INTERVAL '1-2' YEAR TO MONTH` is INTERVAL YEAR TO MONTH, `interval 3 days 4 hours` is INTERVAL
DAY TO HOUR) and prints it as `INTERVAL '3 04' DAY TO HOUR`. A job's output has no interval
valtype (spec §3.2), so an interval in the output is that text (valtype `string`). Literals are
folded here, in Python; a difference of dates is an INTERVAL DAY and one of timestamps an
INTERVAL DAY TO SECOND, printed by the macros below. An interval anywhere else (compared,
aggregated, mixed months with days) is refused by name. Source: Spark SQL reference, "Data
Types" (interval types) and "Literals" (interval literals); measured against pyspark 3.5.9.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from tidemill.errors import Failure, InvalidInputError

_DAY_US = 86_400_000_000
_FIELDS = ("YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND")
_UNIT_US = {"DAY": _DAY_US, "HOUR": 3_600_000_000, "MINUTE": 60_000_000, "SECOND": 1_000_000}


def _refuse(construct: str) -> InvalidInputError:
    return InvalidInputError(
        Failure.JOB_SQL_INVALID, f"{construct} is not supported on the DuckDB engine"
    )


@dataclass(frozen=True, slots=True)
class Span:
    """An interval literal's value and Spark type: `months` (year-month types) or `micros`
    (day-time types), and its first and last fields (`DAY`, `HOUR` for DAY TO HOUR)."""

    months: int
    micros: int
    start: str
    end: str

    @property
    def year_month(self) -> bool:
        return self.start in ("YEAR", "MONTH")

    def plus(self, other: Span) -> Span:
        if self.year_month != other.year_month:
            raise _refuse("an interval mixing months with days or time")
        fields = sorted({self.start, self.end, other.start, other.end}, key=_FIELDS.index)
        return Span(self.months + other.months, self.micros + other.micros, fields[0], fields[-1])

    def negated(self) -> Span:
        return Span(-self.months, -self.micros, self.start, self.end)

    def text(self) -> str:
        """Spark's text, `INTERVAL '3 04' DAY TO HOUR`."""
        fields = self.start if self.start == self.end else f"{self.start} TO {self.end}"
        return f"INTERVAL '{self._value_text()}' {fields}"

    def _value_text(self) -> str:
        if self.year_month:
            sign = "-" if self.months < 0 else ""
            years, months = divmod(abs(self.months), 12)
            if self.start == "YEAR" and self.end == "MONTH":
                return f"{sign}{years}-{months}"
            return f"{sign}{years if self.start == 'YEAR' else abs(self.months)}"
        return day_time_text(self.micros, self.start, self.end)


def day_time_text(micros: int, start: str, end: str) -> str:
    """The value part of Spark's text of a day-time interval from `start` to `end` field."""
    sign = "-" if micros < 0 else ""
    rest = abs(micros)
    parts: list[str] = []
    for field in ("DAY", "HOUR", "MINUTE", "SECOND"):
        if _FIELDS.index(field) < _FIELDS.index(start):
            continue
        unit = _UNIT_US[field]
        if field == end:
            if field == "SECOND":
                whole, fraction = divmod(rest, unit)
                text = f"{whole:02d}" + (f".{fraction:06d}".rstrip("0") if fraction else "")
            else:
                text = str(rest // unit) if field == "DAY" else f"{rest // unit:02d}"
            parts.append(text)
            break
        value, rest = divmod(rest, unit)
        parts.append(str(value) if field == "DAY" else f"{value:02d}")
    head = parts[0]
    if start == "DAY" and len(parts) > 1:
        return f"{sign}{head} " + ":".join(parts[1:])
    return sign + ":".join(parts)


_SPAN_FORMS = {
    ("YEAR", "MONTH"): r"(\d+)-(\d+)",
    ("DAY", "HOUR"): r"(\d+) (\d+)",
    ("DAY", "MINUTE"): r"(\d+) (\d+):(\d+)",
    ("DAY", "SECOND"): r"(\d+) (\d+):(\d+):(\d+(?:\.\d{1,6})?)",
    ("HOUR", "MINUTE"): r"(\d+):(\d+)",
    ("HOUR", "SECOND"): r"(\d+):(\d+):(\d+(?:\.\d{1,6})?)",
    ("MINUTE", "SECOND"): r"(\d+):(\d+(?:\.\d{1,6})?)",
}


def literal_span(node: exp.Interval) -> Span:
    """The Span of an interval literal. Raises InvalidInputError (E18209) for forms Spark
    rejects or Tidemill does not fold, naming them."""
    text = node.this.name if isinstance(node.this, exp.Literal) else None
    unit = node.args.get("unit")
    if text is None:
        raise _refuse("an interval whose value is not a literal")
    if isinstance(unit, exp.IntervalSpan):
        start, end = unit.this.name.upper(), unit.expression.name.upper()
        form = _SPAN_FORMS.get((start, end))
        match = re.fullmatch(r"\s*([+-]?)" + (form or "") + r"\s*", text) if form else None
        if match is None:
            raise _refuse(f"INTERVAL '{text}' {start} TO {end}")
        sign = -1 if match.group(1) == "-" else 1
        numbers = match.groups()[1:]
        if start == "YEAR":
            return Span(sign * (int(numbers[0]) * 12 + int(numbers[1])), 0, start, end)
        fields = _FIELDS[_FIELDS.index(start) : _FIELDS.index(end) + 1]
        micros = sum(
            round(float(n) * _UNIT_US[f]) if f == "SECOND" else int(n) * _UNIT_US[f]
            for n, f in zip(numbers, fields, strict=True)
        )
        return Span(0, sign * micros, start, end)
    name = unit.name.upper().rstrip("S") if isinstance(unit, exp.Expr) else ""
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", text.strip()):
        raise _refuse(f"INTERVAL '{text}' {name}")
    value = text.strip()
    if name in ("YEAR", "MONTH") and "." not in value:
        return Span(int(value) * (12 if name == "YEAR" else 1), 0, name, name)
    if name == "WEEK" and "." not in value:
        return Span(0, int(value) * 7 * _DAY_US, "DAY", "DAY")
    if name in ("DAY", "HOUR", "MINUTE") and "." not in value:
        return Span(0, int(value) * _UNIT_US[name], name, name)
    if name in ("SECOND", "MILLISECOND", "MICROSECOND"):
        scale = {"SECOND": 1_000_000, "MILLISECOND": 1_000, "MICROSECOND": 1}[name]
        return Span(0, round(float(value) * scale), "SECOND", "SECOND")
    raise _refuse(f"INTERVAL {text} {name}")


def span_of(node: exp.Expr) -> Span | None:
    """The Span of an interval literal, or of a sum or difference of them; None otherwise."""
    if isinstance(node, exp.Paren):
        return span_of(node.this)
    if isinstance(node, exp.Interval):
        return literal_span(node)
    if isinstance(node, exp.Neg):
        inner = span_of(node.this)
        return inner.negated() if inner else None
    if isinstance(node, exp.Add | exp.Sub):
        left, right = span_of(node.this), span_of(node.expression)
        if left is None or right is None:
            return None
        return left.plus(right if isinstance(node, exp.Add) else right.negated())
    return None


def duckdb_interval(span: Span) -> exp.Expr:
    """The DuckDB INTERVAL holding `span`'s value."""
    if span.year_month:
        return exp.Anonymous(this="to_months", expressions=[exp.Literal.number(span.months)])
    return exp.Anonymous(this="to_microseconds", expressions=[exp.Literal.number(span.micros)])


# Text of differences: a DATE difference is INTERVAL DAY (days), a timestamp difference
# INTERVAL DAY TO SECOND (microseconds).
MACROS: tuple[str, ...] = (
    "CREATE MACRO tidemill_day_interval_text(days) AS "
    "'INTERVAL ''' || CAST(days AS VARCHAR) || ''' DAY'",
    """CREATE MACRO tidemill_day_second_text(us) AS 'INTERVAL '''
        || CASE WHEN us < 0 THEN '-' ELSE '' END
        || CAST(abs(us) // 86400000000 AS VARCHAR) || ' '
        || format('{:02d}:{:02d}:{:02d}', abs(us) % 86400000000 // 3600000000,
                  abs(us) % 3600000000 // 60000000, abs(us) % 60000000 // 1000000)
        || CASE WHEN abs(us) % 1000000 = 0 THEN ''
           ELSE rtrim('.' || format('{:06d}', abs(us) % 1000000), '0') END
        || ''' DAY TO SECOND'""",
)

"""Java datetime patterns, date/timestamp text, time arithmetic (fault kinds 1, 3, 10; the
interval part of 11 is refused by name until it is built).

Each Spark date/time function becomes DuckDB SQL with Spark 3.5's answer (ANSI off, session
zone = the engine's `TimeZone`): patterns through `datetime_patterns`, Spark's casts between
text and dates through the macros of `datetime_values`, arithmetic through the macros below.
Arguments are cast where Spark casts them (`to_date('2024-01-01')`, `date_add('2024-01-01',
1)`). Results keep Spark's types: a date is DATE, a timestamp TIMESTAMPTZ (both the `date`
valtype), unix_timestamp/datediff BIGINT (`long`), months_between DOUBLE (`float`).
Sources: the Spark SQL built-in function reference and "Datetime Patterns" pages (3.5);
behaviour measured side by side with pyspark 3.5.9.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from sqlglot import exp

from tidemill.engines.duckdb.dialect import datetime_patterns as patterns
from tidemill.engines.duckdb.dialect import datetime_values as values
from tidemill.engines.duckdb.dialect import intervals
from tidemill.engines.duckdb.dialect.context import Context
from tidemill.errors import Failure, InvalidInputError

_DEFAULT_FORMAT = "yyyy-MM-dd HH:mm:ss"

MACROS: tuple[str, ...] = (
    *values.MACROS,
    *patterns.MACROS,
    *intervals.MACROS,
    # Spark: whole months when both days are equal or both are month ends, else the day and
    # time difference (whole seconds) over 31-day months; rounded to 8 digits (Math.round)
    # when `r`.
    "CREATE MACRO tidemill_month_number(t) AS year(t) * 12 + month(t)",
    """CREATE MACRO tidemill_day_second(t) AS
        (epoch_us(t) - epoch_us(date_trunc('day', t))) // 1000000""",
    """CREATE MACRO tidemill_months_fraction(a, b) AS
        (tidemill_month_number(a) - tidemill_month_number(b))
        + ((day(a) - day(b)) * 86400 + tidemill_day_second(a) - tidemill_day_second(b))
          / 2678400.0""",
    """CREATE MACRO tidemill_months_between(a, b, r) AS CASE
        WHEN a IS NULL OR b IS NULL THEN NULL
        WHEN day(a) = day(b) OR (day(a) = day(last_day(a)) AND day(b) = day(last_day(b)))
            THEN CAST(tidemill_month_number(a) - tidemill_month_number(b) AS DOUBLE)
        WHEN r THEN floor(tidemill_months_fraction(a, b) * 1e8 + 0.5) / 1e8
        ELSE tidemill_months_fraction(a, b) END""",
    # Spark's day names for next_day: two letters, three letters or the whole name
    """CREATE MACRO tidemill_next_day(d, name) AS d + CAST((CASE
        WHEN upper(trim(name)) IN ('MO', 'MON', 'MONDAY') THEN 1
        WHEN upper(trim(name)) IN ('TU', 'TUE', 'TUESDAY') THEN 2
        WHEN upper(trim(name)) IN ('WE', 'WED', 'WEDNESDAY') THEN 3
        WHEN upper(trim(name)) IN ('TH', 'THU', 'THURSDAY') THEN 4
        WHEN upper(trim(name)) IN ('FR', 'FRI', 'FRIDAY') THEN 5
        WHEN upper(trim(name)) IN ('SA', 'SAT', 'SATURDAY') THEN 6
        WHEN upper(trim(name)) IN ('SU', 'SUN', 'SUNDAY') THEN 7 END
        - isodow(d) + 6) % 7 + 1 AS INTEGER)""",
    """CREATE MACRO tidemill_make_date(y, m, d) AS TRY_CAST(
        CAST(y AS VARCHAR) || '-' || CAST(m AS VARCHAR) || '-' || CAST(d AS VARCHAR) AS DATE)""",
    # Spark's MakeTimestamp: sec is read as decimal(16,6); exactly 60 is the next minute's 0,
    # anything else outside [0, 60), an hour outside 0..23 or an invalid day is NULL
    """CREATE MACRO tidemill_make_wall(y, mo, d, h, mi, s) AS CASE
        WHEN h < 0 OR h > 23 THEN NULL
        WHEN CAST(s AS DECIMAL(16, 6)) = 60 THEN TRY_CAST(
            CAST(y AS VARCHAR) || '-' || CAST(mo AS VARCHAR) || '-' || CAST(d AS VARCHAR) || ' '
            || CAST(h AS VARCHAR) || ':' || CAST(mi AS VARCHAR) || ':00' AS TIMESTAMP)
            + INTERVAL 1 MINUTE
        ELSE TRY_CAST(
            CAST(y AS VARCHAR) || '-' || CAST(mo AS VARCHAR) || '-' || CAST(d AS VARCHAR) || ' '
            || CAST(h AS VARCHAR) || ':' || CAST(mi AS VARCHAR) || ':'
            || CAST(CAST(s AS DECIMAL(16, 6)) AS VARCHAR) AS TIMESTAMP) END""",
    """CREATE MACRO tidemill_make_timestamp(y, mo, d, h, mi, s) AS
        CAST(tidemill_make_wall(y, mo, d, h, mi, s) AS TIMESTAMPTZ)""",
    "CREATE MACRO tidemill_seconds(x) AS CAST(trunc(TRY_CAST(x AS DOUBLE)) AS BIGINT)",
    # java.time's ChronoUnit.MONTHS.between: whole months, counting the day and time of day
    "CREATE MACRO tidemill_month_rest(t) AS epoch_us(t) - epoch_us(date_trunc('month', t))",
    """CREATE MACRO tidemill_months_diff(a, b) AS CAST(
        tidemill_month_number(b) - tidemill_month_number(a) + CASE
        WHEN tidemill_month_number(b) > tidemill_month_number(a)
            AND tidemill_month_rest(b) < tidemill_month_rest(a) THEN -1
        WHEN tidemill_month_number(b) < tidemill_month_number(a)
            AND tidemill_month_rest(b) > tidemill_month_rest(a) THEN 1 ELSE 0 END AS BIGINT)""",
    "CREATE MACRO tidemill_epoch_seconds(t) AS CAST(floor(epoch_us(t) / 1000000) AS BIGINT)",
    "CREATE MACRO tidemill_epoch_millis(t) AS CAST(floor(epoch_us(t) / 1000) AS BIGINT)",
)

# Spark's trunc()/date_trunc() format names and the DuckDB part each means.
TRUNC_UNITS = {
    "year": "year", "yyyy": "year", "yy": "year", "quarter": "quarter", "month": "month",
    "mon": "month", "mm": "month", "week": "week", "day": "day", "dd": "day", "hour": "hour",
    "minute": "minute", "second": "second", "millisecond": "millisecond",
    "microsecond": "microsecond",
}  # fmt: skip
_DATE_UNITS = frozenset({"year", "quarter", "month", "week"})  # what trunc() takes

# extract()/date_part() fields: (DuckDB part, Spark type).
_FIELDS = {
    **dict.fromkeys(["year", "y", "years", "yr", "yrs"], "year"),
    **dict.fromkeys(["yearofweek"], "isoyear"),
    **dict.fromkeys(["quarter", "qtr"], "quarter"),
    **dict.fromkeys(["month", "mon", "mons", "months"], "month"),
    **dict.fromkeys(["week", "w", "weeks"], "weekofyear"),
    **dict.fromkeys(["day", "d", "days"], "day"),
    **dict.fromkeys(["dayofweek", "dow"], "dayofweek"),
    **dict.fromkeys(["dayofweek_iso", "dow_iso"], "isodow"),
    **dict.fromkeys(["doy"], "dayofyear"),
    **dict.fromkeys(["hour", "h", "hours", "hr", "hrs"], "hour"),
    **dict.fromkeys(["minute", "m", "min", "mins", "minutes"], "minute"),
    **dict.fromkeys(["second", "s", "sec", "seconds", "secs"], "second"),
}


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with Spark's date/time functions, casts and patterns in DuckDB terms.

    Nodes are rewritten children first, so a rule sees its arguments already translated.
    Raises InvalidInputError (E18209) naming a pattern letter or construct it cannot honour.
    """
    if query.find(exp.MakeInterval) is not None:
        # sqlglot's INTERVAL text is neither Spark's interval text nor exact below a millisecond
        raise unsupported("make_interval")
    for diff in list(query.find_all(exp.DateDiff)):  # a unit: keep the time of day
        if diff.args.get("unit") is not None:
            for key in ("this", "expression"):
                arg = diff.args.get(key)
                if isinstance(arg, exp.TsOrDsToDate) and arg.args.get("format") is None:
                    diff.set(key, arg.this)
    timestamps = _timestamp_columns(context)
    for node in reversed(list(query.dfs())):
        _as_text(node, timestamps)
        new = _interval_rule(node, timestamps)
        new = _rewrite_node(node) if new is node else new
        if new is not node:
            if node is query:
                return new
            node.replace(new)
    return query


# Functions that take text: Spark turns a timestamp argument into its text (kind 3), where
# DuckDB's own cast would add the zone's offset. Argument names per sqlglot node.
_TEXT_ARGS: dict[type[exp.Expr], tuple[str, ...]] = {
    exp.Concat: ("expressions",), exp.ConcatWs: ("expressions",), exp.DPipe: ("this", "expression"),
    exp.Length: ("this",), exp.Substring: ("this",), exp.Like: ("this",), exp.ILike: ("this",),
    exp.Upper: ("this",), exp.Lower: ("this",), exp.Left: ("this",), exp.Right: ("this",),
    exp.StrPosition: ("this",), exp.Trim: ("this",), exp.Pad: ("this",),
    exp.RegexpExtract: ("this",), exp.RegexpLike: ("this",), exp.RegexpReplace: ("this",),
    exp.RegexpSplit: ("this",), exp.Initcap: ("this",), exp.Replace: ("this",),
}  # fmt: skip
_TIMESTAMP_CALLS = frozenset({values.TO_TIMESTAMP, "date_trunc", "to_timestamp", "timezone"})


def _timestamp_columns(context: Context) -> frozenset[str]:
    """Names (lower case) of the `date` columns of the job's tables."""
    return frozenset(
        key.lower() for columns in context.tables.values() for key, vt in columns if vt == "date"
    )


def _maybe_timestamp(node: exp.Expr, timestamps: frozenset[str]) -> bool:
    if isinstance(node, exp.Column):
        return node.name.lower() in timestamps
    if isinstance(node, exp.Anonymous):
        return node.name.lower() in _TIMESTAMP_CALLS
    return isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.TIMESTAMPTZ


def _as_text(node: exp.Expr, timestamps: frozenset[str]) -> None:
    """Wrap the timestamp arguments of a text function in Spark's text of them."""
    for key in _TEXT_ARGS.get(type(node), ()):
        value = node.args.get(key)
        for arg in value if isinstance(value, list) else [value]:
            if isinstance(arg, exp.Expr) and _maybe_timestamp(arg, timestamps):
                arg.replace(_text(arg.copy()))


_DATE_CALLS = frozenset(
    {values.TO_DATE, "last_day", "tidemill_next_day", "tidemill_make_date", "date_trunc_date"}
)
_TS_CALLS = frozenset(
    {values.TO_TIMESTAMP, "date_trunc", "to_timestamp", "timezone", "tidemill_make_timestamp",
     "tidemill_century"}
)  # fmt: skip
# where an interval value may stand: it becomes its text
_OUTPUT_PARENTS = (exp.Alias, exp.Select, exp.Cast, exp.Paren)


def temporal_kind(node: exp.Expr, context: Context) -> str | None:
    """'date' or 'timestamp' when `node` (rewritten by this module's pass) is one, else None
    (not a date or timestamp, or unknown)."""
    return _temporal(node, _timestamp_columns(context))


def _tagged(node: exp.Expr, kind: str) -> exp.Expr:
    node.meta["tidemill_temporal"] = kind
    return node


def _temporal(node: exp.Expr, timestamps: frozenset[str]) -> str | None:
    """'date' or 'timestamp' when `node` (already rewritten) is one, else None (unknown)."""
    if "tidemill_temporal" in node.meta:
        return str(node.meta["tidemill_temporal"])
    if isinstance(node, exp.Paren):
        return _temporal(node.this, timestamps)
    if isinstance(node, exp.Column):
        return "timestamp" if node.name.lower() in timestamps else None
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        return "date" if name in _DATE_CALLS else "timestamp" if name in _TS_CALLS else None
    if isinstance(node, exp.Cast):
        if node.to.this == exp.DataType.Type.DATE:
            return "date"
        if node.to.this == exp.DataType.Type.TIMESTAMPTZ:
            return "timestamp"
    return None


def _as_output(node: exp.Expr, value: exp.Expr, what: str) -> exp.Expr:
    """`value`, the text of an interval, where `node` stands; refused where it is not output."""
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    if parent is None or isinstance(parent, _OUTPUT_PARENTS):
        return value
    raise unsupported(f"{what} used in an expression (only its text can be output)")


def _interval_rule(node: exp.Expr, timestamps: frozenset[str]) -> exp.Expr:
    """Interval literals and arithmetic (see `intervals`); `node` itself when none applies."""
    in_arithmetic = isinstance(node.parent, exp.Add | exp.Sub | exp.Neg | exp.Paren)
    if isinstance(node, exp.Interval | exp.Neg | exp.Paren | exp.Add | exp.Sub):
        span = intervals.span_of(node)
        if span is not None:
            if in_arithmetic:
                return node  # the enclosing sum folds it
            return _as_output(node, exp.Literal.string(span.text()), "an INTERVAL value")
    if not isinstance(node, exp.Add | exp.Sub):
        return node
    left, right = node.this, node.expression
    span = intervals.span_of(right)
    if span is None and isinstance(node, exp.Add):
        span, left = intervals.span_of(left), right
    if span is not None:  # a date or timestamp moved by an interval
        if isinstance(node, exp.Sub):
            span = span.negated()
        moved = exp.Add(this=left, expression=intervals.duckdb_interval(span))
        whole_days = span.year_month or (span.start == "DAY" and span.end == "DAY")
        if _temporal(left, timestamps) == "date" and whole_days:
            return _tagged(exp.cast(moved, "DATE"), "date")
        moved.set("this", _ts(left) if _temporal(left, timestamps) != "timestamp" else left)
        return _tagged(moved, "timestamp")
    kinds = (_temporal(left, timestamps), _temporal(right, timestamps))
    if isinstance(node, exp.Sub) and None not in kinds:
        if kinds == ("date", "date"):
            days = exp.Sub(this=left, expression=right)
            text = _call("tidemill_day_interval_text", days)
            return _as_output(node, text, "date - date (an INTERVAL DAY)")
        micros = exp.Sub(
            this=_call("epoch_us", _ts(left)), expression=_call("epoch_us", _ts(right))
        )
        text = _call("tidemill_day_second_text", micros)
        return _as_output(node, text, "timestamp - timestamp (an INTERVAL DAY TO SECOND)")
    return node


def unsupported(construct: str) -> InvalidInputError:
    """The refusal for a construct the DuckDB engine does not run (spec code E18209); the same
    text as `translate.unsupported`, which this module cannot import (translate imports it)."""
    return InvalidInputError(
        Failure.JOB_SQL_INVALID, f"{construct} is not supported on the DuckDB engine"
    )


def _call(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _ts(node: exp.Expr) -> exp.Expr:
    """Spark's implicit cast of a function argument to TIMESTAMP."""
    if isinstance(node, exp.TimeStrToTime):
        node = node.this
    return _call(values.TO_TIMESTAMP, node)


def _date(node: exp.Expr) -> exp.Expr:
    """Spark's implicit cast of a function argument to DATE."""
    if isinstance(node, exp.TsOrDsToDate) and node.args.get("format") is None:
        node = node.this
    return _call(values.TO_DATE, node)


def _pattern(node: exp.Expr | None, what: str) -> str:
    """The Java pattern a function was given (sqlglot's strftime text turned back)."""
    if node is None:
        return _DEFAULT_FORMAT
    if isinstance(node, exp.Concat) and all(
        isinstance(e, exp.Literal) and e.is_string for e in node.expressions
    ):  # Spark SQL joins adjacent string literals
        return "".join(e.name for e in node.expressions)
    if isinstance(node, exp.Literal) and node.is_string:
        return patterns.java_pattern(node.name)
    raise unsupported(f"{what} with a pattern that is not a string literal")


def _guard(build: Callable[[], exp.Expr], what: str) -> exp.Expr:
    try:
        return build()
    except patterns.PatternError as exc:
        raise unsupported(f"{what}: {exc}") from exc


def _is_text(node: exp.Expr) -> exp.Expr:
    return exp.EQ(this=_call("typeof", node.copy()), expression=exp.Literal.string("VARCHAR"))


def _parsed(node: exp.Expr, fmt: exp.Expr | None, what: str) -> exp.Expr:
    """Spark's to_timestamp(x, fmt): text read in the pattern, other values cast."""
    pattern = _pattern(fmt, what)
    read = _guard(lambda: patterns.parse_sql(exp.cast(node.copy(), "VARCHAR"), pattern), what)
    return exp.Case(
        ifs=[exp.If(this=_is_text(node), true=read)], default=_call(values.TO_TIMESTAMP, node)
    )


def _text(value: exp.Expr) -> exp.Expr:
    """Spark's text of `value`: `TO_TEXT`, or `TO_TEXT_ONCE` when `value` holds one of the
    engine's own macros (which may be large; the macro names its argument five times)."""
    own = any(call.name.lower().startswith("tidemill_") for call in value.find_all(exp.Anonymous))
    return _call(values.TO_TEXT_ONCE if own else values.TO_TEXT, value)


def _is_type(node: exp.Cast, *names: str) -> bool:
    return node.to.this in {exp.DataType.Type[name] for name in names}


def _rewrite_node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Cast):
        if _is_type(node, "TIMESTAMPNTZ"):
            return _ntz(node.this)
        if _is_type(node, "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMPLTZ"):
            return _call(values.TO_TIMESTAMP, node.this)
        if _is_type(node, "DATE"):
            return _call(values.TO_DATE, node.this)
        if _is_type(node, "TEXT", "VARCHAR", "CHAR"):
            return _text(node.this)
        if _is_type(node, "INTERVAL"):
            raise unsupported("CAST to INTERVAL")
        return node
    if isinstance(node, exp.TimeToStr):  # date_format
        pattern = _pattern(node.args.get("format"), "date_format")
        return _guard(lambda: patterns.format_sql(_ts(node.this), pattern), "date_format")
    if isinstance(node, exp.UnixToStr):  # from_unixtime
        pattern = _pattern(node.args.get("format"), "from_unixtime")
        seconds = _call("to_timestamp", _call("tidemill_seconds", node.this))
        return _guard(lambda: patterns.format_sql(seconds, pattern), "from_unixtime")
    if isinstance(node, exp.StrToTime):  # to_timestamp(x, fmt)
        return _tagged(_parsed(node.this, node.args.get("format"), "to_timestamp"), "timestamp")
    if isinstance(node, exp.TsOrDsToDate):  # to_date
        if node.args.get("format") is None:
            return _call(values.TO_DATE, node.this)
        parsed = _parsed(node.this, node.args["format"], "to_date")
        return _tagged(exp.cast(parsed, "DATE"), "date")
    if isinstance(node, exp.StrToUnix):  # unix_timestamp, to_unix_timestamp
        if node.this is None or isinstance(node.this, exp.CurrentTimestamp):
            return _call("tidemill_epoch_seconds", exp.CurrentTimestamp())
        fmt = node.args.get("format")
        return _call("tidemill_epoch_seconds", _parsed(node.this, fmt, "unix_timestamp"))
    if isinstance(node, exp.Anonymous):
        return _rewrite_call(node)
    return _rewrite_function(node)


def _rewrite_function(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.MonthsBetween):
        roundoff = node.args.get("roundoff") or exp.true()
        return _call("tidemill_months_between", _ts(node.this), _ts(node.expression), roundoff)
    if isinstance(node, exp.DateDiff):
        unit = node.args.get("unit")
        if unit is None:  # datediff(end, start): days
            return exp.Sub(this=_date(node.this), expression=_date(node.expression))
        return _timestamp_diff(unit, node.expression, node.this)  # sqlglot: this = end
    if isinstance(node, exp.TimestampDiff):
        return _timestamp_diff(node.args.get("unit"), node.expression, node.this)
    if isinstance(node, exp.TsOrDsAdd):  # date_add, date_sub
        if isinstance(node.expression, exp.Interval) or node.text("unit").upper() not in (
            "",
            "DAY",
        ):
            raise unsupported("date_add with an interval")
        days = exp.cast(_call("tidemill_seconds", node.expression), "INTEGER")
        return _tagged(exp.Add(this=_date(node.this), expression=days), "date")
    if isinstance(node, exp.AddMonths):
        months = exp.cast(_call("tidemill_seconds", node.expression), "INTEGER")
        shifted = exp.Add(this=_date(node.this), expression=_call("to_months", months))
        return _tagged(exp.cast(shifted, "DATE"), "date")
    if isinstance(node, exp.LastDay):
        return _call("last_day", _date(node.this))
    if isinstance(node, exp.NextDay):
        return _call("tidemill_next_day", _date(node.this), node.expression)
    if isinstance(node, exp.DateTrunc):  # trunc(date, fmt)
        unit = _trunc_unit(node.args.get("unit"))
        if unit not in _DATE_UNITS:
            return exp.cast(exp.Null(), "DATE")
        truncated = _call("date_trunc", exp.Literal.string(unit), _date(node.this))
        return _tagged(exp.cast(truncated, "DATE"), "date")
    if isinstance(node, exp.TimestampTrunc):  # date_trunc(fmt, ts)
        unit = _trunc_unit(node.args.get("unit"))
        if unit is None:
            return exp.cast(exp.Null(), "TIMESTAMPTZ")
        return _call("date_trunc", exp.Literal.string(unit), _ts(node.this))
    simple: dict[type[exp.Expr], tuple[str, bool]] = {
        exp.Year: ("year", True), exp.Month: ("month", True), exp.Day: ("day", True),
        exp.DayOfMonth: ("day", True), exp.DayOfYear: ("dayofyear", True),
        exp.WeekOfYear: ("weekofyear", True), exp.Quarter: ("quarter", True),
        exp.Hour: ("hour", False), exp.Minute: ("minute", False), exp.Second: ("second", False),
    }  # fmt: skip
    if type(node) in simple:
        name, on_date = simple[type(node)]
        return _call(name, _date(node.this) if on_date else _ts(node.this))
    if isinstance(node, exp.DayOfWeek):  # Spark: Sunday = 1
        return exp.Add(this=_call("dayofweek", _date(node.this)), expression=exp.Literal.number(1))
    if isinstance(node, exp.Extract):
        return _extract(node.this.name, node.expression)
    if isinstance(node, exp.TimestampFromParts):  # make_timestamp
        keys = ("year", "month", "day", "hour", "min", "sec")
        parts = [p for p in (node.args.get(k) for k in keys) if isinstance(p, exp.Expr)]
        if len(parts) != len(keys) or node.args.get("milli") is not None:
            raise unsupported("make_timestamp without its six date and time fields")
        # sqlglot reads Spark's 7th argument, the time zone, as `nano`
        zone = node.args.get("zone") or node.args.get("nano")
        if zone is None:
            return _call("tidemill_make_timestamp", *parts)
        return _make_timestamp_in(zone, parts)
    if isinstance(node, exp.AtTimeZone):  # from_utc_timestamp
        wall = exp.cast(_ts(node.this), "TIMESTAMP")
        utc = _call("timezone", exp.Literal.string("UTC"), wall)
        return exp.cast(_call("timezone", node.args["zone"], utc), "TIMESTAMPTZ")
    if isinstance(node, exp.FromTimeZone):  # to_utc_timestamp
        wall = exp.cast(_ts(node.this), "TIMESTAMP")
        instant = _call("timezone", node.args["zone"], wall)
        return exp.cast(_call("timezone", exp.Literal.string("UTC"), instant), "TIMESTAMPTZ")
    if isinstance(node, exp.UnixSeconds):
        return _call("tidemill_epoch_seconds", _ts(node.this))
    if isinstance(node, exp.UnixMillis):
        return _call("tidemill_epoch_millis", _ts(node.this))
    if isinstance(node, exp.UnixMicros):
        return _call("epoch_us", _ts(node.this))
    if isinstance(node, exp.DateFromUnixDate):
        return exp.Add(
            this=exp.cast(exp.Literal.string("1970-01-01"), "DATE"),
            expression=exp.cast(node.this, "INTEGER"),
        )
    if isinstance(node, exp.UnixDate):
        return exp.Sub(
            this=_date(node.this), expression=exp.cast(exp.Literal.string("1970-01-01"), "DATE")
        )
    if isinstance(node, exp.CurrentTimestamp | exp.Localtimestamp):
        return exp.cast(_call("now"), "TIMESTAMPTZ")
    if isinstance(node, exp.CurrentTimezone):
        return _call("current_setting", exp.Literal.string("TimeZone"))
    if isinstance(node, exp.CurrentDate):
        return exp.cast(exp.cast(_call("now"), "TIMESTAMPTZ"), "DATE")
    return node


def _make_timestamp_in(zone: exp.Expr, parts: list[exp.Expr]) -> exp.Expr:
    """make_timestamp(..., zone): the wall-clock time read in `zone`. Only a literal zone that
    is a time-zone database name both Spark and DuckDB know (or NULL: NULL) is taken: DuckDB
    fails a batch on Spark's offset forms ('+05:00', 'GMT+8') and on an unknown name."""
    if isinstance(zone, exp.Null):
        return exp.cast(exp.Null(), "TIMESTAMPTZ")
    name = zone.name if isinstance(zone, exp.Literal) and zone.is_string else None
    if name is None or name not in _zone_names():
        raise unsupported("make_timestamp with a time zone that is not a literal region name")
    wall = _call("tidemill_make_wall", *parts)
    return _tagged(exp.cast(_call("timezone", exp.Literal.string(name), wall), "TIMESTAMPTZ"),
                   "timestamp")  # fmt: skip


@functools.cache
def _zone_names() -> frozenset[str]:
    """Time-zone database names (`Area/City`, `UTC`, `CET` ...), without the offset forms and
    the names Spark reads through java's ZoneId.SHORT_IDS (EST is -05:00 there, a link to
    America/Panama in recent tz data)."""
    import zoneinfo

    excluded = ("EST", "MST", "HST", "localtime", "Factory")
    return frozenset(
        n for n in zoneinfo.available_timezones()
        if not any(c.isdigit() for c in n) and n not in excluded
    )  # fmt: skip


def _rewrite_call(node: exp.Anonymous) -> exp.Expr:
    name = node.name.lower()
    args = node.expressions
    if name == "make_timestamp_ltz" and len(args) in (6, 7):  # Spark 3.5: make_timestamp's twin
        if len(args) == 6:
            return _call("tidemill_make_timestamp", *args)
        return _make_timestamp_in(args[6], list(args[:6]))
    if name == "weekday" and len(args) == 1:  # Monday = 0
        return exp.Sub(this=_call("isodow", _date(args[0])), expression=exp.Literal.number(1))
    if name in ("date_part", "datepart") and len(args) == 2:
        if not (isinstance(args[0], exp.Literal) and args[0].is_string):
            raise unsupported(f"{name} with a field that is not a string literal")
        return _extract(args[0].name, args[1])
    if name == "make_date" and len(args) == 3:
        return _call("tidemill_make_date", *args)
    if name == "now" and not args:
        return exp.cast(_call("now"), "TIMESTAMPTZ")
    if name == "timestamp_seconds" and len(args) == 1:
        return _call("to_timestamp", exp.cast(args[0], "DOUBLE"))
    if name == "timestamp_millis" and len(args) == 1:
        return _call("timezone", exp.Literal.string("UTC"), _call("epoch_ms", args[0]))
    if name == "timestamp_micros" and len(args) == 1:
        return _call("timezone", exp.Literal.string("UTC"), _call("make_timestamp", args[0]))
    if name in ("to_timestamp_ntz", "to_timestamp_ltz") and len(args) in (1, 2):
        fmt = args[1] if len(args) == 2 else None
        if fmt is None:
            return _call(values.TO_TIMESTAMP, args[0]) if name.endswith("ltz") else _ntz(args[0])
        return _parsed(args[0], fmt, name)
    if name in ("make_interval", "make_dt_interval", "make_ym_interval", "try_to_timestamp"):
        raise unsupported(name)
    return node


def _ntz(node: exp.Expr) -> exp.Expr:
    """to_timestamp_ntz(x): the wall clock the text names, any zone in it ignored."""
    wall = _call(values.TEXT_TO_WALL, exp.cast(node.copy(), "VARCHAR"))
    return exp.Case(
        ifs=[exp.If(this=_is_text(node), true=exp.cast(wall, "TIMESTAMPTZ"))],
        default=_call(values.TO_TIMESTAMP, node),
    )


def _trunc_unit(unit: exp.Expr | None) -> str | None:
    if isinstance(unit, exp.Literal | exp.Var):
        return TRUNC_UNITS.get(unit.name.lower())
    if isinstance(unit, exp.Column):
        return TRUNC_UNITS.get(unit.name.lower())
    raise unsupported("trunc/date_trunc with a unit that is not a string literal")


def _timestamp_diff(unit: exp.Expr | None, start: exp.Expr, end: exp.Expr) -> exp.Expr:
    """Spark's timestampdiff(unit, start, end): whole units from start to end."""
    name = unit.name.lower() if isinstance(unit, exp.Expr) else ""
    part = {
        "microsecond": "microsecond", "millisecond": "millisecond", "second": "second",
        "minute": "minute", "hour": "hour", "day": "day", "week": "week", "month": "month",
        "quarter": "quarter", "year": "year",
    }.get(name)  # fmt: skip
    if part is None:
        raise unsupported(f"timestampdiff unit {name!r}")
    if isinstance(start, exp.TsOrDsToDate):
        start = start.this
    if isinstance(end, exp.TsOrDsToDate):
        end = end.this
    if part in ("month", "quarter", "year"):
        months = _call("tidemill_months_diff", _ts(start), _ts(end))
        per = {"month": 1, "quarter": 3, "year": 12}[part]
        return (
            exp.cast(
                _call("trunc", exp.Div(this=months, expression=exp.Literal.number(per))), "BIGINT"
            )
            if per > 1
            else months
        )
    return _call("date_sub", exp.Literal.string(part), _ts(start), _ts(end))  # whole units


def _extract(field: str, source: exp.Expr) -> exp.Expr:
    part = _FIELDS.get(field.lower())
    if part is None:
        raise unsupported(f"extract/date_part field {field!r}")
    if part == "second":  # Spark: DECIMAL(8, 6) with the fraction
        micros = _call("microsecond", _ts(source))
        return exp.cast(
            exp.Div(this=micros, expression=exp.Literal.number(1000000)), "DECIMAL(8, 6)"
        )
    if part == "dayofweek":
        return exp.Add(this=_call("dayofweek", _date(source)), expression=exp.Literal.number(1))
    on_date = part not in ("hour", "minute")
    return _call(part, _date(source) if on_date else _ts(source))

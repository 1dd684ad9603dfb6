"""Dates and times: their text (fault kind 3) and Spark's time arithmetic (fault kind 10)."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "dates_events": Table(
        columns=(("ts", "date"), ("day", "string"), ("n", "long"), ("zone", "string")),
        rows=(
            ("2009-07-30T10:15:30.123+08:00", "2009-07-30", 1, "UTC"),
            ("2024-02-29T23:59:59.999999+08:00", "2024-02-29", -1, "America/New_York"),
            ("2024-01-07T00:00:00+08:00", " 2024-1-7 ", 40, "Asia/Tokyo"),
            ("1996-10-30T00:00:00+08:00", "1996-10-30 10:00", 0, "Europe/London"),
            (None, None, None, None),
        ),
    ),
}

_T = "dates_events"


def _c(slug: str, sql: str, *, ordered: bool = False) -> Case:
    return Case(id=f"dates/{slug}", sql=sql, ordered=ordered)


CASES: list[Case] = [
    # text of dates and timestamps (kind 3)
    _c("cast-timestamp-to-string", f"SELECT n, cast(ts AS string) AS s FROM {_T}"),
    _c(
        "cast-literal-timestamp-to-string",
        "SELECT cast(timestamp'2009-07-30 10:15:30.123' AS string) AS s",
    ),
    _c("cast-whole-second-to-string", "SELECT cast(timestamp'2009-07-30 10:15:30' AS string) AS s"),
    _c(
        "cast-fraction-zeros-trimmed",
        "SELECT cast(timestamp'2009-07-30 10:15:30.100200' AS string) AS s",
    ),
    _c("cast-date-to-string", f"SELECT n, cast(to_date(ts) AS string) AS s FROM {_T}"),
    _c("string-function-on-timestamp", f"SELECT n, string(ts) AS s FROM {_T}"),
    _c("concat-timestamp", f"SELECT n, concat('at ', cast(ts AS string)) AS s FROM {_T}"),
    _c("substr-of-timestamp-text", f"SELECT n, substr(cast(ts AS string), 1, 10) AS s FROM {_T}"),
    _c("length-of-timestamp-text", f"SELECT n, length(cast(ts AS string)) AS l FROM {_T}"),
    _c("like-on-timestamp-text", f"SELECT n FROM {_T} WHERE cast(ts AS string) LIKE '2024%'"),
    _c("date-column-value", f"SELECT n, to_date(ts) AS d FROM {_T}"),
    _c("timestamp-column-value", f"SELECT n, ts FROM {_T}"),
    # text read as dates and timestamps
    _c("to-date-text", f"SELECT n, to_date(day) AS d FROM {_T}"),
    _c("to-date-literal", "SELECT to_date('2024-01-01') AS d"),
    _c("to-timestamp-text", f"SELECT n, to_timestamp(day) AS t FROM {_T}"),
    _c(
        "cast-text-to-timestamp-zone",
        "SELECT cast('2024-01-02T10:15:30+05:30' AS timestamp) AS t, "
        "cast('2024-01-02 10:15:30Z' AS timestamp) AS u",
    ),
    _c(
        "cast-text-to-timestamp-partial",
        "SELECT cast('2024' AS timestamp) AS a, cast('2024-03' AS timestamp) AS b, "
        "cast('2024-01-02 10' AS timestamp) AS c",
    ),
    _c(
        "cast-text-to-timestamp-invalid",
        "SELECT cast('2024-02-30' AS timestamp) AS a, cast('abc' AS timestamp) AS b, "
        "cast('20240102' AS timestamp) AS c",
    ),
    _c(
        "cast-text-to-date-lenient",
        "SELECT cast('2024-01-02 abc' AS date) AS a, cast('2024-01-02T' AS date) AS b, "
        "cast('2024-1-2' AS date) AS c, cast('2024/01/02' AS date) AS d",
    ),
    _c("cast-text-whitespace", "SELECT cast('\t2024-01-02 10:00:00\n' AS timestamp) AS t"),
    _c("cast-long-to-timestamp", "SELECT cast(1248920130 AS timestamp) AS t"),
    _c("date-function", "SELECT date('2024-05-06') AS d, timestamp('2024-05-06 07:08:09') AS t"),
    # months_between (kind 10 instance)
    _c(
        "months-between-instance", "SELECT months_between('1997-02-28 10:30:00', '1996-10-30') AS m"
    ),
    _c(
        "months-between-no-round",
        "SELECT months_between('1997-02-28 10:30:00', '1996-10-30', false) AS m",
    ),
    _c("months-between-month-ends", "SELECT months_between('2024-03-31', '2024-02-29') AS m"),
    _c(
        "months-between-same-day",
        "SELECT months_between('2024-03-15 23:00', '2024-01-15 01:00') AS m",
    ),
    _c("months-between-negative", "SELECT months_between('2024-01-01', '2024-03-15 12:00') AS m"),
    _c("months-between-column", f"SELECT n, months_between(ts, '1996-10-30') AS m FROM {_T}"),
    # datediff, date_add, add_months, last_day, next_day
    _c("datediff", f"SELECT n, datediff(ts, '2024-01-01') AS d FROM {_T}"),
    _c(
        "datediff-ignores-time",
        "SELECT datediff('2024-03-01 00:00:01', '2024-02-28 23:59:59') AS d",
    ),
    _c("date-diff-alias", "SELECT date_diff('2024-03-01', '2024-01-01') AS d"),
    _c(
        "datediff-unit-hour",
        "SELECT datediff(HOUR, timestamp'2024-01-01 10:30:00', "
        "timestamp'2024-01-01 12:29:59') AS d",
    ),
    _c(
        "timestampdiff-month",
        "SELECT timestampdiff(MONTH, date'2024-01-31', date'2024-02-29') AS d",
    ),
    _c(
        "timestampdiff-day",
        "SELECT timestampdiff(DAY, timestamp'2024-01-01 10:00', timestamp'2024-01-03 09:59') AS d",
    ),
    _c("date-add", f"SELECT n, date_add(ts, 3) AS d FROM {_T}"),
    _c("date-add-text", "SELECT date_add('2024-02-28', 1) AS d"),
    _c("date-sub", f"SELECT n, date_sub(ts, 2) AS d FROM {_T}"),
    _c("add-months", f"SELECT n, add_months(ts, 1) AS d FROM {_T}"),
    _c(
        "add-months-end-of-month",
        "SELECT add_months('2024-01-31', 1) AS a, add_months('2024-02-29', 12) AS b",
    ),
    _c("last-day", f"SELECT n, last_day(ts) AS d FROM {_T}"),
    _c("next-day", f"SELECT n, next_day(ts, 'TU') AS d FROM {_T}"),
    _c(
        "next-day-names",
        "SELECT next_day('2024-01-07', 'monday') AS a, next_day('2024-01-07', 'Sun') AS b, "
        "next_day('2024-01-07', 'xx') AS c",
    ),
    # truncation
    _c("trunc-month", f"SELECT n, trunc(ts, 'MM') AS d FROM {_T}"),
    _c(
        "trunc-year-quarter-week",
        "SELECT trunc('2024-05-17', 'YEAR') AS a, trunc('2024-05-17', 'quarter') AS b, "
        "trunc('2024-05-17', 'week') AS c, trunc('2024-05-17', 'dd') AS d",
    ),
    _c("date-trunc-hour", f"SELECT n, date_trunc('HOUR', ts) AS t FROM {_T}"),
    _c(
        "date-trunc-units",
        "SELECT date_trunc('yyyy', timestamp'2024-05-17 10:11:12.345') AS a, "
        "date_trunc('MON', timestamp'2024-05-17 10:11:12.345') AS b, "
        "date_trunc('week', timestamp'2024-05-17 10:11:12.345') AS c, "
        "date_trunc('second', timestamp'2024-05-17 10:11:12.345') AS d",
    ),
    # fields
    _c("dayofweek", f"SELECT n, dayofweek(ts) AS d FROM {_T}"),
    _c("weekday", f"SELECT n, weekday(ts) AS d FROM {_T}"),
    _c("weekofyear", f"SELECT n, weekofyear(ts) AS w FROM {_T}"),
    _c("dayofyear", f"SELECT n, dayofyear(ts) AS d FROM {_T}"),
    _c("quarter", f"SELECT n, quarter(ts) AS q FROM {_T}"),
    _c(
        "year-month-day",
        f"SELECT n, year(ts) AS y, month(ts) AS m, day(ts) AS d, dayofmonth(ts) AS e FROM {_T}",
    ),
    _c(
        "hour-minute-second", f"SELECT n, hour(ts) AS h, minute(ts) AS m, second(ts) AS s FROM {_T}"
    ),
    _c("fields-of-text", "SELECT year('2024-05-17') AS y, hour('2024-05-17 10:11:12') AS h"),
    _c(
        "extract-fields",
        f"SELECT n, extract(YEAR FROM ts) AS y, extract(MONTH FROM ts) AS m, "
        "extract(DAY FROM ts) AS d, "
        f"extract(HOUR FROM ts) AS h, extract(MINUTE FROM ts) AS mi FROM {_T}",
    ),
    _c("extract-second-fraction", f"SELECT n, extract(SECOND FROM ts) AS s FROM {_T}"),
    _c(
        "extract-week-fields",
        "SELECT extract(DOW FROM date'2024-01-07') AS a, "
        "extract(DOW_ISO FROM date'2024-01-07') AS b, "
        "extract(DOY FROM date'2024-02-01') AS c, extract(WEEK FROM date'2024-01-01') AS d, "
        "extract(QUARTER FROM date'2024-05-01') AS e",
    ),
    _c(
        "date-part", f"SELECT n, date_part('year', ts) AS y, date_part('MINUTE', ts) AS m FROM {_T}"
    ),
    # construction
    _c("make-date", "SELECT make_date(2024, 2, 29) AS a, make_date(2023, 2, 29) AS b"),
    _c("make-timestamp", "SELECT make_timestamp(2024, 5, 17, 10, 11, 12.345678) AS t"),
    _c("make-timestamp-invalid", "SELECT make_timestamp(2024, 13, 17, 10, 11, 12) AS t"),
    _c(
        "timestamp-seconds",
        "SELECT timestamp_seconds(1248920130) AS a, timestamp_seconds(1.5) AS b",
    ),
    _c(
        "timestamp-millis-micros",
        "SELECT timestamp_millis(1248920130123) AS a, timestamp_micros(1248920130123456) AS b",
    ),
    _c(
        "unix-seconds-millis-micros",
        f"SELECT n, unix_seconds(ts) AS s, unix_millis(ts) AS ms, unix_micros(ts) AS us FROM {_T}",
    ),
    _c("date-from-unix-date", "SELECT date_from_unix_date(19000) AS d"),
    _c("unix-date", f"SELECT n, unix_date(to_date(ts)) AS d FROM {_T}"),
    # zones
    _c("from-utc-timestamp", f"SELECT n, from_utc_timestamp(ts, 'Asia/Tokyo') AS t FROM {_T}"),
    _c("to-utc-timestamp", f"SELECT n, to_utc_timestamp(ts, 'Asia/Tokyo') AS t FROM {_T}"),
    _c("from-utc-timestamp-text", "SELECT from_utc_timestamp('2024-01-01 00:00:00', 'UTC') AS t"),
    # now
    _c("current-date-is-today", "SELECT current_date() = to_date(now()) AS same"),
    _c(
        "current-timestamp-type",
        "SELECT current_timestamp() <= now() AS a, date_format(now(), 'yyyy') >= '2024' AS b",
    ),
    _c("unix-timestamp-now", "SELECT unix_timestamp() > 1700000000 AS later"),
    # to_timestamp_ntz
    _c("to-timestamp-ntz", "SELECT to_timestamp_ntz('2024-01-02 10:15:30.5') AS t"),
    _c(
        "to-timestamp-ntz-ignores-zone", "SELECT to_timestamp_ntz('2024-01-02 10:15:30+05:00') AS t"
    ),
    # grouping by time, as log jobs do
    _c("group-by-day", f"SELECT to_date(ts) AS d, count(*) AS c FROM {_T} GROUP BY to_date(ts)"),
    _c(
        "filter-on-date-range", f"SELECT n FROM {_T} WHERE ts >= '2024-01-01' AND ts < '2024-03-01'"
    ),
    _c("order-by-ts", f"SELECT n FROM {_T} WHERE ts IS NOT NULL ORDER BY ts", ordered=True),
]

CASES += [
    _c(
        "timestampdiff-month-signs",
        "SELECT timestampdiff(MONTH, timestamp'2024-03-15 10:00', "
        "timestamp'2024-01-15 11:00') AS a, "
        "timestampdiff(QUARTER, date'2024-01-15', date'2024-12-14') AS b, "
        "timestampdiff(YEAR, date'2020-02-29', date'2024-02-28') AS c",
    ),
    _c(
        "timestampdiff-minute-second",
        "SELECT timestampdiff(MINUTE, timestamp'2024-01-01 10:00:59', "
        "timestamp'2024-01-01 10:02:00') AS a, "
        "timestampdiff(SECOND, timestamp'2024-01-01 10:00:00.9', "
        "timestamp'2024-01-01 10:00:02') AS b",
    ),
]

CASES += [
    _c("implicit-concat-timestamp", f"SELECT n, concat(ts, '|') AS s FROM {_T}"),
    _c("implicit-length-timestamp", f"SELECT n, length(ts) AS l FROM {_T}"),
    _c("implicit-substr-timestamp", f"SELECT n, substr(ts, 1, 13) AS s FROM {_T}"),
    _c("implicit-like-timestamp", f"SELECT n FROM {_T} WHERE ts LIKE '2024-02%'"),
    _c("implicit-pipes-timestamp", f"SELECT n, ts || '!' AS s FROM {_T}"),
    _c("implicit-concat-ws-timestamp", f"SELECT n, concat_ws(' ', 'at', ts) AS s FROM {_T}"),
    _c("implicit-upper-date-trunc", f"SELECT n, upper(date_trunc('DAY', ts)) AS s FROM {_T}"),
    _c(
        "implicit-regexp-extract-timestamp",
        f"SELECT n, regexp_extract(ts, '([0-9]+):', 1) AS h FROM {_T}",
    ),
    _c(
        "implicit-concat-to-timestamp",
        "SELECT concat(to_timestamp('2024-01-02 03:04:05.600'), '') AS s",
    ),
    _c("implicit-concat-date", f"SELECT n, concat(to_date(ts), '') AS s FROM {_T}"),
]

CASES += [
    _c("current-timezone", "SELECT current_timezone() AS z"),
    _c("text-24-oclock", "SELECT cast('2024-01-02 24:00:00' AS timestamp) AS t"),
    _c(
        "to-date-fast-and-slow-shapes",
        "SELECT to_date('2024-01-02 10:00:00') AS a, to_date('2024-01-02T10') AS b, "
        "to_date('2024-13-02') AS c, to_date('2024-01-02x') AS d",
    ),
    # make_timestamp's 7th argument is the zone the wall-clock time is read in; sec = 60
    # (after rounding to microseconds) is the next minute, other seconds >= 60 and hour 24 NULL
    _c(
        "make-timestamp-zone",
        "SELECT make_timestamp(2014, 12, 28, 6, 30, 45.887, 'CET') AS a,"
        " make_timestamp(2019, 6, 30, 23, 59, 1, 'America/New_York') AS b,"
        " make_timestamp(2019, 1, 30, 23, 59, 1, 'UTC') AS c,"
        " make_timestamp(2019, 1, 30, 23, 59, 1, null) AS d",
    ),
    _c(
        "make-timestamp-sec-60",
        "SELECT make_timestamp(2019, 6, 30, 23, 59, 60) AS a,"
        " make_timestamp(2019, 12, 31, 23, 59, 60, 'UTC') AS b,"
        " make_timestamp(2019, 6, 30, 23, 59, 59.9999999) AS c,"
        " make_timestamp(2019, 6, 30, 23, 59, 59.9999994) AS d,"
        " make_timestamp(2019, 6, 30, 23, 59, 60.5) AS e,"
        " make_timestamp(2019, 6, 30, 23, 59, 61) AS f",
    ),
    _c(
        "make-timestamp-hour-24",
        "SELECT make_timestamp(2019, 6, 30, 24, 0, 0) AS a,"
        " make_timestamp(2019, 6, 30, -1, 0, 0) AS b,"
        " make_timestamp(2019, 6, 30, 1, 60, 0) AS c",
    ),
    _c(
        "make-timestamp-ltz",
        "SELECT make_timestamp_ltz(2014, 12, 28, 6, 30, 45.887) AS a,"
        " make_timestamp_ltz(2014, 12, 28, 6, 30, 45.887, 'CET') AS b,"
        " make_timestamp_ltz(2019, 6, 30, 23, 59, 60) AS c",
    ),
]

"""Intervals (the interval part of fault kind 11): literals, their text, their arithmetic with
dates and timestamps, and differences of dates and of timestamps."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "intervals_events": Table(
        columns=(("ts", "date"), ("n", "long")),
        rows=(
            ("2024-01-31T10:15:30.5+08:00", 1),
            ("2024-02-29T00:00:00+08:00", 2),
            ("2023-12-31T23:59:59+08:00", 3),
            (None, 4),
        ),
    ),
}

_T = "intervals_events"


def _c(slug: str, sql: str) -> Case:
    return Case(id=f"intervals/{slug}", sql=sql)


_LITERALS = [
    ("days", "interval 3 days"),
    ("one-day", "interval 1 day"),
    ("negative-days", "interval -3 days"),
    ("hours", "interval 1 hour"),
    ("many-hours", "interval 25 hours"),
    ("minutes", "interval 90 minutes"),
    ("seconds-fraction", "interval 1.5 seconds"),
    ("years", "interval 1 year"),
    ("months", "interval 14 months"),
    ("weeks", "interval 2 weeks"),
    ("year-to-month", "INTERVAL '1-2' YEAR TO MONTH"),
    ("negative-year-to-month", "INTERVAL '-1-2' YEAR TO MONTH"),
    ("day-to-hour-units", "interval 3 days 4 hours"),
    ("hour-to-minute", "interval '10:20' hour to minute"),
    ("day-to-second", "INTERVAL '2 03:04:05.25' DAY TO SECOND"),
    ("minute-to-second", "INTERVAL '05:06.7' MINUTE TO SECOND"),
    ("quoted-day", "interval '1' day"),
]

CASES: list[Case] = [
    *(_c(f"text-{slug}", f"SELECT cast({sql} AS string) AS s") for slug, sql in _LITERALS),
    _c("timestamp-plus-days", f"SELECT n, ts + interval 3 days AS t FROM {_T}"),
    _c("timestamp-minus-hours", f"SELECT n, ts - interval 36 hours AS t FROM {_T}"),
    _c("timestamp-plus-month", f"SELECT n, ts + interval 1 month AS t FROM {_T}"),
    _c(
        "timestamp-plus-year-to-month",
        f"SELECT n, ts + INTERVAL '1-1' YEAR TO MONTH AS t FROM {_T}",
    ),
    _c("timestamp-plus-day-to-hour", f"SELECT n, ts + interval 1 day 2 hours AS t FROM {_T}"),
    _c("interval-plus-timestamp", f"SELECT n, interval 90 minutes + ts AS t FROM {_T}"),
    _c("timestamp-plus-seconds", f"SELECT n, ts + interval 0.25 seconds AS t FROM {_T}"),
    _c("date-plus-day", "SELECT date'2024-01-31' + interval 1 day AS d"),
    _c("date-plus-month", "SELECT date'2024-01-31' + interval 1 month AS d"),
    _c("date-minus-year", "SELECT date'2024-02-29' - interval 1 year AS d"),
    _c("date-plus-hour", "SELECT date'2024-01-31' + interval 1 hour AS t"),
    _c("to-date-plus-week", f"SELECT n, to_date(ts) + interval 1 week AS d FROM {_T}"),
    _c("date-minus-date", "SELECT cast(date'2024-01-05' - date'2024-01-01' AS string) AS s"),
    _c("date-minus-later-date", "SELECT cast(date'2024-01-01' - date'2024-01-05' AS string) AS s"),
    _c(
        "date-minus-date-column",
        f"SELECT n, cast(to_date(ts) - date'2024-01-01' AS string) AS s FROM {_T}",
    ),
    _c(
        "timestamp-minus-timestamp",
        "SELECT cast(timestamp'2024-01-05 10:00:00' - timestamp'2024-01-01 08:30:00.5' AS string) "
        "AS s",
    ),
    _c("timestamp-minus-same", "SELECT cast(ts - ts AS string) AS s FROM " + _T),
    _c(
        "timestamp-minus-timestamp-negative",
        "SELECT cast(timestamp'2024-01-01 00:00:00' - timestamp'2024-01-05 10:00:00.25' AS string) "
        "AS s",
    ),
    _c(
        "timestamp-minus-date",
        "SELECT cast(timestamp'2024-01-05 00:00:00' - date'2024-01-01' AS string) AS s",
    ),
    _c(
        "timestamp-column-minus-literal",
        f"SELECT n, cast(ts - timestamp'2024-01-01 00:00:00' AS string) AS s FROM {_T}",
    ),
    _c(
        "filter-last-day",
        f"SELECT n FROM {_T} WHERE ts > timestamp'2024-03-01 00:00:00' - interval 1 day",
    ),
]

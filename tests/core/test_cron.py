"""Scheduler expressions (spec §3.6, design D-5): robfig/cron v1 crontabs and loop intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from tidemill.core.cron import (
    EverySchedule,
    SpecSchedule,
    next_fire_times,
    parse_crontab,
    parse_loop,
)
from tidemill.errors import Failure, InvalidInputError

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # 30-minute DST shifts
NEW_YEAR = datetime(2025, 1, 1, tzinfo=SHANGHAI)  # a Wednesday


def at(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
    *,
    zone: ZoneInfo = SHANGHAI,
    fold: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, zone, fold=fold)


def iso(times: list[datetime]) -> list[str]:
    return [t.isoformat() for t in times]


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        pytest.param(
            "0 0 0/1 * *",
            NEW_YEAR,
            ["2025-01-01T01:00:00+08:00", "2025-01-01T02:00:00+08:00", "2025-01-01T03:00:00+08:00"],
            id="spec-example-hourly-at-00-00",
        ),
        pytest.param(
            "0 0 0/1 * *",
            at(2025, 1, 1, 23, 30, 15, 500000),
            ["2025-01-02T00:00:00+08:00", "2025-01-02T01:00:00+08:00"],
            id="hourly-from-mid-hour",
        ),
        pytest.param(
            "0 30 9 * * MON-FRI",
            at(2025, 1, 2, 12),
            [
                "2025-01-03T09:30:00+08:00",
                "2025-01-06T09:30:00+08:00",
                "2025-01-07T09:30:00+08:00",
                "2025-01-08T09:30:00+08:00",
                "2025-01-09T09:30:00+08:00",
                "2025-01-10T09:30:00+08:00",
                "2025-01-13T09:30:00+08:00",
            ],
            id="weekdays-at-09-30",
        ),
        pytest.param(
            "0 30 9 * * MON-FRI",
            at(2025, 1, 3, 9, 30),
            ["2025-01-06T09:30:00+08:00"],
            id="strictly-after-a-fire-time",
        ),
        pytest.param(
            "*/15 * * * * *",
            at(2025, 1, 1, 0, 0, 40),
            ["2025-01-01T00:00:45+08:00", "2025-01-01T00:01:00+08:00", "2025-01-01T00:01:15+08:00"],
            id="every-15-seconds",
        ),
        pytest.param(
            "0 5/20 * * *",
            NEW_YEAR,
            ["2025-01-01T00:05:00+08:00", "2025-01-01T00:25:00+08:00", "2025-01-01T00:45:00+08:00"],
            id="a-slash-n-is-a-to-max",
        ),
        pytest.param(
            "0 */20 9-10 * * *",
            at(2025, 1, 1, 10, 30),
            ["2025-01-01T10:40:00+08:00", "2025-01-02T09:00:00+08:00"],
            id="hour-range",
        ),
        pytest.param(
            "0 0 12 1,15 * *",
            NEW_YEAR,
            ["2025-01-01T12:00:00+08:00", "2025-01-15T12:00:00+08:00", "2025-02-01T12:00:00+08:00"],
            id="day-list",
        ),
        pytest.param(
            "0 0 0 1 jan-mar/2 *",
            NEW_YEAR,
            ["2025-03-01T00:00:00+08:00", "2026-01-01T00:00:00+08:00", "2026-03-01T00:00:00+08:00"],
            id="month-names-and-step",
        ),
        pytest.param(
            "0 0 0 31 * *",
            NEW_YEAR,
            ["2025-01-31T00:00:00+08:00", "2025-03-31T00:00:00+08:00", "2025-05-31T00:00:00+08:00"],
            id="short-months-skipped",
        ),
        pytest.param(
            "0 0 0 29 2 *",
            NEW_YEAR,
            ["2028-02-29T00:00:00+08:00", "2032-02-29T00:00:00+08:00"],
            id="leap-day",
        ),
        pytest.param(
            "59 59 23 31 12 *",
            NEW_YEAR,
            ["2025-12-31T23:59:59+08:00", "2026-12-31T23:59:59+08:00"],
            id="last-second-of-year",
        ),
        pytest.param(
            "0 0 0 ? * 0,6",
            NEW_YEAR,
            ["2025-01-04T00:00:00+08:00", "2025-01-05T00:00:00+08:00", "2025-01-11T00:00:00+08:00"],
            id="weekend",
        ),
        pytest.param(
            "0 0 0 1 * MON",
            at(2025, 1, 25),
            ["2025-01-27T00:00:00+08:00", "2025-02-01T00:00:00+08:00", "2025-02-03T00:00:00+08:00"],
            id="both-day-fields-restricted-are-ored",
        ),
        pytest.param(
            "0 0 0 */10 * MON",
            NEW_YEAR,
            ["2025-03-31T00:00:00+08:00", "2025-04-21T00:00:00+08:00", "2025-07-21T00:00:00+08:00"],
            id="star-step-day-of-month-is-anded",
        ),
        pytest.param(
            "0 0 0 1-3 * */1",
            NEW_YEAR,
            ["2025-01-02T00:00:00+08:00", "2025-01-03T00:00:00+08:00", "2025-02-01T00:00:00+08:00"],
            id="star-step-day-of-week-is-anded",
        ),
        pytest.param(
            "0 0 0 1-3 * 0-6",
            NEW_YEAR,
            ["2025-01-02T00:00:00+08:00", "2025-01-03T00:00:00+08:00", "2025-01-04T00:00:00+08:00"],
            id="full-range-day-of-week-is-ored",
        ),
        pytest.param(
            "0 0 0 29 2 mon",
            NEW_YEAR,
            ["2025-02-03T00:00:00+08:00", "2025-02-10T00:00:00+08:00"],
            id="or-with-rare-day",
        ),
    ],
)
def test_next_fire_times(expr: str, after: datetime, expected: list[str]) -> None:
    assert iso(next_fire_times(expr, after, len(expected))) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        pytest.param("@yearly", ["2026-01-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00"]),
        pytest.param("@annually", ["2026-01-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00"]),
        pytest.param("@monthly", ["2025-02-01T00:00:00+08:00", "2025-03-01T00:00:00+08:00"]),
        pytest.param("@weekly", ["2025-01-05T00:00:00+08:00", "2025-01-12T00:00:00+08:00"]),
        pytest.param("@daily", ["2025-01-02T00:00:00+08:00", "2025-01-03T00:00:00+08:00"]),
        pytest.param("@midnight", ["2025-01-02T00:00:00+08:00", "2025-01-03T00:00:00+08:00"]),
        pytest.param("@hourly", ["2025-01-01T01:00:00+08:00", "2025-01-01T02:00:00+08:00"]),
        pytest.param(" @Hourly ", ["2025-01-01T01:00:00+08:00", "2025-01-01T02:00:00+08:00"]),
        pytest.param("@every 1h30m", ["2025-01-01T01:30:00+08:00", "2025-01-01T03:00:00+08:00"]),
        pytest.param("@every 10s", ["2025-01-01T00:00:10+08:00", "2025-01-01T00:00:20+08:00"]),
        pytest.param("@every 1.5h", ["2025-01-01T01:30:00+08:00", "2025-01-01T03:00:00+08:00"]),
        pytest.param("@every  +90s ", ["2025-01-01T00:01:30+08:00", "2025-01-01T00:03:00+08:00"]),
        pytest.param("@every 1m0.5m", ["2025-01-01T00:01:30+08:00", "2025-01-01T00:03:00+08:00"]),
        pytest.param("@every 1000ms", ["2025-01-01T00:00:01+08:00", "2025-01-01T00:00:02+08:00"]),
        pytest.param("@EVERY 24h", ["2025-01-02T00:00:00+08:00", "2025-01-03T00:00:00+08:00"]),
    ],
)
def test_descriptors(expr: str, expected: list[str]) -> None:
    assert iso(next_fire_times(expr, NEW_YEAR, 2)) == expected


def test_every_counts_from_the_moment_truncated_to_the_second() -> None:
    after = at(2025, 1, 1, 8, 0, 0, 700000)
    assert iso(next_fire_times("@every 1h30m", after, 1)) == ["2025-01-01T09:30:00+08:00"]


def test_every_parses_to_an_interval() -> None:
    schedule = parse_crontab("@every 1h30m")

    assert schedule == EverySchedule("@every 1h30m", timedelta(hours=1, minutes=30))


@pytest.mark.parametrize(
    ("expr", "same_as"),
    [
        pytest.param("0 0 0/1 * *", "0 0 0/1 * * *", id="missing-dow-is-star"),
        pytest.param("0 0 0/1 * * ?", "0 0 0/1 * * *", id="question-mark-is-star"),
        pytest.param("0 30 9 * * MON-FRI", "0 30 9 * * 1-5", id="weekday-names"),
        pytest.param("0 30 9 * * mon-Fri", "0 30 9 * * 1-5", id="names-any-case"),
        pytest.param("0 0 0 1 JAN,Jul *", "0 0 0 1 1,7 *", id="month-names"),
        pytest.param("0 0 */6 * *", "0 0 0,6,12,18 * *", id="star-step"),
        pytest.param("0 0 6/6 * *", "0 0 6,12,18 * *", id="value-step"),
        pytest.param("0 0 1-10/3 * *", "0 0 1,4,7,10 * *", id="range-step"),
        pytest.param("0 0 0-23/100 * *", "0 0 0 * *", id="step-beyond-range"),
        pytest.param("  0 0\t0/1  * *  ", "0 0 0/1 * *", id="any-whitespace"),
        pytest.param("@daily", "0 0 0 * * *", id="daily"),
        pytest.param("@weekly", "0 0 0 * * SUN", id="weekly"),
        pytest.param("? ? ? ? ? ?", "* * * * * *", id="question-marks-everywhere"),
    ],
)
def test_equivalent_expressions(expr: str, same_as: str) -> None:
    for start in (NEW_YEAR, at(2025, 2, 28, 23, 59, 59), at(2025, 7, 4, 12, 34, 56)):
        assert next_fire_times(expr, start, 12) == next_fire_times(same_as, start, 12)


def test_spec_schedule_fields() -> None:
    schedule = parse_crontab("0 30 9 * * MON-FRI")

    assert isinstance(schedule, SpecSchedule)
    assert schedule.expression == "0 30 9 * * MON-FRI"
    assert (schedule.seconds, schedule.minutes, schedule.hours) == ((0,), (30,), (9,))
    assert schedule.days == frozenset(range(1, 32))
    assert schedule.months == frozenset(range(1, 13))
    assert schedule.weekdays == frozenset({1, 2, 3, 4, 5})
    assert schedule.day_or is False


def test_descriptor_keeps_its_own_expression() -> None:
    assert parse_crontab("@daily").expression == "@daily"


# Zones and daylight saving time: every wall-clock match fires exactly once.
@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        pytest.param(
            "0 0 9 * * *",
            datetime(2025, 1, 1, tzinfo=UTC),
            ["2025-01-01T09:00:00+00:00"],
            id="wall-clock-of-the-moments-zone",
        ),
        pytest.param(
            "0 30 2 * * *",
            at(2025, 3, 8, 12, zone=NEW_YORK),
            ["2025-03-09T03:00:00-04:00", "2025-03-10T02:30:00-04:00"],
            id="skipped-time-fires-at-the-jump",
        ),
        pytest.param(
            "0 0 * * * *",
            at(2025, 3, 9, 0, 30, zone=NEW_YORK),
            ["2025-03-09T01:00:00-05:00", "2025-03-09T03:00:00-04:00", "2025-03-09T04:00:00-04:00"],
            id="hourly-over-spring-forward",
        ),
        pytest.param(
            "0 30 1 * * *",
            at(2025, 11, 1, 12, zone=NEW_YORK),
            ["2025-11-02T01:30:00-04:00", "2025-11-03T01:30:00-05:00"],
            id="repeated-time-fires-once",
        ),
        pytest.param(
            "0 0 * * * *",
            at(2025, 11, 2, 0, 30, zone=NEW_YORK),
            ["2025-11-02T01:00:00-04:00", "2025-11-02T02:00:00-05:00", "2025-11-02T03:00:00-05:00"],
            id="hourly-over-fall-back",
        ),
        pytest.param(
            "0 */20 * * * *",
            at(2025, 11, 2, 1, 30, zone=NEW_YORK),
            ["2025-11-02T01:40:00-04:00", "2025-11-02T02:00:00-05:00"],
            id="first-pass-of-repeated-hour",
        ),
        pytest.param(
            "0 */20 * * * *",
            at(2025, 11, 2, 1, 30, zone=NEW_YORK, fold=1),
            ["2025-11-02T02:00:00-05:00", "2025-11-02T02:20:00-05:00"],
            id="second-pass-of-repeated-hour",
        ),
        pytest.param(
            "0 15 2 * * *",
            at(2025, 10, 4, 12, zone=LORD_HOWE),
            ["2025-10-05T02:30:00+11:00", "2025-10-06T02:15:00+11:00"],
            id="half-hour-jump",
        ),
        pytest.param(
            "@every 1h",
            at(2025, 11, 2, 0, 30, zone=NEW_YORK),
            ["2025-11-02T01:30:00-04:00", "2025-11-02T01:30:00-05:00", "2025-11-02T02:30:00-05:00"],
            id="every-is-elapsed-time",
        ),
    ],
)
def test_time_zones_and_dst(expr: str, after: datetime, expected: list[str]) -> None:
    times = next_fire_times(expr, after, len(expected))

    assert iso(times) == expected
    assert all(t.tzinfo is after.tzinfo for t in times)


@pytest.mark.parametrize("expr", ["0 0 * * *", "@every 1m"])
def test_naive_moment_is_refused(expr: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_crontab(expr).next_after(datetime(2025, 1, 1))


def test_zero_fire_times() -> None:
    assert next_fire_times("@daily", NEW_YEAR, 0) == []


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="count"):
        next_fire_times("@daily", NEW_YEAR, -1)


# Where robfig and croniter agree, croniter (seconds first, day-of-week appended) is an oracle.
@pytest.mark.parametrize(
    "expr",
    [
        "0 0 0/1 * *",
        "0 30 9 * * MON-FRI",
        "*/7 */13 * * * *",
        "5/20 10-40/15 0-23/5 * * *",
        "0 0 12 1,15 * *",
        "0 0 0 31 * *",
        "0 0 6 1 jan-mar/2 *",
        "0 0 0 ? * 0,6",
        "0 0 0 1 * MON",
        "0 15 3 29 2 *",
        "1 2 3 4 5 ?",
    ],
)
def test_agrees_with_croniter(expr: str) -> None:
    fields = expr.split()
    as_croniter = " ".join(fields if len(fields) == 6 else [*fields, "*"])
    for start in (NEW_YEAR, at(2024, 2, 28, 23, 59, 30), at(2025, 6, 30, 6, 0, 0)):
        oracle = croniter(as_croniter, start, second_at_beginning=True)
        expected = [oracle.get_next(datetime) for _ in range(25)]
        assert next_fire_times(expr, start, 25) == expected


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        pytest.param("", "it is empty", id="empty"),
        pytest.param("  \t", "it is empty", id="blank"),
        pytest.param("* * * *", "expected 5 or 6 fields", id="four-fields"),
        pytest.param("0 0 12 * * ? 2025", "found 7", id="quartz-year-field"),
        pytest.param("60 * * * *", "second 60 is out of range 0-59", id="second-60"),
        pytest.param("0 60 * * *", "minute 60 is out of range 0-59", id="minute-60"),
        pytest.param("0 0 24 * *", "hour 24 is out of range 0-23", id="hour-24"),
        pytest.param("0 0 0 0 * *", "day of month 0 is out of range 1-31", id="dom-0"),
        pytest.param("0 0 0 32 * *", "day of month 32 is out of range 1-31", id="dom-32"),
        pytest.param("0 0 0 * 0 *", "month 0 is out of range 1-12", id="month-0"),
        pytest.param("0 0 0 * 13 *", "month 13 is out of range 1-12", id="month-13"),
        pytest.param("0 0 0 * * 7", "day of week 7 is out of range 0-6 (0 = Sunday)", id="dow-7"),
        pytest.param("0 0 0 * * 1-7", "day of week 7 is out of range", id="dow-range-to-7"),
        pytest.param("0 0 0 L * *", "day of month 'L' is not a number", id="quartz-L"),
        pytest.param("0 0 0 15W * *", "day of month '15W' is not a number", id="quartz-W"),
        pytest.param("0 0 0 * * 1#2", "day of week '1#2' is not a value", id="quartz-hash"),
        pytest.param("0 0 0 * * 5L", "'5L' is not a number or one of sun/mon/", id="dow-5L"),
        pytest.param("0 0 0 * * monday", "'monday' is not a number or one of", id="long-day"),
        pytest.param("0 0 0 * JANUARY *", "month 'JANUARY' is not a number or", id="long-month"),
        pytest.param("0 0 mon * * *", "hour 'mon' is not a number", id="name-in-hour"),
        pytest.param("0 0 0 * jan-sun *", "month 'sun' is not a number", id="wrong-names"),
        pytest.param("0 0 0 * * MON-", "'MON-' is not a value, a range", id="open-range"),
        pytest.param("-1 * * * *", "second '-1' is not a value", id="negative"),
        pytest.param("1-2-3 * * * *", "second '1-2-3' is not a value", id="two-hyphens"),
        pytest.param("1/2/3 * * * *", "second '1/2/3' is not a value", id="two-slashes"),
        pytest.param("1,,2 * * * *", "second '' is not a value", id="empty-list-item"),
        pytest.param("\uff11 * * * *", "second '\uff11' is not a value", id="non-ascii-digit"),
        pytest.param("0 0 0 * * 5-2", "the range must run upwards (from 5 to 2)", id="backwards"),
        pytest.param("0 0 0/0 * *", "hour '0/0': the step must be at least 1", id="step-zero"),
        pytest.param("*/0 * * * *", "second '*/0': the step must be at least 1", id="star-0"),
        pytest.param("*-5 * * * *", "a range cannot start with *", id="star-range"),
        pytest.param("0 0 0 ?-3 * *", "a range cannot start with ?", id="question-range"),
        pytest.param("0 0 0 30 2 *", "it never fires", id="february-30"),
        pytest.param("0 0 0 31 4,6,9,11 *", "it never fires", id="short-months-31"),
        pytest.param("0 0 0 30,31 feb ?", "it never fires", id="february-30-31"),
        pytest.param("0 0 0 30 2 */2", "it never fires", id="february-30-any-weekday"),
        pytest.param("@foo", "unknown descriptor '@foo'; use @yearly,", id="unknown-descriptor"),
        pytest.param("@every1h", "unknown descriptor '@every1h'", id="every-without-space"),
        pytest.param("@daily 0", "@daily takes nothing after it", id="descriptor-argument"),
        pytest.param("@every", "@every needs a duration", id="every-without-duration"),
        pytest.param("@every 0", "must be at least 1s", id="every-0"),
        pytest.param("@every 0s", "must be at least 1s", id="every-0s"),
        pytest.param("@every 500ms", "must be at least 1s", id="every-sub-second"),
        pytest.param("@every -1h", "must be at least 1s", id="every-negative"),
        pytest.param("@every 1.5s", "must be a whole number of seconds", id="every-fraction"),
        pytest.param("@every 1s1ns", "must be a whole number of seconds", id="every-ns"),
        pytest.param("@every 1h 30m", "'1h 30m' is not a duration", id="every-spaced"),
        pytest.param("@every 1d", "'1d' is not a duration", id="every-days"),
        pytest.param("@every 10", "'10' is not a duration", id="every-no-unit"),
        pytest.param("@every .h", "'.h' is not a duration", id="every-dot"),
        pytest.param("@every 3000000h", "is too long", id="every-beyond-go-duration"),
    ],
)
def test_invalid_crontab_is_job_sched_invalid(expr: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_crontab(expr)

    assert caught.value.failure is Failure.JOB_SCHED_INVALID
    assert caught.value.message.startswith(f"invalid crontab {expr!r}: ")
    assert reason in caught.value.message
    assert caught.value.details == {"crontab": expr}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, timedelta(0), id="absent"),
        pytest.param("", timedelta(0), id="empty"),
        pytest.param("0", timedelta(0), id="zero"),
        pytest.param("0m", timedelta(0), id="zero-minutes"),
        pytest.param("0h", timedelta(0), id="zero-hours"),
        pytest.param("1m", timedelta(minutes=1), id="one-minute"),
        pytest.param("5m", timedelta(minutes=5), id="five-minutes"),
        pytest.param("10m", timedelta(minutes=10), id="sdk-default"),
        pytest.param("05m", timedelta(minutes=5), id="leading-zero"),
        pytest.param("1h", timedelta(hours=1), id="one-hour"),
        pytest.param("36h", timedelta(hours=36), id="more-than-a-day"),
    ],
)
def test_parse_loop(value: str | None, expected: timedelta) -> None:
    assert parse_loop(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("5", "use minutes or hours such as 5m or 1h", id="no-unit"),
        pytest.param("5s", "use minutes or hours", id="seconds"),
        pytest.param("1d", "use minutes or hours", id="days"),
        pytest.param("5M", "use minutes or hours", id="upper-case"),
        pytest.param(" 5m", "use minutes or hours", id="leading-space"),
        pytest.param("5m\n", "use minutes or hours", id="trailing-newline"),
        pytest.param("1h30m", "use minutes or hours", id="compound"),
        pytest.param("-5m", "use minutes or hours", id="negative"),
        pytest.param("1.5h", "use minutes or hours", id="fraction"),
        pytest.param("m", "use minutes or hours", id="unit-only"),
        pytest.param("\uff15m", "use minutes or hours", id="non-ascii-digit"),
        pytest.param("00m", "must be at least 1m or 1h", id="zero-not-exact"),
        pytest.param("00", "use minutes or hours", id="double-zero"),
        pytest.param("99999999999h", "the interval is too long", id="overflow"),
    ],
)
def test_invalid_loop_is_job_sched_invalid(value: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_loop(value)

    assert caught.value.failure is Failure.JOB_SCHED_INVALID
    assert caught.value.message.startswith(f"invalid loop {value!r}: ")
    assert reason in caught.value.message

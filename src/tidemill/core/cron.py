"""Scheduler expressions: crontab with robfig/cron v1 semantics, and loop intervals (spec §3.6).

A crontab has 5 or 6 whitespace-separated fields, seconds first: `sec min hour dom month [dow]`
(a missing dow means `*`), so the spec's `0 0 0/1 * *` fires hourly at :00:00 (design D-5).
A field is a comma list of `*`, `?`, `a`, `a-b`, `*/n`, `a/n` (= `a-max/n`) or `a-b/n`; months
take `jan`..`dec` and weekdays `sun`..`sat` (0-6, Sunday is 0), in any case. As in robfig, day
of month and day of week are OR-ed when both are restricted, and AND-ed when either starts with
`*` or `?` (so `*/10` in day of month still narrows a restricted day of week). The descriptors
`@yearly @annually @monthly @weekly @daily @midnight @hourly` and `@every <Go duration>` are
accepted too.

croniter is not used to evaluate: it reads `a-b` with a > b as a wrap-around, accepts weekday 7
and the Quartz `L`/`#`/`W` extensions, and OR-s `*/10` with a weekday, all unlike robfig.

Fire times are wall-clock times in the zone of the moment given, chosen so that every wall-clock
match fires exactly once: a time repeated when clocks go back fires at its first occurrence, and a
time skipped when clocks go forward fires at the instant of the jump.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType
from typing import Protocol

from tidemill.errors import Failure, InvalidInputError

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

DESCRIPTORS: Mapping[str, str] = MappingProxyType(
    {
        "@yearly": "0 0 0 1 1 *",
        "@annually": "0 0 0 1 1 *",
        "@monthly": "0 0 0 1 * *",
        "@weekly": "0 0 0 * * 0",
        "@daily": "0 0 0 * * *",
        "@midnight": "0 0 0 * * *",
        "@hourly": "0 0 * * * *",
    }
)


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


_FIELDS = (
    _Field("second", 0, 59, {}),
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day of month", 1, 31, {}),
    _Field("month", 1, 12, {name: i for i, name in enumerate(MONTH_NAMES, 1)}),
    _Field("day of week", 0, 6, {name: i for i, name in enumerate(WEEKDAY_NAMES)}),
)
_FIELD_HELP = "sec min hour day-of-month month [day-of-week]"
_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # by month; February may have 29
_TERM = re.compile(r"(\*|\?|[0-9A-Za-z]+)(?:-([0-9A-Za-z]+))?(?:/([0-9]{1,9}))?")
_GO_DURATION = re.compile(r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+")
_GO_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)")
_NANOS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
_NANOS["h"] = 60 * _NANOS["m"]
_MAX_GO_DURATION = 2**63 - 1  # Go's time.Duration is int64 nanoseconds
_MAX_DURATION_TEXT = 64  # characters; any duration Go can hold is far shorter
_LOOP = re.compile(r"([0-9]+)([mh])")
# The longest loop interval (spec §3.6 gives none): a year, 8784h or 527040m. Longer would
# fire so rarely that it is surely a typo, and next-fire arithmetic stays far from year 9999.
MAX_LOOP = timedelta(days=366)
_CONTINUOUS = frozenset({"", "0", "0m", "0h"})
_SECOND = timedelta(seconds=1)


class CronSchedule(Protocol):
    """A parsed crontab: asks when it next fires."""

    @property
    def expression(self) -> str: ...

    def next_after(self, moment: datetime) -> datetime:
        """The first fire time strictly after `moment` (timezone-aware), in `moment`'s zone."""
        ...


@dataclass(frozen=True)
class SpecSchedule:
    """A field schedule. Sets hold the allowed values; weekdays count from Sunday = 0."""

    expression: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    day_or: bool  # both day fields restricted: a day matches either (robfig)

    def next_after(self, moment: datetime) -> datetime:
        zone = _zone_of(moment)
        after = moment.astimezone(UTC)
        wall = moment.replace(tzinfo=None, microsecond=0, fold=0)
        while True:
            wall = self._next_wall(wall)
            fire = _instant(wall, zone)
            if fire.astimezone(UTC) > after:  # aware comparisons in one zone ignore `fold`
                return fire
            wall += _SECOND

    def _next_wall(self, t: datetime) -> datetime:
        """The first naive wall-clock time at or after `t` that matches every field."""
        while True:
            if t.month not in self.months:
                t = datetime(t.year + t.month // 12, t.month % 12 + 1, 1)
                continue
            if not self._day_matches(t.date()):
                t = datetime.combine(t.date() + timedelta(days=1), datetime.min.time())
                continue
            hour = _at_or_after(self.hours, t.hour)
            if hour is None:
                t = datetime.combine(t.date() + timedelta(days=1), datetime.min.time())
                continue
            if hour != t.hour:
                t = t.replace(hour=hour, minute=0, second=0)
            minute = _at_or_after(self.minutes, t.minute)
            if minute is None:
                t = t.replace(minute=0, second=0) + timedelta(hours=1)
                continue
            if minute != t.minute:
                t = t.replace(minute=minute, second=0)
            second = _at_or_after(self.seconds, t.second)
            if second is None:
                t = t.replace(second=0) + timedelta(minutes=1)
                continue
            return t.replace(second=second)

    def _day_matches(self, day: date) -> bool:
        in_days = day.day in self.days
        in_weekdays = day.isoweekday() % 7 in self.weekdays
        return (in_days or in_weekdays) if self.day_or else (in_days and in_weekdays)


@dataclass(frozen=True)
class EverySchedule:
    """`@every <duration>`: fires `interval` after the moment given, truncated to the second."""

    expression: str
    interval: timedelta

    def next_after(self, moment: datetime) -> datetime:
        zone = _zone_of(moment)
        start = moment.replace(microsecond=0).astimezone(UTC)
        return (start + self.interval).astimezone(zone)


def parse_crontab(expr: str) -> CronSchedule:
    """Parse a crontab expression. Raises JOB_SCHED_INVALID with the reason."""
    return _parse(expr)


def next_fire_times(expr: str, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times of `expr` strictly after `after`, in `after`'s zone."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    schedule = parse_crontab(expr)
    times: list[datetime] = []
    for _ in range(count):
        after = schedule.next_after(after)
        times.append(after)
    return times


def parse_loop(value: str | None) -> timedelta:
    """The interval of a loop scheduler; timedelta(0) means back-to-back (continuous).

    `Nm` or `Nh` with 1 minute <= interval <= MAX_LOOP (366 days), or 0/0m/0h/absent;
    anything else is JOB_SCHED_INVALID.
    """
    if value is None or value in _CONTINUOUS:
        return timedelta(0)
    match = _LOOP.fullmatch(value)
    if match is None:
        raise _invalid_loop(
            f"invalid loop {value!r}: use minutes or hours such as 5m or 1h, "
            "or 0 to run continuously"
        )
    digits, unit = match[1].lstrip("0") or "0", match[2]
    amount = int(digits) if len(digits) <= 7 else MAX_LOOP.days * 24 * 60 + 1
    if amount == 0:
        raise _invalid_loop(
            f"invalid loop {value!r}: the interval must be at least 1m or 1h "
            "(or exactly 0, 0m or 0h to run continuously)"
        )
    interval = timedelta(minutes=amount) if unit == "m" else timedelta(hours=amount)
    if interval > MAX_LOOP:
        raise _invalid_loop(
            f"invalid loop {value!r}: the interval is too long; at most a year (8784h or 527040m)"
        )
    return interval


@lru_cache(maxsize=4096)
def _parse(expr: str) -> CronSchedule:
    text = expr.strip()
    if not text:
        raise _invalid(expr, f"it is empty; give 5 or 6 fields ({_FIELD_HELP}) or a descriptor")
    if text.startswith("@"):
        return _parse_descriptor(expr, text)
    fields = text.split()
    if len(fields) not in (5, 6):
        raise _invalid(expr, f"expected 5 or 6 fields ({_FIELD_HELP}), found {len(fields)}")
    if len(fields) == 5:
        fields.append("*")
    parsed = [_parse_field(expr, term, field) for term, field in zip(fields, _FIELDS, strict=True)]
    (seconds, _), (minutes, _), (hours, _), (days, day_star), (months, _), (weekdays, dow_star) = (
        parsed
    )
    day_or = not (day_star or dow_star)
    if not day_or and not any(d <= _MAX_DAYS[m - 1] for m in months for d in days):
        raise _invalid(expr, "it never fires: none of its months has any of its days of month")
    return SpecSchedule(
        expression=expr,
        seconds=tuple(sorted(seconds)),
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        days=frozenset(days),
        months=frozenset(months),
        weekdays=frozenset(weekdays),
        day_or=day_or,
    )


def _parse_descriptor(expr: str, text: str) -> CronSchedule:
    name, *rest = text.split(None, 1)
    name = name.lower()
    if name == "@every":
        return EverySchedule(expr, _parse_go_duration(expr, rest[0].strip() if rest else ""))
    if name in DESCRIPTORS:
        if rest:
            raise _invalid(expr, f"{name} takes nothing after it")
        spec = _parse(DESCRIPTORS[name])
        assert isinstance(spec, SpecSchedule)
        return replace(spec, expression=expr)
    raise _invalid(
        expr, f"unknown descriptor {name!r}; use {', '.join(DESCRIPTORS)} or @every <duration>"
    )


def _parse_go_duration(expr: str, text: str) -> timedelta:
    if not text:
        raise _invalid(expr, "@every needs a duration such as 1h30m or 10s")
    if len(text) > _MAX_DURATION_TEXT:
        raise _invalid(expr, f"the duration is {len(text)} characters long; write one like 1h30m")
    if text != "0" and _GO_DURATION.fullmatch(text) is None:
        raise _invalid(expr, f"{text!r} is not a duration; write one like 1h30m, 90s or 2h")
    sign = -1 if text.startswith("-") else 1
    nanos = Fraction(0)
    for whole, fraction, unit in _GO_PART.findall(text):
        part = Fraction(int(whole or "0"))
        if fraction:
            part += Fraction(int(fraction), 10 ** len(fraction))
        nanos += part * _NANOS[unit]
    if nanos > _MAX_GO_DURATION:
        raise _invalid(expr, f"the duration {text!r} is too long")
    nanos *= sign
    if nanos < 10**9:
        raise _invalid(expr, f"the duration {text!r} must be at least 1s")
    if nanos.denominator != 1 or nanos % 10**9:
        raise _invalid(expr, f"the duration {text!r} must be a whole number of seconds")
    return timedelta(seconds=int(nanos) // 10**9)


def _parse_field(expr: str, text: str, field: _Field) -> tuple[set[int], bool]:
    """The values `text` allows in `field`, and whether it starts with `*` or `?`."""
    values: set[int] = set()
    star = False
    for term in text.split(","):
        match = _TERM.fullmatch(term)
        if match is None:
            raise _invalid(
                expr,
                f"{field.name} {term!r} is not a value, a range a-b or a step such as */5",
            )
        first, last, step_text = match.groups()
        if first in ("*", "?"):
            if last is not None:
                raise _invalid(expr, f"{field.name} {term!r}: a range cannot start with {first}")
            low, high, star = field.low, field.high, True
        else:
            low = _value(expr, first, field)
            high = _value(expr, last, field) if last is not None else low
            if last is None and step_text is not None:
                high = field.high  # robfig: "a/n" means "a-max/n"
        step = int(step_text) if step_text is not None else 1
        if step == 0:
            raise _invalid(expr, f"{field.name} {term!r}: the step must be at least 1")
        if low > high:
            raise _invalid(
                expr, f"{field.name} {term!r}: the range must run upwards (from {low} to {high})"
            )
        values.update(range(low, high + 1, step))
    return values, star


def _value(expr: str, text: str, field: _Field) -> int:
    if text.isascii() and text.isdigit():
        value = int(text) if len(text) <= 9 else field.high + 1  # long digit runs: out of range
    elif text.lower() in field.names:
        return field.names[text.lower()]
    else:
        kind = f"a number or one of {'/'.join(field.names)}" if field.names else "a number"
        raise _invalid(expr, f"{field.name} {text!r} is not {kind}")
    if not field.low <= value <= field.high:
        note = " (0 = Sunday)" if field is _FIELDS[5] else ""
        raise _invalid(expr, f"{field.name} {value} is out of range {field.low}-{field.high}{note}")
    return value


def fire_times_between(
    rule: CronSchedule, start: datetime, end: datetime, limit: int
) -> list[datetime] | None:
    """Every fire time of `rule` in [start, end] (aware, in `start`'s zone), oldest first; None
    when there are more than `limit`. The same times as calling `next_after` again and again,
    found by walking the matching days' wall-clock times (~50x faster: a range backfill of
    100,000 slots). `@every` steps from `start`, rounded up to a whole second."""
    zone = _zone_of(start)
    end = end.astimezone(zone)
    if isinstance(rule, EverySchedule):
        first = start if not start.microsecond else start.replace(microsecond=0) + _SECOND
        count = 0 if first > end or not rule.interval else (end - first) // rule.interval + 1
        return None if count > limit else [first + i * rule.interval for i in range(count)]
    if not isinstance(rule, SpecSchedule):
        found: list[datetime] = []
        moment = rule.next_after(start - timedelta(microseconds=1))
        while moment <= end:
            if len(found) == limit:
                return None
            found.append(moment)
            moment = rule.next_after(moment)
        return found
    times: list[datetime] = []
    day, last_day = start.date() - timedelta(days=1), end.date() + timedelta(days=1)
    while day <= last_day:
        if day.month in rule.months and rule._day_matches(day):
            midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
            # No change of offset from this midnight to the next: each wall time is one instant.
            steady = midnight.utcoffset() == (midnight + timedelta(days=1)).utcoffset()
            for hour in rule.hours:
                for minute in rule.minutes:
                    for second in rule.seconds:
                        wall = datetime(day.year, day.month, day.day, hour, minute, second)
                        fire = wall.replace(tzinfo=zone) if steady else _instant(wall, zone)
                        if fire < start or fire > end or (times and fire <= times[-1]):
                            continue  # outside, or one jump that several skipped times fire at
                        if len(times) == limit:
                            return None
                        times.append(fire)
        day += timedelta(days=1)
    return times


def _at_or_after(allowed: tuple[int, ...], value: int) -> int | None:
    """The smallest allowed value >= `value`, if any (`allowed` is sorted)."""
    i = bisect_left(allowed, value)
    return allowed[i] if i < len(allowed) else None


def _zone_of(moment: datetime) -> tzinfo:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"moment must be timezone-aware, got {moment.isoformat()}")
    return moment.tzinfo


def _instant(wall: datetime, zone: tzinfo) -> datetime:
    """The instant a schedule fires for naive wall-clock time `wall` in `zone`."""
    first = wall.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists; when repeated (fold), this is its first occurrence
    # Skipped by a forward change: fire at the jump, the first instant whose wall time is later.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # before the jump
    high = first.astimezone(UTC)  # after the jump
    if low > high:
        low, high = high, low
    while high - low > _SECOND:
        middle = low + (high - low) // 2
        if middle.astimezone(zone).replace(tzinfo=None) > wall:
            high = middle
        else:
            low = middle
    # The jump is on a whole second and within the last second before `high`.
    return high.replace(microsecond=0).astimezone(zone)


def _invalid(expr: str, why: str) -> InvalidInputError:
    return InvalidInputError(
        Failure.JOB_SCHED_INVALID, f"invalid crontab {expr!r}: {why}", crontab=expr
    )


def _invalid_loop(message: str) -> InvalidInputError:
    return InvalidInputError(Failure.JOB_SCHED_INVALID, message)

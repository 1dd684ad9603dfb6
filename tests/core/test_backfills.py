"""The pure rules of range backfills (core.backfills): slots of a range, what is reprocessed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from tidemill.core.backfills import (
    BackfillRequest,
    Order,
    Reprocess,
    plan_slots,
    slots_between,
    summarise,
)
from tidemill.core.batches import BatchStatus
from tidemill.core.models import SchedulerMode
from tidemill.core.schedules import ScheduleSpec
from tidemill.errors import InvalidInputError

ZONE = ZoneInfo("Asia/Shanghai")
S = BatchStatus


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_crontab_slots_are_its_fire_times_in_the_configured_zone_bounds_included() -> None:
    weekdays = ScheduleSpec(SchedulerMode.CRONTAB, "0 30 9 * * 1-5")  # 09:30 Mon-Fri

    slots = slots_between(weekdays, at("2026-11-06T01:30:00Z"), at("2026-11-10T09:30:00+08:00"),
                          ZONE, 100)  # fmt: skip

    assert [s.isoformat() for s in slots] == [
        "2026-11-06T09:30:00+08:00", "2026-11-09T09:30:00+08:00", "2026-11-10T09:30:00+08:00",
    ]  # fmt: skip


def test_a_loop_grid_starts_at_the_range_start_on_a_whole_second() -> None:
    loop = ScheduleSpec(SchedulerMode.LOOP, "2h")

    slots = slots_between(loop, at("2026-11-01T00:00:00.25+08:00"),
                          at("2026-11-01T04:00:01+08:00"), ZONE, 100)  # fmt: skip

    assert [s.strftime("%H:%M:%S") for s in slots] == ["00:00:01", "02:00:01", "04:00:01"]


@pytest.mark.parametrize("expr", ["* * * * * *", "@every 1s"])
def test_more_slots_than_the_limit_are_refused_before_all_are_computed(expr: str) -> None:
    spec = ScheduleSpec(SchedulerMode.CRONTAB, expr)

    with pytest.raises(InvalidInputError, match="at most 10"):
        slots_between(spec, at("2026-11-01T00:00:00Z"), at("2100-01-01T00:00:00Z"), ZONE, 10)


def test_reprocess_picks_slots_from_what_ran_before() -> None:
    slots = [datetime(2026, 11, 1, h, tzinfo=UTC) for h in range(5)]
    rows = [
        (slots[0], 1, S.SUCCESSFUL),
        (slots[1], 2, S.FAILED),
        (slots[2], 3, S.SUCCESSFUL), (slots[2], 6, S.FAILED),  # rerun later, failed: latest
        (slots[3], 4, S.RUNNING),
    ]  # fmt: skip
    history = summarise(rows)

    def chosen(reprocess: Reprocess, order: Order = Order.ASC) -> list[int]:
        request = BackfillRequest(slots[0], slots[-1], reprocess, 1, order)
        return [s.hour for s in plan_slots(slots, history, request)]

    assert chosen(Reprocess.MISSING) == [1, 4]
    assert chosen(Reprocess.FAILED) == [1, 2]
    assert chosen(Reprocess.ALL, Order.DESC) == [4, 3, 2, 1, 0]


@pytest.mark.parametrize(
    ("zone", "around"),
    [
        ("America/New_York", "2026-03-08"),  # 02:00 -> 03:00
        ("America/New_York", "2026-11-01"),  # 02:00 -> 01:00
        ("Australia/Lord_Howe", "2026-04-05"),  # a 30-minute change, 02:00 -> 01:30
        ("Australia/Lord_Howe", "2026-10-04"),  # 02:00 -> 02:30
        ("Asia/Shanghai", "2026-06-01"),
    ],
)
@pytest.mark.parametrize(
    "expr", ["0 */10 * * * *", "0 30 1,2 * * *", "0 0,15,30,45 1-3 * * *", "@daily", "@every 7m"]
)
def test_slots_are_the_fire_times_next_after_gives_across_clock_changes(
    zone: str, around: str, expr: str
) -> None:
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(f"{around}T00:00:00").replace(tzinfo=tz) - timedelta(days=2)
    end = start + timedelta(days=4, seconds=1)
    spec = ScheduleSpec(SchedulerMode.CRONTAB, expr)
    rule = spec.cron
    expected = []
    moment = rule.next_after(start - timedelta(microseconds=1))
    while moment <= end:
        expected.append(moment)
        moment = rule.next_after(moment)

    slots = slots_between(spec, start, end, tz, 10_000)

    if expr.startswith("@every"):  # a grid from the range start, not from the moment before it
        assert slots[0] == start and all(b - a == timedelta(minutes=7) for a, b in pairwise(slots))
    else:
        assert [s.isoformat() for s in slots] == [s.isoformat() for s in expected]

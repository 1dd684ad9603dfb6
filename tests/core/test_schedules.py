"""When crontab and loop jobs fire (core.schedules): slots, the missed-slot policy, loops."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tidemill.core.cron import parse_crontab
from tidemill.core.models import SchedulerMode
from tidemill.core.schedules import (
    Fire,
    LastBatch,
    NotBefore,
    ScheduleSpec,
    Wait,
    crontab_fire,
    first_fire,
    latest_fire,
    loop_step,
    schedule_of,
    upcoming,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2025, 1, 1, 10, 20, 30, 250000, tzinfo=SHANGHAI)
MIN = timedelta(minutes=1)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
       micro: int = 0) -> datetime:  # fmt: skip
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=SHANGHAI)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
       *, fold: int = 0) -> datetime:  # fmt: skip
    return datetime(year, month, day, hour, minute, second, tzinfo=NEW_YORK, fold=fold)


# --- crontab ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "due", "now", "slot", "next_fire"),
    [
        pytest.param("0 0 0/1 * *", sh(2025, 1, 1, 11), sh(2025, 1, 1, 11, 0, 0),
                     sh(2025, 1, 1, 11), sh(2025, 1, 1, 12), id="seed-example-on-time"),
        pytest.param("0 0 0/1 * *", sh(2025, 1, 1, 11), sh(2025, 1, 1, 11, 0, 0, 900000),
                     sh(2025, 1, 1, 11), sh(2025, 1, 1, 12), id="late-within-the-slot"),
        pytest.param("0 0 0/1 * *", sh(2025, 1, 1, 11), sh(2025, 1, 1, 15, 42),
                     sh(2025, 1, 1, 15), sh(2025, 1, 1, 16), id="missed-hours-collapse"),
        pytest.param("0 0 0/1 * *", sh(2025, 1, 1, 11), sh(2025, 1, 1, 16),
                     sh(2025, 1, 1, 16), sh(2025, 1, 1, 17), id="now-exactly-on-a-later-slot"),
        pytest.param("@daily", sh(2025, 1, 2), sh(2025, 2, 11, 9),
                     sh(2025, 2, 11), sh(2025, 2, 12), id="forty-days-down"),
        pytest.param("@yearly", sh(2025, 1, 1), sh(2027, 6, 1),
                     sh(2027, 1, 1), sh(2028, 1, 1), id="years-down"),
        pytest.param("* * * * * *", sh(2025, 1, 1, 0, 0, 0), sh(2025, 1, 1, 0, 1, 30, 500000),
                     sh(2025, 1, 1, 0, 1, 30), sh(2025, 1, 1, 0, 1, 31), id="every-second"),
        pytest.param("0 0 9 * * mon-fri", sh(2025, 1, 3, 9), sh(2025, 1, 5, 12),
                     sh(2025, 1, 3, 9), sh(2025, 1, 6, 9), id="weekend-has-no-slot"),
        pytest.param("@every 90s", sh(2025, 1, 1, 0, 0, 0), sh(2025, 1, 1, 0, 10),
                     sh(2025, 1, 1, 0, 9), sh(2025, 1, 1, 0, 10, 30), id="every-keeps-its-grid"),
        pytest.param("0 30 1 * * *", ny(2025, 11, 2, 1, 30), ny(2025, 11, 2, 1, 45, fold=1),
                     ny(2025, 11, 2, 1, 30), ny(2025, 11, 3, 1, 30), id="fall-back-fires-once"),
        pytest.param("0 30 2 * * *", ny(2025, 3, 9, 3), ny(2025, 3, 9, 3, 0, 1),
                     ny(2025, 3, 9, 3), ny(2025, 3, 10, 2, 30), id="spring-forward-at-the-jump"),
        pytest.param("0 0 * * * *", ny(2025, 3, 9, 1), ny(2025, 3, 9, 3, 30),
                     ny(2025, 3, 9, 3), ny(2025, 3, 9, 4), id="missed-over-spring-forward"),
    ],
)  # fmt: skip
def test_crontab_fire(
    expr: str, due: datetime, now: datetime, slot: datetime, next_fire: datetime
) -> None:
    fire = crontab_fire(parse_crontab(expr), due, now)

    assert fire == Fire(slot, next_fire)
    assert fire.slot.utcoffset() == slot.utcoffset() and fire.slot <= now < fire.next_fire


def test_a_due_time_read_back_in_utc_runs_in_the_zone_of_now() -> None:
    due = ny(2025, 11, 2, 1, 30).astimezone(UTC)  # as the store hands it back

    fire = crontab_fire(parse_crontab("0 30 1 * * *"), due, ny(2025, 11, 2, 1, 30, 0))

    assert fire.slot.tzinfo is NEW_YORK
    assert fire.next_fire == ny(2025, 11, 3, 1, 30)


@pytest.mark.parametrize(
    "expr",
    ["* * * * * *", "*/7 * * * * *", "0 */5 * * * *", "0 0 0/1 * *", "30 15 3 * * *",
     "0 0 0 * * sun", "0 0 0 1,15 * *", "0 0 12 29 2 *", "@every 45s", "@hourly"],
)  # fmt: skip
@pytest.mark.parametrize("zone", [SHANGHAI, NEW_YORK], ids=["shanghai", "new-york"])
def test_latest_fire_agrees_with_walking_every_slot(expr: str, zone: ZoneInfo) -> None:
    rule = parse_crontab(expr)
    rng = random.Random(f"{expr}/{zone}")
    for _ in range(5):
        floor = rule.next_after(
            datetime(2024, 1, 1, tzinfo=zone) + rng.random() * timedelta(days=400)
        )
        now = floor + rng.random() * rng.choice([MIN, timedelta(hours=5), timedelta(days=3)])
        walked = floor
        while (following := rule.next_after(walked)) <= now:
            walked = following

        assert latest_fire(rule, floor, now) == walked


# --- loop ----------------------------------------------------------------------------------

TEN = timedelta(minutes=10)
NOW = sh(2025, 1, 1, 12, 0, 0)


@pytest.mark.parametrize(
    ("interval", "last", "now", "expected"),
    [
        pytest.param(TEN, None, NOW + timedelta(microseconds=5), Fire(NOW, NOW + TEN),
                     id="first-batch-at-once"),
        pytest.param(TEN, LastBatch(NOW, None, True), NOW + TEN, Wait(), id="still-running-waits"),
        pytest.param(TEN, LastBatch(NOW, NOW + 3 * MIN, False), NOW + 3 * MIN,
                     NotBefore(NOW + TEN), id="short-batch-start-to-start"),
        pytest.param(TEN, LastBatch(NOW, NOW + 3 * MIN, False), NOW + TEN,
                     Fire(NOW + TEN, NOW + 2 * TEN), id="next-start-on-time"),
        pytest.param(TEN, LastBatch(NOW, NOW + 25 * MIN, False), NOW + 25 * MIN,
                     Fire(NOW + 25 * MIN, NOW + 35 * MIN), id="overrun-delays-the-next"),
        pytest.param(TEN, LastBatch(NOW, NOW + 3 * MIN, False), NOW + timedelta(hours=5, minutes=4),
                     Fire(NOW + timedelta(hours=5), NOW + timedelta(hours=5) + TEN),
                     id="missed-starts-collapse-to-the-latest"),
        pytest.param(timedelta(0), LastBatch(NOW, None, True), NOW, Wait(),
                     id="back-to-back-waits"),
        pytest.param(timedelta(0), LastBatch(NOW, NOW + MIN, False), NOW + MIN,
                     Fire(NOW + MIN, NOW + MIN), id="back-to-back-fires-when-it-ends"),
        pytest.param(timedelta(0), LastBatch(NOW, NOW + timedelta(milliseconds=20), False),
                     NOW + timedelta(milliseconds=20), NotBefore(NOW + timedelta(seconds=1)),
                     id="back-to-back-at-most-once-a-second"),
        pytest.param(timedelta(0), LastBatch(NOW, NOW + MIN, False), NOW + 2 * MIN,
                     Fire(NOW + 2 * MIN, NOW + 2 * MIN), id="back-to-back-starts-now"),
        pytest.param(TEN, LastBatch(NOW, NOW + timedelta(seconds=2, microseconds=7), False),
                     NOW + TEN + timedelta(milliseconds=3), Fire(NOW + TEN, NOW + 2 * TEN),
                     id="slots-are-whole-seconds"),
    ],
)  # fmt: skip
def test_loop_step(interval, last, now, expected) -> None:
    assert loop_step(interval, last, now) == expected


# --- schedules, first fires, what a job shows ---------------------------------------------


def test_schedule_of_reads_the_definition() -> None:
    crontab = {"scheduler": {"type": "crontab", "spec": {"crontab": "0 0 0/1 * *"}}}
    loop = {"scheduler": {"type": "loop", "spec": {"loop": "5m"}}}

    assert schedule_of(SchedulerMode.CRONTAB, crontab) == ScheduleSpec(
        SchedulerMode.CRONTAB, "0 0 0/1 * *"
    )
    assert schedule_of(SchedulerMode.LOOP, loop) == ScheduleSpec(SchedulerMode.LOOP, "5m")
    assert schedule_of(SchedulerMode.LOOP, {"scheduler": {"type": "loop"}}) == ScheduleSpec(
        SchedulerMode.LOOP, ""
    )
    assert schedule_of(SchedulerMode.MANUAL, {"scheduler": {"type": "manual"}}) is None
    assert schedule_of(SchedulerMode.DEPEND, {}) is None


def test_first_fire_is_the_next_slot_or_now_for_a_loop() -> None:
    hourly = ScheduleSpec(SchedulerMode.CRONTAB, "0 0 0/1 * *")
    loop = ScheduleSpec(SchedulerMode.LOOP, "10m")

    assert first_fire(hourly, T0) == sh(2025, 1, 1, 11)
    assert first_fire(hourly, sh(2025, 1, 1, 11)) == sh(2025, 1, 1, 12)
    assert first_fire(loop, T0) == sh(2025, 1, 1, 10, 20, 30)


def test_upcoming_fire_times() -> None:
    hourly = ScheduleSpec(SchedulerMode.CRONTAB, "0 0 0/1 * *")
    loop = ScheduleSpec(SchedulerMode.LOOP, "10m")
    due = sh(2025, 1, 1, 11)

    assert upcoming(hourly, due, 3) == [due, sh(2025, 1, 1, 12), sh(2025, 1, 1, 13)]
    assert upcoming(loop, due, 3) == [due]
    assert upcoming(loop, None, 3) == []
    assert upcoming(hourly, due, 0) == []

"""The scheduler against a real metadata store (SQLite and PostgreSQL), driven by a FixedClock.

No runner runs here: batches the scheduler queues stay Ready unless a test moves them with the
store's own state changes (as the runner would), so every step is deterministic.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.conftest import make_settings
from tests.support import AK
from tidemill.clock import FixedClock
from tidemill.config import Settings
from tidemill.core.batches import BatchStatus
from tidemill.runner.runner import Runner
from tidemill.runner.scheduler import Scheduler
from tidemill.runtime import build_runtime
from tidemill.services import batches as batch_service
from tidemill.services import datasources, jobs, workflows
from tidemill.services.accounts import find_key
from tidemill.store import batches as batch_store
from tidemill.store.tables import batches, job_states

SHANGHAI = ZoneInfo("Asia/Shanghai")
S = BatchStatus
START = datetime(2025, 1, 1, 10, 20, 30, 250000, tzinfo=SHANGHAI)
MIN = timedelta(minutes=1)
DATASOURCE = {
    "region": "nb", "type": "kodo", "noVerifySchema": True,
    "schema": [{"key": "url", "valtype": "string"}],
    "spec": {"bucket": "bkt1", "keyPrefixes": ["cdn/"], "fileType": "json"},
}  # fmt: skip


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
       micro: int = 0) -> datetime:  # fmt: skip
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=SHANGHAI)


class World:
    """A runtime on a FixedClock, its account, and a scheduler: what a test drives."""

    def __init__(self, settings: Settings, clock: FixedClock) -> None:
        self.clock = clock
        self.rt = build_runtime(settings, clock)
        pair = find_key(self.rt, AK)
        assert pair is not None
        self.account = pair.account_id
        self.scheduler = Scheduler(self.rt)

    def close(self) -> None:
        self.rt.close()

    def job(self, name: str, scheduler: dict[str, Any], **extra: Any) -> None:
        body = {
            "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
            "computation": {"type": "sql", "code": "select url from logs"},
            "container": {"type": "1U2G", "count": 1},
            "scheduler": scheduler,
            **extra,
        }
        jobs.create(self.rt, self.account, name, body)

    def start(self, name: str, body: dict[str, Any] | None = None) -> None:
        batch_service.start_job(self.rt, self.account, name, body or {})

    def stop(self, name: str) -> None:
        batch_service.stop_job(self.rt, self.account, name)

    def at(self, moment: datetime) -> int:
        """Move the clock to `moment` and run one scheduler pass; the batches it queued."""
        self.clock.set(moment)
        return self.scheduler.tick()

    def batches(self, name: str) -> list[tuple[int, datetime, str]]:
        with self.rt.db.connect() as conn:
            rows = conn.execute(
                sa.select(batches.c.run_id, batches.c.batch_time, batches.c.status)
                .where(batches.c.account_id == self.account, batches.c.job_name == name)
                .order_by(batches.c.run_id)
            )
            return [(r.run_id, r.batch_time.astimezone(SHANGHAI), r.status) for r in rows]

    def times(self, name: str) -> list[datetime]:
        return [t for _, t, _ in self.batches(name)]

    def move(self, name: str, run_id: int, old: S, new: S, **values: Any) -> None:
        """A state change as the runner makes it (stamped with the clock)."""
        with self.rt.db.begin() as conn:
            assert batch_store.move(conn, self.account, name, run_id, [old], status=new, **values)
        self.rt.notify_scheduler()

    def run(self, name: str, run_id: int, took: timedelta) -> None:
        """Batch `run_id` starts now and succeeds `took` later (the clock moves with it)."""
        self.move(name, run_id, S.READY, S.RUNNING, start_time=self.clock.now())
        self.clock.advance(took)
        self.move(name, run_id, S.RUNNING, S.SUCCESSFUL, end_time=self.clock.now())

    def get(self, name: str) -> dict[str, Any]:
        return jobs.get(self.rt, self.account, name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return ""
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def settings_for(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def world(settings_for: Settings) -> Iterator[World]:
    w = World(settings_for, FixedClock(START))
    datasources.create(w.rt, w.account, "logs", DATASOURCE)
    yield w
    w.close()


HOURLY = {"type": "crontab", "spec": {"crontab": "0 0 0/1 * *"}}


def test_crontab_fires_each_slot_once_with_the_slot_as_batch_time(world: World) -> None:
    world.job("hourly", HOURLY)
    world.start("hourly")

    assert world.get("hourly")["nextFireTimes"] == [
        "2025-01-01T11:00:00+08:00", "2025-01-01T12:00:00+08:00", "2025-01-01T13:00:00+08:00",
    ]  # fmt: skip
    assert world.at(sh(2025, 1, 1, 10, 59, 59)) == 0
    assert world.at(sh(2025, 1, 1, 11, 0, 0)) == 1
    assert world.scheduler.tick() == 0
    assert world.at(sh(2025, 1, 1, 11, 0, 0) + timedelta(milliseconds=400)) == 0
    assert world.at(sh(2025, 1, 1, 12, 0, 0) + timedelta(milliseconds=300)) == 1
    assert world.batches("hourly") == [
        (1, sh(2025, 1, 1, 11), "Ready"),
        (2, sh(2025, 1, 1, 12), "Ready"),
    ]
    assert world.get("hourly")["nextFireTimes"][0] == "2025-01-01T13:00:00+08:00"


def test_queued_at_is_when_it_fired(world: World) -> None:
    world.job("hourly", HOURLY)
    world.start("hourly")
    late = sh(2025, 1, 1, 11, 0, 0) + timedelta(milliseconds=250)

    world.at(late)

    with world.rt.db.connect() as conn:
        queued = conn.execute(sa.select(batches.c.queued_at)).scalar_one()
    assert queued == late


def test_batches_carry_the_start_params(world: World) -> None:
    world.job("p", HOURLY, params=[{"name": "who", "default": "nobody"}])
    world.start("p", {"params": [{"name": "who", "value": "me"}]})

    world.at(sh(2025, 1, 1, 11))

    with world.rt.db.connect() as conn:
        assert conn.execute(sa.select(batches.c.params)).scalar_one() == {"who": "me"}


def test_stop_disables_the_schedule_and_cancels_the_queued_batch(world: World) -> None:
    world.job("hourly", HOURLY)
    world.start("hourly")
    world.at(sh(2025, 1, 1, 11))

    world.stop("hourly")

    assert world.at(sh(2025, 1, 1, 14)) == 0
    assert world.batches("hourly") == [(1, sh(2025, 1, 1, 11), "Canceled")]
    assert "nextFireTimes" not in world.get("hourly")


def test_start_after_stop_fires_from_the_next_slot(world: World) -> None:
    world.job("hourly", HOURLY)
    world.start("hourly")
    world.at(sh(2025, 1, 1, 11))
    world.stop("hourly")
    world.clock.set(sh(2025, 1, 1, 14, 30))

    world.start("hourly")

    assert world.at(sh(2025, 1, 1, 14, 59)) == 0
    assert world.at(sh(2025, 1, 1, 15)) == 1
    assert world.times("hourly") == [sh(2025, 1, 1, 11), sh(2025, 1, 1, 15)]


def test_restart_runs_the_latest_missed_slot_once(settings_for: Settings, world: World) -> None:
    world.job("hourly", HOURLY)
    world.job("minutely", {"type": "crontab", "spec": {"crontab": "0 * * * * *"}})
    world.start("hourly")
    world.start("minutely")
    world.at(sh(2025, 1, 1, 11, 0, 0))
    world.close()  # the service goes down at 11:00 and comes back at 15:42:10

    back = World(settings_for, FixedClock(sh(2025, 1, 1, 15, 42, 10)))
    try:
        assert back.scheduler.tick() == 2
        assert back.scheduler.tick() == 0
        assert back.times("hourly") == [sh(2025, 1, 1, 11), sh(2025, 1, 1, 15)]
        assert back.times("minutely")[-1] == sh(2025, 1, 1, 15, 42)
        assert back.get("hourly")["nextFireTimes"][0] == "2025-01-01T16:00:00+08:00"
        back.at(sh(2025, 1, 1, 16))
        assert back.times("hourly")[-1] == sh(2025, 1, 1, 16)
    finally:
        back.close()


def test_an_overrunning_crontab_batch_queues_the_next_slot(world: World) -> None:
    world.job("hourly", HOURLY)
    world.start("hourly")
    world.at(sh(2025, 1, 1, 11))
    world.move("hourly", 1, S.READY, S.RUNNING, start_time=world.clock.now())

    world.at(sh(2025, 1, 1, 12))

    assert world.batches("hourly") == [
        (1, sh(2025, 1, 1, 11), "Running"),
        (2, sh(2025, 1, 1, 12), "Ready"),  # §7.6: waits in Ready, not skipped
    ]


def test_job_update_applies_the_new_crontab(world: World) -> None:
    world.job("j", HOURLY)
    world.start("j")
    body = {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
        "computation": {"type": "sql", "code": "select url from logs"},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "crontab", "spec": {"crontab": "0 */15 * * * *"}},
    }

    jobs.update(world.rt, world.account, "j", body)

    assert world.get("j")["nextFireTimes"][:2] == [
        "2025-01-01T10:30:00+08:00", "2025-01-01T10:45:00+08:00",
    ]  # fmt: skip
    assert world.at(sh(2025, 1, 1, 10, 30)) == 1
    jobs.update(world.rt, world.account, "j", {**body, "scheduler": {"type": "manual"}})
    assert world.at(sh(2025, 1, 1, 12)) == 0
    assert "nextFireTimes" not in world.get("j")


def test_many_due_jobs_fire_across_chunks(world: World) -> None:
    world.scheduler.chunk = 2
    for i in range(5):
        world.job(f"j{i}", HOURLY)
        world.start(f"j{i}")

    assert world.at(sh(2025, 1, 1, 11)) == 5
    assert [world.times(f"j{i}") for i in range(5)] == [[sh(2025, 1, 1, 11)]] * 5


def test_a_crontab_that_no_longer_parses_is_parked_and_the_others_fire(world: World) -> None:
    for name in ("good", "bad1", "bad2"):
        world.job(name, HOURLY)
        world.start(name)
    with world.rt.db.begin() as conn:  # as stored by a version that accepted it
        conn.execute(
            sa.update(job_states)
            .where(job_states.c.job_name.in_(["bad1", "bad2"]))
            .values(schedule_expr="0 0 0/1 * * * *")
        )

    assert world.at(sh(2025, 1, 1, 11)) == 1
    assert world.times("good") == [sh(2025, 1, 1, 11)]
    assert world.times("bad1") == world.times("bad2") == []
    with world.rt.db.connect() as conn:
        parked = conn.execute(
            sa.select(job_states.c.job_name, job_states.c.next_fire, job_states.c.active)
            .where(job_states.c.job_name.in_(["bad1", "bad2"]))
            .order_by(job_states.c.job_name)
        ).all()
    assert [tuple(row) for row in parked] == [("bad1", None, True), ("bad2", None, True)]
    assert world.at(sh(2025, 1, 1, 12)) == 1


def _ahead_in_thread(world: World) -> tuple[threading.Thread, dict[str, int]]:
    result: dict[str, int] = {}
    thread = threading.Thread(target=lambda: result.update(n=world.scheduler.fire_ahead()))
    thread.start()
    time.sleep(0.5)  # the claim is made and held open (the clock stands before the slot)
    return thread, result


def test_a_slot_claimed_ahead_appears_at_its_slot_once(world: World) -> None:
    for i in range(3):
        world.job(f"j{i}", HOURLY)
        world.start(f"j{i}")
    slot = sh(2025, 1, 1, 11)
    world.clock.set(slot - timedelta(seconds=1))

    thread, result = _ahead_in_thread(world)
    assert thread.is_alive()
    assert [world.times(f"j{i}") for i in range(3)] == [[], [], []]  # not before the slot
    world.clock.set(slot)
    thread.join(10)

    assert result == {"n": 3}
    assert [world.times(f"j{i}") for i in range(3)] == [[slot]] * 3
    with world.rt.db.connect() as conn:
        queued = conn.execute(sa.select(batches.c.queued_at)).scalars().all()
    assert queued == [slot] * 3
    assert world.scheduler.tick() == 0
    assert world.at(sh(2025, 1, 1, 12)) == 3


def test_a_claim_held_past_the_next_slot_is_rolled_back_for_the_missed_slot_policy(
    world: World,
) -> None:
    world.job("tens", {"type": "crontab", "spec": {"crontab": "*/10 * * * * *"}})
    world.start("tens")
    first = sh(2025, 1, 1, 10, 20, 40)
    world.clock.set(first - timedelta(seconds=1))

    thread, result = _ahead_in_thread(world)
    world.clock.set(first + timedelta(seconds=10))  # the next slot came while it was held
    thread.join(10)

    assert result == {"n": 0}
    assert world.times("tens") == []
    assert world.scheduler.tick() == 1
    assert world.times("tens") == [first + timedelta(seconds=10)]


def test_two_schedulers_on_one_database_fire_each_slot_once(
    settings_for: Settings, world: World
) -> None:
    other = World(settings_for, world.clock)
    try:
        for i in range(4):
            world.job(f"j{i}", {"type": "crontab", "spec": {"crontab": "*/10 * * * * *"}})
            world.start(f"j{i}")
        moment = START
        for _ in range(12):
            moment += timedelta(seconds=5)
            world.clock.set(moment)
            other.scheduler.tick()
            world.scheduler.tick()
        for i in range(4):
            times = world.times(f"j{i}")
            assert len(times) == len(set(times)) == 6
    finally:
        other.close()


# --- loop ----------------------------------------------------------------------------------

LOOP_10M = {"type": "loop", "spec": {"loop": "10m"}}


def test_loop_runs_start_to_start(world: World) -> None:
    world.job("loop", LOOP_10M)
    world.start("loop")
    t = sh(2025, 1, 1, 10, 20, 30)

    assert world.scheduler.tick() == 1  # a loop fires at once
    assert world.get("loop")["nextFireTimes"] == ["2025-01-01T10:30:30+08:00"]  # at the earliest
    world.run("loop", 1, took=3 * MIN)
    assert world.scheduler.tick() == 0
    assert world.get("loop")["nextFireTimes"] == ["2025-01-01T10:30:30+08:00"]
    assert world.at(t + 10 * MIN - timedelta(seconds=1)) == 0
    assert world.at(t + 10 * MIN) == 1
    assert world.times("loop") == [t, t + 10 * MIN]


def test_an_overrunning_loop_batch_delays_the_next_and_never_overlaps(world: World) -> None:
    world.job("loop", LOOP_10M)
    world.start("loop")
    t = sh(2025, 1, 1, 10, 20, 30)
    world.scheduler.tick()

    world.clock.set(t)
    world.move("loop", 1, S.READY, S.RUNNING, start_time=t)
    assert world.at(t + 10 * MIN) == 0
    assert world.at(t + 20 * MIN) == 0  # still running: nothing queued beside it
    world.clock.set(t + 25 * MIN)
    world.move("loop", 1, S.RUNNING, S.SUCCESSFUL, end_time=world.clock.now())
    assert world.scheduler.tick() == 1
    world.run("loop", 2, took=MIN)
    assert world.at(t + 35 * MIN) == 1

    assert world.times("loop") == [t, t + 25 * MIN, t + 35 * MIN]


def test_loop_back_to_back(world: World) -> None:
    world.job("loop", {"type": "loop", "spec": {"loop": "0"}})
    world.start("loop")
    t = sh(2025, 1, 1, 10, 20, 30)
    world.scheduler.tick()

    for run_id in (1, 2, 3):
        assert world.scheduler.tick() == 0  # never two at once
        world.run("loop", run_id, took=timedelta(seconds=42))
        assert world.scheduler.tick() == 1  # the next starts as soon as this one ends

    assert world.times("loop") == [t + i * timedelta(seconds=42) for i in range(4)]
    statuses = [s for _, _, s in world.batches("loop")]
    assert statuses == ["Successful"] * 3 + ["Ready"]


def test_a_failed_or_stopped_loop_batch_also_releases_the_next(world: World) -> None:
    world.job("loop", LOOP_10M)
    world.start("loop")
    t = sh(2025, 1, 1, 10, 20, 30)
    world.scheduler.tick()
    world.move("loop", 1, S.READY, S.RUNNING, start_time=t)
    world.clock.set(t + 12 * MIN)
    world.move("loop", 1, S.RUNNING, S.FAILED, end_time=world.clock.now())

    assert world.scheduler.tick() == 1
    assert world.times("loop") == [t, t + 12 * MIN]


def test_loop_missed_starts_collapse_after_a_restart(settings_for: Settings, world: World) -> None:
    world.job("loop", LOOP_10M)
    world.start("loop")
    t = sh(2025, 1, 1, 10, 20, 30)
    world.scheduler.tick()
    world.run("loop", 1, took=2 * MIN)
    world.scheduler.tick()
    world.close()

    back = World(settings_for, FixedClock(t + timedelta(hours=3, minutes=4)))
    try:
        assert back.scheduler.tick() == 1
        assert back.times("loop") == [t, t + timedelta(hours=3)]
    finally:
        back.close()


def test_sleep_is_until_the_earliest_fire(world: World) -> None:
    assert world.scheduler.sleep_for() == world.scheduler.max_sleep
    world.job("hourly", HOURLY)
    world.start("hourly")
    world.clock.set(sh(2025, 1, 1, 10, 59, 50))

    assert world.scheduler.sleep_for() == pytest.approx(10.001)


# --- zones ---------------------------------------------------------------------------------


def test_crontab_runs_in_the_configured_zone_over_daylight_saving(
    tmp_path: Path, database_url: str
) -> None:
    ny = ZoneInfo("America/New_York")
    settings = make_settings(tmp_path, database_url).model_copy(
        update={"timezone": "America/New_York"}
    )
    w = World(settings, FixedClock(datetime(2025, 11, 1, 12, tzinfo=ny)))
    try:
        datasources.create(w.rt, w.account, "logs", DATASOURCE)
        w.job("night", {"type": "crontab", "spec": {"crontab": "0 30 1 * * *"}})
        w.start("night")
        for hour in range(6, 60):  # hourly steps across the fall-back night and two more
            w.at(datetime(2025, 11, 1, 12, tzinfo=ny) + timedelta(hours=hour))
        with w.rt.db.connect() as conn:
            fired = [t for (t,) in conn.execute(sa.select(batches.c.batch_time))]
        assert [t.astimezone(ny).isoformat() for t in fired] == [
            "2025-11-02T01:30:00-04:00",  # the repeated 01:30 fires once, on its first pass
            "2025-11-03T01:30:00-05:00",
        ]
    finally:
        w.close()


# --- workflows -----------------------------------------------------------------------------


def test_workflow_start_and_stop_drive_the_schedules_of_its_jobs(world: World) -> None:
    rt, account = world.rt, world.account
    workflows.create(rt, account, "wf", {"region": "nb"})
    datasources.create(rt, account, "wfds", {**DATASOURCE, "workflow": "wf"})
    for name, scheduler in (("h", HOURLY), ("l", LOOP_10M)):
        world.job(
            name, scheduler,
            srcs=[{"name": "wfds", "type": "DataSource", "tableName": f"t{name}"}],
            computation={"type": "sql", "code": f"select url from t{name}"},
        )  # fmt: skip
    spec = {"bucket": "bkt1", "keyPrefix": "out/", "format": "json", "fileCount": 1}
    from tests.buckets import own_bucket
    from tidemill.services import exports

    own_bucket(rt, "bkt1")  # a kodo export must name an existing bucket

    exports.create(rt, account, "h", "e", {"type": "kodo", "spec": spec})

    workflows.start(rt, account, "wf")
    assert workflows.status(rt, account, "wf")["status"] == "Started"
    assert world.scheduler.tick() == 1  # the loop, at once
    assert world.at(sh(2025, 1, 1, 11)) == 1
    workflows.stop(rt, account, "wf")

    assert workflows.status(rt, account, "wf")["status"] == "Stopped"
    assert world.at(sh(2025, 1, 1, 13)) == 0
    assert [s for _, _, s in world.batches("h") + world.batches("l")] == ["Canceled"] * 2
    with world.rt.db.connect() as conn:
        active = conn.execute(sa.select(job_states.c.active)).scalars().all()
    assert not any(active)


def test_a_batch_end_wakes_the_scheduler_only_while_a_loop_waits(world: World) -> None:
    """A batch's end wakes the scheduler (one pass of its SQL) only when a loop schedule
    waits for a batch to end; a loop overrunning its interval is released at once."""
    runner = Runner(world.rt)  # not started: no worker, only its batch-end nudge
    world.rt.scheduler = world.scheduler
    world.job("loop", LOOP_10M)
    world.start("loop")
    t = sh(2025, 1, 1, 10, 20, 30)
    world.scheduler.tick()
    world.move("loop", 1, S.READY, S.RUNNING, start_time=t)
    world.scheduler._wake.clear()

    runner.wake_waiting_loops()
    assert not world.scheduler._wake.is_set()  # the loop is not due yet: nothing waits

    assert world.at(t + 10 * MIN) == 0  # due, but its batch still runs: it waits
    world.scheduler._wake.clear()
    runner.wake_waiting_loops()
    assert world.scheduler._wake.is_set()

"""`make bench`, scheduler part: 100,000 crontab jobs that fire every minute.

Reports the fire lag over every batch of `BENCH_SCHED_ROUNDS` minute boundaries: from its slot
(its batchTime) to the commit of the transaction that queued it, when a runner can first see it
(queued_at, stamped when that transaction began, is printed too); the process CPU time spent
around each boundary; and the CPU the scheduler uses while idle (process CPU time over the quiet
part of a minute, in % of one core).

The scheduler runs in this process, exactly as the app runs it (`runner.scheduler.Scheduler`
on a `tidemill` runtime over SQLite on embedded defaults, or `BENCH_SCHED_DATABASE_URL`), with
no runner: batches are queued Ready and not executed, so the figures are the scheduler's own.
The jobs are real job rows: one is created and started through the services (validated,
planned, its schedule activated); the others are copies of its rows (job, sources, schedule
state) under other names, inserted in bulk.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from bisect import bisect_left
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tidemill.config import Settings
from tidemill.runner.scheduler import Scheduler
from tidemill.runtime import build_runtime
from tidemill.services import datasources, jobs, schedules
from tidemill.services.accounts import create_key
from tidemill.store import repository as repo
from tidemill.store.tables import batches, job_sources, job_states
from tidemill.store.tables import jobs as jobs_table

EVERY_MINUTE = "0 * * * * *"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def met(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def install(rt: Any, account: int, count: int) -> None:
    datasources.create(rt, account, "logs", {
        "region": "nb", "type": "kodo", "noVerifySchema": True,
        "schema": [{"key": "url", "valtype": "string"}],
        "spec": {"bucket": "bench", "keyPrefixes": ["logs/"], "fileType": "json"},
    })  # fmt: skip
    jobs.create(rt, account, "cron0", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
        "computation": {"type": "sql", "code": "select count(*) as n from logs"},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "crontab", "spec": {"crontab": EVERY_MINUTE}},
    })  # fmt: skip
    # The other jobs are copies of cron0's rows (job, sources, started schedule) under other
    # names, inserted in bulk: 100,000 creations through the API would take most of an hour.
    with rt.db.begin() as conn:
        template = repo.get_job(conn, account, "cron0")
        assert template is not None
        schedules.activate(rt, conn, account, template, {})
        for table, name_column in ((jobs_table, "name"), (job_sources, "job_name"),
                                   (job_states, "job_name")):  # fmt: skip
            key = table.c.account_id == account, table.c[name_column] == "cron0"
            rows = [row._asdict() for row in conn.execute(sa.select(table).where(*key))]
            for start in range(1, count, 10_000):
                conn.execute(sa.insert(table), [
                    {**row, name_column: f"cron{i}"}
                    for i in range(start, min(count, start + 10_000)) for row in rows
                ])  # fmt: skip


class Commits:
    """When each write transaction of the scheduler became visible: its commit, then the
    connection's return to the pool (the first moment after the commit we can observe)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.began: list[float] = []  # commit() called
        self.back: list[float] = []  # connection checked in
        sa.event.listen(engine, "commit", lambda *_: self.began.append(time.time()))
        sa.event.listen(engine, "checkin", lambda *_: self.back.append(time.time()))

    def visible(self, queued: float) -> float:
        """When the transaction that queued a batch at `queued` (epoch seconds) had committed."""
        commit = self.began[bisect_left(self.began, queued)]
        return self.back[bisect_left(self.back, commit)]


def lags_of(rt: Any, slot: datetime, commits: Commits) -> tuple[list[float], list[float]]:
    """Per batch of `slot`: queued_at - slot, and its transaction's commit - slot (seconds)."""
    with rt.db.connect() as conn:
        rows = conn.execute(sa.select(batches.c.queued_at).where(batches.c.batch_time == slot))
        queued = Counter(when.timestamp() for (when,) in rows)
    at = slot.timestamp()
    lags, visible = [], []
    for when, n in queued.items():
        lags += [when - at] * n
        visible += [commits.visible(when) - at] * n
    return lags, visible


def sleep_until(moment: float) -> None:
    while (left := moment - time.time()) > 0:
        time.sleep(min(left, 1.0))


def main() -> None:
    count = int(os.environ.get("BENCH_SCHED_JOBS", "100000"))
    rounds = int(os.environ.get("BENCH_SCHED_ROUNDS", "2"))
    with tempfile.TemporaryDirectory(prefix="tidemill-bench-sched-") as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data",
            database_url=os.environ.get("BENCH_SCHED_DATABASE_URL", ""),
        )
        rt = build_runtime(settings)
        account = create_key(rt, "bench").account_id
        began = time.monotonic()
        install(rt, account, count)
        print(f"Scheduler: {count:,} crontab jobs firing every minute ({EVERY_MINUTE!r}), "
              f"installed in {time.monotonic() - began:.1f} s; "
              f"{rt.db.dialect.name}, no runner (batches stay Ready)", flush=True)  # fmt: skip
        commits = Commits(rt.db)
        scheduler = Scheduler(rt)
        rt.scheduler = scheduler
        scheduler.start()
        lags: list[float] = []
        visible: list[float] = []
        firing: list[float] = []
        idle: list[float] = []
        try:
            for _ in range(rounds):
                boundary = (int(time.time()) // 60 + 1) * 60
                sleep_until(boundary - 2)
                cpu0 = time.process_time()
                sleep_until(boundary + 8)  # every batch of the slot is queued well before this
                firing.append(time.process_time() - cpu0)
                slot = datetime.fromtimestamp(boundary, UTC)
                queued, seen = lags_of(rt, slot, commits)
                lags += queued
                visible += seen
                print(f"  slot {slot.isoformat()}: {len(queued):,} batches queued, "
                      f"max lag {max(seen, default=float('nan')):.3f} s (committed), "
                      f"process CPU {firing[-1]:.2f} s; load average "
                      f"{os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
                # Idle window: the quiet part of the minute, between two fires.
                sleep_until(boundary + 15)
                cpu0, wall0 = time.process_time(), time.monotonic()
                sleep_until(boundary + 50)
                idle.append((time.process_time() - cpu0) / (time.monotonic() - wall0) * 100)
        finally:
            scheduler.close()
            rt.close()
    if not lags:
        sys.exit("no batch was fired")
    p50, p99 = percentile(visible, 0.5), percentile(visible, 0.99)
    q50, q99 = percentile(lags, 0.5), percentile(lags, 0.99)
    cpu = statistics.mean(idle)
    print(f"  fire lag   : p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms  "
          f"max {max(visible) * 1000:.0f} ms over {len(lags):,} batches (slot to commit)  "
          f"goal p99 <= 1 s  {met(p99 <= 1.0)}")  # fmt: skip
    print(f"  (queued_at : p50 {q50 * 1000:.0f} ms  p99 {q99 * 1000:.0f} ms: when the claim "
          f"holding the batch began)")  # fmt: skip
    print(f"  firing CPU : {statistics.mean(firing):.2f} s of process CPU per slot "
          f"(10 s around each boundary)")  # fmt: skip
    print(f"  idle CPU   : {cpu:.2f}% of one core (35 s windows between fires)  "
          f"goal <= 1%  {met(cpu <= 1.0)}")  # fmt: skip
    if count < 100_000:
        print(f"  (issue 16 sets both goals at 100,000 jobs: BENCH_SCHED_JOBS=100000; "
              f"this run had {count:,})")  # fmt: skip
    expected = count * rounds
    print(json.dumps({"scheduler": {
        "jobs": count, "batches": len(lags), "expected_batches": expected,
        "lag_p50_s": p50, "lag_p99_s": p99, "lag_max_s": max(visible),
        "queued_lag_p50_s": q50, "queued_lag_p99_s": q99,
        "firing_cpu_s": statistics.mean(firing), "idle_cpu_pct": cpu,
        "load_average": os.getloadavg()[0],
    }}))  # fmt: skip


if __name__ == "__main__":
    main()

"""`make bench`, scheduler part: 10,000 crontab jobs that fire every minute.

Reports the fire lag (a batch's queued_at minus its slot, its batchTime) over every batch of
`BENCH_SCHED_ROUNDS` minute boundaries, and the CPU the scheduler uses while idle (process CPU
time over the quiet part of a minute, in % of one core).

The scheduler runs in this process, exactly as the app runs it (`runner.scheduler.Scheduler`
on a `tidemill` runtime over SQLite on embedded defaults, or `BENCH_SCHED_DATABASE_URL`), with
no runner: batches are queued Ready and not executed, so the figures are the scheduler's own.
The jobs are real job rows: one is created through the service (validated and planned), the
others are copies of it under other names, started through the service's schedule activation.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
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
from tidemill.store.tables import batches

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
    now = rt.clock.now()
    with rt.db.begin() as conn:
        template = repo.get_job(conn, account, "cron0")
        assert template is not None
        for i in range(1, count):
            repo.insert_job(conn, account, replace(template, name=f"cron{i}"), now)
        for i in range(count):
            job = template if i == 0 else replace(template, name=f"cron{i}")
            schedules.activate(rt, conn, account, job, {})


def lags_of(rt: Any, slot: datetime) -> list[float]:
    with rt.db.connect() as conn:
        rows = conn.execute(
            sa.select(batches.c.queued_at, batches.c.batch_time).where(batches.c.batch_time == slot)
        ).all()
    return [(queued - when).total_seconds() for queued, when in rows]


def sleep_until(moment: float) -> None:
    while (left := moment - time.time()) > 0:
        time.sleep(min(left, 1.0))


def main() -> None:
    count = int(os.environ.get("BENCH_SCHED_JOBS", "10000"))
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
        scheduler = Scheduler(rt)
        rt.scheduler = scheduler
        scheduler.start()
        lags: list[float] = []
        idle: list[float] = []
        try:
            for _ in range(rounds):
                boundary = (int(time.time()) // 60 + 1) * 60
                sleep_until(boundary + 5)  # every batch of the slot is queued well before this
                slot = datetime.fromtimestamp(boundary, UTC)
                fired = lags_of(rt, slot)
                lags += fired
                print(f"  slot {slot.isoformat()}: {len(fired):,} batches queued, "
                      f"max lag {max(fired, default=float('nan')):.3f} s", flush=True)  # fmt: skip
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
    p50, p99 = percentile(lags, 0.5), percentile(lags, 0.99)
    cpu = statistics.mean(idle)
    print(f"  fire lag   : p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms  "
          f"max {max(lags) * 1000:.0f} ms over {len(lags):,} batches  "
          f"goal p99 <= 1 s  {met(p99 <= 1.0)}")  # fmt: skip
    print(f"  idle CPU   : {cpu:.2f}% of one core (35 s windows between fires)  "
          f"goal <= 1%  {met(cpu <= 1.0)}")  # fmt: skip
    if count < 100_000:
        print(f"  (issue 16 sets both goals at 100,000 jobs: BENCH_SCHED_JOBS=100000; "
              f"this run had {count:,})")  # fmt: skip
    expected = count * rounds
    print(json.dumps({"scheduler": {
        "jobs": count, "batches": len(lags), "expected_batches": expected,
        "lag_p50_s": p50, "lag_p99_s": p99, "lag_max_s": max(lags), "idle_cpu_pct": cpu,
    }}))  # fmt: skip


if __name__ == "__main__":
    main()

"""`make bench`, backfill part (issue 14): enqueue time and backfill throughput.

1. Enqueue: the time `POST /v2/jobs/{job}/actions/backfill` takes in its service (checks, slots,
   one bulk insert, commit) for a 10,000-slot range of a per-minute crontab job (goal <= 1 s);
   `BENCH_BACKFILL_ENQUEUE_RUNS` runs, each on a job of its own.
2. Throughput: a runner and a scheduler in this process, as the app starts them; a trivial job
   (`select count(*)` over one small file, maxConcurrent 4) is backfilled over
   `BENCH_BACKFILL_SLOTS` hourly slots with concurrency 4 while a job firing every second runs
   beside it. Reports batches/s (backfill created -> its last batch ended), and the per-second
   job's fire lag (a batch's queued_at minus its batchTime) and start lag (startTime minus
   batchTime) while the backfill ran.

SQLite on embedded defaults (or `BENCH_BACKFILL_DATABASE_URL`); local buckets.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tidemill.config import RunnerSettings, Settings
from tidemill.runner.runner import Runner
from tidemill.runner.scheduler import Scheduler
from tidemill.runtime import build_runtime
from tidemill.services import backfills, batches, datasources, jobs
from tidemill.services.accounts import create_key
from tidemill.store.tables import batches as batch_table

PER_MINUTE = {"type": "crontab", "spec": {"crontab": "0 * * * * *"}}
HOURLY = {"type": "crontab", "spec": {"crontab": "0 0 * * * *"}}
EVERY_SECOND = {"type": "crontab", "spec": {"crontab": "* * * * * *"}}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def met(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def job_body(scheduler: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
        "computation": {"type": "sql", "code": "select '$(now)' as t, count(*) as n from logs"},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": scheduler,
        **extra,
    }


def setup(tmp: str, slots: int) -> tuple[Any, int]:
    settings = Settings(
        data_dir=Path(tmp) / "data",
        database_url=os.environ.get("BENCH_BACKFILL_DATABASE_URL", ""),
        runner=RunnerSettings(slots=slots),
    )
    rt = build_runtime(settings)
    account = create_key(rt, "bench").account_id
    bucket = settings.data_dir / "kodo" / "bench" / "bench" / "logs"
    bucket.mkdir(parents=True)
    (bucket / "a.json").write_text('{"url": "/a"}\n')
    datasources.create(rt, account, "logs", {
        "region": "nb", "type": "kodo", "noVerifySchema": True,
        "schema": [{"key": "url", "valtype": "string"}],
        "spec": {"bucket": "bench", "keyPrefixes": ["logs/"], "fileType": "json"},
    })  # fmt: skip
    return rt, account


def enqueue(runs: int, slots: int) -> list[float]:
    """Seconds each `slots`-slot backfill took to queue."""
    took: list[float] = []
    with tempfile.TemporaryDirectory(prefix="tidemill-bench-backfill-") as tmp:
        rt, account = setup(tmp, 1)
        try:
            body = {"from": "2026-01-01T00:00:00+08:00"}  # "to": exactly `slots` minutes on
            for i in range(runs):
                jobs.create(rt, account, f"m{i}", job_body(PER_MINUTE))
                start = datetime(2026, 1, 1, tzinfo=rt.zone)
                end = start.timestamp() + (slots - 1) * 60
                body["to"] = datetime.fromtimestamp(end, rt.zone).isoformat()
                began = time.perf_counter()
                made = backfills.create(rt, account, f"m{i}", body)
                took.append(time.perf_counter() - began)
                assert made["slots"] == slots, made["slots"]
        finally:
            rt.close()
    return took


def throughput(count: int, concurrency: int) -> dict[str, Any]:
    """Run a `count`-slot backfill beside a per-second job; its figures."""
    with tempfile.TemporaryDirectory(prefix="tidemill-bench-backfill-") as tmp:
        rt, account = setup(tmp, concurrency + 1)
        runner, scheduler = Runner(rt), Scheduler(rt)
        runner.start()
        rt.runner = runner
        runner.warm()
        scheduler.start()
        rt.scheduler = scheduler
        try:
            jobs.create(rt, account, "tick", job_body(EVERY_SECOND))
            jobs.create(rt, account, "fill", job_body(HOURLY, maxConcurrent=concurrency))
            batches.start_job(rt, account, "tick", {})
            time.sleep(3)  # the workers are up and the per-second job is steady
            start = datetime(2026, 1, 1, tzinfo=rt.zone)
            end = datetime.fromtimestamp(start.timestamp() + (count - 1) * 3600, rt.zone)
            body = {"from": start.isoformat(), "to": end.isoformat(), "concurrency": concurrency}
            window_start = datetime.now(UTC)
            began = time.monotonic()
            made = backfills.create(rt, account, "fill", body)
            while backfills.get(rt, account, made["backfillId"])["state"] == "Running":
                time.sleep(0.1)
            took = time.monotonic() - began
            window_end = datetime.now(UTC)
            shown = backfills.get(rt, account, made["backfillId"])
            batches.stop_job(rt, account, "tick")
            with rt.db.connect() as conn:
                rows = conn.execute(
                    sa.select(batch_table.c.batch_time, batch_table.c.queued_at,
                              batch_table.c.start_time, batch_table.c.end_time)
                    .where(batch_table.c.job_name == "tick",
                           batch_table.c.batch_time >= window_start,
                           batch_table.c.batch_time <= window_end)
                ).all()  # fmt: skip
        finally:
            scheduler.close()
            runner.close()
            rt.close()
    fire = [(q - t).total_seconds() for t, q, _, _ in rows]
    begun = [(s - t).total_seconds() for t, _, s, _ in rows if s is not None]
    # How long one of its batches takes: above 1 s it queues behind itself (maxConcurrent 1).
    ran = [(e - s).total_seconds() for _, _, s, e in rows if s is not None and e is not None]
    seconds = int((window_end - window_start).total_seconds())
    return {
        "slots": count, "concurrency": concurrency, "seconds": took,
        "batches_per_s": count / took, "counts": shown["counts"],
        "tick_fired": len(rows), "tick_expected": seconds,
        "fire_lag_p50_s": percentile(fire, 0.5), "fire_lag_max_s": max(fire),
        "start_lag_p50_s": percentile(begun, 0.5), "start_lag_max_s": max(begun),
        "tick_run_p50_s": percentile(ran, 0.5),
    }  # fmt: skip


def main() -> None:
    slots = int(os.environ.get("BENCH_BACKFILL_ENQUEUE_SLOTS", "10000"))
    runs = int(os.environ.get("BENCH_BACKFILL_ENQUEUE_RUNS", "3"))
    took = enqueue(runs, slots)
    best, median = min(took), statistics.median(took)
    print(f"Backfill: enqueue {slots:,} slots: median {median * 1000:.0f} ms, best "
          f"{best * 1000:.0f} ms over {runs} runs  goal <= 1 s  {met(median <= 1.0)}",
          flush=True)  # fmt: skip
    count = int(os.environ.get("BENCH_BACKFILL_SLOTS", "500"))
    concurrency = int(os.environ.get("BENCH_BACKFILL_CONCURRENCY", "4"))
    run = throughput(count, concurrency)
    print(f"  throughput: {run['batches_per_s']:.1f} batches/s ({count} slots of a trivial job, "
          f"concurrency {concurrency}, {run['seconds']:.1f} s; {run['counts']})")  # fmt: skip
    print(
        f"  per-second job meanwhile: {run['tick_fired']} of {run['tick_expected']} slots "
        f"fired; fire lag p50 {run['fire_lag_p50_s'] * 1000:.0f} ms max "
        f"{run['fire_lag_max_s'] * 1000:.0f} ms; start lag p50 "
        f"{run['start_lag_p50_s'] * 1000:.0f} ms max {run['start_lag_max_s'] * 1000:.0f} ms"
    )
    print(json.dumps({"backfill": {
        "enqueue_slots": slots, "enqueue_s": took, "enqueue_median_s": median, **run,
    }}))  # fmt: skip


if __name__ == "__main__":
    main()

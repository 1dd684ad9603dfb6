"""The demo pipeline `make run` sets up: a day of synthetic CDN logs, a job and a depend job.

Idempotent: a second run leaves existing resources alone and only queues a new batch.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from tidemill.errors import ConflictError, StateError
from tidemill.runtime import Runtime
from tidemill.services import batches, datasources, jobs
from tidemill.store.accounts import grant_bucket as grant

Create = Callable[[Runtime, int, str, dict[str, Any]], object]
BUCKET = "demo-cdn-logs"
URLS = ["/", "/index.html", "/video/intro.mp4", "/img/logo.png", "/api/items", "/css/site.css",
        "/js/app.js", "/download/tool.zip", "/docs/start", "/favicon.ico"]  # fmt: skip
METHODS = ["GET"] * 9 + ["POST"]
STATUSES = [200] * 17 + [304, 404, 500]


def log_lines(day: datetime, count: int, seed: int = 7) -> list[str]:
    """`count` JSON access-log lines spread over `day` (seeded: the same every time)."""
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        moment = day + timedelta(seconds=rng.randrange(86_400))
        url = rng.choices(URLS, weights=range(len(URLS), 0, -1))[0]
        lines.append(json.dumps({
            "ip": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "time": moment.isoformat(),
            "method": rng.choice(METHODS),
            "url": url,
            "status": rng.choice(STATUSES),
            "bytes": rng.randrange(200, 2_000_000 if url.endswith(".mp4") else 60_000),
        }))  # fmt: skip
    return lines


def install(rt: Runtime, account: int) -> None:
    """Create the demo resources (once) and queue one run of the pipeline."""
    day = rt.clock.now().astimezone(rt.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    day -= timedelta(days=1)
    with rt.db.begin() as conn:
        if rt.settings.s3.endpoint:  # on S3 an account uses the buckets granted to it
            grant(conn, account, BUCKET, rt.clock.now())
        store = rt.store_for(conn, account)  # kodo/<account>/demo-cdn-logs locally
    store.create_bucket(BUCKET)
    key = f"cdn/{day:%Y-%m-%d}.json"
    if not any(True for _ in store.list(BUCKET, key)):
        store.write(BUCKET, key, ("\n".join(log_lines(day, 20_000)) + "\n").encode())
    steps: list[tuple[Create, str, dict[str, Any]]] = [
        (datasources.create, "cdn_logs", {
            "region": "nb", "type": "kodo", "noVerifySchema": True,
            "spec": {"bucket": BUCKET, "keyPrefixes": ["cdn/"], "fileType": "json"},
            "schema": [
                {"key": "ip", "valtype": "string"}, {"key": "time", "valtype": "date"},
                {"key": "method", "valtype": "string"}, {"key": "url", "valtype": "string"},
                {"key": "status", "valtype": "long"}, {"key": "bytes", "valtype": "long"},
            ],
        }),
        (jobs.create, "traffic_per_hour", {
            "srcs": [{"name": "cdn_logs", "type": "DataSource", "tableName": "logs"}],
            "computation": {"type": "sql", "code": (
                "select date_format(time, 'yyyy-MM-dd HH:00') as hour, count(*) as requests, "
                "sum(bytes) as bytes, sum(case when status >= 500 then 1 else 0 end) as errors "
                "from logs group by date_format(time, 'yyyy-MM-dd HH:00')")},
            "container": {"type": "1U2G", "count": 1},
            "scheduler": {"type": "manual"},
        }),
        (jobs.create, "busiest_hours", {
            "srcs": [{"name": "traffic_per_hour", "type": "Job", "tableName": "hourly"}],
            "computation": {"type": "sql", "code": (
                "select hour, requests, bytes from hourly order by requests desc limit 5")},
            "scheduler": {"type": "depend"},
        }),
    ]  # fmt: skip
    for create, name, body in steps:
        with suppress(ConflictError):  # made by an earlier `make run`
            create(rt, account, name, body)
    with suppress(StateError):  # a batch is already queued or running
        batches.start_job(rt, account, "traffic_per_hour", {})

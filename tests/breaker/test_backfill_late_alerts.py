"""A backfill and "late" alerts (issue 14, items 1 and 5): a backfill queues batches for
slots long past, so each was "late" the moment it was queued, and a job with a late target
got one alert per backfilled batch not yet successful (up to a day of slots: 86,400 for a
per-second job). Late alerts are about the schedule's batches; a backfill's are not told."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.api.test_batches import make_datasource, make_job, write_lines
from tests.support import Client
from tidemill.config import Settings
from tidemill.runtime import Runtime
from tidemill.services.notify import queue_late
from tidemill.store import notify as store
from tidemill.store.accounts import account_id

HOURLY = {"type": "crontab", "spec": {"crontab": "0 0 * * * *"}}
FAILING = "select assert_true(url = 'nowhere') as x from logs"


def test_backfilled_batches_raise_no_late_alerts(
    client: Client, runtime: Runtime, settings: Settings
) -> None:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    late = {"url": "http://127.0.0.1:9/hook", "on": ["late"], "lateAfter": "1m",
            "secret": "s" * 16}  # fmt: skip
    make_job(client, "j", FAILING, scheduler=HOURLY, notify=[late])
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    made = client.post("/v2/jobs/j/actions/backfill", {
        "from": (now - timedelta(hours=3)).isoformat(), "to": now.isoformat(),
    })  # fmt: skip
    assert made.status_code == 200 and made.json()["slots"] == 4, made.text
    deadline = time.monotonic() + 60
    while client.get(f"/v2/backfills/{made.json()['backfillId']}").json()["state"] == "Running":
        assert time.monotonic() < deadline
        time.sleep(0.2)

    queue_late(runtime, datetime.now(UTC).astimezone(runtime.zone))

    with runtime.db.connect() as conn:
        queued = store.for_job(conn, account_id(conn, settings.account), "j")
    assert [d for d in queued if d.event == "late"] == []

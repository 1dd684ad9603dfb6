"""A service shut down mid-batch says so in the batch, rather than blaming the worker."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.api.test_batches import ROWS, SLOW, make_datasource, make_job, write_lines
from tests.support import AK, Client, wait_for
from tidemill.api.app import create_app
from tidemill.config import Settings
from tidemill.core.batches import BatchStatus
from tidemill.runtime import build_runtime
from tidemill.services.accounts import find_key
from tidemill.store import batches as store


def test_shutdown_fails_the_running_batch_asking_for_a_rerun(settings: Settings) -> None:
    write_lines(settings, "bkt1", "cdn/a.json", [json.dumps(r) for r in ROWS])
    with TestClient(create_app(settings), raise_server_exceptions=False) as http:
        client = Client(http)
        make_datasource(client)
        make_job(client, "slow", SLOW)
        client.post("/v2/jobs/slow/actions/start", {})
        wait_for(client, "slow", {"Running"})

    runtime = build_runtime(settings)
    try:
        pair = find_key(runtime, AK)
        assert pair is not None
        with runtime.db.connect() as conn:
            batch = store.get_batch(conn, pair.account_id, "slow", 1)
    finally:
        runtime.close()
    assert batch is not None
    assert batch.status is BatchStatus.FAILED
    assert batch.message.startswith("Tidemill was shut down while this batch was running")

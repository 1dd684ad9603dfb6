"""The server's logdb/tsdb URLs may carry the operator's credentials (http://user:pass@host);
when an export to them fails, what the account reads — the batch's message in its history, the
batch log, the console's export outcomes — names the target without them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.buckets import own_bucket
from tests.conftest import free_port, make_settings
from tests.support import Client, wait_for
from tests.tenancy.test_tenancy import ORDERS, ROWS, _lines, datasource, manual_job
from tidemill.api.app import create_app
from tidemill.runtime import build_runtime

PASSWORD = "s3cretOperatorPw"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Client]:
    closed = f"http://elastic:{PASSWORD}@127.0.0.1:{free_port()}"  # nothing listens there
    settings = make_settings(tmp_path).model_copy(update={"logdb_url": closed})
    settings.exports.http_retries = 0
    settings.exports.http_backoff = 0.01
    runtime = build_runtime(settings)
    own_bucket(runtime, "sales").write("sales", "orders/a.json", _lines(ORDERS[:3]))
    with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
        yield Client(http)


def _text(response: Any) -> str:
    assert response.status_code == 200, response.text
    return str(response.text)


def test_a_failed_logdb_export_does_not_show_the_operators_password(api: Client) -> None:
    _text(api.post("/v2/datasources/orders", datasource("sales")))
    _text(api.post("/v2/jobs/dump", manual_job(ROWS)))
    export = {"type": "logdb", "spec": {"destRepoName": "orders", "doc": {"c": "#customer"}}}
    _text(api.post("/v2/jobs/dump/exports/sink", export))
    _text(api.post("/v2/jobs/dump/actions/start"))
    batch = wait_for(api, "dump", timeout=60)

    shown = {
        "history": str(batch),
        "log": _text(api.get("/v2/jobs/dump/history/1/log")),
        "exports": _text(api.get("/v2/console/jobs/dump/history/1/exports")),
    }

    assert batch["status"] == "Failed", batch
    assert "127.0.0.1" in shown["log"], shown["log"]  # the target is still named
    for where, text in shown.items():
        assert PASSWORD not in text, (where, text)

"""SSRF controls of export targets (issue 9, kind 11): refused at create, and again when a batch
connects, through the real app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_batches import ROWS, make_datasource, make_job, write_lines
from tests.conftest import OWN_BUCKETS
from tests.exporters.receivers import http_receiver
from tests.support import AK, SK, Client, assert_error, wait_for
from tidemill.api.app import create_app
from tidemill.config import Settings
from tidemill.runtime import build_runtime

NO_LOOPBACK = {"deny": ["127.0.0.0/8", "::1/128"]}


def make_settings(tmp_path: Path, **outbound: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", access_key=AK, secret_key=SK, outbound=outbound,
        exports={"http_backoff": 0.01, "http_retries": 1, "http_timeout": 5},
    )  # fmt: skip


def http_export(host: str, uri: str = "/in") -> dict[str, Any]:
    return {"type": "http", "spec": {"host": host, "uri": uri}}


@pytest.fixture
def job(client: Client) -> Client:
    make_datasource(client)
    make_job(client, "j", "select url from logs")
    return client


@pytest.mark.parametrize(
    "host",
    ["169.254.169.254", "http://169.254.169.254:80", "[fe80::1]:8080", "https://[fe80::1]",
     "[::ffff:169.254.169.254]", "100.100.100.200", "0.0.0.0:9"],
)  # fmt: skip
def test_link_local_and_metadata_targets_are_refused_at_create(job: Client, host: str) -> None:
    response = job.post("/v2/jobs/j/exports/e", http_export(host, "/latest/meta-data/"))

    body = assert_error(response, 400, "E18303")
    assert "TIDEMILL_OUTBOUND__DENY" in body["error"]
    assert job.get("/v2/jobs/j/exports").json() == {"exports": []}


def test_loopback_targets_are_allowed_by_default(job: Client) -> None:
    assert job.post("/v2/jobs/j/exports/e", http_export("127.0.0.1:9")).status_code == 200


def run_app(settings: Settings) -> TestClient:
    runtime = build_runtime(settings)
    for bucket in OWN_BUCKETS:
        (settings.data_dir / "kodo" / settings.account / bucket).mkdir(parents=True, exist_ok=True)
    return TestClient(create_app(settings, runtime), raise_server_exceptions=False)


def test_the_settings_can_refuse_loopback_by_address_and_by_name(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, **NO_LOOPBACK)
    with run_app(settings) as http:
        client = Client(http)
        make_datasource(client)
        make_job(client, "j", "select url from logs")

        by_address = client.post("/v2/jobs/j/exports/e", http_export("127.0.0.1:9"))
        by_name = client.post("/v2/jobs/j/exports/e", http_export("localhost:9"))

    assert "127.0.0.0/8" in assert_error(by_address, 400, "E18303")["error"]
    assert "resolves to a refused address" in assert_error(by_name, 400, "E18303")["error"]


def test_the_settings_can_allow_a_denied_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, allow=["169.254.169.254/32"])
    with run_app(settings) as http:
        client = Client(http)
        make_datasource(client)
        make_job(client, "j", "select url from logs")

        response = client.post("/v2/jobs/j/exports/e", http_export("169.254.169.254"))

    assert response.status_code == 200, response.text


def test_a_batch_does_not_connect_where_the_policy_now_refuses(tmp_path: Path) -> None:
    allowed = make_settings(tmp_path)
    write_lines(allowed, "bkt1", "cdn/a.json", [json.dumps(r) for r in ROWS])
    with http_receiver() as receiver:
        with run_app(allowed) as http:
            client = Client(http)
            make_datasource(client)
            make_job(client, "j", "select url from logs")
            created = client.post(
                "/v2/jobs/j/exports/e", http_export(f"localhost:{receiver.url.split(':')[1]}")
            )
            assert created.status_code == 200, created.text
        # The same installation restarted with loopback refused: the stored export's name now
        # resolves to a refused address when the batch connects.
        with run_app(make_settings(tmp_path, **NO_LOOPBACK)) as http:
            client = Client(http)
            assert client.post("/v2/jobs/j/actions/start", {}).status_code == 200
            done = wait_for(client, "j", {"Successful", "Failed"})

        assert receiver.requests == []
    assert done["status"] == "Failed", done
    assert "refused" in done["message"], done

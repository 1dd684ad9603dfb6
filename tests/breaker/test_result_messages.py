"""What a tenant reads about its results names its job and batch, never where the server keeps
them (the warehouse's path or bucket); deleting a job removes its results from the warehouse."""

from __future__ import annotations

import json

import pytest

from tests.api.test_batches import ROWS, make_datasource, make_job, write_lines
from tests.support import Client, assert_error, wait_for
from tidemill.config import Settings


@pytest.fixture
def ran(client: Client, settings: Settings) -> Client:
    write_lines(settings, "bkt1", "cdn/2026-11-23.json", [json.dumps(r) for r in ROWS])
    make_datasource(client)
    make_job(client, "j", "select url from logs")
    client.post("/v2/jobs/j/actions/start", {})
    assert wait_for(client, "j")["status"] == "Successful"
    return client


def test_a_missing_result_is_told_without_the_servers_path(ran: Client, settings: Settings) -> None:
    [result] = (settings.data_dir / "warehouse").glob("*/j/1/result.parquet")
    result.unlink()

    refused = assert_error(ran.get("/v2/jobs/j/history/1/result"), 404, "E18202")

    assert "rerun" in refused["error"]
    assert str(settings.data_dir) not in refused["error"], refused
    assert "file://" not in refused["error"], refused


def test_deleting_a_job_removes_its_results(ran: Client, settings: Settings) -> None:
    assert list((settings.data_dir / "warehouse").glob("*/j/1/result.parquet"))
    assert ran.delete("/v2/jobs/j").status_code == 200
    assert not [p for p in (settings.data_dir / "warehouse").rglob("*") if p.is_file()]

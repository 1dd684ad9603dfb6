"""The console's read-only extension endpoints (api/routes/console.py), in process: what they
answer, their errors (spec §1.6 codes), and that they see only the calling account's data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.support import Client, assert_error, assert_ok_json, wait_for
from tidemill.config import Settings
from tidemill.runtime import Runtime
from tidemill.services.accounts import create_key

SCHEMA = [{"key": "url", "valtype": "string"}, {"key": "bytes", "valtype": "long"}]


def put_logs(settings: Settings) -> str:
    """Three files in bkt1: two under this year's prefix (in the configured zone), one not."""
    year = datetime.now(settings.zone).strftime("%Y")
    root = settings.data_dir / "kodo" / settings.account / "bkt1" / "cdn"
    (root / year).mkdir(parents=True)
    (root / year / "a.json").write_text('{"url": "/a", "bytes": 3}\n')
    (root / year / "b.json.gz").write_bytes(b"")  # listed by name; never read here
    (root / "1999").mkdir()
    (root / "1999" / "old.json").write_text('{"url": "/z", "bytes": 1}\n')
    return year


def datasource(client: Client, name: str, prefix: str) -> None:
    assert_ok_json_empty(client.post(f"/v2/datasources/{name}", {
        "region": "nb", "type": "kodo", "noVerifySchema": True, "schema": SCHEMA,
        "spec": {"bucket": "bkt1", "keyPrefixes": [prefix], "fileType": "json"}}))  # fmt: skip


def assert_ok_json_empty(response: Any) -> None:
    assert response.status_code == 200, response.text


def test_files_are_those_the_spec_selects_now(client: Client, settings: Settings) -> None:
    year = put_logs(settings)
    datasource(client, "logs", "cdn/$(year)/")

    body = assert_ok_json(client.get("/v2/console/datasources/logs/files"))

    assert body["total"] == 2
    assert body["files"] == [
        {"name": f"bkt1/cdn/{year}/a.json", "size": 26, "format": "json", "compression": ""},
        {"name": f"bkt1/cdn/{year}/b.json.gz", "size": 0, "format": "json",
         "compression": "gzip"},
    ]  # fmt: skip
    assert body["time"].startswith(year)
    assert str(settings.data_dir) not in str(body)  # no server path leaks


def test_files_errors_and_account_scope(client: Client, settings: Settings, runtime: Runtime):
    put_logs(settings)
    datasource(client, "logs", "cdn/")
    assert_error(client.get("/v2/console/datasources/nope/files"), 404, "E18102")
    assert_error(client.get("/v2/console/datasources/bad-name!/files"), 400, "E18103")
    pair = create_key(runtime, "other")
    other = client.as_account(pair.access_key, pair.secret_key)
    assert_error(other.get("/v2/console/datasources/logs/files"), 404, "E18102")
    unsigned = client.http.get("/v2/console/datasources/logs/files")
    assert unsigned.status_code == 401


def test_export_outcomes_of_a_batch(client: Client, settings: Settings, runtime: Runtime):
    put_logs(settings)
    datasource(client, "logs", "cdn/1999/")  # the readable file alone
    assert_ok_json_empty(client.post("/v2/jobs/j", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
        "computation": {"type": "sql", "code": "select url, bytes from logs"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"}}))  # fmt: skip
    assert_ok_json_empty(client.post("/v2/jobs/j/exports/files", {"type": "kodo", "spec": {
        "bucket": "bkt1", "keyPrefix": "out/", "format": "json", "fileCount": 1,
        "saveMode": "overwrite"}}))  # fmt: skip
    assert_ok_json_empty(client.post("/v2/jobs/j/actions/start", {}))
    batch = wait_for(client, "j", {"Successful", "Failed"})
    assert batch["status"] == "Successful", batch["message"]

    body = assert_ok_json(client.get("/v2/console/jobs/j/history/1/exports"))

    assert body["runId"] == 1
    [outcome] = body["exports"]
    assert {k: outcome[k] for k in ("name", "type", "status", "rows", "attempt")} == {
        "name": "files",
        "type": "kodo",
        "status": "Successful",
        "rows": 1,
        "attempt": 0,
    }
    assert assert_ok_json(client.get("/v2/console/jobs/j/history/-1/exports")) == body

    assert_error(client.get("/v2/console/jobs/j/history/7/exports"), 404, "E18202")
    assert_error(client.get("/v2/console/jobs/j/history/x/exports"), 400, "E18007")
    assert_error(client.get("/v2/console/jobs/nope/history/1/exports"), 404, "E18202")
    pair = create_key(runtime, "other")
    other = client.as_account(pair.access_key, pair.secret_key)
    assert_error(other.get("/v2/console/jobs/j/history/1/exports"), 404, "E18202")

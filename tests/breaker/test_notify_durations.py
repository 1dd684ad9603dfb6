"""Durations in the issue-14 job extensions: the refusal of a lateAfter says "from 1m to 7d",
so "7d" (and "2d") must be accepted, not refused as "not a duration"; stored normalised."""

from __future__ import annotations

from typing import Any

from tests.api.test_batches import make_datasource, write_lines
from tests.support import Client, assert_error
from tidemill.config import Settings

SECRET = "s" * 16


def body(**extra: Any) -> dict[str, Any]:
    return {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select 1 as a from logs"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"}, **extra,
    }  # fmt: skip


def late(after: str) -> dict[str, Any]:
    return body(notify=[{"url": "http://127.0.0.1:9/", "on": ["late"], "lateAfter": after,
                         "secret": SECRET}])  # fmt: skip


def test_the_days_the_limits_are_told_in_are_accepted(client: Client, settings: Settings) -> None:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)

    refused = assert_error(client.post("/v2/jobs/a", late("8d")), 400, "E18207")["error"]
    assert "from 1m to 7d" in refused, refused
    assert client.post("/v2/jobs/a", late("7d")).status_code == 200
    assert client.get("/v2/jobs/a").json()["notify"][0]["lateAfter"] == "168h"
    retry = body(retry={"attempts": 2, "backoff": "1h", "maxBackoff": "1d"})
    assert client.post("/v2/jobs/b", retry).status_code == 200
    assert client.get("/v2/jobs/b").json()["retry"]["maxBackoff"] == "24h"
    assert_error(client.post("/v2/jobs/c", late("-1d")), 400, "E18207")

"""A backfill's `from`/`to` and a dry run's `batchTime` are documented as RFC 3339 times, but
were read by Python's `datetime.fromisoformat`, which takes far more: an ISO week date
(`2026-W01-1T00:00:00+08:00` is 2025-12-29 — a backfill of a different week, silently), a NUL
or other character before the offset, an hour without minutes, a comma fraction, a two-digit
offset; and it refused RFC 3339's lower-case `t` and `z` (§5.6). Both now read RFC 3339 itself
(`core.rfc3339`): anything else is E18007 saying what to send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.api.test_batches import make_datasource, make_job, write_lines
from tests.support import Client, assert_error
from tidemill.config import Settings
from tidemill.core.rfc3339 import parse_time

HOURLY = {"type": "crontab", "spec": {"crontab": "0 0 * * * *"}}
NOT_RFC3339 = [
    "2026-W01-1T00:00:00+08:00",  # an ISO week date
    "2026-01-01T00:00:00\x00+08:00",
    "2026-01-01T00:00:00+08:00\x00",
    "2026-01-01T00+08:00",
    "2026-01-01T00:00+08:00",
    "2026-01-01T00:00:00,5+08:00",
    "2026-01-01T00:00:00.+08:00",
    "2026-01-01T00:00:00+08",
    "2026-01-01T00:00:00+0800",
    "2026-01-01T00:00:00+08:00:30",
    "20260101T000000+0800",
    "\uff12\uff10\uff12\uff16-01-01T00:00:00+08:00",  # full-width digits
    "2026-13-01T00:00:00Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00",
]


@pytest.mark.parametrize("text", NOT_RFC3339)
def test_what_is_not_rfc3339_is_not_a_time(text: str) -> None:
    assert parse_time(text) is None


def test_rfc3339_as_written() -> None:
    plus8 = timezone(timedelta(hours=8))
    assert parse_time("2026-01-01T10:00:00+08:00") == datetime(2026, 1, 1, 10, tzinfo=plus8)
    assert parse_time("2026-01-01t02:00:00z") == datetime(2026, 1, 1, 2, tzinfo=UTC)
    assert parse_time("2026-01-01T02:00:00.123456789Z") == datetime(
        2026, 1, 1, 2, 0, 0, 123456, tzinfo=UTC
    )
    assert parse_time("2026-01-01T02:00:00-00:30") == datetime(
        2026, 1, 1, 2, tzinfo=timezone(-timedelta(minutes=30))
    )
    assert parse_time("2026-01-01 02:00:00Z") is None
    assert parse_time("2026-01-01 02:00:00Z", space=True) == datetime(2026, 1, 1, 2, tzinfo=UTC)


@pytest.fixture
def jobs(client: Client, settings: Settings) -> Client:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    make_job(client, "hourly", "select count(*) as n from logs", scheduler=HOURLY)
    return client


@pytest.mark.parametrize("text", ["2026-W01-1T00:00:00+08:00", "2026-01-01T00:00:00\x00+08:00"])
def test_the_endpoints_refuse_them(jobs: Client, text: str) -> None:
    backfill = jobs.post("/v2/jobs/hourly/actions/backfill", {
        "from": text, "to": "2026-01-02T00:00:00+08:00", "dryRun": True,
    })  # fmt: skip
    assert "RFC 3339" in assert_error(backfill, 400, "E18007")["error"]
    render = jobs.post("/v2/jobs/hourly/actions/render", {"batchTime": text})
    assert "RFC 3339" in assert_error(render, 400, "E18007")["error"]


def test_lower_case_t_and_z_are_taken(jobs: Client) -> None:
    backfill = jobs.post("/v2/jobs/hourly/actions/backfill", {
        "from": "2026-01-01t00:00:00z", "to": "2026-01-01t02:00:00z", "dryRun": True,
    })  # fmt: skip
    assert backfill.status_code == 200 and backfill.json()["slots"] == 3, backfill.text
    render = jobs.post("/v2/jobs/hourly/actions/render", {"batchTime": "2026-01-01t00:00:00z"})
    assert render.status_code == 200, render.text
    assert render.json()["batchTime"] == "2026-01-01T08:00:00+08:00"

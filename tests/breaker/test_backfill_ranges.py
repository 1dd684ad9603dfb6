"""Backfill ranges a careless or hostile user sends (issue 14, item 1): times at the ends of
the calendar and ranges of thousands of years get REQ_MALFORMED (E18007) with what to send,
never a 500 (a date overflow) nor seconds of the service's time (a rare schedule's slots are
found by walking every day of the range, inside the request's transaction)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.test_batches import make_datasource, make_job, write_lines
from tests.support import Client, assert_error
from tidemill.config import Settings

HOURLY = {"type": "crontab", "spec": {"crontab": "0 0 * * * *"}}
LEAP_DAY = {"type": "crontab", "spec": {"crontab": "0 0 0 29 2 *"}}  # once in four years


@pytest.fixture
def jobs(client: Client, settings: Settings) -> Client:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    make_job(client, "hourly", "select count(*) as n from logs", scheduler=HOURLY)
    make_job(client, "leap", "select count(*) as n from logs", scheduler=LEAP_DAY)
    return client


def refused(client: Client, job: str, body: dict[str, Any]) -> str:
    response = client.post(f"/v2/jobs/{job}/actions/backfill", {**body, "dryRun": True})
    message: str = assert_error(response, 400, "E18007")["error"]
    return message


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00+08:00", "0001-01-01T05:00:00+08:00"),
        ("9999-12-31T20:00:00-12:00", "9999-12-31T23:00:00-12:00"),
        ("0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"),
    ],
)
def test_times_at_the_ends_of_the_calendar_are_refused(jobs: Client, start: str, end: str) -> None:
    message = refused(jobs, "hourly", {"from": start, "to": end})
    assert "1900 to 9998" in message, message


def test_a_range_of_thousands_of_years_is_refused_before_its_days_are_walked(
    jobs: Client,
) -> None:
    message = refused(jobs, "leap", {"from": "1900-01-01T00:00:00Z", "to": "9998-01-01T00:00:00Z"})
    assert "at most 36525 days" in message and "split the range" in message, message
    # a century still works
    response = jobs.post("/v2/jobs/leap/actions/backfill", {
        "from": "1901-01-01T00:00:00+08:00", "to": "2000-12-31T00:00:00+08:00", "dryRun": True,
    })  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["slots"] == 25


def test_slots_after_now_are_left_to_the_schedule(jobs: Client) -> None:
    """A backfill reaching into the future queued batches for slots that have not come (they
    ran at once, reading data not there yet, and the schedule fired the same slots again)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start, end = now - timedelta(hours=2), now + timedelta(hours=5)
    response = jobs.post("/v2/jobs/hourly/actions/backfill", {
        "from": start.isoformat(), "to": end.isoformat(), "dryRun": True,
    })  # fmt: skip
    assert response.status_code == 200, response.text
    times = [datetime.fromisoformat(b["batchTime"]) for b in response.json()["batches"]]
    assert times == [start, start + timedelta(hours=1), now], times
    message = refused(jobs, "hourly", {"from": (now + timedelta(hours=1)).isoformat(),
                                       "to": end.isoformat()})  # fmt: skip
    assert "after now" in message, message

"""A dry run at a batchTime whose instant falls outside what datetime holds (year 0 or 10000 in
UTC) is refused as malformed (E18007), not answered with a 500 (spec §1.6)."""

from __future__ import annotations

import pytest

from tests.api.test_batches import make_datasource, make_job
from tests.support import Client, assert_error


@pytest.mark.parametrize(
    "batch_time", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z"]
)
def test_a_batch_time_at_the_edge_of_the_calendar_is_malformed(
    client: Client, batch_time: str
) -> None:
    make_datasource(client)
    make_job(client, "j", "select url from logs")

    refused = assert_error(
        client.post("/v2/jobs/j/actions/render", {"batchTime": batch_time}), 400, "E18007"
    )

    assert batch_time in refused["error"] and "1900" in refused["error"], refused

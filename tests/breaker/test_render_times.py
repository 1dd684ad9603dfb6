"""The dry run (issue 14, item 4) of a batch at a batchTime at the ends of the calendar: the
variables' zone conversion overflowed (a 500); now REQ_MALFORMED (E18007) naming the years."""

from __future__ import annotations

import pytest

from tests.api.test_batches import make_datasource, make_job, write_lines
from tests.support import Client, assert_error
from tidemill.config import Settings


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_batch_time_the_zone_cannot_hold_is_refused(
    client: Client, settings: Settings, moment: str
) -> None:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    make_job(client, "j", "select '$(now)' as t, count(*) as n from logs")

    response = client.post("/v2/jobs/j/actions/render", {"batchTime": moment})

    assert "1900 to 9998" in assert_error(response, 400, "E18007")["error"]
    ok = client.post("/v2/jobs/j/actions/render", {"batchTime": "1900-01-01T08:00:00+08:00"})
    assert ok.status_code == 200, ok.text

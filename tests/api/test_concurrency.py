"""Concurrent requests for one name: one wins, the others get the resource's conflict code —
never a 500 from the database's unique key (the check-then-write race)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.api.test_batches import SLOW
from tests.support import Client
from tidemill.config import Settings

BODIES: dict[str, dict[str, Any]] = {
    "/v2/workflows/w": {"region": "nb", "comment": "c"},
    "/v2/variables/v": {"type": "string", "value": "x"},
    "/v2/datasources/d": {
        "region": "nb", "type": "kodo", "noVerifySchema": True,
        "schema": [{"key": "a", "valtype": "long"}],
        "spec": {"bucket": "bkt1", "keyPrefixes": ["p/"], "fileType": "json"},
    },
}  # fmt: skip


@pytest.mark.parametrize("path", list(BODIES))
def test_concurrent_creates_of_one_name_give_one_success_and_conflicts(
    client: Client, path: str
) -> None:
    def create(_: int) -> int:
        return client.post(path, BODIES[path]).status_code

    for _ in range(20):
        client.delete(path)
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(create, range(8)))

        assert codes.count(200) == 1, codes
        assert set(codes) <= {200, 409}, codes


def test_concurrent_starts_of_a_manual_job_queue_one_batch(
    client: Client, settings: Settings
) -> None:
    folder = settings.data_dir / "kodo" / "default" / "bkt1" / "p"
    folder.mkdir(parents=True)
    (folder / "a.json").write_text('{"a": 1}\n')
    client.post("/v2/datasources/d", BODIES["/v2/datasources/d"])
    job = {
        "srcs": [{"name": "d", "type": "DataSource", "tableName": "t"}],
        "computation": {"type": "sql", "code": SLOW},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }  # fmt: skip
    assert client.post("/v2/jobs/j", job).status_code == 200

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: client.post("/v2/jobs/j/actions/start", {}), range(8)))

    assert [r.status_code for r in codes].count(200) == 1, [r.text for r in codes]
    assert {r.status_code for r in codes} <= {200, 400}
    assert client.get("/v2/jobs/j/history").json()["total"] == 1
    client.post("/v2/jobs/j/actions/stop")

"""Concurrent requests for one name: one wins, the others get the resource's conflict code —
never a 500 from the database's unique key (the check-then-write race)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support import Client

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

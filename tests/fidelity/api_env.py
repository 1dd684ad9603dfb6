"""The real app over a local bucket store, for end-to-end fidelity runs through the API.

One app (and its runner) per test module; each case creates its own datasources and job, runs
one batch (start → wait) and reads the result endpoint (`GET /v2/jobs/<job>/history/<runId>/
result`), which is what a user sees.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.buckets import own_bucket
from tests.conftest import make_settings
from tests.support import Client, wait_for
from tidemill.api.app import create_app
from tidemill.runtime import Runtime, build_runtime
from tidemill.storage.base import Buckets


@dataclass
class Api:
    client: Client
    runtime: Runtime
    stores: dict[str, Buckets]

    def put(self, bucket: str, key: str, data: bytes) -> None:
        """Write an object, creating the bucket (for the bootstrap account) on first use."""
        if bucket not in self.stores:
            self.stores[bucket] = own_bucket(self.runtime, bucket)
        self.stores[bucket].write(bucket, key, data)

    def create_datasource(self, name: str, body: dict[str, Any]) -> None:
        response = self.client.post(f"/v2/datasources/{name}", body)
        assert response.status_code == 200, response.text

    def create_job(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """The create answer: {} when it succeeded, else the error body with its status."""
        response = self.client.post(f"/v2/jobs/{name}", body)
        if response.status_code == 200:
            return {}
        answer: dict[str, Any] = {"status": response.status_code}
        try:
            answer.update(response.json())
        except json.JSONDecodeError:
            answer["text"] = response.text
        return answer

    def run(self, name: str, timeout: float = 60.0) -> dict[str, Any]:
        """Start job `name`, wait for its batch; the result endpoint's body, or
        {"failed": message} when the batch did not succeed."""
        response = self.client.post(f"/v2/jobs/{name}/actions/start", {})
        assert response.status_code == 200, response.text
        done = wait_for(self.client, name, timeout=timeout)
        if done["status"] != "Successful":
            return {"failed": f"{done['status']}: {done.get('message', '')}"}
        # Every row: the endpoint shows 20 unless asked (corpus results stay far below this).
        result = self.client.get(f"/v2/jobs/{name}/history/{done['runId']}/result?limit=1000")
        if result.status_code != 200:
            return {"failed": f"result endpoint answered {result.status_code}: {result.text}"}
        body: dict[str, Any] = result.json()
        return body


def job_body(srcs: list[dict[str, Any]], code: str) -> dict[str, Any]:
    return {
        "srcs": srcs, "computation": {"type": "sql", "code": code},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }  # fmt: skip


@contextmanager
def api(tmp_path: Path) -> Iterator[Api]:
    """The real app with local buckets under `tmp_path` (default zone Asia/Shanghai)."""
    settings = make_settings(tmp_path)
    runtime = build_runtime(settings)
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            yield Api(Client(http), runtime, {})
    finally:
        runtime.close()

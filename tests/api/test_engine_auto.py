"""TIDEMILL_ENGINE=auto through the API: a small input runs on DuckDB, a large one on Spark
(a real local Spark session in the worker), each named in the batch's history message, and
both give the same result."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.buckets import Env, own_bucket
from tests.conftest import make_settings
from tests.support import Client, wait_for
from tidemill.api.app import create_app
from tidemill.runtime import build_runtime

MIN_BYTES = 200


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    settings = make_settings(tmp_path).model_copy(
        update={"engine": "auto", "engine_spark_min_bytes": MIN_BYTES}
    )
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    runtime = build_runtime(settings)
    store = own_bucket(runtime, bucket)
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            yield Env(Client(http), bucket, lambda k, d: store.write(bucket, k, d), runtime)
    finally:
        runtime.close()


def ok(response: Any) -> None:
    assert response.status_code == 200, response.text


def lines(n: int) -> bytes:
    return "".join(f'{{"n": {i}, "s": "row-{i % 3}"}}\n' for i in range(n)).encode()


def run(env: Env, name: str, prefix: str) -> tuple[dict[str, Any], list[Any]]:
    ok(env.client.post(f"/v2/datasources/{name}", {
        "region": "nb", "type": "kodo", "noVerifySchema": True,
        "schema": [{"key": "n", "valtype": "long"}, {"key": "s", "valtype": "string"}],
        "spec": {"bucket": env.bucket, "keyPrefixes": [prefix], "fileType": "json"},
    }))  # fmt: skip
    ok(env.client.post(f"/v2/jobs/{name}", {
        "srcs": [{"name": name, "type": "DataSource", "tableName": "t"}],
        "computation": {"type": "sql",
                        "code": "select s, sum(n) as total, count(1) as c from t group by s"
                                " order by s"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip
    ok(env.client.post(f"/v2/jobs/{name}/actions/start", {}))
    done = wait_for(env.client, name, timeout=180)
    assert done["status"] == "Successful", (done["status"], done.get("message"))
    result = env.client.get(f"/v2/jobs/{name}/history/1/result").json()
    return done, result["rows"]


def test_auto_runs_small_inputs_on_duckdb_and_large_ones_on_spark(env: Env) -> None:
    small, large = lines(3), lines(60)
    assert len(small) <= MIN_BYTES < len(large)
    env.put("small/a.json", small)
    env.put("large/a.json", large)

    on_duckdb, small_rows = run(env, "small", "small/")
    on_spark, large_rows = run(env, "large", "large/")

    assert on_duckdb["message"].startswith(f"ran on duckdb (auto: input {len(small)} bytes")
    assert on_spark["message"].startswith(f"ran on spark (auto: input {len(large)} bytes")
    assert small_rows == [["row-0", 0, 1], ["row-1", 1, 1], ["row-2", 2, 1]]
    expected = [[f"row-{k}", sum(i for i in range(60) if i % 3 == k), 20] for k in range(3)]
    assert large_rows == expected

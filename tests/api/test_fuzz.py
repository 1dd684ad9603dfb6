"""A bounded, seeded fuzzer over every endpoint of the real app (issue 9, acceptance).

Signed requests with mutated bodies, paths, query parameters and headers: huge and
non-finite numbers, lone surrogates, deep nesting, wrong JSON types, unknown members, garbage
bytes, odd names. Every answer must be below 500, JSON with the exact Content-Type, and free
of tracebacks. Bounded by `REQUESTS` and `BUDGET_SECONDS`; the seed is printed and can be
replayed with TIDEMILL_TEST_FUZZ_SEED=<seed>. (No OpenAPI document exists yet for
schemathesis: the endpoint list comes from the app's own routers.)
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import OWN_BUCKETS
from tests.support import AK, SK, Client
from tidemill.api.app import create_app
from tidemill.api.routes import batches, datasources, jobs, variables, workflows
from tidemill.config import Settings
from tidemill.runtime import build_runtime

# Raise both through the environment to hunt longer (TIDEMILL_TEST_FUZZ_REQUESTS / _SECONDS).
REQUESTS = int(os.environ.get("TIDEMILL_TEST_FUZZ_REQUESTS") or 1500)
BUDGET_SECONDS = float(os.environ.get("TIDEMILL_TEST_FUZZ_SECONDS") or 40)

ROUTES: list[tuple[str, str]] = sorted(
    (method, route.path)
    for module in (datasources, jobs, batches, variables, workflows)
    for route in module.router.routes
    for method in route.methods
)

SCHEMA = [{"key": "id", "valtype": "long", "required": False}, {"key": "s", "valtype": "string"}]
DATASOURCE = {
    "region": "nb", "type": "kodo", "noVerifySchema": True, "schema": SCHEMA,
    "spec": {"bucket": "bkt1", "keyPrefixes": ["in/"], "fileType": "json"},
}  # fmt: skip
JOB = {
    "srcs": [{"name": "ds", "type": "DataSource", "tableName": "t", "fileFilter": ""}],
    "computation": {"type": "sql", "code": "SELECT id, s FROM t WHERE s <> '$(v)'"},
    "container": {"type": "1U2G", "count": 1},
    "scheduler": {"type": "manual"},
    "params": [{"name": "p", "default": "x"}],
}
EXPORT = {
    "type": "kodo",
    "spec": {"bucket": "bkt2", "keyPrefix": "out/$(year)/", "format": "csv", "delimiter": ",",
             "containsHeader": True, "fileCount": 2, "retention": 7, "partitionBy": ["s"],
             "saveMode": "overwrite"},
}  # fmt: skip
# A valid body per (method, path) family; mutations start from these.
TEMPLATES: dict[str, list[dict[str, Any]]] = {
    "/v2/datasources/{name}": [
        DATASOURCE,
        {"region": "nb", "type": "fusion",
         "spec": {"domains": ["a.com"], "fileFilter": "$(now) ~ $(now)"}},
        {"region": "nb", "type": "hdfs", "noVerifySchema": True, "schema": SCHEMA,
         "spec": {"paths": ["hdfs://nn:9000/x/$(date)"], "fileType": "csv", "delimiter": ",",
                  "containsHeader": False}},
    ],
    "/v2/jobs/{name}": [
        JOB,
        {**JOB, "scheduler": {"type": "loop", "spec": {"loop": "10m"}}},
        {**JOB, "scheduler": {"type": "crontab", "spec": {"crontab": "0 0 0/1 * * ?"}}},
        {"srcs": [{"name": "j", "type": "Job", "tableName": "u"}],
         "computation": {"type": "sql", "code": "SELECT id FROM u"},
         "scheduler": {"type": "depend"}},
    ],
    "/v2/jobs/{job}/exports/{name}": [
        EXPORT,
        {"type": "http", "spec": {"host": "127.0.0.1:9", "uri": "/in", "format": "json"}},
        {"type": "report", "spec": {"dbName": "db", "tableName": "t", "columns": {"c": "#id"},
                                    "saveMode": "append"}},
        {"type": "tsdb", "spec": {"destRepoName": "r", "series": "s", "tags": {"t": "#s"},
                                  "fields": {"f": "#id"}, "timestamp": "#id"}},
        {"type": "logdb", "spec": {"destRepoName": "r", "doc": {"a": {"b": "#id"}}}},
        {"type": "hdfs", "spec": {"path": "hdfs://nn:9000/o", "format": "parquet", "fileCount": 1}},
    ],
    "/v2/variables/{name}": [
        {"type": "time", "value": "$(now)-1d", "format": "yyyy-MM-dd"},
        {"type": "string", "value": "x", "name": "v"},
    ],
    "/v2/workflows/{name}": [{"region": "nb", "comment": "c", "name": "w"}],
    "/v2/jobs/{name}/actions/start": [{"params": [{"name": "p", "value": "1", "default": ""}]}],
    "/v2/batch/actions/stop": [{"jobName": "j", "runId": 1}, {"jobName": "j", "runId": "-1"}],
    "/v2/batch/actions/rerun": [{"jobName": "j", "runId": 1}],
    "/v2/schemas": [{"type": "kodo", "spec": DATASOURCE["spec"]}, {"type": "fusion", "spec": {}}],
}  # fmt: skip
NAMES = {
    "name": ["ds", "j", "e", "v", "w", "now", "nope"], "job": ["j", "nope"],
    "run_id": ["1", "-1", "0"],
}  # fmt: skip
QUERY_KEYS = ["page", "size", "sortBy", "status", "runId", "type", "srcDatasource",
              "srcDataSource", "srcJob", "limit"]  # fmt: skip
SEGMENTS = [
    "9x", "a" * 129, "a" * 5000, "%ED%A0%80", "%C3%A9", "%00", "%2F", "%25", "..", "~", "é",
    "\U0001d518", "x%20y", "null", "-1", "99999999999999999999999", "²", "٣", " ", "%FF%FE",
]  # fmt: skip
WEIRD_TEXT = [
    "", " ", "\ud800", "a\udfffb", "\x00", "é", "😀", "'; DROP TABLE jobs; --", "$(", "$(now",
    "$(x)", "a" * 70000, "../../etc/passwd", "\\<>:", "0/1", "1e400", "NaN", "-0",
]  # fmt: skip
NUMBERS = [0, -1, 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**20, 10**400, 1.5, 1e308, -1e308,
           2.0, 1e-320]  # fmt: skip


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.choice(NUMBERS)
    if kind == 1:
        return rng.choice(WEIRD_TEXT)
    if kind == 2:
        return rng.choice([None, True, False])
    if kind == 3:
        return "".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(rng.randrange(8)))
    if kind == 4:
        return rng.randrange(-1000, 1000)
    if kind == 5:
        return rng.choice(["kodo", "csv", "json", "manual", "loop", "10m", "#id", "1U2G", "nb"])
    if kind == 6:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 7:
        return {rng.choice(["a", "spec", "type", "\ud800", ""]): random_value(rng, depth + 1)}
    return nest(rng.randrange(20, 600))


def nest(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def mutate(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """A copy of `value` with one random change somewhere inside it."""
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        changed = dict(value)
        action = rng.randrange(4)
        if action == 0:
            del changed[key]
        elif action == 1:
            changed[rng.choice(["extra", "\ud800", key.upper(), ""])] = random_value(rng)
        else:
            changed[key] = mutate(rng, value[key], depth + 1)
        return changed
    if isinstance(value, list) and value and rng.random() < 0.8:
        changed_list = list(value)
        index = rng.randrange(len(value))
        changed_list[index] = mutate(rng, value[index], depth + 1)
        scalars = not any(isinstance(item, list | dict) for item in changed_list)
        if scalars and len(changed_list) <= 40 and rng.random() < 0.2:  # bounded growth
            changed_list = changed_list * rng.choice([2, 50])
        return changed_list
    return random_value(rng)


def template_for(path: str) -> list[dict[str, Any]]:
    return TEMPLATES.get(path, [{}])


def fill_path(rng: random.Random, path: str) -> str:
    for param in ("name", "job", "run_id"):
        marker = "{" + param + "}"
        if marker in path:
            choice = rng.choice(NAMES[param]) if rng.random() < 0.7 else rng.choice(SEGMENTS)
            path = path.replace(marker, choice)
    return path


def query(rng: random.Random) -> str:
    pairs = []
    for _ in range(rng.randrange(4)):
        value = rng.choice([*SEGMENTS, "1", "20", "-runId", "Failed", "user", "system", "j"])
        pairs.append(f"{rng.choice(QUERY_KEYS)}={value}")
    return "?" + "&".join(pairs) if pairs else ""


def body(rng: random.Random, path: str) -> tuple[bytes | None, dict[str, str]]:
    choice = rng.random()
    headers: dict[str, str] = {}
    if rng.random() < 0.2:
        headers["Content-Type"] = rng.choice(["text/plain", "", "application/json; charset=x"])
    if rng.random() < 0.05:
        headers["X-Resource-Owner"] = rng.choice(["other", "%C3%A9", ""])
    if choice < 0.05:
        return None, headers
    if choice < 0.12:
        raw = rng.choice([b"{", b"[]", b"null", b"\xff\xfe", b'{"a": 1e999}', b"{" * 100000,
                          b'{"a": "\\ud800"}', b'{"a": ' + b"1" * 5000 + b"}", b"  ",
                          b'{"spec": ' + b"[" * 900 + b"]" * 900 + b"}"])  # fmt: skip
        return raw, headers
    value = rng.choice(template_for(path))
    for _ in range(rng.choice([0, 1, 1, 2, 3, 6])):
        value = mutate(rng, value)
    try:
        raw = json.dumps(value).encode()
    except (ValueError, OverflowError, RecursionError):
        raw = b"{}"
    return raw, headers


@pytest.fixture
def fuzz_client(tmp_path: Path) -> Iterator[Client]:
    settings = Settings(
        data_dir=tmp_path / "data", access_key=AK, secret_key=SK,
        scheduler={"enabled": False},  # no background firing: each answer is the request's own
    )  # fmt: skip
    buckets = settings.data_dir / "kodo" / settings.account
    for bucket in OWN_BUCKETS:
        (buckets / bucket).mkdir(parents=True)
    (buckets / "bkt1" / "in").mkdir()
    (buckets / "bkt1" / "in" / "a.json").write_text('{"id": 1, "s": "x"}\n')
    runtime = build_runtime(settings)
    with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
        client = Client(http)
        for path, value in [
            ("/v2/variables/v", {"type": "string", "value": "x"}),
            ("/v2/workflows/w", {"region": "nb", "comment": "c"}),
            ("/v2/datasources/ds", DATASOURCE),
            ("/v2/jobs/j", JOB),
            ("/v2/jobs/j/exports/e", EXPORT),
        ]:
            assert client.post(path, value).status_code == 200
        yield client
    runtime.close()


def test_fuzz_every_endpoint_gives_no_5xx_and_no_traceback(fuzz_client: Client) -> None:
    seed = int(os.environ.get("TIDEMILL_TEST_FUZZ_SEED") or random.randrange(2**32))
    print(f"fuzz seed {seed} (replay: TIDEMILL_TEST_FUZZ_SEED={seed})")
    rng = random.Random(seed)
    deadline = time.monotonic() + BUDGET_SECONDS
    hit: set[tuple[str, str]] = set()
    sent = 0
    slowest = (0.0, "")
    for number in range(REQUESTS):
        if time.monotonic() > deadline:
            break
        # Round-robin first, so every endpoint is reached before the budget can run out.
        method, template = ROUTES[number] if number < len(ROUTES) else rng.choice(ROUTES)
        path = fill_path(rng, template) + query(rng)
        raw, headers = body(rng, template) if method in ("POST", "PUT", "DELETE") else (None, {})
        client = fuzz_client if rng.random() > 0.03 else fuzz_client.as_account(AK, "wrong")
        started = time.monotonic()
        response = client.request(method, path, raw=raw, headers=headers)
        slowest = max(slowest, (time.monotonic() - started, f"{method} {path[:80]}"))
        sent += 1
        hit.add((method, template))
        where = f"seed {seed}, request {number}: {method} {path[:200]} body {(raw or b'')[:300]!r}"
        # 501 is the spec's answer for the one recognised but unimplemented API (§1.6.3).
        unimplemented = response.status_code == 501 and template.endswith("/search")
        assert response.status_code < 500 or unimplemented, f"{where} -> {response.text}"
        assert response.headers["content-type"] == "application/json", where
        text = response.text
        assert "Traceback" not in text and 'File "' not in text, f"{where} -> {text[:500]}"
        if text:
            json.loads(text)
    print(
        f"fuzz: {sent} requests over {len(hit)} endpoints; slowest {slowest[0]:.2f} s: {slowest[1]}"
    )
    assert hit == set(ROUTES), f"seed {seed}: endpoints never reached: {set(ROUTES) - hit}"

"""Schema inference (POST /v2/schemas, spec §5) and datasource verification (D-7), over a local
bucket and over a real S3 store (SeaweedFS)."""

from __future__ import annotations

import gzip
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.buckets import BACKENDS, Env, bucket_env
from tests.support import assert_error


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    with bucket_env(request, tmp_path) as made:
        yield made


def lines(*records: dict[str, Any]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def schema_of(env: Env, spec: dict[str, Any], type_: str = "kodo") -> list[dict[str, Any]]:
    response = env.client.post("/v2/schemas", {"type": type_, "spec": spec})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    schema: list[dict[str, Any]] = response.json()["schema"]
    return schema


def pairs(schema: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["key"], f["valtype"]) for f in schema]


def test_json_schema_is_the_union_of_keys_with_widened_types(env: Env) -> None:
    env.put("logs/a.json", lines(
        {"url": "/a", "bytes": 10, "hit": True, "time": "2026-11-01T10:00:00+08:00"},
        {"url": "/b", "bytes": 2.5, "hit": False, "time": "2026-11-01T11:00:00Z", "extra": [1]},
    ))  # fmt: skip
    env.put("other/b.json", lines({"ignored": 1}))

    schema = schema_of(env, {"bucket": env.bucket, "keyPrefixes": ["logs/"], "fileType": "json"})

    assert pairs(schema) == [
        ("url", "string"), ("bytes", "float"), ("hit", "boolean"), ("time", "date"),
        ("extra", "string"),
    ]  # fmt: skip
    assert all(f["required"] is False for f in schema)


def test_csv_schema_comes_from_the_header_and_the_values(env: Env) -> None:
    env.put("t/a.csv", b"name|n|ratio|ok\nx|1|0.5|true\ny|2|1|false\n")

    spec = {"bucket": env.bucket, "keyPrefixes": ["t/"], "fileType": "csv",
            "delimiter": "|", "containsHeader": True}  # fmt: skip

    assert pairs(schema_of(env, spec)) == [
        ("name", "string"), ("n", "long"), ("ratio", "float"), ("ok", "boolean"),
    ]  # fmt: skip


def test_csv_without_header_gets_spark_column_names(env: Env) -> None:
    env.put("t/a.csv", b"x\t1\ny\t2\n")

    spec = {"bucket": env.bucket, "keyPrefixes": ["t/"], "fileType": "csv",
            "delimiter": "\\t", "containsHeader": False}  # fmt: skip

    assert pairs(schema_of(env, spec)) == [("_c0", "string"), ("_c1", "long")]


def test_text_files_have_one_text_column(env: Env) -> None:
    env.put("t/a.txt", b"hello\nworld\n")

    spec = {"bucket": env.bucket, "keyPrefixes": ["t/"], "fileType": "text"}

    assert pairs(schema_of(env, spec)) == [("text", "string")]


def test_gzipped_json_is_read(env: Env) -> None:
    env.put("z/a.json.gz", gzip.compress(lines({"n": 1, "s": "x"})))

    spec = {"bucket": env.bucket, "keyPrefixes": ["z/"], "fileType": "json"}

    assert pairs(schema_of(env, spec)) == [("n", "long"), ("s", "string")]


def test_parquet_schema_maps_the_column_types(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    relation = duckdb.sql(
        "select 1::bigint as n, 2.5::double as x, 'a' as s, true as b, "
        "timestamp '2026-01-01 00:00:00' as t, [1, 2] as l"
    )
    assert relation is not None
    relation.write_parquet(str(path))
    env.put("p/a.parquet", path.read_bytes())

    spec = {"bucket": env.bucket, "keyPrefixes": ["p/"], "fileType": "parquet"}

    assert pairs(schema_of(env, spec)) == [
        ("n", "long"), ("x", "float"), ("s", "string"), ("b", "boolean"), ("t", "date"),
        ("l", "string"),
    ]  # fmt: skip


def test_key_prefixes_are_rendered_with_magic_variables_now(env: Env) -> None:
    env.put("day/old.json", lines({"stale": 1}))
    created = env.client.post("/v2/variables/folder", {"type": "string", "value": "fresh"})
    assert created.status_code == 200, created.text
    env.put("day/fresh/a.json", lines({"current": 1}))

    spec = {"bucket": env.bucket, "keyPrefixes": ["day/$(folder)/"], "fileType": "json"}

    assert pairs(schema_of(env, spec)) == [("current", "long")]


def test_fusion_returns_the_fixed_cdn_schema(env: Env) -> None:
    schema = schema_of(env, {"domains": ["a.example.com"], "fileFilter": "x"}, type_="Fusion")

    keys = [f["key"] for f in schema]
    assert keys and "ip" in keys


def test_missing_bucket_is_e18109(env: Env) -> None:
    response = env.client.post(
        "/v2/schemas",
        {"type": "kodo", "spec": {"bucket": "no-such-bucket-here", "fileType": "json"}},
    )

    body = assert_error(response, 400, "E18109")
    assert "no-such-bucket-here" in body["error"]


def test_no_matching_file_is_e18109(env: Env) -> None:
    env.put("logs/a.json", lines({"a": 1}))

    response = env.client.post(
        "/v2/schemas",
        {"type": "kodo", "spec": {"bucket": env.bucket, "keyPrefixes": ["nope/"],
                                  "fileType": "json"}},
    )  # fmt: skip

    body = assert_error(response, 400, "E18109")
    assert "nope/" in body["error"]


def test_a_malformed_file_is_e18110_naming_file_and_line(env: Env) -> None:
    env.put("bad/a.json", b'{"a": 1}\n{"a": \n')

    response = env.client.post(
        "/v2/schemas",
        {"type": "kodo", "spec": {"bucket": env.bucket, "keyPrefixes": ["bad/"],
                                  "fileType": "json"}},
    )  # fmt: skip

    body = assert_error(response, 400, "E18110")
    assert f"{env.bucket}/bad/a.json" in body["error"]
    assert "line 2" in body["error"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param({"type": "ftp", "spec": {}}, "E18109", id="bad-type"),
        pytest.param({"type": "kodo"}, "E18007", id="no-spec"),
        pytest.param({"type": "kodo", "spec": {"bucket": "bkt1"}}, "E18109", id="no-file-type"),
        pytest.param(
            {"type": "kodo", "spec": {"bucket": "bkt1", "fileType": "xml"}},
            "E18109",
            id="bad-file-type",
        ),
        pytest.param({"type": "kodo", "spec": {"fileType": "json"}}, "E18109", id="no-bucket"),
    ],
)
def test_bad_requests_are_refused(env: Env, body: dict[str, Any], code: str) -> None:
    assert_error(env.client.post("/v2/schemas", body), 400, code)


def test_hdfs_cannot_be_inferred_from_an_unreachable_namenode(env: Env) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])  # nothing listens once closed
    response = env.client.post(
        "/v2/schemas",
        {"type": "hdfs", "spec": {"paths": [f"hdfs://127.0.0.1:{port}/x"], "fileType": "json"}},
    )

    body = assert_error(response, 400, "E18109")
    assert f"hdfs://127.0.0.1:{port}" in body["error"] and "Connection refused" in body["error"]
    assert "noVerifySchema" in body["error"]


# --- datasource create verifies the declared schema (D-7) ------------------------------------

SCHEMA: list[dict[str, Any]] = [
    {"key": "url", "valtype": "string", "required": True},
    {"key": "bytes", "valtype": "float"},
]


def create_ds(env: Env, schema: list[dict[str, Any]], **extra: Any) -> Any:
    body = {
        "region": "nb", "type": "kodo", "schema": schema,
        "spec": {"bucket": env.bucket, "keyPrefixes": ["logs/"], "fileType": "json"},
        **extra,
    }  # fmt: skip
    return env.client.post("/v2/datasources/ds", body)


def test_create_accepts_a_schema_that_matches_the_data(env: Env) -> None:
    env.put("logs/a.json", lines({"url": "/a", "bytes": 10, "more": "x"}))

    created = create_ds(env, SCHEMA)

    assert created.status_code == 200, created.text
    got = env.client.get("/v2/datasources/ds").json()
    assert [f["key"] for f in got["schema"]] == ["url", "bytes"]


def test_create_refuses_a_schema_the_data_does_not_have(env: Env) -> None:
    env.put("logs/a.json", lines({"url": "/a", "bytes": "ten"}))

    created = create_ds(env, [*SCHEMA, {"key": "missing", "valtype": "long"}])

    body = assert_error(created, 400, "E18110")
    assert '"bytes" is declared float but the data has string' in body["error"]
    assert '"missing" is not in the data' in body["error"]
    assert env.client.get("/v2/datasources/ds/exists").json() == {"exist": False}


def test_create_refuses_when_no_file_matches(env: Env) -> None:
    assert_error(create_ds(env, SCHEMA), 400, "E18109")


def test_create_with_no_verify_schema_stores_the_declared_schema(env: Env) -> None:
    created = create_ds(env, SCHEMA, noVerifySchema=True)

    assert created.status_code == 200, created.text

"""Jobs over every source file type, with magic variables in prefixes, filters and SQL, run at a
fixed batch time — over a local bucket and over a real S3 store (SeaweedFS)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.buckets import BACKENDS, Env, bucket_env
from tests.support import assert_error, wait_for
from tidemill.clock import FixedClock

# 2026-11-23 01:30 in Asia/Shanghai (the default zone) is still the 22nd in UTC.
NOW = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    with bucket_env(request, tmp_path, FixedClock(NOW)) as made:
        yield made


def ok(response: Any) -> None:
    assert response.status_code == 200, response.text


def datasource(env: Env, name: str, schema: list[tuple[str, str]], **spec: Any) -> None:
    ok(env.client.post(f"/v2/datasources/{name}", {
        "region": "nb", "type": "kodo", "noVerifySchema": True,
        "schema": [{"key": k, "valtype": t} for k, t in schema],
        "spec": {"bucket": env.bucket, **spec},
    }))  # fmt: skip


def run(env: Env, name: str, srcs: list[dict[str, Any]], code: str) -> dict[str, Any]:
    create_job(env, name, srcs, code)
    ok(env.client.post(f"/v2/jobs/{name}/actions/start", {}))
    done = wait_for(env.client, name)
    assert done["status"] == "Successful", done
    result: dict[str, Any] = env.client.get(f"/v2/jobs/{name}/history/1/result").json()
    return result


def create_job(env: Env, name: str, srcs: list[dict[str, Any]], code: str) -> None:
    ok(env.client.post(f"/v2/jobs/{name}", {
        "srcs": srcs, "computation": {"type": "sql", "code": code},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip


def src(name: str, table: str, file_filter: str = "") -> dict[str, Any]:
    return {"name": name, "type": "DataSource", "tableName": table, "fileFilter": file_filter}


def test_json_with_variables_in_prefix_filter_and_sql(env: Env) -> None:
    env.put("logs/2026-11-23/a.json", b'{"n": 1, "s": "x"}\n{"n": 2, "s": "y"}\n')
    env.put("logs/2026-11-23/b.json.gz", gzip.compress(b'{"n": 4, "s": "z"}\n'))
    env.put("logs/2026-11-23/skip.txt", b"not json\n")
    env.put("logs/2026-11-22/a.json", b'{"n": 100, "s": "old"}\n')
    ok(env.client.post("/v2/variables/lag", {
        "type": "time", "value": "$(now)-2h", "format": "yyyy-MM-dd HH:mm",
    }))  # fmt: skip
    datasource(env, "logs", [("n", "long"), ("s", "string")],
               keyPrefixes=["logs/$(year)-"], fileType="json")  # fmt: skip

    result = run(env, "j", [src("logs", "t", "$(mon)-$(day)/*.json*")],
                 "select sum(n) as total, '$(lag)' as lag, '$(hour)' as h from t")  # fmt: skip

    assert result["rows"] == [[7, "2026-11-22 23:30", "01"]]


def test_csv_sources_with_header_and_tab_delimiter(env: Env) -> None:
    env.put("c/a.csv", b"name,n,ok\nx,1,true\ny,2,false\n")
    env.put("t/a.tsv", b"x\t10\nz\t30\n")
    datasource(
        env,
        "withheader",
        [("name", "string"), ("n", "long"), ("ok", "boolean")],
        keyPrefixes=["c/"],
        fileType="csv",
        delimiter=",",
        containsHeader=True,
    )
    datasource(
        env,
        "tabbed",
        [("name", "string"), ("v", "long")],
        keyPrefixes=["t/"],
        fileType="csv",
        delimiter="\\t",
        containsHeader=False,
    )

    result = run(
        env,
        "j",
        [src("withheader", "a"), src("tabbed", "b")],
        "select a.name, a.n + b.v as total, a.ok from a join b on a.name = b.name",
    )

    assert result["rows"] == [["x", 11, True]]


def test_text_and_parquet_sources(env: Env, tmp_path: Path) -> None:
    env.put("txt/a.log", b"GET /a\nPOST /b\nGET /c\n")
    parquet = tmp_path / "p.parquet"
    relation = duckdb.sql("select 'GET' as method, 2.5::double as weight")
    assert relation is not None
    relation.write_parquet(str(parquet))
    env.put("pq/a.parquet", parquet.read_bytes())
    datasource(env, "lines", [("text", "string")], keyPrefixes=["txt/"], fileType="text")
    datasource(env, "weights", [("method", "string"), ("weight", "float")],
               keyPrefixes=["pq/"], fileType="parquet")  # fmt: skip

    result = run(env, "j", [src("lines", "l"), src("weights", "w")],
                 "select split(l.text, ' ')[0] as method, count(*) * max(w.weight) as score "
                 "from l join w on split(l.text, ' ')[0] = w.method group by 1")  # fmt: skip

    assert result["rows"] == [["GET", 5.0]]


def test_a_value_of_the_wrong_type_fails_the_batch_naming_object_and_line(env: Env) -> None:
    env.put("logs/a.json", b'{"n": 1}\n{"n": "two"}\n')
    datasource(env, "logs", [("n", "long")], keyPrefixes=["logs/"], fileType="json")
    create_job(env, "j", [src("logs", "t")], "select sum(n) from t")

    ok(env.client.post("/v2/jobs/j/actions/start", {}))
    failed = wait_for(env.client, "j")

    assert failed["status"] == "Failed"
    assert f"{env.bucket}/logs/a.json" in failed["message"]
    assert "line 2" in failed["message"]


def test_user_sql_cannot_read_other_files(env: Env) -> None:
    datasource(env, "logs", [("n", "long")], keyPrefixes=["logs/"], fileType="json")
    body = {
        "srcs": [src("logs", "t")],
        "computation": {"type": "sql", "code": "select * from read_csv('/etc/passwd')"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }  # fmt: skip

    refused = assert_error(env.client.post("/v2/jobs/j", body), 400, "E18209")
    assert "read_csv" in refused["error"]

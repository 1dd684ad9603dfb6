"""The dry run (issue 14, item 4): `POST /v2/jobs/{job}/actions/render` through the real app.

What a batch would read, run and write, from the runner's own planner, with nothing run or
stored: the history stays empty, the next start still gets runId 1 and no export object exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_batches import SCHEMA, make_datasource, make_job, write_lines
from tests.support import Client, assert_error, wait_for
from tidemill.api.app import create_app
from tidemill.config import Settings
from tidemill.runtime import build_runtime

DAILY = {"type": "crontab", "spec": {"crontab": "0 0 0 * * *"}}


def dated_datasource(client: Client) -> None:
    body = {
        "region": "nb", "type": "kodo", "noVerifySchema": True, "schema": SCHEMA,
        "spec": {"bucket": "bkt1", "keyPrefixes": ["day/$(year)$(mon)$(day)/"],
                 "fileType": "json"},
    }  # fmt: skip
    assert client.post("/v2/datasources/daily", body).status_code == 200


def write_days(settings: Settings) -> dict[str, int]:
    """Two files on 2025-03-01, one on 2025-03-02; their sizes by bucket/key."""
    files = {
        "day/20250301/a.json": ['{"url": "/a", "bytes": 1, "hit": true}'],
        "day/20250301/b.json": ['{"url": "/b", "bytes": 2, "hit": false}'] * 3,
        "day/20250302/c.json": ['{"url": "/c", "bytes": 3, "hit": true}'],
    }
    sizes = {}
    for key, lines in files.items():
        write_lines(settings, "bkt1", key, lines)
        sizes[f"bkt1/{key}"] = len("".join(line + "\n" for line in lines))
    return sizes


def render(client: Client, job: str, body: Any = None) -> dict[str, Any]:
    response = client.post(f"/v2/jobs/{job}/actions/render", body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_render_names_the_files_sql_and_targets_of_a_batch_time(
    client: Client, settings: Settings
) -> None:
    sizes = write_days(settings)
    dated_datasource(client)
    src = {"name": "daily", "type": "DataSource", "tableName": "t", "fileFilter": ""}
    make_job(
        client, "j", "select '$(who)' as who, '$(date)' as d, count(*) as n from t",
        srcs=[src], scheduler=DAILY, params=[{"name": "who", "default": "me"}],
    )  # fmt: skip
    export = {"bucket": "outb", "keyPrefix": "out/$(year)/", "format": "json", "fileCount": 2}
    assert client.post("/v2/jobs/j/exports/k", {"type": "kodo", "spec": export}).status_code == 200
    hook = {"host": "127.0.0.1:9", "uri": "/in", "format": "json"}
    assert client.post("/v2/jobs/j/exports/h", {"type": "http", "spec": hook}).status_code == 200

    shown = render(client, "j", {"batchTime": "2025-03-01T10:00:00+08:00",
                                 "params": [{"name": "who", "value": "you"}]})  # fmt: skip
    other_day = render(client, "j", {"batchTime": "2025-03-02T00:30:00Z"})

    assert shown["batchTime"] == "2025-03-01T10:00:00+08:00"
    assert shown["params"] == {"who": "you"}
    assert shown["sql"] == "select 'you' as who, '2025-03-01' as d, count(*) as n from t"
    assert shown["engine"]["name"] == "duckdb"
    assert shown["engine"]["reason"] == "TIDEMILL_ENGINE=duckdb"
    assert "'2025-03-01'" in shown["engine"]["sql"] and shown["engine"]["sql"] != shown["sql"]
    [source] = shown["sources"]
    day1 = {k: v for k, v in sizes.items() if "/20250301/" in k}
    assert {f["name"]: f["size"] for f in source["files"]} == day1
    assert (source["fileCount"], source["bytes"]) == (2, sum(day1.values()))
    assert shown["totals"] == {"files": 2, "bytes": sum(day1.values())}
    assert str(settings.data_dir.resolve()) not in str(shown)  # no server path is told
    targets = {e["name"]: e["target"] for e in shown["exports"]}
    year = targets["k"]["directory"].split("/")[1]
    assert targets["k"]["bucket"] == "outb" and year.isdigit()
    assert targets["k"]["keys"] == [f"out/{year}/part-0000{i}.json" for i in (0, 1)]
    assert targets["h"] == {"url": "http://127.0.0.1:9/in", "format": "json"}
    assert other_day["params"] == {"who": "me"}
    assert [f["name"] for f in other_day["sources"][0]["files"]] == ["bkt1/day/20250302/c.json"]
    assert "'2025-03-02'" in other_day["sql"]  # 00:30Z is 08:30 in Asia/Shanghai


def test_render_runs_and_writes_nothing(client: Client, settings: Settings) -> None:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    make_job(client, "m", "select count(*) as n from logs")
    spec = {"bucket": "outb", "keyPrefix": "one.json", "format": "json", "fileCount": 1}
    assert client.post("/v2/jobs/m/exports/k", {"type": "kodo", "spec": spec}).status_code == 200

    shown = render(client, "m")  # no body: now, the defaults

    assert shown["exports"][0]["target"] == {"bucket": "outb", "saveMode": "overwrite",
                                             "keys": ["one.json"]}  # fmt: skip
    history = client.get("/v2/jobs/m/history").json()
    assert history == {"total": 0, "history": []}
    outb = settings.data_dir / "kodo" / settings.account / "outb"
    assert list(outb.iterdir()) == []
    assert client.post("/v2/jobs/m/actions/start", {}).status_code == 200
    assert wait_for(client, "m")["runId"] == 1  # the dry run took no run id
    assert (outb / "one.json").exists()


def test_render_of_a_depend_job_names_the_upstream_batch(
    client: Client, settings: Settings
) -> None:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    make_job(client, "up", "select url from logs")
    body = {"srcs": [{"name": "up", "type": "Job", "tableName": "u"}],
            "computation": {"type": "sql", "code": "select count(*) as n from u"},
            "scheduler": {"type": "depend"}}  # fmt: skip
    assert client.post("/v2/jobs/down", body).status_code == 200
    client.post("/v2/jobs/up/actions/start", {})
    up = wait_for(client, "up")
    wait_for(client, "down")

    shown = render(client, "down", {"batchTime": up["batchTime"]})

    job, table = shown["sources"]  # a depend job may read its upstream's tables too (§6.1.6)
    assert job == {"tableName": "u", "type": "Job", "name": "up", "runId": 1}
    assert (table["tableName"], table["name"], table["fileCount"]) == ("logs", "logs", 1)
    assert_error(client.post("/v2/jobs/down/actions/render",
                             {"batchTime": "2001-01-01T00:00:00Z"}), 404, "E18202")  # fmt: skip


def test_render_refuses_as_start_does(client: Client, runtime: Any, tmp_path: Path) -> None:
    from tidemill.services.accounts import create_key

    make_datasource(client)
    make_job(client, "j", "select count(*) as n from logs", params=[{"name": "p", "default": "x"}])
    pair = create_key(runtime, "other")
    other = client.as_account(pair.access_key, pair.secret_key)

    assert_error(client.post("/v2/jobs/nope/actions/render", {}), 404, "E18202")
    assert_error(other.post("/v2/jobs/j/actions/render", {}), 404, "E18202")
    assert_error(client.post("/v2/jobs/j/actions/render",
                             {"params": [{"name": "q", "value": "1"}]}), 400, "E18207")  # fmt: skip
    for bad in ("yesterday", "2025-03-01T10:00:00", 5):
        assert_error(client.post("/v2/jobs/j/actions/render", {"batchTime": bad}), 400, "E18007")
    assert_error(client.post("/v2/jobs/j/actions/render", raw=b"[1"), 400, "E18007")
    assert_error(client.post("/v2/jobs/bad name/actions/render", {}), 400, "E18207")


@pytest.mark.parametrize(("min_bytes", "engine"), [(2**30, "duckdb"), (0, "spark")])
def test_render_tells_the_engine_auto_chooses_and_why(
    settings: Settings, min_bytes: int, engine: str
) -> None:
    """TIDEMILL_ENGINE=auto (core.engine_choice): the input's size picks the engine; for Spark
    the SQL it runs is the Spark SQL itself. Nothing runs, so no Spark session starts."""
    auto = settings.model_copy(update={"engine": "auto", "engine_spark_min_bytes": min_bytes})
    runtime = build_runtime(auto)
    (auto.data_dir / "kodo" / auto.account / "bkt1").mkdir(parents=True, exist_ok=True)
    write_lines(auto, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    with TestClient(create_app(auto, runtime), raise_server_exceptions=False) as http:
        client = Client(http)
        make_datasource(client)
        make_job(client, "j", "select url, count(*) as n from logs group by url")
        shown = render(client, "j")

    size = shown["totals"]["bytes"]
    assert shown["engine"]["name"] == engine
    if engine == "spark":
        assert shown["engine"]["reason"] == f"auto: input {size} bytes > 0"
        assert shown["engine"]["sql"] == shown["sql"]
    else:
        assert shown["engine"]["reason"] == f"auto: input {size} bytes <= {2**30}"
        assert shown["engine"]["sql"] != shown["sql"]

"""The API commands of `tidemill` (datasources, jobs, exports, variables, workflows, history,
batches, result) against a real `tidemill serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from tests.cli.conftest import Tidemill, ok_json
from tests.client.accounts import OUT_BUCKET, Account, closed_port, datasource_body, job_body
from tidemill.cli import app
from tidemill.client import Client


def write(path: Path, body: object) -> str:
    text = json.dumps(body) if path.suffix == ".json" else yaml.safe_dump(body)
    path.write_text(text)
    return str(path)


def test_datasources_from_yaml_and_json_files(tidemill: Tidemill, tmp_path: Path) -> None:
    created = tidemill("datasources", "create", "logs", "-f",
                       write(tmp_path / "ds.yaml", datasource_body()))  # fmt: skip
    listed = ok_json(tidemill("datasources", "list", "-o", "json"))
    table = tidemill("datasources", "list")
    wider = datasource_body()
    wider["schema"] = [*wider["schema"], {"key": "hit", "valtype": "boolean"}]
    updated = tidemill("datasources", "update", "logs", "-f", write(tmp_path / "ds.json", wider))
    got = ok_json(tidemill("datasources", "get", "logs", "-o", "json"))
    deleted = ok_json(tidemill("datasources", "delete", "logs", "-o", "json"))
    inferred = ok_json(
        tidemill(
            "schemas",
            "infer",
            "-o",
            "json",
            "-f",
            write(tmp_path / "infer.yaml", {"type": "kodo", "spec": datasource_body()["spec"]}),
        )
    )
    bogus = tidemill("datasources", "list", "-o", "xml")

    assert created.exit_code == 0 and "datasource logs created" in created.stdout
    assert [d["name"] for d in listed] == ["logs"] and listed[0]["spec"]["bucket"] == "bkt1"
    assert table.exit_code == 0 and "logs" in table.stdout and "kodo" in table.stdout
    assert updated.exit_code == 0, updated.output
    assert [f["key"] for f in got["schema"]] == ["url", "bytes", "hit"]
    assert deleted == {"ok": True, "kind": "datasource", "name": "logs", "action": "delete"}
    assert ok_json(tidemill("datasources", "list", "-o", "json")) == []
    assert [(f["key"], f["valtype"]) for f in inferred] == [("url", "string"), ("bytes", "long")]
    assert bogus.exit_code == 2 and "table or json" in bogus.output


def test_jobs_exports_variables_and_workflows(tidemill: Tidemill, tmp_path: Path) -> None:
    assert (
        tidemill(
            "workflows",
            "create",
            "wf",
            "-f",
            write(tmp_path / "wf.yaml", {"region": "nb", "comment": "c1"}),
        ).exit_code
        == 0
    )
    assert (
        tidemill(
            "datasources",
            "create",
            "logs",
            "-f",
            write(tmp_path / "ds.yaml", {**datasource_body(), "workflow": "wf"}),
        ).exit_code
        == 0
    )
    job = job_body("select url, sum(bytes) as b from logs group by url")
    assert tidemill("jobs", "create", "j", "-f", write(tmp_path / "j.yaml", job)).exit_code == 0
    job["params"] = [{"name": "p", "default": "x"}]
    assert tidemill("jobs", "update", "j", "-f", write(tmp_path / "j.yaml", job)).exit_code == 0
    export: dict[str, Any] = {
        "type": "kodo",
        "spec": {"bucket": OUT_BUCKET, "keyPrefix": "r/", "fileCount": 1},
    }
    assert tidemill("exports", "create", "j", "out", "-f",
                    write(tmp_path / "e.json", export)).exit_code == 0  # fmt: skip
    export["spec"]["keyPrefix"] = "s/"
    assert tidemill("exports", "update", "j", "out", "-f",
                    write(tmp_path / "e.json", export)).exit_code == 0  # fmt: skip
    variable = {"type": "time", "value": "$(now)-1d", "format": "yyyy-MM-dd"}
    assert tidemill("variables", "create", "yesterday", "-f",
                    write(tmp_path / "v.yaml", variable)).exit_code == 0  # fmt: skip
    variable["format"] = "yyyyMMdd"
    assert tidemill("variables", "update", "yesterday", "-f",
                    write(tmp_path / "v.yaml", variable)).exit_code == 0  # fmt: skip
    assert (
        tidemill(
            "workflows",
            "update",
            "wf",
            "-f",
            write(tmp_path / "wf.yaml", {"region": "nb", "comment": "c2"}),
        ).exit_code
        == 0
    )

    got_job = ok_json(tidemill("jobs", "get", "j", "-o", "json"))
    jobs = ok_json(tidemill("jobs", "list", "-o", "json", "--src-datasource", "logs"))
    exports = ok_json(tidemill("exports", "list", "j", "-o", "json"))
    got_export = ok_json(tidemill("exports", "get", "j", "out", "-o", "json"))
    variables = ok_json(tidemill("variables", "list", "--type", "user", "-o", "json"))
    got_variable = ok_json(tidemill("variables", "get", "yesterday", "-o", "json"))
    workflows = ok_json(tidemill("workflows", "list", "-o", "json"))
    got_workflow = ok_json(tidemill("workflows", "get", "wf", "-o", "json"))
    status = ok_json(tidemill("workflows", "status", "wf", "-o", "json"))
    tables = [
        tidemill(*args)
        for args in (
            ["jobs", "list"],
            ["exports", "list", "j"],
            ["variables", "list"],
            ["workflows", "list"],
        )
    ]

    assert got_job["params"] == [{"name": "p", "default": "x"}] and got_job["workflow"] == "wf"
    assert [j["name"] for j in jobs] == ["j"]
    assert [e["name"] for e in exports] == ["out"] and got_export["spec"]["keyPrefix"] == "s/"
    assert [(v["name"], v["format"]) for v in variables] == [("yesterday", "yyyyMMdd")]
    assert got_variable["value"] == "$(now)-1d"
    assert [w["name"] for w in workflows] == ["wf"] and got_workflow["comment"] == "c2"
    assert set(got_workflow["nodes"]) == {"logs-datasource", "j-job", "out-exportBatch"}
    assert status["status"] == "Ready"
    assert [t.exit_code for t in tables] == [0] * 4, [(t.output, t.exception) for t in tables]
    assert "yesterday" in tables[2].stdout and "now" in tables[2].stdout

    for args in (["exports", "delete", "j", "out"], ["jobs", "delete", "j"],
                 ["datasources", "delete", "logs"], ["variables", "delete", "yesterday"],
                 ["workflows", "delete", "wf"]):  # fmt: skip
        assert tidemill(*args).exit_code == 0, args
    assert ok_json(tidemill("workflows", "list", "-o", "json")) == []


def test_start_wait_exits_0_when_successful_then_history_result_and_rerun(
    tidemill: Tidemill, account: Account
) -> None:
    with Client(account.endpoint, account.access_key, account.secret_key) as api:
        api.create_datasource("logs", datasource_body())
        code = "select url, sum(bytes) as b from logs group by url order by url"
        api.create_job("j", job_body(code, params=[{"name": "u", "default": "x"}]))

        waited = tidemill("jobs", "start", "j", "--param", "u=y", "--wait")
        second = tidemill("jobs", "start", "j", "--wait", "-o", "json")
        history = ok_json(tidemill("history", "j", "-o", "json"))
        page = tidemill("history", "j", "--page", "2", "--size", "1")
        every = ok_json(tidemill("history", "j", "--all", "--size", "1", "-o", "json"))
        result = ok_json(tidemill("result", "j", "1", "-o", "json"))
        shown = tidemill("result", "j", "1")
        rerun = ok_json(tidemill("batches", "rerun", "j", "1", "-o", "json"))
        api.wait("j", 1, timeout=60)
        again = tidemill("batches", "rerun", "j", "1", "--wait", "-o", "json")
        log = tidemill("batches", "log", "j", "1")

    assert waited.exit_code == 0, waited.output
    assert "Successful" in waited.stdout and "elapsed" in waited.stdout
    assert "rows read  3" in waited.stdout  # from the batch log, once the batch ended
    assert ok_json(second)["runId"] == 2 and json.loads(second.stdout)["status"] == "Successful"
    assert [(b["runId"], b["status"]) for b in history] == [(2, "Successful"), (1, "Successful")]
    assert page.exit_code == 0 and "1 of 2 batches (page 2" in page.stdout
    assert [b["runId"] for b in every] == [2, 1]
    assert result["columns"] == ["url", "b"] and result["rows"] == [["/a", 17], ["/b", 5]]
    assert shown.exit_code == 0 and "/a" in shown.stdout and "2 of 2 rows" in shown.stdout
    assert rerun["preStatus"] == "Successful" and rerun["rerunCount"] == 1
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["status"] == "Successful"
    assert log.exit_code == 0 and "rows read: 3" in log.stdout and "select url" in log.stdout


def test_start_wait_exits_1_when_failed_with_the_message(
    tidemill: Tidemill, account: Account
) -> None:
    with Client(account.endpoint, account.access_key, account.secret_key) as api:
        api.create_datasource("logs", datasource_body())
        api.create_job("bad", job_body("select raise_error(concat('bad url ', url)) as x "
                                       "from logs"))  # fmt: skip

    waited = tidemill("jobs", "start", "bad", "--wait")
    as_json = tidemill("jobs", "start", "bad", "--wait", "-o", "json")

    assert waited.exit_code == 1
    assert "Failed" in waited.stdout and "bad url" in waited.stderr
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["status"] == "Failed"


def test_a_running_batch_is_stopped_and_wait_exits_1_when_canceled(account: Account) -> None:
    env = {
        **os.environ,
        "TIDEMILL_ENDPOINT": account.endpoint,
        "TIDEMILL_ACCESS_KEY": account.access_key,
        "TIDEMILL_SECRET_KEY": account.secret_key,
    }
    command = [str(Path(sys.executable).parent / "tidemill"), "jobs", "start", "slow", "--wait"]
    with Client(account.endpoint, account.access_key, account.secret_key) as api:
        api.create_datasource("logs", datasource_body())
        api.create_job("slow", job_body("select url from logs"))
        api.create_export("slow", "web", {"type": "http", "spec": {
            "host": f"127.0.0.1:{closed_port()}", "uri": "/in", "format": "json"}})  # fmt: skip
        waiting = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            run_id = api.await_new_batch("slow", 0, timeout=30)
            for batch in api.watch("slow", run_id, interval=0.1):
                if batch.status == "Running":
                    break
            stopped = CliRunner().invoke(app, ["batches", "stop", "slow", str(run_id), "-o",
                                               "json"], env=env)  # fmt: skip
            out, err = waiting.communicate(timeout=60)
        finally:
            waiting.kill()

    assert ok_json(stopped)["preStatus"] == "Running"
    assert json.loads(stopped.stdout)["postStatus"] in ("Cancelling", "Canceled")
    assert waiting.returncode == 1, out + err
    assert "Canceled" in out


def test_api_errors_print_code_and_message_and_exit_non_zero(
    tidemill: Tidemill, tmp_path: Path
) -> None:
    missing = tidemill("jobs", "get", "nope")
    invalid = tidemill("jobs", "create", "j", "-f", write(tmp_path / "j.json", {"srcs": []}))
    as_json = tidemill("datasources", "get", "nope", "-o", "json")

    assert missing.exit_code == 3 and "E18202" in missing.stderr and "nope" in missing.stderr
    assert invalid.exit_code == 2 and "Error: E18" in invalid.stderr
    assert as_json.exit_code == 3 and "E18102" in as_json.stderr and as_json.stdout == ""


def test_a_bad_body_file_is_refused_before_any_call(tidemill: Tidemill, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("srcs: [unclosed\n")

    result = tidemill("jobs", "create", "j", "-f", str(tmp_path / "bad.yaml"))

    # click's error box wraps at 80 columns: where depends on the temporary path's length
    words = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "is not valid YAML: while parsing" in words


def test_endpoint_and_keys_from_a_named_profile(account: Account, tmp_path: Path) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(
        '[default]\nendpoint = "http://127.0.0.1:1"\naccess_key = "x"\nsecret_key = "y"\n\n'
        f'[test]\nendpoint = "{account.endpoint}"\naccess_key = "{account.access_key}"\n'
        f'secret_key = "{account.secret_key}"\n'
    )
    runner = CliRunner()

    named = runner.invoke(app, ["jobs", "list", "-o", "json", "--profile", "test"],
                          env={"TIDEMILL_CONFIG": str(profile)})  # fmt: skip
    by_env = runner.invoke(
        app,
        ["jobs", "list", "-o", "json"],
        env={"TIDEMILL_CONFIG": str(profile), "TIDEMILL_PROFILE": "test"},
    )
    unreachable = runner.invoke(app, ["jobs", "list"], env={"TIDEMILL_CONFIG": str(profile)})
    nothing = runner.invoke(app, ["jobs", "list"],
                            env={"TIDEMILL_CONFIG": str(tmp_path / "none.toml")})  # fmt: skip

    assert ok_json(named) == [] and ok_json(by_env) == []
    assert unreachable.exit_code == 1 and "127.0.0.1:1" in unreachable.stderr
    assert nothing.exit_code == 6 and "--endpoint" in nothing.stderr

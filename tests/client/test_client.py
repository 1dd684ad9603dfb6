"""tidemill.client against a real `tidemill serve`: every resource, batches, errors, paging."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.client.accounts import OUT_BUCKET, Account, closed_port, datasource_body, job_body
from tidemill.client import (
    ApiError,
    AsyncClient,
    AuthenticationError,
    Client,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    TransportError,
)
from tidemill.client.models import Datasource, Job, Variable


def test_datasources_round_trip_as_typed_models(api: Client) -> None:
    api.create_datasource("logs", datasource_body())

    got = api.get_datasource("logs")
    assert isinstance(got, Datasource)
    assert (got.name, got.type, got.spec["bucket"]) == ("logs", "kodo", "bkt1")
    assert [(f.key, f.valtype) for f in got.schema_] == [("url", "string"), ("bytes", "long")]
    assert api.datasource_exists("logs") and not api.datasource_exists("other")

    wider = {**datasource_body(), "schema": [*datasource_body()["schema"],
                                              {"key": "hit", "valtype": "boolean"}]}  # fmt: skip
    api.update_datasource("logs", {"spec": wider["spec"], "schema": wider["schema"]})
    assert [d.name for d in api.list_datasources()] == ["logs"]
    assert [f.key for f in api.get_datasource("logs").schema_] == ["url", "bytes", "hit"]

    api.delete_datasource("logs")
    assert api.list_datasources() == []


def test_jobs_exports_variables_and_schemas(api: Client) -> None:
    api.create_datasource("logs", datasource_body())
    api.create_variable("who", Variable(type="string", value="/a"))
    api.create_job("per_url", job_body("select url, sum(bytes) as b from logs group by url"))
    down = {"srcs": [{"name": "per_url", "type": "Job", "tableName": "pu"}],
            "computation": {"type": "sql", "code": "select count(*) as n from pu"}}  # fmt: skip
    api.create_job("urls", down)
    spec = {"bucket": OUT_BUCKET, "keyPrefix": "r/", "format": "json", "fileCount": 1}
    export: dict[str, Any] = {"type": "kodo", "spec": spec}
    api.create_export("per_url", "out", export)

    job = api.get_job("urls")
    assert isinstance(job, Job) and job.scheduler is not None
    assert job.scheduler.type == "depend" and [s.table_name for s in job.srcs] == ["pu"]
    assert [(f.key, f.valtype) for f in job.schema_] == [("n", "long")]
    assert [j.name for j in api.list_jobs(src_job="per_url")] == ["urls"]
    assert api.job_exists("urls") and api.export_exists("per_url", "out")
    assert api.get_export("per_url", "out").spec["keyPrefix"] == "r/"
    assert [e.name for e in api.list_exports("per_url")] == ["out"]
    assert api.get_variable("who").value == "/a"
    api.update_variable("who", {"type": "string", "value": "/b"})
    assert [v.value for v in api.list_variables("user")] == ["/b"]
    assert "now" in {v.name for v in api.list_variables("system")}
    inferred = api.infer_schema({"type": "kodo", "spec": {"bucket": "bkt1",
                                                          "keyPrefixes": ["cdn/"],
                                                          "fileType": "json"}})  # fmt: skip
    assert [(f.key, f.valtype) for f in inferred.schema_] == [("url", "string"), ("bytes", "long")]

    api.update_export("per_url", "out", {"spec": {**export["spec"], "keyPrefix": "s/"}})
    assert api.get_export("per_url", "out").spec["keyPrefix"] == "s/"
    api.delete_export("per_url", "out")
    api.delete_job("urls")
    api.delete_job("per_url")
    api.delete_variable("who")
    assert api.list_jobs() == [] and api.list_variables("user") == []


def test_workflows_and_their_status(api: Client) -> None:
    api.create_workflow("wf", {"region": "nb", "comment": "first"})
    api.create_datasource("logs", {**datasource_body(), "workflow": "wf"})
    api.update_workflow("wf", {"region": "nb", "comment": "second"})

    got = api.get_workflow("wf")
    assert (got.name, got.comment, got.status, got.can_start) == ("wf", "second", "Ready", False)
    assert list(got.nodes) == ["logs-datasource"]
    assert [w.name for w in api.list_workflows()] == ["wf"]
    assert api.workflow_status("wf").status == "Ready"
    with pytest.raises(ApiError) as refused:
        api.start_workflow("wf")  # no export: nothing to start
    assert refused.value.code == "E18644" and refused.value.status == 400

    api.delete_datasource("logs")
    api.delete_workflow("wf")
    assert api.list_workflows() == []


def test_start_and_wait_then_result_and_history_pages(api: Client) -> None:
    api.create_datasource("logs", datasource_body())
    api.create_job("j", job_body("select url, sum(bytes) as b from logs group by url order by url"))

    first = api.start_and_wait("j", timeout=60)
    second = api.start_and_wait("j", timeout=60)
    third = api.start_and_wait("j", timeout=60)

    assert [b.status for b in (first, second, third)] == ["Successful"] * 3
    assert [first.run_id, second.run_id, third.run_id] == [1, 2, 3]
    found = api.result("j", 3)
    assert (found.columns, found.rows, found.total) == (["url", "b"], [["/a", 17], ["/b", 5]], 2)
    page = api.history("j", page=1, size=2)
    assert page.total == 3 and [b.run_id for b in page.history] == [3, 2]
    assert [b.run_id for b in api.iter_history("j", page_size=2)] == [3, 2, 1]
    assert [b.run_id for b in api.iter_history("j", page_size=2, sort_by="runId")] == [1, 2, 3]

    assert "rows written: 2" in api.batch_log("j", 3)
    moved = api.rerun_batch("j", 1)
    assert moved.pre_status == "Successful" and moved.rerun_count == 1
    assert api.wait("j", 1, timeout=60).status == "Successful"


def test_a_failed_batch_is_waited_for_with_its_message(api: Client) -> None:
    api.create_datasource("logs", datasource_body())
    api.create_job("bad", job_body("select raise_error(concat('bad url ', url)) as x from logs"))

    batch = api.start_and_wait("bad", timeout=60)

    assert batch.status == "Failed" and "bad url" in batch.message


def test_a_running_batch_is_stopped(api: Client) -> None:
    api.create_datasource("logs", datasource_body())
    api.create_job("slow", job_body("select url from logs"))
    api.create_export("slow", "web", {"type": "http", "spec": {
        "host": f"127.0.0.1:{closed_port()}", "uri": "/in", "format": "json"}})  # fmt: skip
    api.start_job("slow")
    run_id = api.await_new_batch("slow", 0, timeout=30)
    for batch in api.watch("slow", run_id, interval=0.1):
        if batch.status == "Running":
            break

    moved = api.stop_batch("slow", run_id)

    assert moved.pre_status == "Running" and moved.post_status in ("Cancelling", "Canceled")
    assert api.wait("slow", run_id, timeout=60).status == "Canceled"


def test_errors_carry_the_pandora_code_message_and_request_id(
    api: Client, account: Account
) -> None:
    with pytest.raises(NotFoundError) as missing:
        api.get_job("nope")
    with pytest.raises(InvalidRequestError) as invalid:
        api.create_job("j", {"srcs": []})
    api.create_variable("v", {"type": "string", "value": "x"})
    with pytest.raises(ConflictError) as twice:
        api.create_variable("v", {"type": "string", "value": "x"})
    with (
        Client(account.endpoint, account.access_key, "wrong") as wrong,
        pytest.raises(AuthenticationError) as denied,
    ):
        wrong.list_jobs()

    assert (missing.value.status, missing.value.code) == (404, "E18202")
    assert "nope" in missing.value.message and missing.value.reqid
    assert invalid.value.status == 400 and invalid.value.code.startswith("E18")
    assert twice.value.status == 409 and twice.value.code
    assert (denied.value.status, denied.value.code) == (401, "")
    assert "bad token" in denied.value.message


def test_an_unreachable_server_is_a_transport_error() -> None:
    with (
        Client(f"http://127.0.0.1:{closed_port()}", "ak", "sk") as client,
        pytest.raises(TransportError),
    ):
        client.list_jobs()
    with pytest.raises(ValueError, match="http"):
        Client("127.0.0.1:8080", "ak", "sk")


def test_the_async_client_does_the_same(account: Account) -> None:
    async def scenario() -> tuple[str, list[int], str]:
        async with AsyncClient(account.endpoint, account.access_key, account.secret_key) as api:
            await api.create_datasource("logs", datasource_body())
            await api.create_job("j", job_body("select count(*) as n from logs"))
            done = await api.start_and_wait("j", timeout=60)
            await api.start_and_wait("j", timeout=60)
            runs = [b.run_id async for b in api.iter_history("j", page_size=1)]
            try:
                await api.get_datasource("nope")
            except NotFoundError as exc:
                code = exc.code
            return done.status, runs, code

    status, runs, code = asyncio.run(scenario())

    assert (status, runs, code) == ("Successful", [2, 1], "E18102")


def test_extensions_render_and_backfill(api: Client) -> None:
    api.create_datasource("logs", datasource_body())
    api.create_job("j", job_body("select count(*) as n from logs where url = '$(who)'",
                                 params=[{"name": "who", "default": "/a"}]))  # fmt: skip
    hourly = job_body(
        "select count(*) as n from logs",
        scheduler={"type": "crontab", "spec": {"crontab": "0 0 * * * *"}},
    )
    api.create_job("hourly", hourly)
    span = {"from": "2026-11-01T00:00:00+08:00", "to": "2026-11-01T02:00:00+08:00"}

    rendered = api.render_job("j", {"params": [{"name": "who", "value": "/b"}]})
    dry = api.backfill_job("hourly", {**span, "dryRun": True})
    made = api.backfill_job("hourly", {**span, "concurrency": 1})
    canceled = api.cancel_backfill(made.backfill_id)
    seen = api.get_backfill(made.backfill_id)

    assert "url = '/b'" in rendered.sql and rendered.totals["files"] == 1
    assert dry.backfill_id == "" and [b.batch_time for b in dry.batches] == [
        "2026-11-01T00:00:00+08:00", "2026-11-01T01:00:00+08:00", "2026-11-01T02:00:00+08:00"
    ]  # fmt: skip
    assert made.backfill_id and made.slots == 3 and all(b.run_id for b in made.batches)
    assert canceled.backfill_id == made.backfill_id == seen.backfill_id
    assert seen.job == "hourly" and seen.from_ == span["from"] and seen.total == 3
    assert seen.state == canceled.state == "Canceled"


def test_a_job_with_alerts_read_back_is_put_back_as_it_is(api: Client) -> None:
    api.create_datasource("logs", datasource_body())
    hook = {"url": "http://hookuser:hookpass-0123@127.0.0.1:9/h", "on": ["failed"],
            "secret": "s3cret-for-the-hook-0123"}  # fmt: skip
    api.create_job("j", job_body("select url from logs", notify=[hook]))

    read = api.get_job("j")
    api.update_job("j", read)  # GET then PUT, unchanged
    again = api.get_job("j")

    check = (read.model_extra or {})["notify"][0]["secretCheck"]  # kept while both stay
    shown = [{"url": "http://***@127.0.0.1:9/h", "on": ["failed"], "secret": "set",
              "secretCheck": check}]  # fmt: skip
    assert (read.model_extra or {})["notify"] == shown
    assert (again.model_extra or {})["notify"] == shown

"""The web console at /console in headless Chromium against a real server (issue 15).

One server and one browser for the module; the tests run in order on one signed-in page:
sign in, watch a batch started from the Job page reach Successful, stop a running batch and
rerun it from the Batch page, open the DAG and the other pages. Each page's screenshot goes to
tests/console/screenshots/ (gitignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.conftest import SHOTS, started
from tests.served import Served
from tests.support import AK, SK

ROOT = Path(__file__).parents[2]
SLOW = "select sum((a.id * b.id) % 7) as n from range(1000000) a cross join range(1000000) b"
WAIT_MS = 30_000


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def pipeline(console_server: Served, browser: Any) -> Served:
    """Datasources, jobs (manual, depend, slow, crontab in a workflow), exports, a variable.
    (After `browser`: Chromium launches while the server starts.)"""
    s = started(console_server)
    ok(s.request("POST", "/v2/variables/min_bytes", {"type": "string", "value": "2"}))
    ok(s.request("POST", "/v2/workflows/nightly", {"region": "nb", "comment": "every night"}))
    schema = [{"key": "url", "valtype": "string"}, {"key": "bytes", "valtype": "long"}]
    for name, workflow in (("logs", ""), ("wf_logs", "nightly")):
        ok(s.request("POST", f"/v2/datasources/{name}", {
            "region": "nb", "type": "kodo", "noVerifySchema": True, "schema": schema,
            "workflow": workflow,
            "spec": {"bucket": "bkt1", "keyPrefixes": ["cdn/"], "fileType": "json"}}))  # fmt: skip

    def job(
        name: str, src: str, src_type: str, code: str, scheduler: dict[str, Any],
        params: list[dict[str, str]] | None = None,
    ) -> None:  # fmt: skip
        body: dict[str, Any] = {
            "srcs": [{"name": src, "type": src_type, "tableName": src}],
            "computation": {"type": "sql", "code": code},
            "scheduler": scheduler,
        }
        if scheduler["type"] != "depend":
            body["container"] = {"type": "1U2G", "count": 1}
            body["params"] = params or []
        ok(s.request("POST", f"/v2/jobs/{name}", body))

    job("by_url", "logs", "DataSource",
        "select url, sum(bytes) as total from logs where bytes >= $(min_bytes) "
        "and url <> '$(skip)' group by url order by url", {"type": "manual"},
        [{"name": "skip", "default": "none"}])  # fmt: skip
    job("top_url", "by_url", "Job", "select url from by_url order by total desc limit 1",
        {"type": "depend"})  # fmt: skip
    job("slow", "logs", "DataSource", SLOW, {"type": "manual"})
    job("nightly_sum", "wf_logs", "DataSource", "select count(*) as n from wf_logs",
        {"type": "crontab", "spec": {"crontab": "0 0 3 * * *"}})  # fmt: skip
    ok(s.request("POST", "/v2/jobs/by_url/exports/files", {"type": "kodo", "spec": {
        "bucket": "bkt1", "keyPrefix": "out/", "format": "json", "fileCount": 1,
        "saveMode": "overwrite"}}))  # fmt: skip
    ok(s.request("POST", "/v2/jobs/nightly_sum/exports/counts", {"type": "kodo", "spec": {
        "bucket": "bkt1", "keyPrefix": "nightly/", "format": "json", "fileCount": 1,
        "saveMode": "overwrite"}}))  # fmt: skip
    return s


@pytest.fixture(scope="module")
def page(browser: Any, pipeline: Served) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=pipeline.url)
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    yield opened
    context.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_signer_gives_the_spec_vectors() -> None:
    """The console's signer (console/src/signing.js) against spec §2.6 A to E, under node;
    with console/node_modules there, the DAG's graph and layout tests too."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the browser tests below still sign for real")
    tests, count = ["test/signing.test.js"], 5
    if (ROOT / "console" / "node_modules" / "@dagrejs").is_dir():
        tests, count = [*tests, "test/dag.test.js"], count + 2
    done = subprocess.run(
        [node, "--test", *tests], cwd=ROOT / "console", capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout, done.stdout
    assert f"# pass {count}\n" in done.stdout, done.stdout


def test_the_committed_assets_are_a_build_of_the_sources(tmp_path: Path) -> None:
    """`make console` was run after the last edit of console/ (needs its node_modules)."""
    node = shutil.which("node")
    if node is None or not (ROOT / "console" / "node_modules" / "esbuild").is_dir():
        pytest.skip("no node or console/node_modules: run `make console` to check the build")
    env = {**os.environ, "TIDEMILL_CONSOLE_OUT": str(tmp_path)}
    done = subprocess.run(
        [node, "build.mjs"], cwd=ROOT / "console", env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    committed = ROOT / "src" / "tidemill" / "console" / "static"
    for name in ("app.js", "index.html", "style.css"):
        same = (tmp_path / name).read_bytes() == (committed / name).read_bytes()
        assert same, f"{name} differs from a build of console/: run `make console` and commit"


def test_the_console_is_served_without_a_signature(pipeline: Served) -> None:
    index = pipeline.http.get("/console")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert "/console/app.js" in index.text
    script = pipeline.http.get("/console/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    for elsewhere in ("/console/missing.js", "/console/..%2F__init__.py", "/console/%2E%2E"):
        assert pipeline.http.get(elsewhere).status_code == 404, elsewhere
    assert pipeline.http.get("/v2/jobs").status_code == 401  # the API still wants a signature


def test_a_wrong_secret_shows_the_api_message(browser: Any, pipeline: Served) -> None:
    context = browser.new_context(base_url=pipeline.url)
    try:
        page = context.new_page()
        page.goto("/console")
        page.get_by_label("Access key").fill(AK)
        page.get_by_label("Secret key").fill("not-the-secret")
        page.get_by_role("button", name="Sign in").click()
        alert = page.get_by_role("alert")
        alert.wait_for(timeout=WAIT_MS)
        assert "bad token" in alert.inner_text()
        assert page.evaluate("sessionStorage.length") == 0
        shot(page, "0-sign-in-refused")
    finally:
        context.close()


def test_a_browser_clock_hours_behind_still_signs_in(browser: Any, pipeline: Served) -> None:
    """Tokens expire by the server's clock: the page learns it from the answers' Date."""
    context = browser.new_context(base_url=pipeline.url)
    try:
        page = context.new_page()
        page.clock.set_system_time(time.time() - 2 * 3600)
        page.goto("/console")
        page.get_by_label("Access key").fill(AK)
        page.get_by_label("Secret key").fill(SK)
        page.get_by_role("button", name="Sign in").click()
        page.locator("#jobs tbody tr").first.wait_for(timeout=WAIT_MS)
    finally:
        context.close()


def test_sign_in_lists_the_jobs(page: Any) -> None:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.url} {r.headers} {r.post_data or ''}"))
    page.goto("/console")
    shot(page, "1-sign-in")
    page.get_by_label("Access key").fill(AK)
    page.get_by_label("Secret key").fill(SK)
    page.get_by_role("button", name="Sign in").click()
    rows = page.locator("#jobs tbody tr")
    rows.first.wait_for()
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.job)")) == [
        "by_url", "nightly_sum", "slow", "top_url"]  # fmt: skip
    assert sent and not any(SK in request for request in sent)  # the secret never leaves
    assert page.evaluate("Object.keys(localStorage).length") == 0
    shot(page, "2-jobs")


def test_a_batch_started_on_the_job_page_reaches_successful(page: Any, pipeline: Served) -> None:
    page.goto("/console#/job/by_url")
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_role("button", name="Dry run").click()  # the render extension: nothing runs
    page.locator("#dry-run pre.sql", has_text="bytes >= 2 and url <> 'none'").wait_for()
    page.get_by_label("skip").fill("/b")  # a start param, for this batch only
    assert page.locator("#history tbody tr").count() == 0
    shot(page, "3-job-dry-run")
    page.get_by_role("button", name="Start now").click()
    row = page.locator("#history tbody tr[data-run='1'] [data-status]")
    row.wait_for()
    page.wait_for_function(
        "() => document.querySelector(\"#history tr[data-run='1'] [data-status]\")"
        "?.dataset.status === 'Successful'", timeout=WAIT_MS)  # fmt: skip
    assert page.locator("mark.var").first.inner_text() == "$(min_bytes)"
    assert page.title() == "Job by_url · Tidemill"
    # The depend job ran after it; the API agrees with what the page showed.
    history = ok(pipeline.request("GET", "/v2/jobs/by_url/history"))["history"]
    assert [b["status"] for b in history] == ["Successful"]
    assert page.locator("svg.chart rect").count() == 1  # one bar per batch
    shot(page, "3-job")
    # The status filter asks the API for that status only.
    page.get_by_label("Status").select_option("Failed")
    page.locator("text=0 batches").wait_for()
    assert page.locator("#history tbody tr").count() == 0
    page.get_by_label("Status").select_option("Successful")
    page.locator("#history tbody tr[data-run='1']").wait_for()

    page.locator("#history a", has_text="#1").click()
    page.locator("table.result").wait_for()
    cells = page.locator("table.result tbody tr").evaluate_all(
        "rs => rs.map(r => [...r.cells].map(c => c.innerText))"
    )
    assert cells == [["/a", "17"]]  # bytes >= $(min_bytes) = 2, url <> $(skip) = '/b'
    page.locator("text=files").first.wait_for()
    page.locator("pre#log", has_text="url <> '/b'").wait_for()  # the log: rendered SQL
    shot(page, "4-batch")


def test_stop_and_rerun_a_running_batch_from_the_batch_page(page: Any, pipeline: Served) -> None:
    ok(pipeline.request("POST", "/v2/jobs/slow/actions/start", {}))
    page.goto("/console#/batch/slow/1")
    status = page.locator("#batch-status")
    page.wait_for_function("() => document.querySelector('#batch-status')?.innerText === 'Running'")
    shot(page, "5-batch-running")
    page.get_by_role("button", name="Stop").click()
    page.wait_for_function(
        "() => document.querySelector('#batch-status')?.innerText === 'Canceled'")  # fmt: skip
    page.get_by_role("button", name="Rerun").click()
    page.wait_for_function(
        "() => ['Restarting', 'Running'].includes(document.querySelector('#batch-status')"
        "?.innerText)")  # fmt: skip
    assert status.inner_text() in ("Restarting", "Running")
    batch = ok(pipeline.request("GET", "/v2/jobs/slow/history?runId=1"))["history"][0]
    assert batch["status"] in ("Restarting", "Running")
    # Stopping a batch that is not Running shows the API's refusal as it was written.
    page.wait_for_function("() => document.querySelector('#batch-status')?.innerText === 'Running'")
    page.get_by_role("button", name="Stop").click()
    page.wait_for_function(
        "() => document.querySelector('#batch-status')?.innerText === 'Canceled'")  # fmt: skip


def test_an_api_refusal_is_shown_as_its_message(page: Any, pipeline: Served) -> None:
    page.goto("/console#/job/top_url")
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_role("button", name="Start now").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    # JOB_START_REFUSED (a depend job is not started): the page shows what the API says.
    refused = pipeline.request("POST", "/v2/jobs/top_url/actions/start", {})
    assert refused.status_code == 400
    assert alert.inner_text() == refused.json()["error"]


def test_a_bad_name_in_the_address_gets_the_api_message(page: Any) -> None:
    """The page signs the decoded path, as the server checks it: the answer is the name's
    refusal (JOB_NAME_INVALID), not a signature failure."""
    page.goto("/console#/job/no%20such-job")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().startswith("E18207: "), alert.inner_text()


def test_the_dag_draws_the_pipeline_and_opens_a_job(page: Any) -> None:
    page.goto("/console#/dag")
    page.locator("svg.dag").wait_for()
    nodes = page.locator("svg.dag [data-node]").evaluate_all("ns => ns.map(n => n.dataset.node)")
    assert sorted(nodes) == [
        "ds:logs", "ds:wf_logs", "exp:by_url/files", "exp:nightly_sum/counts",
        "job:by_url", "job:nightly_sum", "job:slow", "job:top_url",
    ]  # fmt: skip
    assert page.locator("svg.dag .edge").count() == 6
    assert page.locator("svg.dag .edge.depend").count() == 1
    assert page.locator("svg.dag [data-workflow='nightly']").count() == 1
    assert page.locator("[data-node='job:by_url']").get_attribute("data-status") == "Successful"
    shot(page, "6-dag")
    page.locator("[data-node='job:by_url']").click()
    page.wait_for_url("**#/job/by_url")


def test_datasources_variables_and_workflows(page: Any, pipeline: Served) -> None:
    page.goto("/console#/datasources/logs")
    files = page.locator("#files tbody tr")
    files.first.wait_for()
    assert files.evaluate_all("rs => rs.map(r => r.cells[0].innerText)") == [
        "bkt1/cdn/2026-11-29.json", "bkt1/cdn/2026-11-30.json"]  # fmt: skip
    shot(page, "7-datasources")

    page.goto("/console#/variables")
    page.locator("#variables td", has_text="$(min_bytes)").wait_for()
    shot(page, "8-variables")

    page.goto("/console#/workflows")
    row = page.locator("#workflows tr[data-workflow='nightly']")
    row.get_by_role("button", name="Start").click()
    row.locator(".status", has_text="Started").wait_for()
    job = ok(pipeline.request("GET", "/v2/jobs/nightly_sum"))
    assert job["nextFireTimes"], job
    shot(page, "9-workflows")
    page.goto("/console#/jobs")
    page.locator("#jobs tr[data-job='nightly_sum'] td.times div").first.wait_for()
    shot(page, "2-jobs")
    page.goto("/console#/workflows")
    row.get_by_role("button", name="Stop").click()
    row.locator(".status", has_text="Stopped").wait_for()

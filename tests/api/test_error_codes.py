"""Every row of spec §1.6.3, through the real app in both code profiles (issue 9, kind 12).

`SPEC` is the failure catalogue written out again from the spec (it does not trust
`api/errors.py`); each key has a request that triggers it, run once with the seed profile and
once with `TIDEMILL_ERROR_CODES=sdk`. A key of `tidemill.errors.Failure` without a trigger, or
without a row here, fails `test_every_failure_key_has_a_row_and_a_trigger`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import OWN_BUCKETS, make_settings
from tests.support import Client, wait_for
from tidemill.api.app import create_app
from tidemill.api.errors import WIRE_BY_FAILURE
from tidemill.api.listing_gate import ListingGate
from tidemill.errors import ROW_OF, Failure
from tidemill.runtime import build_runtime

F = Failure
# key -> (HTTP status, seed code, SDK code). "" = no code (the text starts "bad token" or is
# "method not allowed"). Where the spec's SDK column is "—" the seed code is kept. Finer keys
# (tidemill.errors.ROW_OF) take one of their row's several SDK codes.
SPEC: dict[Failure, tuple[int, str, str]] = {
    F.AUTH: (401, "", ""),
    F.ROUTE_NOT_FOUND: (404, "E9001", "E9001"),
    F.METHOD_NOT_ALLOWED: (405, "", ""),
    F.REQ_NO_LENGTH: (411, "E18003", "E18003"),
    F.REQ_BAD_LENGTH: (400, "E18004", "E18004"),
    F.REQ_TOO_LARGE: (413, "E18005", "E18005"),
    F.REQ_EMPTY: (400, "E18006", "E18006"),
    F.REQ_MALFORMED: (400, "E18007", "E18007"),
    F.REQ_TOO_LONG: (400, "E18008", "E18008"),
    F.QUERY_INVALID: (400, "E18007", "E18007"),
    F.REGION_INVALID: (400, "E18212", "E18212"),
    F.INTERNAL: (500, "E9000", "E9000"),
    F.NOT_IMPLEMENTED: (501, "E9001", "E9001"),
    F.REQ_TOO_MANY: (429, "E9000", "E9000"),  # no spec row: docs/decisions.md, safety2
    F.DS_NAME_INVALID: (400, "E18103", "E18600"),
    F.DS_EXISTS: (409, "E18101", "E18601"),
    F.DS_NOT_FOUND: (404, "E18102", "E18602"),
    F.DS_SRC_NOT_FOUND: (404, "E18102", "E18612"),
    F.DS_TYPE_INVALID: (400, "E18109", "E18614"),
    F.DS_SPEC_INVALID: (400, "E18109", "E18614"),
    F.DS_PATH_ILLEGAL: (400, "E18109", "E18638"),
    F.DS_FILTER_INVALID: (400, "E18109", "E18019"),
    F.DS_FILTER_UNDEF_VAR: (400, "E18109", "E18705"),
    F.DS_FILTER_STRING_VAR: (400, "E18109", "E18704"),
    F.SCHEMA_EMPTY: (400, "E18105", "E18105"),
    F.SCHEMA_KEY_INVALID: (400, "E18106", "E18308"),
    F.SCHEMA_KEY_DUP: (400, "E18106", "E18104"),
    F.SCHEMA_TYPE_INVALID: (400, "E18107", "E18107"),
    F.SCHEMA_INCOMPATIBLE_UPDATE: (400, "E18110", "E18128"),
    F.DS_VERIFY_NOT_FOUND: (400, "E18109", "E18619"),
    F.DS_VERIFY_NO_FILES: (400, "E18109", "E18620"),
    F.DS_VERIFY_FORMAT: (400, "E18110", "E18623"),
    F.DS_VERIFY_SCHEMA: (400, "E18110", "E18615"),
    F.DS_CASCADING: (400, "E18112", "E18603"),
    F.JOB_NAME_INVALID: (400, "E18207", "E18604"),
    F.JOB_EXISTS: (409, "E18201", "E18605"),
    F.JOB_NOT_FOUND: (404, "E18202", "E18606"),
    F.JOB_SRC_NOT_FOUND: (404, "E18202", "E18612"),
    F.JOB_SPEC_INVALID: (400, "E18207", "E18614"),
    F.JOB_TABLE_INVALID: (400, "E18207", "E18614"),
    F.JOB_TABLE_DUP: (400, "E18207", "E18613"),
    F.JOB_COMP_TYPE: (415, "E18203", "E18203"),
    F.JOB_SQL_INVALID: (400, "E18209", "E18618"),
    F.JOB_SQL_UNDEF_VAR: (400, "E18209", "E18657"),
    F.JOB_CONTAINER_TYPE: (400, "E18213", "E18213"),
    F.JOB_CONTAINER_COUNT: (400, "E18214", "E18214"),
    F.JOB_SCHED_INVALID: (400, "E18208", "E18614"),
    F.JOB_PARAM_INVALID: (400, "E18207", "E18017"),
    F.JOB_PARAM_VALUE_INVALID: (400, "E18207", "E18018"),
    F.JOB_START_PARAM: (400, "E18207", "E18607"),
    F.JOB_CASCADING: (400, "E18112", "E18608"),
    F.JOB_START_REFUSED: (400, "E18644", "E18621"),
    F.JOB_START_IN_WORKFLOW: (400, "E18644", "E18663"),
    F.JOB_STOP_REFUSED: (400, "E18645", "E18622"),
    F.JOB_STOP_IN_WORKFLOW: (400, "E18645", "E18663"),
    F.BATCH_NOT_FOUND: (404, "E18202", "E18624"),
    F.BATCH_CANNOT_STOP: (400, "E18645", "E18626"),
    F.BATCH_CANNOT_RERUN: (400, "E18644", "E18649"),
    F.EXP_NAME_INVALID: (400, "E18305", "E18609"),
    F.EXP_EXISTS: (409, "E18301", "E18610"),
    F.EXP_NOT_FOUND: (404, "E18302", "E18611"),
    F.EXP_TYPE_INVALID: (400, "E18305", "E18322"),
    F.EXP_SPEC_INVALID: (400, "E18305", "E18305"),
    F.EXP_CSV_DELIMITER: (400, "E18305", "E18330"),
    F.EXP_URL_INVALID: (400, "E18305", "E18310"),
    F.EXP_FIELD_NOT_FOUND: (404, "E18111", "E18314"),
    F.EXP_FIELD_PREFIX: (400, "E18305", "E18324"),
    F.EXP_TYPES: (400, "E18305", "E18315"),
    F.EXP_DEST_NOT_FOUND: (404, "E18122", "E18326"),
    F.EXP_BUCKET_NOT_FOUND: (404, "E18122", "E18323"),
    F.EXP_SUBMIT_FAILED: (400, "E18303", "E18306"),
    F.EXP_TYPE_DISABLED: (400, "E18303", "E18339"),
    F.EXP_DELETE_FAILED: (400, "E18304", "E18307"),
    F.VAR_NAME_INVALID: (400, "E18106", "E18017"),
    F.VAR_TYPE_INVALID: (400, "E18107", "E18016"),
    F.VAR_VALUE_INVALID: (400, "E18110", "E18018"),
    F.VAR_FORMAT_INVALID: (400, "E18104", "E18658"),
    F.VAR_EXISTS: (409, "E18101", "E18655"),
    F.VAR_NOT_FOUND: (404, "E18102", "E18654"),
    F.VAR_SYSTEM_CREATE: (409, "E18101", "E18656"),
    F.VAR_SYSTEM_CHANGE: (400, "E18106", "E18656"),
    F.WF_NAME_INVALID: (400, "E18639", "E18639"),
    F.WF_EXISTS: (409, "E18640", "E18640"),
    F.WF_NAME_CLASH: (409, "E18640", "E18661"),
    F.WF_NOT_FOUND: (404, "E18641", "E18641"),
    F.WF_SPEC_INVALID: (400, "E18642", "E18642"),
    F.WF_STRUCTURE: (400, "E18642", "E18646"),
    F.WF_JOBS_COEXIST: (400, "E18642", "E18653"),
    F.WF_STATE: (400, "E18643", "E18643"),
    F.WF_CANNOT_START: (400, "E18644", "E18644"),
    F.WF_NO_EXECUTABLE_JOB: (400, "E18644", "E18650"),
    F.WF_CANNOT_STOP: (400, "E18645", "E18645"),
    F.WF_NOT_EMPTY: (400, "E18112", "E18112"),
}

# Keys no request can produce today, and why; their rendering is still checked below.
NOT_RAISED: dict[Failure, str] = {
    F.REQ_NO_LENGTH: "uvicorn answers a POST without a length itself (docs/decisions.md, Wire)",
    F.EXP_DEST_NOT_FOUND: "no export target's existence is checked at create yet",
    F.EXP_DELETE_FAILED: "deleting an export touches only metadata and cannot fail",
}

SCHEMA = [{"key": "id", "valtype": "long"}]
# Runs for minutes: long enough to be caught Running.
SLOW = "SELECT sum(a.id * b.id) AS n FROM range(1000000) a CROSS JOIN range(1000000) b CROSS JOIN t"


def kodo_ds(bucket: str = "bkt1", **extra: Any) -> dict[str, Any]:
    return {
        "region": "nb", "type": "kodo", "noVerifySchema": True, "schema": SCHEMA,
        "spec": {"bucket": bucket, "keyPrefixes": ["in/"], "fileType": "json"}, **extra,
    }  # fmt: skip


def fusion_ds(file_filter: str) -> dict[str, object]:
    return {
        "region": "nb",
        "type": "fusion",
        "spec": {"domains": ["a.com"], "fileFilter": file_filter},
    }


def job_body(src: str = "ds", code: str = "SELECT id FROM t", **extra: Any) -> dict[str, Any]:
    return {
        "srcs": [{"name": src, "type": "DataSource", "tableName": "t"}],
        "computation": {"type": "sql", "code": code},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"}, **extra,
    }  # fmt: skip


CRONTAB = {"type": "crontab", "spec": {"crontab": "@yearly"}}
KODO_EXPORT = {"type": "kodo", "spec": {"bucket": "bkt2", "keyPrefix": "o/", "fileCount": 1}}


class Env:
    """A signed client on a fresh app, and its data directory."""

    def __init__(self, client: Client, data: Path) -> None:
        self.c = client
        self.data = data

    def ok(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.text

    def ds(self, name: str = "ds", **extra: Any) -> None:
        self.ok(self.c.post(f"/v2/datasources/{name}", kodo_ds(**extra)))

    def job(self, name: str = "j", src: str = "ds", **extra: Any) -> None:
        self.ok(self.c.post(f"/v2/jobs/{name}", job_body(src, **extra)))

    def wf(self, name: str = "w") -> None:
        self.ok(self.c.post(f"/v2/workflows/{name}", {"region": "nb", "comment": ""}))

    def file(self, key: str, text: str) -> None:
        path = self.data / "kodo" / "default" / "bkt1" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


Trigger = Callable[[Env], httpx.Response]


def _started_workflow(e: Env) -> None:
    e.wf()
    e.ds(workflow="w")
    e.job()
    e.ok(e.c.post("/v2/jobs/j/exports/e", KODO_EXPORT))
    e.ok(e.c.post("/v2/workflows/w/start"))


def _listings_held(e: Env) -> httpx.Response:
    """The account's listing slots all held (as by slow listings in flight), then one more."""
    from tidemill.store import accounts

    e.ds()
    state = e.c.http.app.state  # type: ignore[attr-defined]  # the FastAPI app it runs
    rt = state.runtime
    with rt.db.connect() as conn:
        account = accounts.account_id(conn, rt.settings.account)
    gate = state.listing_gate = ListingGate(rt.settings.api.max_listings_per_account)
    with ExitStack() as stack:
        for _ in range(gate.limit):
            stack.enter_context(gate.slot(account))
        return e.c.get("/v2/console/datasources/ds/files")


def _finished_batch(e: Env) -> str:
    e.ds()
    e.job()
    e.ok(e.c.post("/v2/jobs/j/actions/start", {}))
    wait_for(e.c, "j")
    return "j"


def _running_batch(e: Env) -> str:
    e.ds()
    e.job(code=SLOW)
    e.file("in/a.json", '{"id": 1}\n')
    e.ok(e.c.post("/v2/jobs/j/actions/start", {}))
    wait_for(e.c, "j", {"Running"})
    return "j"


def _rerun_running(e: Env) -> httpx.Response:
    _running_batch(e)
    response = e.c.post("/v2/batch/actions/rerun", {"jobName": "j", "runId": 1})
    e.c.post("/v2/jobs/j/actions/stop")
    return response


def _seq(*steps: Callable[[Env], object]) -> Trigger:
    """Run every step; the last one's response is the answer."""

    def run(e: Env) -> httpx.Response:
        result: object = None
        for step in steps:
            result = step(e)
        assert isinstance(result, httpx.Response)
        return result

    return run


def _string_var(e: Env) -> None:
    e.ok(e.c.post("/v2/variables/s", {"type": "string", "value": "x"}))


TRIGGERS: dict[Failure, Trigger] = {
    F.AUTH: lambda e: e.c.http.get("/v2/jobs"),
    F.ROUTE_NOT_FOUND: lambda e: e.c.get("/v2/nothing-here"),
    F.METHOD_NOT_ALLOWED: lambda e: e.c.request("PATCH", "/v2/jobs"),
    F.REQ_BAD_LENGTH: lambda e: e.c.post(
        "/v2/variables/v", headers={"Content-Length": "ten"}, raw=None
    ),
    F.REQ_TOO_LARGE: lambda e: e.c.post("/v2/variables/v", raw=b" " * (4 * 1024 * 1024 + 1)),
    F.REQ_EMPTY: lambda e: e.c.post("/v2/variables/v", raw=b""),
    F.REQ_MALFORMED: lambda e: e.c.post("/v2/variables/v", raw=b"{"),
    F.REQ_TOO_LONG: lambda e: e.c.post("/v2/variables/v", {"type": "string", "value": "x" * 129}),
    F.QUERY_INVALID: lambda e: e.c.get("/v2/variables?type=both"),
    F.REGION_INVALID: lambda e: e.c.post("/v2/datasources/d", {**kodo_ds(), "region": "z9"}),
    F.INTERNAL: lambda e: e.c.get("/v2/test-only/boom"),
    F.NOT_IMPLEMENTED: lambda e: e.c.post("/v2/workflows/w/search", {}),
    F.REQ_TOO_MANY: _listings_held,
    F.DS_NAME_INVALID: lambda e: e.c.post("/v2/datasources/9d", kodo_ds()),
    F.DS_EXISTS: _seq(Env.ds, lambda e: e.c.post("/v2/datasources/ds", kodo_ds())),
    F.DS_NOT_FOUND: lambda e: e.c.get("/v2/datasources/nope"),
    F.DS_SRC_NOT_FOUND: lambda e: e.c.post("/v2/jobs/j", job_body("nope")),
    F.DS_TYPE_INVALID: lambda e: e.c.post("/v2/datasources/d", {**kodo_ds(), "type": "ftp"}),
    F.DS_SPEC_INVALID: lambda e: e.c.post("/v2/datasources/d", kodo_ds(bucket="b")),
    F.DS_PATH_ILLEGAL: lambda e: e.c.post(
        "/v2/datasources/d",
        {**kodo_ds(), "spec": {"bucket": "bkt1", "keyPrefixes": ["a<b"], "fileType": "json"}},
    ),
    F.DS_FILTER_INVALID: lambda e: e.c.post("/v2/datasources/f", fusion_ds("soon ~ later")),
    F.DS_FILTER_UNDEF_VAR: lambda e: e.c.post("/v2/datasources/f", fusion_ds("$(x) ~ $(now)")),
    F.DS_FILTER_STRING_VAR: _seq(
        _string_var, lambda e: e.c.post("/v2/datasources/f", fusion_ds("$(s) ~ $(now)"))
    ),
    F.SCHEMA_EMPTY: lambda e: e.c.post("/v2/datasources/d", {**kodo_ds(), "schema": []}),
    F.SCHEMA_KEY_INVALID: lambda e: e.c.post(
        "/v2/datasources/d", {**kodo_ds(), "schema": [{"key": "1a", "valtype": "long"}]}
    ),
    F.SCHEMA_KEY_DUP: lambda e: e.c.post("/v2/datasources/d", {**kodo_ds(), "schema": SCHEMA * 2}),
    F.SCHEMA_TYPE_INVALID: lambda e: e.c.post(
        "/v2/datasources/d", {**kodo_ds(), "schema": [{"key": "a", "valtype": "int"}]}
    ),
    F.SCHEMA_INCOMPATIBLE_UPDATE: _seq(
        Env.ds,
        lambda e: e.c.put(
            "/v2/datasources/ds", {**kodo_ds(), "schema": [{"key": "id", "valtype": "string"}]}
        ),
    ),
    F.DS_VERIFY_NOT_FOUND: lambda e: e.c.post(
        "/v2/datasources/d", {**kodo_ds(bucket="no-such-bucket"), "noVerifySchema": False}
    ),
    F.DS_VERIFY_NO_FILES: _seq(
        lambda e: e.file("elsewhere/a.json", '{"id": 1}\n'),
        lambda e: e.c.post("/v2/datasources/d", {**kodo_ds(), "noVerifySchema": False}),
    ),
    F.DS_VERIFY_FORMAT: _seq(
        lambda e: e.file("in/a.json", "this is not json\n"),
        lambda e: e.c.post("/v2/datasources/d", {**kodo_ds(), "noVerifySchema": False}),
    ),
    F.DS_VERIFY_SCHEMA: _seq(
        lambda e: e.file("in/a.json", '{"other": "x"}\n'),
        lambda e: e.c.post("/v2/datasources/d", {**kodo_ds(), "noVerifySchema": False}),
    ),
    F.DS_CASCADING: _seq(Env.ds, Env.job, lambda e: e.c.delete("/v2/datasources/ds")),
    F.JOB_NAME_INVALID: lambda e: e.c.post("/v2/jobs/9j", job_body()),
    F.JOB_EXISTS: _seq(Env.ds, Env.job, lambda e: e.c.post("/v2/jobs/j", job_body())),
    F.JOB_NOT_FOUND: lambda e: e.c.get("/v2/jobs/nope"),
    F.JOB_SRC_NOT_FOUND: lambda e: e.c.post(
        "/v2/jobs/d",
        {
            "srcs": [{"name": "up", "type": "Job", "tableName": "t"}],
            "computation": {"type": "sql", "code": "SELECT id FROM t"},
            "scheduler": {"type": "depend"},
        },
    ),
    F.JOB_SPEC_INVALID: lambda e: e.c.post("/v2/jobs/j", {**job_body(), "srcs": []}),
    F.JOB_TABLE_INVALID: lambda e: e.c.post(
        "/v2/jobs/j",
        {**job_body(), "srcs": [{"name": "ds", "type": "DataSource", "tableName": "1t"}]},
    ),
    F.JOB_TABLE_DUP: lambda e: e.c.post(
        "/v2/jobs/j",
        {**job_body(), "srcs": [{"name": "ds", "type": "DataSource", "tableName": "t"}] * 2},
    ),
    F.JOB_COMP_TYPE: lambda e: e.c.post(
        "/v2/jobs/j", {**job_body(), "computation": {"type": "python", "code": "x"}}
    ),
    F.JOB_SQL_INVALID: _seq(Env.ds, lambda e: e.c.post("/v2/jobs/j", job_body(code="SELEC id"))),
    F.JOB_SQL_UNDEF_VAR: _seq(
        Env.ds, lambda e: e.c.post("/v2/jobs/j", job_body(code="SELECT '$(nope)' AS a FROM t"))
    ),
    F.JOB_CONTAINER_TYPE: lambda e: e.c.post(
        "/v2/jobs/j", job_body(container={"type": "3U3G", "count": 1})
    ),
    F.JOB_CONTAINER_COUNT: lambda e: e.c.post(
        "/v2/jobs/j", job_body(container={"type": "1U2G", "count": 0})
    ),
    F.JOB_SCHED_INVALID: lambda e: e.c.post(
        "/v2/jobs/j", job_body(scheduler={"type": "crontab", "spec": {"crontab": "often"}})
    ),
    F.JOB_PARAM_INVALID: lambda e: e.c.post(
        "/v2/jobs/j", job_body(params=[{"name": "1p", "default": ""}])
    ),
    F.JOB_PARAM_VALUE_INVALID: lambda e: e.c.post(
        "/v2/jobs/j", job_body(params=[{"name": "p", "default": "x" * 65}])
    ),
    F.JOB_START_PARAM: _seq(
        Env.ds,
        Env.job,
        lambda e: e.c.post("/v2/jobs/j/actions/start", {"params": [{"name": "q", "value": "1"}]}),
    ),
    F.JOB_CASCADING: _seq(
        Env.ds,
        Env.job,
        lambda e: e.ok(e.c.post("/v2/jobs/j/exports/e", KODO_EXPORT)),
        lambda e: e.c.delete("/v2/jobs/j"),
    ),
    F.JOB_START_REFUSED: _seq(
        Env.ds,
        lambda e: e.job(scheduler=CRONTAB),
        lambda e: e.ok(e.c.post("/v2/jobs/j/actions/start", {})),
        lambda e: e.c.post("/v2/jobs/j/actions/start", {}),
    ),
    F.JOB_START_IN_WORKFLOW: _seq(
        Env.wf,
        lambda e: e.ds(workflow="w"),
        Env.job,
        lambda e: e.c.post("/v2/jobs/j/actions/start", {}),
    ),
    F.JOB_STOP_REFUSED: _seq(Env.ds, Env.job, lambda e: e.c.post("/v2/jobs/j/actions/stop")),
    F.JOB_STOP_IN_WORKFLOW: _seq(
        Env.wf,
        lambda e: e.ds(workflow="w"),
        lambda e: e.job(scheduler=CRONTAB),
        lambda e: e.c.post("/v2/jobs/j/actions/stop"),
    ),
    F.BATCH_NOT_FOUND: _seq(
        Env.ds,
        Env.job,
        lambda e: e.c.post("/v2/batch/actions/stop", {"jobName": "j", "runId": 5}),
    ),
    F.BATCH_CANNOT_STOP: _seq(
        _finished_batch,
        lambda e: e.c.post("/v2/batch/actions/stop", {"jobName": "j", "runId": 1}),
    ),
    F.BATCH_CANNOT_RERUN: _rerun_running,
    F.EXP_NAME_INVALID: _seq(
        Env.ds, Env.job, lambda e: e.c.post("/v2/jobs/j/exports/9e", KODO_EXPORT)
    ),
    F.EXP_EXISTS: _seq(
        Env.ds,
        Env.job,
        lambda e: e.ok(e.c.post("/v2/jobs/j/exports/e", KODO_EXPORT)),
        lambda e: e.c.post("/v2/jobs/j/exports/e", KODO_EXPORT),
    ),
    F.EXP_NOT_FOUND: _seq(Env.ds, Env.job, lambda e: e.c.get("/v2/jobs/j/exports/nope")),
    F.EXP_TYPE_INVALID: _seq(
        Env.ds, Env.job, lambda e: e.c.post("/v2/jobs/j/exports/e", {"type": "ftp", "spec": {}})
    ),
    F.EXP_SPEC_INVALID: _seq(
        Env.ds,
        Env.job,
        lambda e: e.c.post("/v2/jobs/j/exports/e", {"type": "kodo", "spec": {"bucket": "b"}}),
    ),
    F.EXP_CSV_DELIMITER: _seq(
        Env.ds,
        Env.job,
        lambda e: e.c.post(
            "/v2/jobs/j/exports/e",
            {
                "type": "kodo",
                "spec": {"bucket": "bkt2", "format": "csv", "containsHeader": True, "fileCount": 1},
            },
        ),
    ),
    F.EXP_URL_INVALID: _seq(
        Env.ds,
        Env.job,
        lambda e: e.c.post(
            "/v2/jobs/j/exports/e",
            {"type": "http", "spec": {"host": "ftp://example.com", "uri": "/x"}},
        ),
    ),
    F.EXP_FIELD_NOT_FOUND: _seq(
        Env.ds,
        Env.job,
        lambda e: e.c.post(
            "/v2/jobs/j/exports/e",
            {"type": "kodo", "spec": {"bucket": "bkt2", "fileCount": 1, "partitionBy": ["nope"]}},
        ),
    ),
    F.EXP_FIELD_PREFIX: _seq(
        Env.ds,
        Env.job,
        lambda e: e.c.post(
            "/v2/jobs/j/exports/e",
            {"type": "report", "spec": {"dbName": "db", "tableName": "t", "columns": {"c": "id"}}},
        ),
    ),
    F.EXP_TYPES: _seq(
        Env.ds,
        lambda e: e.job(code="SELECT id, id > 1 AS flag FROM t"),
        lambda e: e.c.post(
            "/v2/jobs/j/exports/e",
            {
                "type": "tsdb",
                "spec": {
                    "destRepoName": "r",
                    "series": "s",
                    "tags": {},
                    "fields": {"v": "#id"},
                    "timestamp": "#flag",
                },
            },
        ),
    ),
    F.EXP_SUBMIT_FAILED: _seq(
        Env.ds,
        Env.job,
        lambda e: e.c.post(
            "/v2/jobs/j/exports/e",
            {"type": "http", "spec": {"host": "169.254.169.254", "uri": "/latest/meta-data/"}},
        ),
    ),
    F.EXP_BUCKET_NOT_FOUND: _seq(
        Env.ds,
        Env.job,
        lambda e: e.c.post(
            "/v2/jobs/j/exports/e",
            {"type": "kodo", "spec": {"bucket": "no-such-bucket", "fileCount": 1}},
        ),
    ),
    F.EXP_TYPE_DISABLED: _seq(
        Env.ds,
        Env.job,
        lambda e: e.c.post(
            "/v2/jobs/j/exports/e",
            {"type": "logdb", "spec": {"destRepoName": "r", "doc": {"id": "#id"}}},
        ),
    ),
    F.VAR_NAME_INVALID: lambda e: e.c.post("/v2/variables/9v", {"type": "string", "value": "x"}),
    F.VAR_TYPE_INVALID: lambda e: e.c.post("/v2/variables/v", {"type": "int", "value": "1"}),
    F.VAR_VALUE_INVALID: lambda e: e.c.post(
        "/v2/variables/v", {"type": "time", "value": "yesterday", "format": "yyyy"}
    ),
    F.VAR_FORMAT_INVALID: lambda e: e.c.post(
        "/v2/variables/v", {"type": "time", "value": "$(now)"}
    ),
    F.VAR_EXISTS: _seq(
        _string_var, lambda e: e.c.post("/v2/variables/s", {"type": "string", "value": "y"})
    ),
    F.VAR_NOT_FOUND: lambda e: e.c.get("/v2/variables/nope"),
    F.VAR_SYSTEM_CREATE: lambda e: e.c.post("/v2/variables/now", {"type": "string", "value": "x"}),
    F.VAR_SYSTEM_CHANGE: lambda e: e.c.put("/v2/variables/now", {"type": "string", "value": "x"}),
    F.WF_NAME_INVALID: lambda e: e.c.post("/v2/workflows/9w", {"region": "nb"}),
    F.WF_EXISTS: _seq(Env.wf, lambda e: e.c.post("/v2/workflows/w", {"region": "nb"})),
    F.WF_NAME_CLASH: _seq(Env.ds, lambda e: e.c.post("/v2/workflows/ds", {"region": "nb"})),
    F.WF_NOT_FOUND: lambda e: e.c.get("/v2/workflows/nope"),
    F.WF_SPEC_INVALID: lambda e: e.c.post("/v2/workflows/w", {"region": "nb", "comment": 5}),
    F.WF_STRUCTURE: _seq(
        lambda e: e.wf("w1"),
        lambda e: e.wf("w2"),
        lambda e: e.ds("d1", workflow="w1"),
        lambda e: e.ds("d2", workflow="w2"),
        lambda e: e.c.post(
            "/v2/jobs/j",
            {
                **job_body(),
                "srcs": [
                    {"name": "d1", "type": "DataSource", "tableName": "a"},
                    {"name": "d2", "type": "DataSource", "tableName": "b"},
                ],
                "computation": {"type": "sql", "code": "SELECT a.id FROM a, b"},
            },
        ),
    ),
    F.WF_JOBS_COEXIST: _seq(
        Env.wf,
        lambda e: e.ds(workflow="w"),
        Env.job,
        lambda e: e.c.post("/v2/jobs/k", job_body(scheduler=CRONTAB)),
    ),
    F.WF_STATE: _seq(
        _started_workflow, lambda e: e.c.post("/v2/datasources/d2", kodo_ds(workflow="w"))
    ),
    F.WF_CANNOT_START: _seq(_started_workflow, lambda e: e.c.post("/v2/workflows/w/start")),
    F.WF_NO_EXECUTABLE_JOB: _seq(Env.wf, lambda e: e.c.post("/v2/workflows/w/start")),
    F.WF_CANNOT_STOP: _seq(Env.wf, lambda e: e.c.post("/v2/workflows/w/stop")),
    F.WF_NOT_EMPTY: _seq(
        Env.wf, lambda e: e.ds(workflow="w"), lambda e: e.c.delete("/v2/workflows/w")
    ),
}


def test_every_failure_key_has_a_row_and_a_trigger() -> None:
    assert set(SPEC) == set(Failure), "a Failure key has no row in SPEC"
    uncovered = set(Failure) - set(TRIGGERS) - set(NOT_RAISED)
    assert not uncovered, f"no request triggers {sorted(uncovered)}"
    assert not set(TRIGGERS) & set(NOT_RAISED)
    assert all(row in SPEC and row not in ROW_OF for row in ROW_OF.values())


@pytest.mark.parametrize("failure", list(Failure), ids=str)
def test_the_wire_table_follows_the_spec_row(failure: Failure) -> None:
    status, seed, sdk = WIRE_BY_FAILURE[failure]

    assert (int(status), seed, sdk) == SPEC[failure]
    if failure in ROW_OF:  # a finer key keeps its row's status and seed code
        assert SPEC[failure][:2] == SPEC[ROW_OF[failure]][:2]


@pytest.fixture(params=["seed", "sdk"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Env]]:
    profile = str(request.param)
    settings = make_settings(tmp_path).model_copy(update={"error_codes": profile})
    runtime = build_runtime(settings)
    for bucket in OWN_BUCKETS:
        (settings.data_dir / "kodo" / settings.account / bucket).mkdir(parents=True)
    app = create_app(settings, runtime)

    @app.get("/v2/test-only/boom")
    def boom() -> None:  # a bug stands in for any unexpected failure (INTERNAL)
        raise ZeroDivisionError("a bug")

    try:
        with TestClient(app, raise_server_exceptions=False) as http:
            yield profile, Env(Client(http), settings.data_dir)
    finally:
        runtime.close()


@pytest.mark.parametrize("failure", list(TRIGGERS), ids=str)
def test_each_row_gives_its_code_in_both_profiles(env: tuple[str, Env], failure: Failure) -> None:
    profile, e = env
    status, seed, sdk = SPEC[failure]

    response = TRIGGERS[failure](e)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    text = str(response.json()["error"])
    code = seed if profile == "seed" else sdk
    if code:
        assert text.startswith(f"{code}: "), text
    elif failure is F.AUTH:
        assert text.startswith("bad token"), text
    else:
        assert text == "method not allowed"

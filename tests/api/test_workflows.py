"""Workflows through the real app: spec §10, §3.1, §1.4, §1.6.3, D-17, D-27..D-29."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support import Client, assert_error, assert_ok_empty, assert_ok_json
from tidemill.runtime import Runtime
from tidemill.services.accounts import create_key

SCHEMA: list[dict[str, Any]] = [{"key": "f1", "valtype": "string", "required": True}]
KODO_SPEC: dict[str, Any] = {"bucket": "bkt1", "keyPrefixes": ["logs/"], "fileType": "json"}
DATASOURCE: dict[str, Any] = {
    "region": "nb",
    "type": "kodo",
    "spec": KODO_SPEC,
    "schema": SCHEMA,
    "noVerifySchema": True,
}
JOB: dict[str, Any] = {
    "srcs": [{"name": "ds", "fileFilter": "", "type": "datasource", "tableName": "t"}],
    "computation": {"code": "select * from t", "type": "sql"},
    "container": {"type": "1U2G", "count": 1},
    "scheduler": {"type": "manual"},
}
LOOP_JOB: dict[str, Any] = {**JOB, "scheduler": {"type": "loop", "spec": {"loop": "10m"}}}
DEPEND_JOB: dict[str, Any] = {
    "srcs": [{"name": "j", "fileFilter": "", "type": "job", "tableName": "t2"}],
    "computation": {"code": "select * from t2", "type": "sql"},
    "scheduler": {"type": "depend"},
}
EXPORT: dict[str, Any] = {
    "type": "kodo",
    "spec": {"bucket": "bkt1", "keyPrefix": "out/", "format": "json", "fileCount": 1},
}
STATUSES = {"Ready", "Starting", "Started", "Stopping", "Stopped", "Unknown"}
GET_KEYS = {
    "name",
    "region",
    "comment",
    "createTime",
    "updateTime",
    "status",
    "canStart",
    "isManualWorkflow",
    "nodes",
}
RFC3339_SHANGHAI = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00")
BAD_NAMES = ["1wf", "wf-1", "wf.x", "a" * 129]


def create(client: Client, name: str = "wf", body: dict[str, Any] | None = None) -> None:
    assert_ok_empty(client.post(f"/v2/workflows/{name}", body or {"region": "nb"}))


def fill(client: Client, wf: str = "wf", *, export: bool = True, job: dict[str, Any] = JOB) -> None:
    """Datasource `ds` in `wf`, job `j` reading it, and (optionally) export `e` of `j`."""
    assert_ok_empty(client.post("/v2/datasources/ds", {**DATASOURCE, "workflow": wf}))
    assert_ok_empty(client.post("/v2/jobs/j", job))
    if export:
        assert_ok_empty(client.post("/v2/jobs/j/exports/e", EXPORT))


def start(client: Client, wf: str = "wf") -> None:
    assert_ok_empty(client.post(f"/v2/workflows/{wf}/start", {"name": wf}, content_type=None))


def stop(client: Client, wf: str = "wf") -> None:
    assert_ok_empty(client.post(f"/v2/workflows/{wf}/stop", {"name": wf}, content_type=None))


def get(client: Client, wf: str = "wf") -> Any:
    return assert_ok_json(client.get(f"/v2/workflows/{wf}"))


def parse_time(text: str) -> datetime:
    assert RFC3339_SHANGHAI.fullmatch(text), text
    return datetime.fromisoformat(text)


# --- create ---------------------------------------------------------------------------------


def test_create_with_the_sdk_body_then_get_shows_a_ready_workflow(client: Client) -> None:
    before = datetime.now(UTC)

    created = client.post("/v2/workflows/wf", {"name": "wf", "region": "nb", "comment": "c"})

    assert_ok_empty(created)
    body = get(client)
    assert set(body) == GET_KEYS
    assert body["name"] == "wf"
    assert body["region"] == "nb"
    assert body["comment"] == "c"
    assert body["status"] == "Ready"
    assert body["canStart"] is False
    assert body["isManualWorkflow"] is False
    assert body["nodes"] == {}
    created_at = parse_time(body["createTime"])
    updated_at = parse_time(body["updateTime"])
    slack = timedelta(minutes=1)
    assert before - slack <= created_at <= datetime.now(UTC) + slack
    assert created_at <= updated_at


def test_create_without_comment_stores_an_empty_comment(client: Client) -> None:
    created = client.post("/v2/workflows/wf", {"region": "nb"})

    assert_ok_empty(created)
    assert get(client)["comment"] == ""


def test_create_ignores_the_name_in_the_body(client: Client) -> None:
    created = client.post("/v2/workflows/fromPath", {"name": "other", "region": "nb"})

    assert_ok_empty(created)
    assert get(client, "fromPath")["name"] == "fromPath"
    assert_error(client.get("/v2/workflows/other"), 404, "E18641")


def test_create_accepts_a_comment_of_1500_characters(client: Client) -> None:
    created = client.post("/v2/workflows/wf", {"region": "nb", "comment": "c" * 1500})

    assert_ok_empty(created)
    assert get(client)["comment"] == "c" * 1500


def test_create_accepts_a_name_of_128_characters(client: Client) -> None:
    name = "W" + "_" * 127

    created = client.post(f"/v2/workflows/{name}", {"region": "nb"})

    assert_ok_empty(created)
    assert get(client, name)["name"] == name


@pytest.mark.parametrize("name", BAD_NAMES)
def test_create_with_invalid_name_is_e18639(client: Client, name: str) -> None:
    response = client.post(f"/v2/workflows/{name}", {"region": "nb"})

    assert_error(response, 400, "E18639")


BAD_CREATE_BODIES = [
    pytest.param({}, 400, "E18642", id="region-missing"),
    pytest.param({"comment": "c"}, 400, "E18642", id="region-missing-with-comment"),
    pytest.param({"region": ""}, 400, "E18642", id="region-empty"),
    pytest.param({"region": None}, 400, "E18642", id="region-null"),
    pytest.param({"region": "bj"}, 400, "E18642", id="region-unknown"),
    pytest.param({"region": "nb", "comment": "c" * 1501}, 400, "E18008", id="comment-too-long"),
    # §1.6.3 names "comment type" among the WF_SPEC_INVALID (E18642) conditions.
    pytest.param({"region": "nb", "comment": 5}, 400, "E18642", id="comment-number"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_CREATE_BODIES)
def test_create_with_bad_body_is_refused(
    client: Client, body: dict[str, Any], status: int, code: str
) -> None:
    response = client.post("/v2/workflows/wf", body)

    assert_error(response, status, code)
    assert_error(client.get("/v2/workflows/wf"), 404, "E18641")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param(b"", "E18006", id="empty"),
        pytest.param(b"{", "E18007", id="not-json"),
        pytest.param(b"[]", "E18007", id="array"),
        pytest.param(b'"nb"', "E18007", id="string"),
    ],
)
def test_create_with_unparsable_body_is_refused(client: Client, raw: bytes, code: str) -> None:
    response = client.post("/v2/workflows/wf", raw=raw)

    assert_error(response, 400, code)


def test_create_twice_is_409_e18640(client: Client) -> None:
    create(client, "wf", {"region": "nb", "comment": "first"})

    again = client.post("/v2/workflows/wf", {"region": "nb", "comment": "second"})

    assert_error(again, 409, "E18640")
    assert get(client)["comment"] == "first"


def test_create_with_the_name_of_a_datasource_is_409_e18640(client: Client) -> None:
    assert_ok_empty(client.post("/v2/datasources/shared", DATASOURCE))

    response = client.post("/v2/workflows/shared", {"region": "nb"})

    assert_error(response, 409, "E18640")
    assert_error(client.get("/v2/workflows/shared"), 404, "E18641")


def test_create_checks_name_before_body(client: Client) -> None:
    response = client.post("/v2/workflows/9wf", raw=b"")

    assert_error(response, 400, "E18639")


def test_create_checks_fields_before_existence(client: Client) -> None:
    create(client)

    response = client.post("/v2/workflows/wf", {"region": "bj"})

    assert_error(response, 400, "E18642")


# --- get and list ---------------------------------------------------------------------------


def test_get_shows_the_node_graph_of_its_resources(client: Client) -> None:
    create(client)
    fill(client)

    body = get(client)

    nodes = body["nodes"]
    assert set(nodes) == {"ds-datasource", "j-job", "e-exportBatch"}
    assert nodes["ds-datasource"] == {
        "name": "ds",
        "type": "datasource",
        "data": assert_ok_json(client.get("/v2/datasources/ds")),
        "parents": [],
        "children": [{"name": "j", "type": "job"}],
    }
    assert nodes["j-job"] == {
        "name": "j",
        "type": "job",
        "data": assert_ok_json(client.get("/v2/jobs/j")),
        "parents": [{"name": "ds", "type": "datasource"}],
        "children": [{"name": "e", "type": "exportBatch"}],
    }
    assert nodes["e-exportBatch"] == {
        "name": "e",
        "type": "exportBatch",
        "data": assert_ok_json(client.get("/v2/jobs/j/exports/e")),
        "parents": [{"name": "j", "type": "job"}],
        "children": [],
    }
    assert body["canStart"] is True
    assert body["isManualWorkflow"] is True
    assert body["status"] == "Ready"


def test_get_links_a_depend_job_to_its_upstream(client: Client) -> None:
    create(client)
    fill(client)
    assert_ok_empty(client.post("/v2/jobs/j2", DEPEND_JOB))

    nodes = get(client)["nodes"]

    assert nodes["j2-job"]["parents"] == [{"name": "j", "type": "job"}]
    assert nodes["j2-job"]["children"] == []
    children = nodes["j-job"]["children"]
    assert sorted(children, key=lambda c: c["name"]) == [
        {"name": "e", "type": "exportBatch"},
        {"name": "j2", "type": "job"},
    ]


def test_get_gives_same_named_exports_of_two_jobs_distinct_nodes(client: Client) -> None:
    create(client)
    fill(client)
    assert_ok_empty(client.post("/v2/jobs/j2", DEPEND_JOB))
    assert_ok_empty(client.post("/v2/jobs/j2/exports/e", EXPORT))

    nodes = get(client)["nodes"]

    exports = {k: v for k, v in nodes.items() if v["type"] == "exportBatch"}
    assert len(exports) == 2
    assert set(exports) <= {"e-exportBatch", "e-exportBatch-j", "e-exportBatch-j2"}
    assert sorted(v["parents"][0]["name"] for v in exports.values()) == ["j", "j2"]
    assert all(v["name"] == "e" for v in exports.values())


def test_get_cannot_start_without_an_export(client: Client) -> None:
    create(client)
    fill(client, export=False)

    body = get(client)

    assert body["canStart"] is False
    assert set(body["nodes"]) == {"ds-datasource", "j-job"}


def test_get_of_a_scheduled_workflow_is_not_manual(client: Client) -> None:
    create(client)
    fill(client, job=LOOP_JOB)

    body = get(client)

    assert body["isManualWorkflow"] is False
    assert body["canStart"] is True


def test_get_of_missing_workflow_is_404_e18641(client: Client) -> None:
    response = client.get("/v2/workflows/ghost")

    assert_error(response, 404, "E18641")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_get_with_invalid_name_is_e18639(client: Client, name: str) -> None:
    response = client.get(f"/v2/workflows/{name}")

    assert_error(response, 400, "E18639")


def test_list_when_empty_is_a_bare_empty_array(client: Client) -> None:
    response = client.get("/v2/workflows")

    assert assert_ok_json(response) == []


def test_list_is_a_bare_array_of_get_bodies(client: Client) -> None:
    create(client, "wf", {"region": "nb", "comment": "one"})
    create(client, "aaa", {"region": "nb", "comment": "two"})
    fill(client, "wf")

    listed = assert_ok_json(client.get("/v2/workflows"))

    assert isinstance(listed, list)
    assert sorted(item["name"] for item in listed) == ["aaa", "wf"]
    for item in listed:
        assert item == get(client, item["name"])


# --- update ---------------------------------------------------------------------------------


def test_update_with_the_sdk_body_keeps_the_workflow(client: Client) -> None:
    create(client, "wf", {"region": "nb", "comment": "c"})
    fill(client)
    before = get(client)

    updated = client.put("/v2/workflows/wf", {"name": "wf", "region": "nb", "nodes": None})

    assert_ok_empty(updated)
    after = get(client)
    assert after["comment"] == "c"
    assert after["nodes"] == before["nodes"]
    assert after["createTime"] == before["createTime"]
    assert parse_time(after["updateTime"]) >= parse_time(before["updateTime"])


def test_update_changes_the_comment(client: Client) -> None:
    create(client, "wf", {"region": "nb", "comment": "old"})

    updated = client.put("/v2/workflows/wf", {"region": "nb", "comment": "new"})

    assert_ok_empty(updated)
    body = get(client)
    assert body["comment"] == "new"
    assert parse_time(body["updateTime"]) >= parse_time(body["createTime"])


def test_update_accepts_the_nodes_of_a_get_and_ignores_them(client: Client) -> None:
    create(client)
    fill(client)
    before = get(client)

    updated = client.put("/v2/workflows/wf", {"name": "wf", "region": "nb", "nodes": {}})
    replayed = client.put("/v2/workflows/wf", {"region": "nb", "nodes": before["nodes"]})

    assert_ok_empty(updated)
    assert_ok_empty(replayed)
    assert get(client)["nodes"] == before["nodes"]


BAD_UPDATE_BODIES = [
    pytest.param(
        {"region": "nb", "nodes": {"x-job": {"name": "1bad", "type": "job"}}},
        400,
        "E18642",
        id="node-name-digit",
    ),
    pytest.param(
        {"region": "nb", "nodes": {"x-job": {"name": "a-b", "type": "job"}}},
        400,
        "E18642",
        id="node-name-dash",
    ),
    pytest.param(
        {"region": "nb", "nodes": {"x-job": {"name": "", "type": "job"}}},
        400,
        "E18642",
        id="node-name-empty",
    ),
    pytest.param(
        {"region": "nb", "nodes": {"x-job": {"type": "job"}}}, 400, "E18642", id="node-name-missing"
    ),
    pytest.param({"region": "bj"}, 400, "E18642", id="region-unknown"),
    pytest.param({"region": "nb", "comment": "c" * 1501}, 400, "E18008", id="comment-too-long"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_UPDATE_BODIES)
def test_update_with_bad_body_is_refused(
    client: Client, body: dict[str, Any], status: int, code: str
) -> None:
    create(client, "wf", {"region": "nb", "comment": "kept"})

    response = client.put("/v2/workflows/wf", body)

    assert_error(response, status, code)
    assert get(client)["comment"] == "kept"


def test_update_of_missing_workflow_is_404_e18641(client: Client) -> None:
    response = client.put("/v2/workflows/ghost", {"region": "nb", "nodes": None})

    assert_error(response, 404, "E18641")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_update_with_invalid_name_is_e18639(client: Client, name: str) -> None:
    response = client.put(f"/v2/workflows/{name}", {"region": "nb"})

    assert_error(response, 400, "E18639")


def test_update_of_a_started_workflow_is_e18643(client: Client) -> None:
    create(client, "wf", {"region": "nb", "comment": "kept"})
    fill(client)
    start(client)

    response = client.put("/v2/workflows/wf", {"region": "nb", "comment": "changed"})

    assert_error(response, 400, "E18643")
    assert get(client)["comment"] == "kept"


# --- status ---------------------------------------------------------------------------------


def test_status_of_a_new_workflow_is_ready_with_no_nodes(client: Client) -> None:
    create(client)

    response = client.get("/v2/workflows/wf/status")

    assert assert_ok_json(response) == {
        "name": "wf",
        "region": "nb",
        "status": "Ready",
        "nodes": [],
    }


def test_status_lists_every_resource_node(client: Client) -> None:
    create(client)
    fill(client)

    body = assert_ok_json(client.get("/v2/workflows/wf/status"))

    assert set(body) == {"name", "region", "status", "nodes"}
    assert body["status"] == "Ready"
    assert sorted((n["name"], n["type"]) for n in body["nodes"]) == [
        ("ds", "datasource"),
        ("e", "exportBatch"),
        ("j", "job"),
    ]
    for node in body["nodes"]:
        assert set(node) == {"name", "type", "status"}
        assert node["status"] in STATUSES


def test_status_follows_start_and_stop(client: Client) -> None:
    create(client)
    fill(client)

    start(client)
    started = assert_ok_json(client.get("/v2/workflows/wf/status"))
    stop(client)
    stopped = assert_ok_json(client.get("/v2/workflows/wf/status"))

    assert started["status"] == "Started"
    assert stopped["status"] == "Stopped"
    assert all(n["status"] in STATUSES for n in started["nodes"] + stopped["nodes"])


def test_status_shows_a_scheduled_job_node_by_its_own_schedule(client: Client) -> None:
    create(client)
    fill(client, job=LOOP_JOB)

    ready = assert_ok_json(client.get("/v2/workflows/wf/status"))
    start(client)
    started = assert_ok_json(client.get("/v2/workflows/wf/status"))
    stop(client)
    stopped = assert_ok_json(client.get("/v2/workflows/wf/status"))

    def job_node(body: Any) -> str:
        [node] = [n for n in body["nodes"] if n["type"] == "job"]
        status: str = node["status"]
        return status

    assert (job_node(ready), job_node(started), job_node(stopped)) == (
        "Ready", "Started", "Stopped",
    )  # fmt: skip
    assert {n["status"] for n in started["nodes"] if n["type"] != "job"} == {"Started"}


def test_status_of_missing_workflow_is_404_e18641(client: Client) -> None:
    response = client.get("/v2/workflows/ghost/status")

    assert_error(response, 404, "E18641")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_status_with_invalid_name_is_e18639(client: Client, name: str) -> None:
    response = client.get(f"/v2/workflows/{name}/status")

    assert_error(response, 400, "E18639")


# --- start and stop -------------------------------------------------------------------------


def test_start_of_an_empty_workflow_is_e18644(client: Client) -> None:
    create(client)

    response = client.post("/v2/workflows/wf/start", {"name": "wf"}, content_type=None)

    assert_error(response, 400, "E18644")
    assert get(client)["status"] == "Ready"


def test_start_without_an_export_is_e18644(client: Client) -> None:
    create(client)
    fill(client, export=False)

    response = client.post("/v2/workflows/wf/start", {"name": "wf"}, content_type=None)

    assert_error(response, 400, "E18644")
    assert get(client)["status"] == "Ready"


def test_start_with_an_export_starts_the_workflow(client: Client) -> None:
    create(client)
    fill(client)

    response = client.post("/v2/workflows/wf/start", {"name": "wf"}, content_type=None)

    assert_ok_empty(response)
    assert get(client)["status"] == "Started"


def test_start_and_stop_accept_the_java_empty_body(client: Client) -> None:
    create(client)
    fill(client)
    java = {"Content-Type": ""}

    started = client.request("POST", "/v2/workflows/wf/start", raw=b"", headers=java)
    stopped = client.request("POST", "/v2/workflows/wf/stop", raw=b"", headers=java)

    assert_ok_empty(started)
    assert_ok_empty(stopped)
    assert get(client)["status"] == "Stopped"


def test_start_and_stop_accept_no_body_at_all(client: Client) -> None:
    create(client)
    fill(client)

    started = client.post("/v2/workflows/wf/start")
    stopped = client.post("/v2/workflows/wf/stop")

    assert_ok_empty(started)
    assert_ok_empty(stopped)


def test_start_of_a_started_workflow_is_e18644(client: Client) -> None:
    create(client)
    fill(client)
    start(client)

    response = client.post("/v2/workflows/wf/start", {"name": "wf"}, content_type=None)

    assert_error(response, 400, "E18644")
    assert get(client)["status"] == "Started"


def test_stop_stops_a_started_workflow(client: Client) -> None:
    create(client)
    fill(client)
    start(client)

    response = client.post("/v2/workflows/wf/stop", {"name": "wf"}, content_type=None)

    assert_ok_empty(response)
    assert get(client)["status"] == "Stopped"


def test_stopped_workflow_can_start_again(client: Client) -> None:
    create(client)
    fill(client)
    start(client)
    stop(client)

    response = client.post("/v2/workflows/wf/start", {"name": "wf"}, content_type=None)

    assert_ok_empty(response)
    assert get(client)["status"] == "Started"


def test_stop_of_a_ready_workflow_is_e18645(client: Client) -> None:
    create(client)
    fill(client)

    response = client.post("/v2/workflows/wf/stop", {"name": "wf"}, content_type=None)

    assert_error(response, 400, "E18645")
    assert get(client)["status"] == "Ready"


def test_stop_of_a_stopped_workflow_is_e18645(client: Client) -> None:
    create(client)
    fill(client)
    start(client)
    stop(client)

    response = client.post("/v2/workflows/wf/stop", {"name": "wf"}, content_type=None)

    assert_error(response, 400, "E18645")
    assert get(client)["status"] == "Stopped"


@pytest.mark.parametrize("action", ["start", "stop"])
def test_start_or_stop_of_missing_workflow_is_404_e18641(client: Client, action: str) -> None:
    response = client.post(f"/v2/workflows/ghost/{action}", {"name": "ghost"}, content_type=None)

    assert_error(response, 404, "E18641")


@pytest.mark.parametrize("action", ["start", "stop"])
@pytest.mark.parametrize("name", BAD_NAMES)
def test_start_or_stop_with_invalid_name_is_e18639(client: Client, name: str, action: str) -> None:
    response = client.post(f"/v2/workflows/{name}/{action}")

    assert_error(response, 400, "E18639")


# --- resources inside a started workflow (WF_STATE, §10.8) ----------------------------------


@pytest.fixture
def started(client: Client) -> Client:
    """Workflow `wf` holding datasources `ds` and `spare`, jobs `j` (with export `e`) and
    `j_spare` (no export, nothing downstream), started."""
    create(client)
    fill(client)
    assert_ok_empty(client.post("/v2/datasources/spare", {**DATASOURCE, "workflow": "wf"}))
    spare_job = copy.deepcopy(JOB)
    spare_job["srcs"][0]["tableName"] = "s"
    spare_job["computation"]["code"] = "select * from s"
    assert_ok_empty(client.post("/v2/jobs/j_spare", spare_job))
    start(client)
    return client


def test_datasource_cannot_be_created_in_a_started_workflow(started: Client) -> None:
    response = started.post("/v2/datasources/late", {**DATASOURCE, "workflow": "wf"})

    assert_error(response, 400, "E18643")
    assert assert_ok_json(started.get("/v2/datasources/late/exists")) == {"exist": False}


def test_datasource_cannot_be_updated_in_a_started_workflow(started: Client) -> None:
    schema = [*SCHEMA, {"key": "f2", "valtype": "long"}]

    response = started.put("/v2/datasources/ds", {"spec": KODO_SPEC, "schema": schema})

    assert_error(response, 400, "E18643")
    assert assert_ok_json(started.get("/v2/datasources/ds"))["schema"] == SCHEMA


def test_datasource_cannot_be_deleted_in_a_started_workflow(started: Client) -> None:
    response = started.delete("/v2/datasources/spare")

    assert_error(response, 400, "E18643")
    assert assert_ok_json(started.get("/v2/datasources/spare/exists")) == {"exist": True}


def test_job_cannot_be_created_in_a_started_workflow(started: Client) -> None:
    response = started.post("/v2/jobs/late", JOB)

    assert_error(response, 400, "E18643")
    assert assert_ok_json(started.get("/v2/jobs/late/exists")) == {"exist": False}


def test_job_cannot_be_updated_in_a_started_workflow(started: Client) -> None:
    changed = {**JOB, "computation": {"code": "select f1 as g from t", "type": "sql"}}

    response = started.put("/v2/jobs/j", changed)

    assert_error(response, 400, "E18643")
    assert assert_ok_json(started.get("/v2/jobs/j"))["computation"] == JOB["computation"]


def test_job_cannot_be_deleted_in_a_started_workflow(started: Client) -> None:
    response = started.delete("/v2/jobs/j_spare")

    assert_error(response, 400, "E18643")
    assert assert_ok_json(started.get("/v2/jobs/j_spare/exists")) == {"exist": True}


def test_export_cannot_be_created_in_a_started_workflow(started: Client) -> None:
    response = started.post("/v2/jobs/j/exports/late", EXPORT)

    assert_error(response, 400, "E18643")
    assert assert_ok_json(started.get("/v2/jobs/j/exports/late/exists")) == {"exist": False}


def test_export_cannot_be_updated_in_a_started_workflow(started: Client) -> None:
    spec = {**EXPORT["spec"], "keyPrefix": "elsewhere/"}

    response = started.put("/v2/jobs/j/exports/e", {"spec": spec})

    assert_error(response, 400, "E18643")
    assert assert_ok_json(started.get("/v2/jobs/j/exports/e"))["spec"]["keyPrefix"] == "out/"


def test_export_cannot_be_deleted_in_a_started_workflow(started: Client) -> None:
    response = started.delete("/v2/jobs/j/exports/e")

    assert_error(response, 400, "E18643")
    assert assert_ok_json(started.get("/v2/jobs/j/exports/e/exists")) == {"exist": True}


def test_resources_can_change_again_once_the_workflow_stops(started: Client) -> None:
    stop(started)

    deleted_export = started.delete("/v2/jobs/j/exports/e")
    deleted_job = started.delete("/v2/jobs/j_spare")
    deleted_ds = started.delete("/v2/datasources/spare")

    assert_ok_empty(deleted_export)
    assert_ok_empty(deleted_job)
    assert_ok_empty(deleted_ds)


# --- delete ---------------------------------------------------------------------------------


def test_delete_of_an_empty_workflow_removes_it(client: Client) -> None:
    create(client)

    deleted = client.delete("/v2/workflows/wf")

    assert_ok_empty(deleted)
    assert_error(client.get("/v2/workflows/wf"), 404, "E18641")
    assert assert_ok_json(client.get("/v2/workflows")) == []


def test_delete_ignores_a_body(client: Client) -> None:
    create(client)

    deleted = client.request("DELETE", "/v2/workflows/wf", {"name": "wf"}, content_type=None)

    assert_ok_empty(deleted)


def test_delete_of_a_workflow_holding_a_datasource_is_e18112(client: Client) -> None:
    create(client)
    assert_ok_empty(client.post("/v2/datasources/ds", {**DATASOURCE, "workflow": "wf"}))

    response = client.delete("/v2/workflows/wf")

    assert_error(response, 400, "E18112")
    assert get(client)["name"] == "wf"


def test_delete_of_a_started_workflow_is_e18643(started: Client) -> None:
    response = started.delete("/v2/workflows/wf")

    assert_error(response, 400, "E18643")
    assert get(started)["status"] == "Started"


def test_delete_of_a_stopped_non_empty_workflow_is_e18112(started: Client) -> None:
    stop(started)

    response = started.delete("/v2/workflows/wf")

    assert_error(response, 400, "E18112")


def test_delete_succeeds_once_every_resource_is_gone(client: Client) -> None:
    create(client)
    fill(client)
    for path in ("/v2/jobs/j/exports/e", "/v2/jobs/j", "/v2/datasources/ds"):
        assert_ok_empty(client.delete(path))

    response = client.delete("/v2/workflows/wf")

    assert_ok_empty(response)
    assert_error(client.get("/v2/workflows/wf"), 404, "E18641")


def test_delete_then_create_again_gives_a_fresh_workflow(client: Client) -> None:
    create(client, "wf", {"region": "nb", "comment": "old"})
    assert_ok_empty(client.delete("/v2/workflows/wf"))

    created = client.post("/v2/workflows/wf", {"region": "nb"})

    assert_ok_empty(created)
    body = get(client)
    assert (body["comment"], body["status"]) == ("", "Ready")


def test_delete_of_missing_workflow_is_404_e18641(client: Client) -> None:
    response = client.delete("/v2/workflows/ghost")

    assert_error(response, 404, "E18641")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_delete_with_invalid_name_is_e18639(client: Client, name: str) -> None:
    response = client.delete(f"/v2/workflows/{name}")

    assert_error(response, 400, "E18639")


# --- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{"query": "*"}, None])
def test_search_is_not_implemented_501_e9001(client: Client, body: dict[str, Any] | None) -> None:
    create(client)

    response = client.post("/v2/workflows/wf/search", body)

    assert_error(response, 501, "E9001")


# --- tenant isolation -----------------------------------------------------------------------


@pytest.fixture
def other(client: Client, runtime: Runtime) -> Client:
    pair = create_key(runtime, "other")
    # its own bucket of the name the bodies use (accounts never share local buckets)
    (runtime.settings.data_dir / "kodo" / "other" / "bkt1").mkdir(parents=True)
    return client.as_account(pair.access_key, pair.secret_key)


def test_other_account_cannot_see_or_list_a_workflow(client: Client, other: Client) -> None:
    create(client)

    fetched = other.get("/v2/workflows/wf")
    status = other.get("/v2/workflows/wf/status")
    listed = other.get("/v2/workflows")

    assert_error(fetched, 404, "E18641")
    assert_error(status, 404, "E18641")
    assert assert_ok_json(listed) == []


def test_other_account_cannot_update_start_stop_or_delete_a_workflow(
    client: Client, other: Client
) -> None:
    create(client, "wf", {"region": "nb", "comment": "mine"})
    fill(client)

    updated = other.put("/v2/workflows/wf", {"region": "nb", "comment": "theirs"})
    started = other.post("/v2/workflows/wf/start")
    stopped = other.post("/v2/workflows/wf/stop")
    deleted = other.delete("/v2/workflows/wf")

    assert_error(updated, 404, "E18641")
    assert_error(started, 404, "E18641")
    assert_error(stopped, 404, "E18641")
    assert_error(deleted, 404, "E18641")
    body = get(client)
    assert (body["comment"], body["status"]) == ("mine", "Ready")


def test_other_account_can_create_a_workflow_of_the_same_name(
    client: Client, other: Client
) -> None:
    create(client, "wf", {"region": "nb", "comment": "mine"})

    created = other.post("/v2/workflows/wf", {"region": "nb", "comment": "theirs"})

    assert_ok_empty(created)
    assert get(other)["comment"] == "theirs"
    assert get(client)["comment"] == "mine"
    assert [w["name"] for w in assert_ok_json(other.get("/v2/workflows"))] == ["wf"]


def test_a_datasource_of_another_account_does_not_clash_with_a_workflow_name(
    client: Client, other: Client
) -> None:
    assert_ok_empty(other.post("/v2/datasources/shared", DATASOURCE))

    created = client.post("/v2/workflows/shared", {"region": "nb"})

    assert_ok_empty(created)


def test_resources_of_another_account_do_not_appear_in_a_workflow(
    client: Client, other: Client
) -> None:
    create(client)
    create(other)
    fill(other)

    body = get(client)

    assert body["nodes"] == {}
    assert body["canStart"] is False
    assert assert_ok_json(client.get("/v2/workflows/wf/status"))["nodes"] == []

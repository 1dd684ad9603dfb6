"""Jobs through the real app (spec §6.1-§6.4, §6.7, §6.8, §6.9, §11, §12, D-9, D-12..D-15)."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx2 as httpx
import pytest

from tests.support import Client, assert_error, assert_ok_empty, assert_ok_json
from tidemill.runtime import Runtime
from tidemill.services.accounts import create_key

JSON = dict[str, Any]
ABSENT = object()  # a member to leave out of the body

SCHEMA = [
    {"key": "a", "valtype": "long", "required": True},
    {"key": "b", "valtype": "string", "required": False},
    {"key": "c", "valtype": "float", "required": False},
    {"key": "d", "valtype": "boolean", "required": False},
    {"key": "t", "valtype": "date", "required": False},
]
OUTPUT_SCHEMA = [{"key": f["key"], "valtype": f["valtype"]} for f in SCHEMA]

# §11: CreateJob (loop) and CreateJob (depend), byte for byte what the Go SDK marshals.
SDK_LOOP_JOB: JSON = {
    "srcs": [{"name": "ds", "fileFilter": "", "type": "datasource", "tableName": "tbl"}],
    "computation": {"code": "select * from tbl", "type": "sql"},
    "container": {"type": "1U2G", "count": 1},
    "scheduler": {"type": "loop", "spec": {"loop": "10m"}},
    "params": [{"name": "p1", "default": "x"}],
}
SDK_DEPEND_JOB: JSON = {
    "srcs": [{"name": "j", "fileFilter": "", "type": "job", "tableName": "t2"}],
    "computation": {"code": "select * from t2", "type": "sql"},
    "scheduler": {"type": "depend"},
}
SYSTEM_VARIABLE_NAMES = ["year", "mon", "day", "hour", "min", "sec", "date", "now"]


# --- helpers -------------------------------------------------------------------------------


def datasource_body(workflow: str = "") -> JSON:
    return {
        "region": "nb",
        "type": "kodo",
        "spec": {"bucket": "bkt1", "keyPrefixes": ["logs/"], "fileType": "json"},
        "schema": SCHEMA,
        "noVerifySchema": True,
        "workflow": workflow,
    }


def make_datasource(client: Client, name: str = "ds", workflow: str = "") -> None:
    assert_ok_empty(client.post(f"/v2/datasources/{name}", datasource_body(workflow)))


def make_workflow(client: Client, name: str) -> None:
    assert_ok_empty(client.post(f"/v2/workflows/{name}", {"region": "nb"}))


def src(
    name: str = "ds", table: str = "tbl", type_: str = "datasource", file_filter: str = ""
) -> JSON:
    return {"name": name, "fileFilter": file_filter, "type": type_, "tableName": table}


def job_body(
    source: str = "ds", table: str = "tbl", code: str | None = None, **members: Any
) -> JSON:
    """A valid loop job over one datasource; `members` replace top-level members."""
    body: JSON = {
        "srcs": [src(source, table)],
        "computation": {"code": code or f"select * from {table}", "type": "sql"},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "loop", "spec": {"loop": "10m"}},
    }
    return with_members(body, **members)


def depend_body(
    upstream: str = "j", table: str = "t2", code: str | None = None, **members: Any
) -> JSON:
    body: JSON = {
        "srcs": [src(upstream, table, "job")],
        "computation": {"code": code or f"select * from {table}", "type": "sql"},
        "scheduler": {"type": "depend"},
    }
    return with_members(body, **members)


def with_members(body: JSON, **members: Any) -> JSON:
    for key, value in members.items():
        if value is ABSENT:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def patched(body: JSON, path: str, value: Any) -> JSON:
    """A deep copy of `body` with the member at dotted `path` set to `value` (ABSENT drops it)."""
    result = copy.deepcopy(body)
    *parents, last = path.split(".")
    target: Any = result
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is ABSENT:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return result


def make_job(client: Client, name: str, body: JSON) -> None:
    assert_ok_empty(client.post(f"/v2/jobs/{name}", body))


def get_job(client: Client, name: str) -> JSON:
    body: JSON = assert_ok_json(client.get(f"/v2/jobs/{name}"))
    return body


def job_names(response: httpx.Response) -> list[str]:
    return [job["name"] for job in assert_ok_json(response)["jobs"]]


KODO_EXPORT = {
    "type": "kodo",
    "spec": {"bucket": "bkt1", "keyPrefix": "out/", "format": "json", "fileCount": 1},
}


@pytest.fixture
def ds(client: Client) -> str:
    make_datasource(client)
    return "ds"


@pytest.fixture
def job(client: Client, ds: str) -> str:
    make_job(client, "j", job_body(params=[{"name": "p1", "default": "x"}]))
    return "j"


@pytest.fixture
def other(client: Client, runtime: Runtime) -> Client:
    pair = create_key(runtime, "other")
    return client.as_account(pair.access_key, pair.secret_key)


# --- create, get, list, exists, update, delete: the happy paths -----------------------------


def test_create_with_the_sdk_loop_body_returns_an_empty_200(client: Client, ds: str) -> None:
    response = client.post("/v2/jobs/j", SDK_LOOP_JOB)

    assert_ok_empty(response)


def test_create_with_the_sdk_depend_body_returns_an_empty_200(client: Client, job: str) -> None:
    response = client.post("/v2/jobs/j2", SDK_DEPEND_JOB)

    assert_ok_empty(response)


def test_get_returns_the_create_body_plus_schema_and_workflow_without_name(
    client: Client, ds: str
) -> None:
    make_job(client, "j", SDK_LOOP_JOB)

    body = get_job(client, "j")

    assert body == {**SDK_LOOP_JOB, "schema": OUTPUT_SCHEMA, "workflow": ""}
    assert "name" not in body


def test_get_schema_maps_sql_output_columns_to_valtypes(client: Client, ds: str) -> None:
    code = (
        "select a, b, c, d, t, cast(a as int) as i, a * 1.5 as x, avg(a) over () as m,"
        " concat(b, 'x') as s from tbl"
    )
    make_job(client, "j", job_body(code=code))

    schema = get_job(client, "j")["schema"]

    assert schema == [
        {"key": "a", "valtype": "long"},
        {"key": "b", "valtype": "string"},
        {"key": "c", "valtype": "float"},
        {"key": "d", "valtype": "boolean"},
        {"key": "t", "valtype": "date"},
        {"key": "i", "valtype": "long"},
        {"key": "x", "valtype": "float"},
        {"key": "m", "valtype": "float"},
        {"key": "s", "valtype": "string"},
    ]


def test_get_schema_sanitises_result_names_that_are_not_schema_keys(
    client: Client, ds: str
) -> None:
    code = "select b, count(1), max(a) as `1st`, min(c) as `x y` from tbl group by b"
    make_job(client, "j", job_body(code=code))

    schema = get_job(client, "j")["schema"]

    assert schema == [
        {"key": "b", "valtype": "string"},
        {"key": "count_1_", "valtype": "long"},
        {"key": "_1st", "valtype": "long"},
        {"key": "x_y", "valtype": "float"},
    ]


def test_get_echoes_src_and_computation_types_as_sent(client: Client, ds: str) -> None:
    upstream = job_body(code="select a, b from tbl")
    upstream["srcs"][0]["type"] = "DataSource"
    upstream["computation"]["type"] = "SQL"
    make_job(client, "j", upstream)
    make_job(client, "j2", depend_body(srcs=[src("j", "t2", "Job")]))

    first, second = get_job(client, "j"), get_job(client, "j2")

    assert first["srcs"] == [src("ds", "tbl", "DataSource")]
    assert first["computation"] == {"code": "select a, b from tbl", "type": "SQL"}
    assert second["srcs"] == [src("j", "t2", "Job")]


@pytest.mark.parametrize("count", [2, 2.0], ids=["int", "integral-float"])
def test_get_container_count_is_a_json_integer(client: Client, ds: str, count: float) -> None:
    make_job(client, "j", job_body(container={"type": "1U2G", "count": count}))

    container = get_job(client, "j")["container"]

    assert container == {"type": "1U2G", "count": 2}
    assert type(container["count"]) is int


def test_get_echoes_src_file_filter(client: Client, ds: str) -> None:
    make_job(client, "j", job_body(srcs=[src(file_filter="$(year)-$(mon)-$(day)*")]))

    srcs = get_job(client, "j")["srcs"]

    assert srcs == [src(file_filter="$(year)-$(mon)-$(day)*")]


def test_list_returns_every_job_with_its_name_sorted_by_name(client: Client, ds: str) -> None:
    for name in ["j_b", "j_c", "j_a"]:
        make_job(client, name, job_body(code=f"select a from tbl where b = '{name}'"))

    body = assert_ok_json(client.get("/v2/jobs"))

    assert [job["name"] for job in body["jobs"]] == ["j_a", "j_b", "j_c"]
    for item in body["jobs"]:
        assert item == {"name": item["name"], **get_job(client, item["name"])}


def test_list_without_jobs_is_an_empty_array(client: Client) -> None:
    response = client.get("/v2/jobs")

    assert assert_ok_json(response) == {"jobs": []}


def test_list_entry_of_a_depend_job_omits_container_and_params(client: Client, job: str) -> None:
    make_job(client, "j2", SDK_DEPEND_JOB)

    jobs = assert_ok_json(client.get("/v2/jobs"))["jobs"]

    depend = next(item for item in jobs if item["name"] == "j2")
    assert "container" not in depend
    assert "params" not in depend
    assert depend["scheduler"] == {"type": "depend"}
    assert depend["workflow"] == ""


@pytest.mark.parametrize("spelling", ["srcDatasource", "srcDataSource"])
def test_list_filters_by_src_datasource(client: Client, spelling: str) -> None:
    make_datasource(client, "ds1")
    make_datasource(client, "ds2")
    make_job(client, "j1", job_body("ds1"))
    make_job(client, "j2", job_body("ds2"))
    both = job_body(srcs=[src("ds2", "x"), src("ds1", "y")], code="select * from x")
    make_job(client, "j3", both)

    response = client.get("/v2/jobs", params={spelling: "ds1"})

    assert job_names(response) == ["j1", "j3"]


def test_list_filters_by_src_job_to_direct_downstream_jobs(client: Client, job: str) -> None:
    make_job(client, "j2", depend_body("j", "t2"))
    make_job(client, "j3", depend_body("j2", "t3"))

    response = client.get("/v2/jobs", params={"srcJob": "j"})

    assert job_names(response) == ["j2"]


@pytest.mark.parametrize("query", ["srcDatasource", "srcDataSource", "srcJob"])
def test_list_filter_naming_a_missing_resource_is_empty(
    client: Client, job: str, query: str
) -> None:
    response = client.get("/v2/jobs", params={query: "nope"})

    assert assert_ok_json(response) == {"jobs": []}


@pytest.mark.parametrize("spelling", ["srcDatasource", "srcDataSource"])
def test_list_with_both_src_filters_is_refused(client: Client, job: str, spelling: str) -> None:
    response = client.get("/v2/jobs", params={spelling: "ds", "srcJob": "j"})

    assert_error(response, 400, "E18007")


def test_exists_tells_whether_the_job_exists(client: Client, job: str) -> None:
    present = client.get("/v2/jobs/j/exists")
    absent = client.get("/v2/jobs/nope/exists")

    assert assert_ok_json(present) == {"exist": True}
    assert assert_ok_json(absent) == {"exist": False}


def test_update_replaces_the_whole_definition(client: Client, job: str) -> None:
    new = job_body(
        code="select b, c from tbl where b = '$(year)'",
        container={"type": "2U4G", "count": 3},
        scheduler={"type": "manual"},
    )

    response = client.put("/v2/jobs/j", new)

    assert_ok_empty(response)
    assert get_job(client, "j") == {
        **new,
        "params": [],  # omitted on update, so cleared
        "schema": [{"key": "b", "valtype": "string"}, {"key": "c", "valtype": "float"}],
        "workflow": "",
    }


def test_update_recomputes_the_schema_that_downstream_sql_reads(client: Client, job: str) -> None:
    make_job(client, "j2", depend_body(code="select a from t2"))
    assert_ok_empty(client.put("/v2/jobs/j2", depend_body(code="select b from t2")))

    response = client.put("/v2/jobs/j2", depend_body(code="select zz from t2"))

    assert_error(response, 400, "E18209")
    assert get_job(client, "j2")["schema"] == [{"key": "b", "valtype": "string"}]


def test_delete_removes_the_job(client: Client, job: str) -> None:
    response = client.delete("/v2/jobs/j")

    assert_ok_empty(response)
    assert assert_ok_json(client.get("/v2/jobs/j/exists")) == {"exist": False}
    assert_error(client.get("/v2/jobs/j"), 404, "E18202")
    assert assert_ok_json(client.get("/v2/jobs")) == {"jobs": []}


def test_a_deleted_job_name_can_be_used_again(client: Client, job: str) -> None:
    assert_ok_empty(client.delete("/v2/jobs/j"))

    response = client.post("/v2/jobs/j", job_body(code="select a from tbl"))

    assert_ok_empty(response)
    assert get_job(client, "j")["schema"] == [{"key": "a", "valtype": "long"}]


def test_container_status_is_ignored_and_not_echoed(client: Client, ds: str) -> None:
    make_job(client, "j", job_body(container={"type": "1U2G", "count": 1, "status": "running"}))

    container = get_job(client, "j")["container"]

    assert container == {"type": "1U2G", "count": 1}


def test_create_without_content_type_parses_the_json_body(client: Client, ds: str) -> None:
    raw = json.dumps(SDK_LOOP_JOB).encode()

    response = client.request("POST", "/v2/jobs/j", raw=raw, content_type=None)

    assert_ok_empty(response)
    assert get_job(client, "j")["srcs"] == SDK_LOOP_JOB["srcs"]


def test_unknown_members_are_ignored(client: Client, ds: str) -> None:
    body = job_body(name="j", workflow="wf", comment=None, extra={"x": 1})
    body["srcs"][0]["description"] = None

    response = client.post("/v2/jobs/j", body)

    assert_ok_empty(response)
    assert get_job(client, "j")["workflow"] == ""


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"", "E18006"), (b"{", "E18007"), (b"[]", "E18007"), (b'"job"', "E18007")],
    ids=["empty", "not-json", "array", "string"],
)
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_malformed_body_is_refused(
    client: Client, job: str, method: str, raw: bytes, code: str
) -> None:
    response = client.request(method, "/v2/jobs/j", raw=raw)

    assert_error(response, 400, code)


def test_update_of_a_depend_job_may_omit_the_scheduler(client: Client, job: str) -> None:
    make_job(client, "j2", depend_body())

    response = client.put("/v2/jobs/j2", depend_body(code="select a from t2", scheduler=ABSENT))

    assert_ok_empty(response)
    assert get_job(client, "j2")["scheduler"] == {"type": "depend"}
    assert get_job(client, "j2")["schema"] == [{"key": "a", "valtype": "long"}]


def test_update_may_turn_a_depend_job_into_a_scheduled_one(client: Client, job: str) -> None:
    make_job(client, "j2", depend_body())

    response = client.put("/v2/jobs/j2", job_body(table="t9", scheduler={"type": "manual"}))

    assert_ok_empty(response)
    assert get_job(client, "j2")["container"] == {"type": "1U2G", "count": 1}
    assert job_names(client.get("/v2/jobs", params={"srcJob": "j"})) == []


# --- names ---------------------------------------------------------------------------------

BAD_JOB_NAMES = ["1job", "job-x", "a" * 129, "j%C3%A9"]


@pytest.mark.parametrize("name", BAD_JOB_NAMES)
@pytest.mark.parametrize("method", ["POST", "PUT", "GET", "DELETE"])
def test_invalid_job_name_is_refused(client: Client, ds: str, method: str, name: str) -> None:
    body = job_body() if method in ("POST", "PUT") else None

    response = client.request(method, f"/v2/jobs/{name}", body)

    assert_error(response, 400, "E18207")


@pytest.mark.parametrize("name", BAD_JOB_NAMES)
def test_exists_with_an_invalid_job_name_is_refused(client: Client, name: str) -> None:
    response = client.get(f"/v2/jobs/{name}/exists")

    assert_error(response, 400, "E18207")


@pytest.mark.parametrize("name", ["_", "J", "a" * 128, "job_2"])
def test_job_names_matching_the_rule_are_accepted(client: Client, ds: str, name: str) -> None:
    response = client.post(f"/v2/jobs/{name}", job_body())

    assert_ok_empty(response)
    assert assert_ok_json(client.get(f"/v2/jobs/{name}/exists")) == {"exist": True}


# --- srcs ----------------------------------------------------------------------------------

BAD_SRCS = [
    pytest.param("srcs", [], 400, "E18207", id="empty"),
    pytest.param("srcs", "ds", 400, "E18007", id="not-an-array"),
    pytest.param("srcs.0", "ds", 400, "E18007", id="element-not-an-object"),
    pytest.param("srcs.0.type", "repo", 400, "E18207", id="type-unknown"),
    pytest.param("srcs.0.type", ABSENT, 400, "E18207", id="type-missing"),
    pytest.param("srcs.0.type", "", 400, "E18207", id="type-empty"),
    pytest.param("srcs.0.name", ABSENT, 400, "E18207", id="name-missing"),
    pytest.param("srcs.0.name", "", 400, "E18207", id="name-empty"),
    pytest.param("srcs.0.tableName", ABSENT, 400, "E18207", id="table-missing"),
    pytest.param("srcs.0.tableName", "", 400, "E18207", id="table-empty"),
    pytest.param("srcs.0.tableName", "_tbl", 400, "E18207", id="table-leading-underscore"),
    pytest.param("srcs.0.tableName", "1tbl", 400, "E18207", id="table-leading-digit"),
    pytest.param("srcs.0.tableName", "tb-l", 400, "E18207", id="table-dash"),
    pytest.param("srcs.0.tableName", "t" * 129, 400, "E18207", id="table-too-long"),
    pytest.param("srcs.0.fileFilter", "f" * 65, 400, "E18008", id="filter-65-chars"),
    pytest.param("srcs.0.fileFilter", 5, 400, "E18007", id="filter-not-a-string"),
]


@pytest.mark.parametrize(("path", "value", "status", "code"), BAD_SRCS)
def test_invalid_srcs_are_refused(
    client: Client, ds: str, path: str, value: Any, status: int, code: str
) -> None:
    body = patched(job_body(), path, value)

    response = client.post("/v2/jobs/j", body)

    assert_error(response, status, code)
    assert assert_ok_json(client.get("/v2/jobs/j/exists")) == {"exist": False}


def test_table_name_repeated_within_srcs_is_refused(client: Client, ds: str) -> None:
    body = job_body(srcs=[src("ds", "tbl"), src("ds", "tbl")])

    response = client.post("/v2/jobs/j", body)

    assert_error(response, 400, "E18207")


@pytest.mark.parametrize("type_", ["datasource", "DataSource", "DATASOURCE"])
def test_src_type_is_compared_case_insensitively(client: Client, ds: str, type_: str) -> None:
    response = client.post("/v2/jobs/j", job_body(srcs=[src(type_=type_)]))

    assert_ok_empty(response)


@pytest.mark.parametrize("table", ["t", "T_1", "t" * 128])
def test_table_names_matching_the_rule_are_accepted(client: Client, ds: str, table: str) -> None:
    response = client.post("/v2/jobs/j", job_body(table=table))

    assert_ok_empty(response)


def test_file_filter_of_64_characters_is_accepted(client: Client, ds: str) -> None:
    response = client.post("/v2/jobs/j", job_body(srcs=[src(file_filter="f" * 64)]))

    assert_ok_empty(response)


def test_same_datasource_under_two_table_names_is_accepted(client: Client, ds: str) -> None:
    body = job_body(
        srcs=[src("ds", "t1"), src("ds", "t2")],
        code="select x.a, y.b from t1 x join t2 y on x.a = y.a",
    )

    response = client.post("/v2/jobs/j", body)

    assert_ok_empty(response)
    assert get_job(client, "j")["schema"] == [
        {"key": "a", "valtype": "long"},
        {"key": "b", "valtype": "string"},
    ]


def test_table_name_of_the_upstream_job_is_refused(client: Client, job: str) -> None:
    response = client.post("/v2/jobs/j2", depend_body("j", "tbl", "select a from tbl"))

    assert_error(response, 400, "E18207")


def test_table_name_used_further_up_the_chain_is_refused(client: Client, job: str) -> None:
    make_job(client, "j2", depend_body("j", "t2"))

    response = client.post("/v2/jobs/j3", depend_body("j2", "tbl", "select a from tbl"))

    assert_error(response, 400, "E18207")


def test_extra_datasource_table_name_clashing_with_the_chain_is_refused(
    client: Client, job: str
) -> None:
    body = depend_body(srcs=[src("j", "t2", "job"), src("ds", "tbl")])

    response = client.post("/v2/jobs/j2", body)

    assert_error(response, 400, "E18207")


def test_update_of_a_downstream_job_to_a_chain_table_name_is_refused(
    client: Client, job: str
) -> None:
    make_job(client, "j2", depend_body("j", "t2"))

    response = client.put("/v2/jobs/j2", depend_body("j", "tbl", "select a from tbl"))

    assert_error(response, 400, "E18207")
    assert get_job(client, "j2")["srcs"] == [src("j", "t2", "job")]


def test_update_of_an_upstream_to_a_downstream_table_name_is_refused(
    client: Client, job: str
) -> None:
    make_job(client, "j2", depend_body("j", "t2"))

    response = client.put("/v2/jobs/j", job_body(table="t2"))

    assert_error(response, 400, "E18207")
    assert get_job(client, "j")["srcs"] == [src("ds", "tbl")]


def test_update_of_an_upstream_rechecks_the_whole_downstream_chain(
    client: Client, job: str
) -> None:
    make_job(client, "j2", depend_body("j", "t2"))
    make_job(client, "j3", depend_body("j2", "t3"))

    response = client.put("/v2/jobs/j", job_body(table="t3"))

    assert_error(response, 400, "E18207")


# --- computation and SQL -------------------------------------------------------------------

BAD_COMPUTATIONS = [
    pytest.param("computation", ABSENT, 400, "E18207", id="computation-missing"),
    pytest.param("computation", None, 400, "E18207", id="computation-null"),
    pytest.param("computation", "select 1", 400, "E18007", id="computation-not-an-object"),
    pytest.param("computation.code", ABSENT, 400, "E18207", id="code-missing"),
    pytest.param("computation.code", "", 400, "E18207", id="code-empty"),
    pytest.param("computation.code", "   ", 400, "E18207", id="code-blank"),
    pytest.param("computation.code", 1, 400, "E18007", id="code-not-a-string"),
    pytest.param("computation.type", "python", 415, "E18203", id="type-python"),
    pytest.param("computation.type", "spark", 415, "E18203", id="type-spark"),
]


@pytest.mark.parametrize(("path", "value", "status", "code"), BAD_COMPUTATIONS)
def test_invalid_computation_is_refused(
    client: Client, ds: str, path: str, value: Any, status: int, code: str
) -> None:
    body = patched(job_body(), path, value)

    response = client.post("/v2/jobs/j", body)

    assert_error(response, status, code)


@pytest.mark.parametrize("type_", ["sql", "SQL", "Sql"])
def test_computation_type_is_compared_case_insensitively(
    client: Client, ds: str, type_: str
) -> None:
    body = patched(job_body(), "computation.type", type_)

    response = client.post("/v2/jobs/j", body)

    assert_ok_empty(response)


INVALID_SQL = [
    pytest.param("selec * from tbl", id="syntax"),
    pytest.param("select * from nope", id="unknown-table"),
    pytest.param("select zz from tbl", id="unknown-column"),
    pytest.param("select no_such_function(a) from tbl", id="unknown-function"),
    pytest.param("drop table tbl", id="ddl-drop"),
    pytest.param("create table x (a int)", id="ddl-create"),
    pytest.param("insert into tbl select * from tbl", id="dml-insert"),
    pytest.param("delete from tbl", id="dml-delete"),
    pytest.param("select a from tbl; select b from tbl", id="two-statements"),
    pytest.param("select * from read_csv('/etc/passwd')", id="table-function"),
]


@pytest.mark.parametrize("code", INVALID_SQL)
def test_invalid_sql_is_refused(client: Client, ds: str, code: str) -> None:
    response = client.post("/v2/jobs/j", job_body(code=code))

    assert_error(response, 400, "E18209")


def test_sql_reading_the_upstream_output_columns_is_accepted(client: Client, ds: str) -> None:
    make_job(client, "j", job_body(code="select b as name, count(1) as n from tbl group by b"))

    response = client.post("/v2/jobs/j2", depend_body(code="select name, n * 2 as n2 from t2"))

    assert_ok_empty(response)
    assert get_job(client, "j2")["schema"] == [
        {"key": "name", "valtype": "string"},
        {"key": "n2", "valtype": "long"},
    ]


def test_sql_reading_an_upstream_column_it_does_not_output_is_refused(
    client: Client, ds: str
) -> None:
    make_job(client, "j", job_body(code="select a from tbl"))

    response = client.post("/v2/jobs/j2", depend_body(code="select b from t2"))

    assert_error(response, 400, "E18209")


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("code", "select * from tbl where b = '$(nope)'"),
        ("fileFilter", "$(year)-$(nope)"),
    ],
)
def test_undefined_variable_is_refused(client: Client, ds: str, where: str, text: str) -> None:
    body = job_body(code=text) if where == "code" else job_body(srcs=[src(file_filter=text)])

    response = client.post("/v2/jobs/j", body)

    assert_error(response, 400, "E18209")


@pytest.mark.parametrize("where", ["code", "fileFilter"])
def test_variable_declared_as_a_param_is_accepted(client: Client, ds: str, where: str) -> None:
    params = [{"name": "p1", "default": "x"}]
    if where == "code":
        body = job_body(code="select * from tbl where b = '$(p1)'", params=params)
    else:
        body = job_body(srcs=[src(file_filter="$(p1)")], params=params)

    response = client.post("/v2/jobs/j", body)

    assert_ok_empty(response)


@pytest.mark.parametrize(
    "variable",
    [
        {"type": "string", "value": "abc", "format": ""},
        {"type": "time", "value": "$(now)-1d", "format": "yyyy-MM-dd"},
    ],
    ids=["string", "time"],
)
@pytest.mark.parametrize("where", ["code", "fileFilter"])
def test_user_variable_is_accepted(client: Client, ds: str, variable: JSON, where: str) -> None:
    assert_ok_empty(client.post("/v2/variables/uv", variable))
    if where == "code":
        body = job_body(code="select * from tbl where b = '$(uv)'")
    else:
        body = job_body(srcs=[src(file_filter="$(uv)")])

    response = client.post("/v2/jobs/j", body)

    assert_ok_empty(response)


@pytest.mark.parametrize("name", SYSTEM_VARIABLE_NAMES)
def test_system_variable_is_accepted(client: Client, ds: str, name: str) -> None:
    body = job_body(
        srcs=[src(file_filter=f"$({name})")], code=f"select * from tbl where b = '$({name})'"
    )

    response = client.post("/v2/jobs/j", body)

    assert_ok_empty(response)


def test_depend_job_may_use_the_params_of_its_root_upstream(client: Client, job: str) -> None:
    make_job(client, "j2", depend_body(code="select * from t2 where b = '$(p1)'"))

    response = client.post(
        "/v2/jobs/j3", depend_body("j2", "t3", "select a from t3 where b = '$(p1)'")
    )

    assert_ok_empty(response)


def test_depend_job_may_not_use_a_param_its_upstream_lacks(client: Client, job: str) -> None:
    response = client.post("/v2/jobs/j2", depend_body(code="select * from t2 where b = '$(p2)'"))

    assert_error(response, 400, "E18209")


def test_update_using_an_undefined_variable_is_refused(client: Client, job: str) -> None:
    response = client.put("/v2/jobs/j", job_body(code="select * from tbl where b = '$(p1)'"))

    assert_error(response, 400, "E18209")  # p1 is no longer declared: params were omitted


# --- container -----------------------------------------------------------------------------

BAD_CONTAINERS = [
    pytest.param("container", ABSENT, 400, "E18207", id="missing"),
    pytest.param("container", None, 400, "E18207", id="null"),
    pytest.param("container", "1U2G", 400, "E18007", id="not-an-object"),
    pytest.param("container.type", "3U6G", 400, "E18213", id="type-unknown"),
    pytest.param("container.type", "1u2g", 400, "E18213", id="type-wrong-case"),
    pytest.param("container.type", "", 400, "E18213", id="type-empty"),
    pytest.param("container.type", ABSENT, 400, "E18213", id="type-missing"),
    pytest.param("container.count", "2", 400, "E18007", id="count-a-string"),
    pytest.param("container.count", 0, 400, "E18214", id="count-0"),
    pytest.param("container.count", -1, 400, "E18214", id="count-negative"),
    pytest.param("container.count", 101, 400, "E18214", id="1U2G-x101"),
]


@pytest.mark.parametrize(("path", "value", "status", "code"), BAD_CONTAINERS)
def test_invalid_container_is_refused(
    client: Client, ds: str, path: str, value: Any, status: int, code: str
) -> None:
    body = patched(job_body(), path, value)

    response = client.post("/v2/jobs/j", body)

    assert_error(response, status, code)


@pytest.mark.parametrize(
    ("type_", "count"), [("8U16G", 13), ("16U64G", 7), ("8U32G", 13), ("16U32G", 7), ("2U4G", 51)]
)
def test_container_over_100_cores_is_refused(
    client: Client, ds: str, type_: str, count: int
) -> None:
    response = client.post("/v2/jobs/j", job_body(container={"type": type_, "count": count}))

    assert_error(response, 400, "E18214")


@pytest.mark.parametrize(
    ("type_", "count"),
    [
        ("1U2G", 1),
        ("1U2G", 100),
        ("1U4G", 100),
        ("2U4G", 50),
        ("4U8G", 25),
        ("4U16G", 25),
        ("8U16G", 12),
        ("8U32G", 12),
        ("16U32G", 6),
        ("16U64G", 6),
    ],
)
def test_container_within_100_cores_is_accepted(
    client: Client, ds: str, type_: str, count: int
) -> None:
    response = client.post("/v2/jobs/j", job_body(container={"type": type_, "count": count}))

    assert_ok_empty(response)
    assert get_job(client, "j")["container"] == {"type": type_, "count": count}


# --- scheduler -----------------------------------------------------------------------------

BAD_SCHEDULERS = [
    pytest.param(ABSENT, 400, "E18207", id="missing"),
    pytest.param(None, 400, "E18207", id="null"),
    pytest.param({}, 400, "E18207", id="type-missing"),
    pytest.param({"type": "weekly"}, 400, "E18207", id="type-unknown"),
    pytest.param({"type": ""}, 400, "E18207", id="type-empty"),
    pytest.param("loop", 400, "E18007", id="not-an-object"),
    pytest.param({"type": "crontab"}, 400, "E18208", id="crontab-without-spec"),
    pytest.param({"type": "crontab", "spec": {}}, 400, "E18208", id="crontab-spec-empty"),
    pytest.param({"type": "loop", "spec": {"loop": 5}}, 400, "E18007", id="loop-not-a-string"),
]


@pytest.mark.parametrize(("scheduler", "status", "code"), BAD_SCHEDULERS)
def test_invalid_scheduler_is_refused(
    client: Client, ds: str, scheduler: Any, status: int, code: str
) -> None:
    response = client.post("/v2/jobs/j", job_body(scheduler=scheduler))

    assert_error(response, status, code)


@pytest.mark.parametrize(
    "crontab",
    [
        "not a cron",
        "",
        "* * *",
        "* * * *",
        "0 0 0/1 * * * *",
        "61 * * * *",
        "0 61 * * *",
        "0 0 25 * *",
        "0 0 * 32 *",
        "0 0 * * 13",
        "0 0 * * * 8",
        "@fortnightly",
        "@every",
    ],
)
def test_invalid_crontab_is_refused(client: Client, ds: str, crontab: str) -> None:
    body = job_body(scheduler={"type": "crontab", "spec": {"crontab": crontab}})

    response = client.post("/v2/jobs/j", body)

    assert_error(response, 400, "E18208")


@pytest.mark.parametrize(
    "crontab",
    [
        "0 0 0/1 * *",
        "0 0 0/1 * * ?",
        "@hourly",
        "@daily",
        "@every 1h30m",
        "0 */5 * * * *",
        "0 30 9 * * mon-fri",
        "0 0 0 1,15 jan-jun *",
    ],
)
def test_valid_crontab_is_accepted(client: Client, ds: str, crontab: str) -> None:
    scheduler = {"type": "crontab", "spec": {"crontab": crontab}}

    response = client.post("/v2/jobs/j", job_body(scheduler=scheduler))

    assert_ok_empty(response)
    assert get_job(client, "j")["scheduler"] == scheduler


@pytest.mark.parametrize("loop", ["5", "5s", "1d", "abc", "-5m", "m", "1.5h", "0s", "5M"])
def test_invalid_loop_is_refused(client: Client, ds: str, loop: str) -> None:
    body = job_body(scheduler={"type": "loop", "spec": {"loop": loop}})

    response = client.post("/v2/jobs/j", body)

    assert_error(response, 400, "E18208")


@pytest.mark.parametrize(
    "scheduler",
    [
        {"type": "loop", "spec": {"loop": "5m"}},
        {"type": "loop", "spec": {"loop": "1h"}},
        {"type": "loop", "spec": {"loop": "0"}},
        {"type": "loop", "spec": {"loop": "0m"}},
        {"type": "loop", "spec": {"loop": "0h"}},
        {"type": "loop", "spec": {}},
        {"type": "loop"},
    ],
    ids=["5m", "1h", "0", "0m", "0h", "spec-empty", "spec-absent"],
)
def test_valid_loop_is_accepted(client: Client, ds: str, scheduler: JSON) -> None:
    response = client.post("/v2/jobs/j", job_body(scheduler=scheduler))

    assert_ok_empty(response)
    assert get_job(client, "j")["scheduler"] == scheduler


@pytest.mark.parametrize(
    "scheduler",
    [{"type": "manual"}, {"type": "manual", "spec": {"loop": "whenever"}}],
    ids=["no-spec", "spec-ignored"],
)
def test_manual_scheduler_ignores_its_spec(client: Client, ds: str, scheduler: JSON) -> None:
    response = client.post("/v2/jobs/j", job_body(scheduler=scheduler))

    assert_ok_empty(response)


# --- params --------------------------------------------------------------------------------

BAD_PARAMS = [
    pytest.param([{"name": "1p", "default": ""}], id="name-leading-digit"),
    pytest.param([{"name": "p-x", "default": ""}], id="name-dash"),
    pytest.param([{"name": "", "default": ""}], id="name-empty"),
    pytest.param([{"default": ""}], id="name-missing"),
    pytest.param([{"name": "p" * 65, "default": ""}], id="name-65-chars"),
    pytest.param([{"name": "p", "default": "x"}, {"name": "p", "default": "y"}], id="name-twice"),
    pytest.param([{"name": "year", "default": "2017"}], id="system-name-year"),
    pytest.param([{"name": "now", "default": ""}], id="system-name-now"),
    pytest.param([{"name": "p", "default": "d" * 65}], id="default-65-chars"),
    pytest.param([{"name": "p"}], id="default-missing"),
]


@pytest.mark.parametrize("params", BAD_PARAMS)
def test_invalid_params_are_refused(client: Client, ds: str, params: list[JSON]) -> None:
    response = client.post("/v2/jobs/j", job_body(params=params))

    assert_error(response, 400, "E18207")


@pytest.mark.parametrize(
    "params",
    [
        [{"name": "p" * 64, "default": "d" * 64}],
        [{"name": "_p", "default": ""}],
        [{"name": "p1", "default": "a"}, {"name": "p2", "default": "b"}],
        [],
    ],
    ids=["limits", "underscore-empty-default", "two", "none"],
)
def test_valid_params_are_accepted(client: Client, ds: str, params: list[JSON]) -> None:
    response = client.post("/v2/jobs/j", job_body(params=params))

    assert_ok_empty(response)
    assert get_job(client, "j")["params"] == params


# --- depend mode ---------------------------------------------------------------------------


@pytest.fixture
def two_upstreams(client: Client, job: str) -> None:
    make_job(client, "k", job_body(table="tk"))


BAD_DEPEND = [
    pytest.param(
        job_body(srcs=[src("j", "t2", "job")], code="select * from t2"),
        id="job-src-with-loop-scheduler",
    ),
    pytest.param(
        job_body(
            srcs=[src("j", "t2", "job")], code="select * from t2", scheduler={"type": "manual"}
        ),
        id="job-src-with-manual-scheduler",
    ),
    pytest.param(depend_body(container={"type": "1U2G", "count": 1}), id="depend-with-container"),
    pytest.param(
        depend_body(scheduler=ABSENT, container={"type": "1U2G", "count": 1}),
        id="implicit-depend-with-container",
    ),
    pytest.param(depend_body(params=[{"name": "p", "default": ""}]), id="depend-with-params"),
    pytest.param(
        depend_body(scheduler={"type": "depend", "spec": {"loop": "5m"}}), id="depend-with-loop"
    ),
    pytest.param(
        depend_body(scheduler={"type": "depend", "spec": {"crontab": "@hourly"}}),
        id="depend-with-crontab",
    ),
    pytest.param(
        job_body(scheduler={"type": "depend"}, container=ABSENT), id="depend-without-job-src"
    ),
    pytest.param(
        depend_body(srcs=[src("j", "t2", "job"), src("k", "t3", "job")]), id="two-job-srcs"
    ),
]


@pytest.mark.usefixtures("two_upstreams")
@pytest.mark.parametrize("body", BAD_DEPEND)
def test_depend_rule_violations_are_refused(client: Client, body: JSON) -> None:
    response = client.post("/v2/jobs/j2", body)

    assert_error(response, 400, "E18207")


@pytest.mark.parametrize(
    "members",
    [
        {"params": []},
        {"params": None},
        {"container": None},
        {"scheduler": {"type": "depend", "spec": {}}},
        {"scheduler": {"type": "depend", "spec": {"loop": "", "crontab": ""}}},
        {"scheduler": {"type": "depend", "spec": None}},
    ],
    ids=[
        "params-empty",
        "params-null",
        "container-null",
        "spec-empty",
        "spec-members-empty",
        "spec-null",
    ],
)
def test_depend_job_accepts_empty_container_params_and_spec(
    client: Client, job: str, members: JSON
) -> None:
    response = client.post("/v2/jobs/j2", depend_body(**members))

    assert_ok_empty(response)


def test_scheduler_absent_with_a_job_src_means_depend(client: Client, job: str) -> None:
    make_job(client, "j2", depend_body(scheduler=ABSENT))

    body = get_job(client, "j2")

    assert body["scheduler"] == {"type": "depend"}
    assert "container" not in body
    assert "params" not in body


def test_get_of_a_depend_job_has_the_sdk_shape(client: Client, job: str) -> None:
    make_job(client, "j2", SDK_DEPEND_JOB)

    body = get_job(client, "j2")

    assert body == {**SDK_DEPEND_JOB, "schema": OUTPUT_SCHEMA, "workflow": ""}


def test_depend_job_may_also_read_datasources(client: Client, job: str) -> None:
    body = depend_body(
        srcs=[src("j", "t2", "job"), src("ds", "t3")],
        code="select t2.a, t3.b from t2 join t3 on t2.a = t3.a",
    )

    response = client.post("/v2/jobs/j2", body)

    assert_ok_empty(response)


def test_depend_chain_is_accepted(client: Client, job: str) -> None:
    make_job(client, "j2", depend_body("j", "t2"))

    response = client.post("/v2/jobs/j3", depend_body("j2", "t3"))

    assert_ok_empty(response)
    assert get_job(client, "j3")["scheduler"] == {"type": "depend"}


# --- referenced resources, conflicts, missing jobs -----------------------------------------


def test_missing_src_datasource_is_not_found(client: Client) -> None:
    response = client.post("/v2/jobs/j", job_body("nope"))

    assert_error(response, 404, "E18102")


def test_missing_src_job_is_not_found(client: Client, ds: str) -> None:
    response = client.post("/v2/jobs/j2", depend_body("nope"))

    assert_error(response, 404, "E18202")


def test_src_job_named_as_a_datasource_is_not_found(client: Client, ds: str) -> None:
    response = client.post("/v2/jobs/j2", depend_body("ds"))

    assert_error(response, 404, "E18202")


def test_creating_an_existing_job_conflicts(client: Client, job: str) -> None:
    response = client.post("/v2/jobs/j", job_body(code="select a from tbl"))

    assert_error(response, 409, "E18201")
    assert get_job(client, "j")["computation"] == {"code": "select * from tbl", "type": "sql"}


def test_body_errors_are_reported_before_the_conflict(client: Client, job: str) -> None:
    response = client.post("/v2/jobs/j", job_body(srcs=[]))

    assert_error(response, 400, "E18207")


def test_body_errors_are_reported_before_a_missing_src(client: Client) -> None:
    response = client.post("/v2/jobs/j", job_body("nope", container={"type": "9U9G", "count": 1}))

    assert_error(response, 400, "E18213")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_missing_job_is_not_found(client: Client, ds: str, method: str) -> None:
    body = job_body() if method == "PUT" else None

    response = client.request(method, "/v2/jobs/nope", body)

    assert_error(response, 404, "E18202")


def test_update_of_a_missing_job_reports_body_errors_first(client: Client, ds: str) -> None:
    response = client.put("/v2/jobs/nope", job_body(container={"type": "1U2G", "count": 0}))

    assert_error(response, 400, "E18214")


def test_update_may_not_make_a_job_depend_on_its_downstream(client: Client, job: str) -> None:
    make_job(client, "j2", depend_body("j", "t2"))

    response = client.put("/v2/jobs/j", depend_body("j2", "t3"))

    assert_error(response, 400, "E18207")
    assert get_job(client, "j")["srcs"] == [src("ds", "tbl")]


def test_update_may_not_close_a_longer_cycle(client: Client, job: str) -> None:
    make_job(client, "j2", depend_body("j", "t2"))
    make_job(client, "j3", depend_body("j2", "t3"))

    response = client.put("/v2/jobs/j", depend_body("j3", "t4"))

    assert_error(response, 400, "E18207")


def test_update_may_not_make_a_job_its_own_src(client: Client, job: str) -> None:
    response = client.put("/v2/jobs/j", depend_body("j", "t2"))

    assert_error(response, 400, "E18207")


def test_delete_of_a_job_with_an_export_is_refused(client: Client, job: str) -> None:
    assert_ok_empty(client.post("/v2/jobs/j/exports/e", KODO_EXPORT))

    response = client.delete("/v2/jobs/j")

    assert_error(response, 400, "E18112")
    assert assert_ok_json(client.get("/v2/jobs/j/exists")) == {"exist": True}


def test_delete_of_a_job_with_a_downstream_job_is_refused(client: Client, job: str) -> None:
    make_job(client, "j2", depend_body())

    response = client.delete("/v2/jobs/j")

    assert_error(response, 400, "E18112")
    assert assert_ok_json(client.get("/v2/jobs/j/exists")) == {"exist": True}


def test_delete_succeeds_once_exports_and_downstream_jobs_are_gone(
    client: Client, job: str
) -> None:
    make_job(client, "j2", depend_body())
    assert_ok_empty(client.post("/v2/jobs/j/exports/e", KODO_EXPORT))
    assert_ok_empty(client.delete("/v2/jobs/j/exports/e"))
    assert_ok_empty(client.delete("/v2/jobs/j2"))

    response = client.delete("/v2/jobs/j")

    assert_ok_empty(response)


def test_datasource_read_by_a_job_cannot_be_deleted(client: Client, job: str) -> None:
    response = client.delete("/v2/datasources/ds")

    assert_error(response, 400, "E18112")


# --- workflows (D-13) ----------------------------------------------------------------------


def test_job_joins_the_workflow_of_its_srcs(client: Client) -> None:
    make_workflow(client, "wf1")
    make_datasource(client, "ds", workflow="wf1")
    make_job(client, "j", job_body())
    make_job(client, "j2", depend_body())

    first, second = get_job(client, "j"), get_job(client, "j2")

    assert first["workflow"] == "wf1"
    assert second["workflow"] == "wf1"
    assert [job["workflow"] for job in assert_ok_json(client.get("/v2/jobs"))["jobs"]] == [
        "wf1",
        "wf1",
    ]


@pytest.mark.parametrize(("first", "second"), [("wf1", "wf2"), ("wf1", ""), ("", "wf2")])
def test_srcs_in_different_workflows_are_refused(client: Client, first: str, second: str) -> None:
    make_workflow(client, "wf1")
    make_workflow(client, "wf2")
    make_datasource(client, "ds1", workflow=first)
    make_datasource(client, "ds2", workflow=second)
    body = job_body(srcs=[src("ds1", "t1"), src("ds2", "t2")], code="select * from t1")

    response = client.post("/v2/jobs/j", body)

    assert_error(response, 400, "E18642")


def test_depend_job_reading_a_datasource_of_another_workflow_is_refused(client: Client) -> None:
    make_workflow(client, "wf1")
    make_workflow(client, "wf2")
    make_datasource(client, "ds", workflow="wf1")
    make_datasource(client, "ds2", workflow="wf2")
    make_job(client, "j", job_body())
    body = depend_body(srcs=[src("j", "t2", "job"), src("ds2", "t3")])

    response = client.post("/v2/jobs/j2", body)

    assert_error(response, 400, "E18642")


@pytest.fixture
def started_workflow(client: Client) -> str:
    """wf1 holding ds, loop job j with an export, and job idle (no export); then started."""
    make_workflow(client, "wf1")
    make_datasource(client, "ds", workflow="wf1")
    make_job(client, "j", job_body())
    make_job(client, "idle", job_body(code="select a from tbl"))
    assert_ok_empty(client.post("/v2/jobs/j/exports/e", KODO_EXPORT))
    assert_ok_empty(client.post("/v2/workflows/wf1/start", {"name": "wf1"}))
    return "wf1"


def test_create_of_a_job_in_a_started_workflow_is_refused(
    client: Client, started_workflow: str
) -> None:
    response = client.post("/v2/jobs/j2", job_body())

    assert_error(response, 400, "E18643")
    assert assert_ok_json(client.get("/v2/jobs/j2/exists")) == {"exist": False}


def test_create_of_a_depend_job_in_a_started_workflow_is_refused(
    client: Client, started_workflow: str
) -> None:
    response = client.post("/v2/jobs/j2", depend_body())

    assert_error(response, 400, "E18643")


def test_update_of_a_job_in_a_started_workflow_is_refused(
    client: Client, started_workflow: str
) -> None:
    response = client.put("/v2/jobs/idle", job_body(code="select b from tbl"))

    assert_error(response, 400, "E18643")
    assert get_job(client, "idle")["schema"] == [{"key": "a", "valtype": "long"}]


def test_delete_of_a_job_in_a_started_workflow_is_refused(
    client: Client, started_workflow: str
) -> None:
    response = client.delete("/v2/jobs/idle")

    assert_error(response, 400, "E18643")
    assert assert_ok_json(client.get("/v2/jobs/idle/exists")) == {"exist": True}


def test_update_moving_a_job_out_of_a_started_workflow_is_refused(
    client: Client, started_workflow: str
) -> None:
    make_datasource(client, "ds2")

    response = client.put("/v2/jobs/idle", job_body("ds2"))

    assert_error(response, 400, "E18643")
    assert get_job(client, "idle")["workflow"] == "wf1"


def test_jobs_of_a_stopped_workflow_can_change_again(client: Client, started_workflow: str) -> None:
    assert_ok_empty(client.post("/v2/workflows/wf1/stop", {"name": "wf1"}))

    response = client.post("/v2/jobs/j2", job_body())

    assert_ok_empty(response)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"type": "loop", "spec": {"loop": "5m"}}, {"type": "manual"}),
        ({"type": "manual"}, {"type": "loop", "spec": {"loop": "5m"}}),
        ({"type": "crontab", "spec": {"crontab": "@hourly"}}, {"type": "manual"}),
        ({"type": "manual"}, {"type": "crontab", "spec": {"crontab": "@hourly"}}),
    ],
    ids=["loop-then-manual", "manual-then-loop", "crontab-then-manual", "manual-then-crontab"],
)
def test_manual_and_scheduled_jobs_in_one_workflow_are_refused(
    client: Client, first: JSON, second: JSON
) -> None:
    make_workflow(client, "wf1")
    make_datasource(client, "ds", workflow="wf1")
    make_job(client, "j", job_body(scheduler=first))

    response = client.post("/v2/jobs/j2", job_body(scheduler=second))

    assert_error(response, 400, "E18642")


def test_update_mixing_manual_and_loop_jobs_in_one_workflow_is_refused(client: Client) -> None:
    make_workflow(client, "wf1")
    make_datasource(client, "ds", workflow="wf1")
    make_job(client, "j", job_body())
    make_job(client, "j2", job_body())

    response = client.put("/v2/jobs/j2", job_body(scheduler={"type": "manual"}))

    assert_error(response, 400, "E18642")


def test_manual_job_with_depend_downstream_in_one_workflow_is_accepted(client: Client) -> None:
    make_workflow(client, "wf1")
    make_datasource(client, "ds", workflow="wf1")
    make_job(client, "j", job_body(scheduler={"type": "manual"}))

    response = client.post("/v2/jobs/j2", depend_body())

    assert_ok_empty(response)


def test_manual_and_loop_jobs_outside_workflows_coexist(client: Client, ds: str) -> None:
    make_job(client, "j", job_body())

    response = client.post("/v2/jobs/j2", job_body(scheduler={"type": "manual"}))

    assert_ok_empty(response)


# --- tenant isolation ----------------------------------------------------------------------


def test_other_account_cannot_see_the_jobs(client: Client, job: str, other: Client) -> None:
    got = other.get("/v2/jobs/j")
    exists = other.get("/v2/jobs/j/exists")
    listed = other.get("/v2/jobs")
    filtered = other.get("/v2/jobs", params={"srcDatasource": "ds"})

    assert_error(got, 404, "E18202")
    assert assert_ok_json(exists) == {"exist": False}
    assert assert_ok_json(listed) == {"jobs": []}
    assert assert_ok_json(filtered) == {"jobs": []}


def test_other_account_cannot_update_or_delete_the_jobs(
    client: Client, job: str, other: Client
) -> None:
    before = get_job(client, "j")

    updated = other.put("/v2/jobs/j", job_body(code="select a from tbl"))
    deleted = other.delete("/v2/jobs/j")

    assert_error(updated, 404, "E18202")
    assert_error(deleted, 404, "E18202")
    assert get_job(client, "j") == before


def test_other_account_cannot_read_the_datasource(client: Client, ds: str, other: Client) -> None:
    response = other.post("/v2/jobs/j", job_body())

    assert_error(response, 404, "E18102")


def test_other_account_cannot_depend_on_the_job(client: Client, job: str, other: Client) -> None:
    response = other.post("/v2/jobs/j2", depend_body())

    assert_error(response, 404, "E18202")


def test_other_account_can_use_the_same_names(client: Client, job: str, other: Client) -> None:
    make_datasource(other, "ds")

    response = other.post("/v2/jobs/j", job_body(code="select b from tbl"))

    assert_ok_empty(response)
    assert get_job(other, "j")["schema"] == [{"key": "b", "valtype": "string"}]
    assert get_job(client, "j")["schema"] == OUTPUT_SCHEMA
    assert job_names(client.get("/v2/jobs")) == ["j"]
    assert job_names(other.get("/v2/jobs")) == ["j"]

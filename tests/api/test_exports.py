"""Job exports through the real app (spec §8.1-§8.8, §11, §12, D-9, D-13, D-23)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import Client, assert_error, assert_ok_empty, assert_ok_json
from tidemill.api.app import create_app
from tidemill.config import Settings
from tidemill.runtime import Runtime, build_runtime
from tidemill.services.accounts import create_key

JSON = dict[str, Any]

SCHEMA = [
    {"key": "a", "valtype": "long", "required": True},
    {"key": "b", "valtype": "string", "required": False},
    {"key": "country", "valtype": "string", "required": False},
    {"key": "t", "valtype": "date", "required": False},
    {"key": "f", "valtype": "float", "required": False},
    {"key": "ok", "valtype": "boolean", "required": False},
]
# The job "j" outputs every datasource column: a, b, country, t, f, ok.
JOB_CODE = "select * from tbl"
# Columns named as in the examples of spec §8.5 and §8.6.
DOCS_JOB_CODE = "select b as userName, a as age, country as domain, a as hits, t as time from tbl"

# §11: CreateJobExport bodies, byte for byte what the Go SDK marshals (the kodo bucket "b" is
# too short for §3.1, so it is "bkt1" here).
SDK_BODIES: dict[str, JSON] = {
    "kodo": {
        "type": "kodo",
        "spec": {
            "bucket": "bkt1",
            "keyPrefix": "out/",
            "format": "json",
            "retention": 1,
            "fileCount": 1,
            "saveMode": "append",
            "containsHeader": False,
        },
    },
    "hdfs": {
        "type": "hdfs",
        "spec": {
            "path": "hdfs://h:9000/out",
            "format": "parquet",
            "partitionBy": None,
            "fileCount": 1,
            "saveMode": "",
        },
    },
    "logdb": {"type": "logdb", "spec": {"destRepoName": "r", "doc": {"a": "#a"}}},
    "tsdb": {
        "type": "tsdb",
        "spec": {"destRepoName": "r", "series": "s", "tags": {"t": "#t"}, "fields": {"f": "#f"}},
    },
    "http": {"type": "http", "spec": {"host": "127.0.0.1:7758", "uri": "/recv"}},
}
# §8.7: the Go SDK has no report spec; this is the documented example.
REPORT_BODY: JSON = {
    "type": "report",
    "spec": {
        "dbName": "db1",
        "tableName": "t1",
        "columns": {"col1": "#a", "col2": "#b"},
        "saveMode": "append",
    },
}
ALWAYS_ON = {
    "kodo": SDK_BODIES["kodo"],
    "hdfs": SDK_BODIES["hdfs"],
    "http": SDK_BODIES["http"],
    "report": REPORT_BODY,
}
NEEDS_TARGET = ["logdb", "tsdb"]

# §8.2-§8.7: the documented examples (kodo's bucket "b" made valid), for the "docs" job.
DOC_BODIES: dict[str, JSON] = {
    "kodo": {
        "type": "kodo",
        "spec": {
            "bucket": "bkt1",
            "keyPrefix": "out/$(year)$(mon)$(day)/",
            "format": "csv",
            "delimiter": ",",
            "containsHeader": True,
            "compression": "gzip",
            "retention": 7,
            "partitionBy": ["domain"],
            "fileCount": 4,
            "saveMode": "overwrite",
        },
    },
    "hdfs": {
        "type": "hdfs",
        "spec": {
            "path": "hdfs://192.168.1.1:9000/out/$(year)",
            "format": "parquet",
            "compression": "snappy",
            "partitionBy": [],
            "fileCount": 1,
            "saveMode": "overwrite",
        },
    },
    "http": {
        "type": "http",
        "spec": {"host": "https://pipeline.qiniu.com", "uri": "/test/repos", "format": "json"},
    },
    "logdb": {
        "type": "logdb",
        "spec": {
            "destRepoName": "logdb_repo",
            "omitInvalid": False,
            "doc": {"user": "#userName", "age": "#age"},
        },
    },
    "tsdb": {
        "type": "tsdb",
        "spec": {
            "destRepoName": "tsdb_repo",
            "omitInvalid": False,
            "series": "req_io",
            "tags": {"domain": "#domain"},
            "fields": {"hits": "#hits"},
            "timestamp": "#time",
        },
    },
    "report": {
        "type": "report",
        "spec": {
            "dbName": "db1",
            "tableName": "t1",
            "columns": {"col1": "#userName", "col2": "#age"},
            "saveMode": "append",
        },
    },
}


# --- helpers -------------------------------------------------------------------------------


def without_nulls(spec: JSON) -> JSON:
    """The stored echo of a spec (D-9): what was sent, `null` members dropped."""
    return {key: value for key, value in spec.items() if value is not None}


def make_datasource(client: Client, name: str = "ds", workflow: str = "") -> None:
    body = {
        "region": "nb",
        "type": "kodo",
        "spec": {"bucket": "bkt1", "keyPrefixes": ["logs/"], "fileType": "json"},
        "schema": SCHEMA,
        "noVerifySchema": True,
        "workflow": workflow,
    }
    assert_ok_empty(client.post(f"/v2/datasources/{name}", body))


def make_job(client: Client, name: str = "j", code: str = JOB_CODE, source: str = "ds") -> None:
    body = {
        "srcs": [{"name": source, "fileFilter": "", "type": "datasource", "tableName": "tbl"}],
        "computation": {"code": code, "type": "sql"},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "loop", "spec": {"loop": "10m"}},
    }
    assert_ok_empty(client.post(f"/v2/jobs/{name}", body))


def make_export(client: Client, body: JSON, job: str = "j", name: str = "e") -> None:
    assert_ok_empty(client.post(f"/v2/jobs/{job}/exports/{name}", body))


def with_spec(body: JSON, **members: Any) -> JSON:
    """A deep copy of `body` with spec members replaced."""
    result = copy.deepcopy(body)
    result["spec"].update(members)
    return result


@pytest.fixture
def job(client: Client) -> str:
    make_datasource(client)
    make_job(client)
    return "j"


@pytest.fixture
def other(client: Client, runtime: Runtime) -> Client:
    pair = create_key(runtime, "other")
    return client.as_account(pair.access_key, pair.secret_key)


@pytest.fixture
def targets_client(settings: Settings) -> Iterator[Client]:
    """A client of a server with LogDB and TSDB targets configured (D-23)."""
    configured = settings.model_copy(
        update={"logdb_url": "http://127.0.0.1:9200", "tsdb_url": "http://127.0.0.1:8086"}
    )
    runtime = build_runtime(configured)
    with TestClient(create_app(configured, runtime), raise_server_exceptions=False) as http:
        served = Client(http)
        make_datasource(served)
        make_job(served)
        make_job(served, "docs", DOCS_JOB_CODE)
        yield served


# --- create, get, list, exists, update, delete: the happy paths -----------------------------


def on_test_hdfs(request: pytest.FixtureRequest, body: JSON) -> JSON:
    """`body` with an hdfs path's namenode made the run's HDFS: an hdfs export is created only
    when its namenode answers (§8.3, EXP_SUBMIT_FAILED otherwise)."""
    if body["type"] != "hdfs":
        return body
    url: str = request.getfixturevalue("hdfs_url")
    path = str(body["spec"]["path"])
    rest = path.split("://", 1)[1]
    return {**body, "spec": {**body["spec"], "path": url + rest[rest.index("/") :]}}


def types(names: list[str]) -> list[Any]:
    """Parameters of export types, hdfs marked as needing the run's HDFS."""
    return [pytest.param(n, marks=pytest.mark.hdfs) if n == "hdfs" else n for n in names]


@pytest.mark.parametrize("type_", types(list(ALWAYS_ON)))
def test_create_returns_an_empty_200(
    client: Client, job: str, type_: str, request: pytest.FixtureRequest
) -> None:
    response = client.post("/v2/jobs/j/exports/e", on_test_hdfs(request, ALWAYS_ON[type_]))

    assert_ok_empty(response)


@pytest.mark.parametrize("type_", types(list(ALWAYS_ON)))
def test_get_returns_type_spec_and_workflow_with_the_spec_echoed(
    client: Client, job: str, type_: str, request: pytest.FixtureRequest
) -> None:
    sent = on_test_hdfs(request, ALWAYS_ON[type_])
    make_export(client, sent)

    body = assert_ok_json(client.get("/v2/jobs/j/exports/e"))

    assert body == {"type": type_, "spec": without_nulls(sent["spec"]), "workflow": ""}


@pytest.mark.parametrize("type_", types(["kodo", "hdfs", "http", "report"]))
def test_documented_examples_are_accepted_and_echoed(
    client: Client, job: str, type_: str, request: pytest.FixtureRequest
) -> None:
    make_job(client, "docs", DOCS_JOB_CODE)
    sent = on_test_hdfs(request, DOC_BODIES[type_])

    response = client.post("/v2/jobs/docs/exports/e", sent)

    assert_ok_empty(response)
    got = assert_ok_json(client.get("/v2/jobs/docs/exports/e"))
    assert got == {**sent, "workflow": ""}


@pytest.mark.parametrize("type_", NEEDS_TARGET)
def test_export_without_a_configured_target_is_refused(
    client: Client, job: str, type_: str
) -> None:
    response = client.post("/v2/jobs/j/exports/e", SDK_BODIES[type_])

    assert_error(response, 400, "E18303")
    assert assert_ok_json(client.get("/v2/jobs/j/exports/e/exists")) == {"exist": False}


@pytest.mark.parametrize(
    ("type_", "spec"),
    [("logdb", {"destRepoName": "r", "doc": {"a": "a"}}), ("tsdb", {"destRepoName": "r"})],
)
def test_unconfigured_target_exports_are_still_validated(
    client: Client, job: str, type_: str, spec: JSON
) -> None:
    response = client.post("/v2/jobs/j/exports/e", {"type": type_, "spec": spec})

    assert_error(response, 400, "E18305")


@pytest.mark.parametrize("type_", NEEDS_TARGET)
def test_export_with_a_configured_target_is_accepted(targets_client: Client, type_: str) -> None:
    sent = SDK_BODIES[type_]

    response = targets_client.post("/v2/jobs/j/exports/e", sent)

    assert_ok_empty(response)
    got = assert_ok_json(targets_client.get("/v2/jobs/j/exports/e"))
    assert got == {"type": type_, "spec": sent["spec"], "workflow": ""}


@pytest.mark.parametrize("type_", NEEDS_TARGET)
def test_documented_target_examples_are_accepted(targets_client: Client, type_: str) -> None:
    response = targets_client.post("/v2/jobs/docs/exports/e", DOC_BODIES[type_])

    assert_ok_empty(response)
    got = assert_ok_json(targets_client.get("/v2/jobs/docs/exports/e"))
    assert got == {**DOC_BODIES[type_], "workflow": ""}


def test_configured_target_exports_are_still_validated(targets_client: Client) -> None:
    body = with_spec(SDK_BODIES["tsdb"], timestamp="#f")  # a float cannot be a timestamp

    response = targets_client.post("/v2/jobs/j/exports/e", body)

    assert_error(response, 400, "E18305")


def test_list_returns_name_type_and_spec_of_every_export(client: Client, job: str) -> None:
    for name, type_ in [("e_kodo", "kodo"), ("e_http", "http"), ("e_report", "report")]:
        make_export(client, ALWAYS_ON[type_], name=name)

    body = assert_ok_json(client.get("/v2/jobs/j/exports"))

    assert set(body) == {"exports"}
    assert sorted(body["exports"], key=lambda e: e["name"]) == [
        {"name": "e_http", "type": "http", "spec": SDK_BODIES["http"]["spec"]},
        {"name": "e_kodo", "type": "kodo", "spec": SDK_BODIES["kodo"]["spec"]},
        {"name": "e_report", "type": "report", "spec": REPORT_BODY["spec"]},
    ]


def test_list_without_exports_is_an_empty_array(client: Client, job: str) -> None:
    response = client.get("/v2/jobs/j/exports")

    assert assert_ok_json(response) == {"exports": []}


def test_exists_tells_whether_the_export_exists(client: Client, job: str) -> None:
    make_export(client, SDK_BODIES["kodo"])

    present = client.get("/v2/jobs/j/exports/e/exists")
    absent = client.get("/v2/jobs/j/exports/nope/exists")

    assert assert_ok_json(present) == {"exist": True}
    assert assert_ok_json(absent) == {"exist": False}


def test_update_replaces_the_whole_spec(client: Client, job: str) -> None:
    make_export(client, with_spec(DOC_BODIES["kodo"], partitionBy=["country"]))
    new = {"bucket": "bkt2", "fileCount": 2}

    response = client.put("/v2/jobs/j/exports/e", {"spec": new})

    assert_ok_empty(response)
    assert assert_ok_json(client.get("/v2/jobs/j/exports/e")) == {
        "type": "kodo",
        "spec": new,
        "workflow": "",
    }


@pytest.mark.parametrize("type_", ["kodo", "KODO"])
def test_update_naming_the_stored_type_is_accepted(client: Client, job: str, type_: str) -> None:
    make_export(client, SDK_BODIES["kodo"])

    response = client.put(
        "/v2/jobs/j/exports/e", {"type": type_, "spec": {"bucket": "bkt2", "fileCount": 3}}
    )

    assert_ok_empty(response)
    assert assert_ok_json(client.get("/v2/jobs/j/exports/e"))["spec"] == {
        "bucket": "bkt2",
        "fileCount": 3,
    }


@pytest.mark.parametrize("type_", ["hdfs", "http", "ftp"])
def test_update_changing_the_type_is_refused(client: Client, job: str, type_: str) -> None:
    make_export(client, SDK_BODIES["kodo"])

    response = client.put("/v2/jobs/j/exports/e", ALWAYS_ON.get(type_, {"type": type_, "spec": {}}))

    assert_error(response, 400, "E18305")
    assert assert_ok_json(client.get("/v2/jobs/j/exports/e"))["type"] == "kodo"


def test_update_with_an_invalid_spec_is_refused(client: Client, job: str) -> None:
    make_export(client, SDK_BODIES["kodo"])

    response = client.put("/v2/jobs/j/exports/e", {"spec": {"bucket": "bkt1", "fileCount": 1001}})

    assert_error(response, 400, "E18305")
    got = assert_ok_json(client.get("/v2/jobs/j/exports/e"))
    assert got["spec"] == SDK_BODIES["kodo"]["spec"]


def test_update_naming_a_column_the_job_lacks_is_not_found(client: Client, job: str) -> None:
    make_export(client, REPORT_BODY)

    response = client.put("/v2/jobs/j/exports/e", with_spec(REPORT_BODY, columns={"c": "#zz"}))

    assert_error(response, 404, "E18111")


def test_delete_removes_the_export(client: Client, job: str) -> None:
    make_export(client, SDK_BODIES["kodo"])

    response = client.delete("/v2/jobs/j/exports/e")

    assert_ok_empty(response)
    assert assert_ok_json(client.get("/v2/jobs/j/exports/e/exists")) == {"exist": False}
    assert_error(client.get("/v2/jobs/j/exports/e"), 404, "E18302")
    assert assert_ok_json(client.get("/v2/jobs/j/exports")) == {"exports": []}


def test_a_deleted_export_name_can_be_used_again(client: Client, job: str) -> None:
    make_export(client, SDK_BODIES["kodo"])
    assert_ok_empty(client.delete("/v2/jobs/j/exports/e"))

    response = client.post("/v2/jobs/j/exports/e", SDK_BODIES["http"])

    assert_ok_empty(response)
    assert assert_ok_json(client.get("/v2/jobs/j/exports/e"))["type"] == "http"


def test_delete_accepts_and_ignores_a_body(client: Client, job: str) -> None:
    make_export(client, SDK_BODIES["kodo"])

    response = client.request("DELETE", "/v2/jobs/j/exports/e", {"name": "e"})

    assert_ok_empty(response)


# --- names, existence, conflicts -----------------------------------------------------------

BAD_NAMES = ["1e", "e-x", "a" * 129]


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("method", ["POST", "PUT", "GET", "DELETE"])
def test_invalid_export_name_is_refused(client: Client, job: str, method: str, name: str) -> None:
    body = SDK_BODIES["kodo"] if method in ("POST", "PUT") else None

    response = client.request(method, f"/v2/jobs/j/exports/{name}", body)

    assert_error(response, 400, "E18305")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_exists_with_an_invalid_export_name_is_refused(client: Client, job: str, name: str) -> None:
    response = client.get(f"/v2/jobs/j/exports/{name}/exists")

    assert_error(response, 400, "E18305")


@pytest.mark.parametrize("method", ["POST", "PUT", "GET", "DELETE"])
def test_invalid_job_name_in_an_export_path_is_refused(client: Client, method: str) -> None:
    body = SDK_BODIES["kodo"] if method in ("POST", "PUT") else None

    response = client.request(method, "/v2/jobs/1j/exports/e", body)

    assert_error(response, 400, "E18207")


@pytest.mark.parametrize("name", ["_", "E", "a" * 128])
def test_export_names_matching_the_rule_are_accepted(client: Client, job: str, name: str) -> None:
    response = client.post(f"/v2/jobs/j/exports/{name}", SDK_BODIES["http"])

    assert_ok_empty(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v2/jobs/nope/exports/e"),
        ("PUT", "/v2/jobs/nope/exports/e"),
        ("GET", "/v2/jobs/nope/exports/e"),
        ("DELETE", "/v2/jobs/nope/exports/e"),
        ("GET", "/v2/jobs/nope/exports"),
    ],
)
def test_export_of_a_missing_job_is_not_found(
    client: Client, job: str, method: str, path: str
) -> None:
    body = SDK_BODIES["http"] if method in ("POST", "PUT") else None

    response = client.request(method, path, body)

    assert_error(response, 404, "E18202")


@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
def test_missing_export_is_not_found(client: Client, job: str, method: str) -> None:
    body = {"spec": SDK_BODIES["kodo"]["spec"]} if method == "PUT" else None

    response = client.request(method, "/v2/jobs/j/exports/nope", body)

    assert_error(response, 404, "E18302")


def test_creating_an_existing_export_conflicts(client: Client, job: str) -> None:
    make_export(client, SDK_BODIES["kodo"])

    response = client.post("/v2/jobs/j/exports/e", SDK_BODIES["http"])

    assert_error(response, 409, "E18301")
    assert assert_ok_json(client.get("/v2/jobs/j/exports/e"))["type"] == "kodo"


def test_export_names_are_unique_per_job_only(client: Client, job: str) -> None:
    make_job(client, "j2", "select a from tbl")
    make_export(client, SDK_BODIES["kodo"], job="j", name="e1")

    response = client.post("/v2/jobs/j2/exports/e1", SDK_BODIES["http"])

    assert_ok_empty(response)
    assert assert_ok_json(client.get("/v2/jobs/j/exports/e1"))["type"] == "kodo"
    assert assert_ok_json(client.get("/v2/jobs/j2/exports/e1"))["type"] == "http"
    assert_ok_empty(client.delete("/v2/jobs/j/exports/e1"))
    assert assert_ok_json(client.get("/v2/jobs/j2/exports/e1/exists")) == {"exist": True}


# --- type and spec -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param({"type": "ftp", "spec": {}}, 400, "E18305", id="unknown"),
        pytest.param({"type": "kodo2", "spec": {}}, 400, "E18305", id="near-miss"),
        pytest.param({"type": "", "spec": {}}, 400, "E18305", id="empty"),
        pytest.param({"spec": {"bucket": "bkt1", "fileCount": 1}}, 400, "E18305", id="missing"),
        pytest.param({"type": 5, "spec": {}}, 400, "E18007", id="not-a-string"),
    ],
)
def test_invalid_type_is_refused(
    client: Client, job: str, body: JSON, status: int, code: str
) -> None:
    response = client.post("/v2/jobs/j/exports/e", body)

    assert_error(response, status, code)


@pytest.mark.parametrize("type_", ["KODO", "Kodo"])
def test_type_is_compared_case_insensitively(client: Client, job: str, type_: str) -> None:
    response = client.post("/v2/jobs/j/exports/e", {**SDK_BODIES["kodo"], "type": type_})

    assert_ok_empty(response)


INVALID_SPECS = [
    # EXP_SPEC_INVALID, one per type
    pytest.param(with_spec(SDK_BODIES["kodo"], fileCount=0), 400, "E18305", id="kodo-fileCount-0"),
    pytest.param(with_spec(SDK_BODIES["kodo"], bucket="b"), 400, "E18305", id="kodo-bucket-short"),
    pytest.param(
        with_spec(SDK_BODIES["kodo"], format="orc", compression="gzip"),
        400,
        "E18305",
        id="kodo-orc-gzip",
    ),
    pytest.param(with_spec(SDK_BODIES["hdfs"], path=""), 400, "E18305", id="hdfs-path-empty"),
    pytest.param(with_spec(SDK_BODIES["http"], uri="recv"), 400, "E18305", id="http-uri-no-slash"),
    pytest.param(with_spec(REPORT_BODY, saveMode="ignore"), 400, "E18305", id="report-saveMode"),
    pytest.param(with_spec(REPORT_BODY, columns={}), 400, "E18305", id="report-columns-empty"),
    # EXP_FIELD_NOT_FOUND
    pytest.param(
        with_spec(SDK_BODIES["kodo"], partitionBy=["nope"]), 404, "E18111", id="partitionBy-unknown"
    ),
    pytest.param(
        with_spec(SDK_BODIES["hdfs"], partitionBy=["country", "zz"]),
        404,
        "E18111",
        id="hdfs-partitionBy-unknown",
    ),
    pytest.param(
        with_spec(REPORT_BODY, columns={"c": "#nope"}), 404, "E18111", id="field-ref-unknown"
    ),
    # EXP_FIELD_PREFIX
    pytest.param(with_spec(REPORT_BODY, columns={"c": "a"}), 400, "E18305", id="field-ref-no-hash"),
    # a missing structural member
    pytest.param({"type": "kodo"}, 400, "E18007", id="spec-missing"),
    pytest.param({"type": "kodo", "spec": "bkt1"}, 400, "E18007", id="spec-not-an-object"),
]


@pytest.mark.parametrize(("body", "status", "code"), INVALID_SPECS)
def test_invalid_spec_is_refused(
    client: Client, job: str, body: JSON, status: int, code: str
) -> None:
    response = client.post("/v2/jobs/j/exports/e", body)

    assert_error(response, status, code)
    assert assert_ok_json(client.get("/v2/jobs/j/exports/e/exists")) == {"exist": False}


def test_spec_errors_are_reported_before_a_missing_job(client: Client, job: str) -> None:
    response = client.post("/v2/jobs/nope/exports/e", with_spec(SDK_BODIES["kodo"], fileCount=0))

    assert_error(response, 400, "E18305")


def test_spec_errors_are_reported_before_the_conflict(client: Client, job: str) -> None:
    make_export(client, SDK_BODIES["kodo"])

    response = client.post("/v2/jobs/j/exports/e", with_spec(SDK_BODIES["kodo"], fileCount=0))

    assert_error(response, 400, "E18305")


def test_partition_column_must_be_in_the_jobs_output(client: Client, job: str) -> None:
    make_job(client, "narrow", "select a from tbl")

    response = client.post(
        "/v2/jobs/narrow/exports/e", with_spec(SDK_BODIES["kodo"], partitionBy=["country"])
    )

    assert_error(response, 404, "E18111")


def test_export_of_a_depend_job_reads_the_depend_jobs_output(client: Client, job: str) -> None:
    depend = {
        "srcs": [{"name": "j", "fileFilter": "", "type": "job", "tableName": "t2"}],
        "computation": {
            "code": "select country, count(1) as n from t2 group by country",
            "type": "sql",
        },
        "scheduler": {"type": "depend"},
    }
    assert_ok_empty(client.post("/v2/jobs/j2", depend))
    good = with_spec(REPORT_BODY, columns={"c": "#country", "n": "#n"})

    accepted = client.post("/v2/jobs/j2/exports/e", good)
    refused = client.post("/v2/jobs/j2/exports/e2", with_spec(REPORT_BODY, columns={"c": "#a"}))

    assert_ok_empty(accepted)
    assert_error(refused, 404, "E18111")


def test_create_without_content_type_parses_the_json_body(client: Client, job: str) -> None:
    raw = b'{"type":"http","spec":{"host":"127.0.0.1:7758","uri":"/recv"}}'

    response = client.request("POST", "/v2/jobs/j/exports/e", raw=raw, content_type=None)

    assert_ok_empty(response)


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"", "E18006"), (b"{", "E18007"), (b"[]", "E18007")],
    ids=["empty", "not-json", "array"],
)
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_malformed_body_is_refused(
    client: Client, job: str, method: str, raw: bytes, code: str
) -> None:
    make_export(client, SDK_BODIES["kodo"], name="present")

    response = client.request(method, "/v2/jobs/j/exports/present", raw=raw)

    assert_error(response, 400, code)


# --- workflows -----------------------------------------------------------------------------


def test_export_reports_the_workflow_of_its_job(client: Client) -> None:
    assert_ok_empty(client.post("/v2/workflows/wf1", {"region": "nb"}))
    make_datasource(client, workflow="wf1")
    make_job(client)
    make_export(client, SDK_BODIES["kodo"])

    body = assert_ok_json(client.get("/v2/jobs/j/exports/e"))

    assert body == {"type": "kodo", "spec": SDK_BODIES["kodo"]["spec"], "workflow": "wf1"}


@pytest.fixture
def started(client: Client) -> None:
    assert_ok_empty(client.post("/v2/workflows/wf1", {"region": "nb"}))
    make_datasource(client, workflow="wf1")
    make_job(client)
    make_export(client, SDK_BODIES["kodo"])
    assert_ok_empty(client.post("/v2/workflows/wf1/start", {"name": "wf1"}))


@pytest.mark.usefixtures("started")
@pytest.mark.parametrize(
    ("method", "name", "body"),
    [
        ("POST", "e2", SDK_BODIES["http"]),
        ("PUT", "e", {"spec": {"bucket": "bkt2", "fileCount": 1}}),
        ("DELETE", "e", None),
    ],
)
def test_export_change_in_a_started_workflow_is_refused(
    client: Client, method: str, name: str, body: JSON | None
) -> None:
    response = client.request(method, f"/v2/jobs/j/exports/{name}", body)

    assert_error(response, 400, "E18643")
    assert assert_ok_json(client.get("/v2/jobs/j/exports/e"))["spec"] == SDK_BODIES["kodo"]["spec"]


# --- tenant isolation ----------------------------------------------------------------------


@pytest.fixture
def exported(client: Client, job: str) -> str:
    make_export(client, SDK_BODIES["kodo"])
    return "e"


@pytest.mark.usefixtures("exported")
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v2/jobs/j/exports/e", None),
        ("GET", "/v2/jobs/j/exports", None),
        ("PUT", "/v2/jobs/j/exports/e", {"spec": {"bucket": "bkt2", "fileCount": 1}}),
        ("DELETE", "/v2/jobs/j/exports/e", None),
        ("POST", "/v2/jobs/j/exports/e2", SDK_BODIES["http"]),
    ],
)
def test_other_account_cannot_reach_the_exports(
    client: Client, other: Client, method: str, path: str, body: JSON | None
) -> None:
    response = other.request(method, path, body)

    assert_error(response, 404, "E18202")
    assert assert_ok_json(client.get("/v2/jobs/j/exports")) == {
        "exports": [{"name": "e", "type": "kodo", "spec": SDK_BODIES["kodo"]["spec"]}]
    }


@pytest.mark.usefixtures("exported")
def test_other_account_cannot_learn_that_an_export_exists(client: Client, other: Client) -> None:
    response = other.get("/v2/jobs/j/exports/e/exists")

    if response.status_code == 200:
        assert response.json() == {"exist": False}
    else:
        assert_error(response, 404, "E18202")


@pytest.mark.usefixtures("exported")
def test_other_account_can_use_the_same_names(client: Client, other: Client) -> None:
    make_datasource(other)
    make_job(other)

    response = other.post("/v2/jobs/j/exports/e", SDK_BODIES["http"])

    assert_ok_empty(response)
    assert assert_ok_json(other.get("/v2/jobs/j/exports/e"))["type"] == "http"
    assert assert_ok_json(client.get("/v2/jobs/j/exports/e"))["type"] == "kodo"

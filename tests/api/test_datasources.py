"""Datasources through the real app: spec §4, §3.1, §3.2, §1.4, §1.6.3, §10.8."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.support import Client, assert_error, assert_ok_empty, assert_ok_json
from tidemill.config import FusionSettings, Settings
from tidemill.runtime import Runtime
from tidemill.services.accounts import create_key


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """With the CDN logs configured: fusion datasources are refused at create without them."""
    fusion = FusionSettings(url=(tmp_path / "cdn").as_uri())
    return make_settings(tmp_path).model_copy(update={"fusion": fusion})


SCHEMA: list[dict[str, Any]] = [{"key": "f1", "valtype": "string", "required": True}]
KODO_SPEC: dict[str, Any] = {"bucket": "bkt1", "keyPrefixes": ["logs/"], "fileType": "json"}
HDFS_SPEC: dict[str, Any] = {"paths": ["hdfs://192.168.1.1:9000/usr/local"], "fileType": "json"}
FUSION_SPEC: dict[str, Any] = {
    "domains": ["a.example.com"],
    "fileFilter": "2017-06-01 05:00 ~ 2017-07-01 05:00",
}
KODO: dict[str, Any] = {
    "region": "nb",
    "type": "kodo",
    "spec": KODO_SPEC,
    "schema": SCHEMA,
    "noVerifySchema": True,
}
HDFS: dict[str, Any] = {**KODO, "type": "hdfs", "spec": HDFS_SPEC}
FUSION: dict[str, Any] = {
    **KODO,
    "type": "fusion",
    "spec": FUSION_SPEC,
    "schema": [{"key": "ip", "valtype": "string", "required": False}],
}
# The Go SDK's CreateDatasource body (spec §11), with noVerifySchema turned on: there is no
# object store behind the test server to verify against (D-7).
SDK_KODO: dict[str, Any] = {
    "region": "nb",
    "type": "kodo",
    "spec": {"bucket": "bkt1", "keyPrefixes": None, "fileType": "json"},
    "schema": [{"key": "f1", "valtype": "string", "required": True, "description": None}],
    "noVerifySchema": True,
    "workflow": "",
}
JOB: dict[str, Any] = {
    "srcs": [{"name": "ds", "fileFilter": "", "type": "datasource", "tableName": "t"}],
    "computation": {"code": "select * from t", "type": "sql"},
    "container": {"type": "1U2G", "count": 1},
    "scheduler": {"type": "manual"},
}
EXPORT: dict[str, Any] = {
    "type": "kodo",
    "spec": {"bucket": "bkt1", "keyPrefix": "out/", "format": "json", "fileCount": 1},
}
BAD_NAMES = ["1ds", "ds-1", "ds.x", "a" * 129]


def with_spec(base: dict[str, Any], **members: Any) -> dict[str, Any]:
    """`base` with `members` set in its spec; a value of `...` removes that member."""
    body = copy.deepcopy(base)
    for key, value in members.items():
        if value is ...:
            body["spec"].pop(key, None)
        else:
            body["spec"][key] = value
    return body


def kodo_spec(**members: Any) -> dict[str, Any]:
    return {**KODO_SPEC, **members}


def without(base: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k != key}


def create(client: Client, name: str, body: dict[str, Any] = KODO) -> None:
    assert_ok_empty(client.post(f"/v2/datasources/{name}", body))


def create_workflow(client: Client, name: str) -> None:
    assert_ok_empty(client.post(f"/v2/workflows/{name}", {"region": "nb"}))


def start_workflow(client: Client, name: str) -> None:
    """Fill workflow `name` with `<name>_ds` -> job `<name>_job` -> export `e`, then start it."""
    create(client, f"{name}_ds", {**KODO, "workflow": name})
    job = copy.deepcopy(JOB)
    job["srcs"][0]["name"] = f"{name}_ds"
    assert_ok_empty(client.post(f"/v2/jobs/{name}_job", job))
    assert_ok_empty(client.post(f"/v2/jobs/{name}_job/exports/e", EXPORT))
    assert_ok_empty(client.post(f"/v2/workflows/{name}/start", {"name": name}))


# --- create: success and echo ---------------------------------------------------------------


def test_create_with_the_sdk_body_then_get_echoes_it_without_nulls(client: Client) -> None:
    created = client.post("/v2/datasources/ds", SDK_KODO)

    fetched = client.get("/v2/datasources/ds")

    assert_ok_empty(created)
    body = assert_ok_json(fetched)
    assert body["region"] == "nb"
    assert body["type"] == "kodo"
    assert body["spec"] == {"bucket": "bkt1", "fileType": "json"}
    assert body["schema"] == [{"key": "f1", "valtype": "string", "required": True}]
    assert body["workflow"] == ""
    assert body.get("fromDag", False) is False
    assert set(body) <= {"region", "type", "spec", "schema", "workflow", "fromDag"}


def test_get_echoes_the_csv_spec_as_sent_without_defaults(client: Client) -> None:
    spec = {
        "bucket": "My-Bucket-1",
        "keyPrefixes": ["a/", "b:c/"],
        "fileType": "csv",
        "delimiter": ",",
        "containsHeader": False,
    }
    create(client, "ds", {**KODO, "spec": {**spec, "compression": None}})

    fetched = client.get("/v2/datasources/ds")

    assert assert_ok_json(fetched)["spec"] == spec


def test_get_echoes_an_hdfs_spec(client: Client) -> None:
    spec = {"paths": ["hdfs://h:9000/logs/$(year)/$(mon)"], "fileType": "text"}
    create(client, "ds", {**HDFS, "spec": spec})

    fetched = client.get("/v2/datasources/ds")

    body = assert_ok_json(fetched)
    assert body["type"] == "hdfs"
    assert body["spec"] == spec


def test_get_echoes_a_fusion_spec(client: Client) -> None:
    create(client, "ds", FUSION)

    fetched = client.get("/v2/datasources/ds")

    body = assert_ok_json(fetched)
    assert body["type"] == "fusion"
    assert body["spec"] == FUSION_SPEC
    assert any(f["key"] == "ip" and f["valtype"] == "string" for f in body["schema"])


@pytest.mark.parametrize("type_", ["KODO", "Kodo", "kOdO"])
def test_create_compares_type_case_insensitively_and_stores_lower_case(
    client: Client, type_: str
) -> None:
    created = client.post("/v2/datasources/ds", {**KODO, "type": type_})

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/datasources/ds"))["type"] == "kodo"


def test_create_defaults_required_to_false(client: Client) -> None:
    schema = [{"key": "a", "valtype": "long"}, {"key": "b", "valtype": "date", "required": None}]

    created = client.post("/v2/datasources/ds", {**KODO, "schema": schema})

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/datasources/ds"))["schema"] == [
        {"key": "a", "valtype": "long", "required": False},
        {"key": "b", "valtype": "date", "required": False},
    ]


def test_create_accepts_all_five_valtypes(client: Client) -> None:
    schema = [
        {"key": k, "valtype": k, "required": False}
        for k in ("boolean", "long", "date", "float", "string")
    ]

    created = client.post("/v2/datasources/ds", {**KODO, "schema": schema})

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/datasources/ds"))["schema"] == schema


def test_create_ignores_unknown_fields(client: Client) -> None:
    schema = [{"key": "f1", "valtype": "string", "required": True, "description": None, "x": 1}]
    body = {**KODO, "schema": schema, "fromDag": "whatever", "extra": {"a": [1]}}

    created = client.post("/v2/datasources/ds", body)

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/datasources/ds"))["schema"] == SCHEMA


@pytest.mark.parametrize(
    "name", ["a", "_", "_ds", "DS_Upper_1", "a" * 128], ids=["a", "_", "_ds", "mixed", "128"]
)
def test_create_accepts_valid_names(client: Client, name: str) -> None:
    created = client.post(f"/v2/datasources/{name}", KODO)

    assert_ok_empty(created)
    assert assert_ok_json(client.get(f"/v2/datasources/{name}/exists")) == {"exist": True}


def test_names_are_case_sensitive(client: Client) -> None:
    create(client, "ds", KODO)

    created = client.post("/v2/datasources/DS", HDFS)

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/datasources/ds"))["type"] == "kodo"
    assert assert_ok_json(client.get("/v2/datasources/DS"))["type"] == "hdfs"


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"bucket": "abcd", "fileType": "json"}, id="bucket-4-chars"),
        pytest.param({"bucket": "a" * 63, "fileType": "json"}, id="bucket-63-chars"),
        pytest.param({"bucket": "b-1-C", "fileType": "text"}, id="bucket-dash-upper"),
        pytest.param(
            {"bucket": "bkt1", "keyPrefixes": [], "fileType": "parquet"}, id="prefixes-empty"
        ),
        pytest.param(
            {"bucket": "bkt1", "keyPrefixes": [""], "fileType": "json"}, id="prefix-empty"
        ),
        pytest.param(
            {"bucket": "bkt1", "keyPrefixes": ["p" * 128], "fileType": "json"}, id="prefix-128"
        ),
        pytest.param(
            {"bucket": "bkt1", "keyPrefixes": ["a:b/$(year)"], "fileType": "json"}, id="colon"
        ),
        pytest.param(
            {"bucket": "bkt1", "fileType": "csv", "delimiter": "\t", "containsHeader": True},
            id="csv-tab",
        ),
        pytest.param(
            {"bucket": "bkt1", "fileType": "csv", "delimiter": "\\t", "containsHeader": False},
            id="csv-escaped-tab",
        ),
        pytest.param(
            {"bucket": "bkt1", "fileType": "csv", "delimiter": "\\\\", "containsHeader": False},
            id="csv-escaped-backslash",
        ),
        pytest.param(
            {"bucket": "bkt1", "fileType": "json", "delimiter": None, "containsHeader": None},
            id="json-ignores-csv-members",
        ),
    ],
)
def test_create_accepts_valid_kodo_specs(client: Client, spec: dict[str, Any]) -> None:
    created = client.post("/v2/datasources/ds", {**KODO, "spec": spec})

    assert_ok_empty(created)


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(
            {"paths": ["hdfs://h:9000/a", "hdfs://h:9000/b"], "fileType": "parquet"}, id="two"
        ),
        pytest.param({"paths": ["hdfs://h:9000/$(date)/$(now)"], "fileType": "json"}, id="sysvars"),
        pytest.param(
            {
                "paths": ["hdfs://h:9000/a"],
                "fileType": "csv",
                "delimiter": "|",
                "containsHeader": True,
            },
            id="csv",
        ),
        pytest.param({"paths": ["hdfs://h:9000/" + "p" * 114], "fileType": "json"}, id="path-128"),
    ],
)
def test_create_accepts_valid_hdfs_specs(client: Client, spec: dict[str, Any]) -> None:
    created = client.post("/v2/datasources/ds", {**HDFS, "spec": spec})

    assert_ok_empty(created)


@pytest.mark.parametrize(
    "file_filter",
    [
        pytest.param(None, id="absent"),
        pytest.param("", id="empty"),
        pytest.param("2017-06-01 05:00 ~ 2017-07-01 05:00", id="fixed-range"),
        pytest.param("2017-06-01 05:00~2017-06-01 06:00", id="no-spaces"),
        pytest.param("$(fiveDaysAgo) ~ $(now)", id="user-time-variable"),
        pytest.param("$(now) ~ $(now)", id="system-variables"),
        pytest.param("2017-06-01 05:00 ~ $(now)", id="fixed-then-variable"),
    ],
)
def test_create_accepts_valid_fusion_file_filters(client: Client, file_filter: str | None) -> None:
    assert_ok_empty(
        client.post(
            "/v2/variables/fiveDaysAgo",
            {"type": "time", "value": "$(now) - 5d", "format": "yyyy-MM-dd HH:mm"},
        )
    )

    created = client.post("/v2/datasources/ds", with_spec(FUSION, fileFilter=file_filter))

    assert_ok_empty(created)


def test_create_of_fusion_datasource_ignores_no_verify_schema(client: Client) -> None:
    created = client.post("/v2/datasources/ds", {**FUSION, "noVerifySchema": False})

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/datasources/ds"))["type"] == "fusion"


def test_create_of_fusion_datasource_without_schema_stores_the_fixed_schema(
    client: Client,
) -> None:
    body = {**FUSION, "schema": None}

    created = client.post("/v2/datasources/ds", body)

    assert_ok_empty(created)
    schema = assert_ok_json(client.get("/v2/datasources/ds"))["schema"]
    assert any(f["key"] == "ip" and f["valtype"] == "string" for f in schema)


def test_create_accepts_the_workflow_name_alias(client: Client) -> None:
    create_workflow(client, "wf")

    created = client.post("/v2/datasources/ds", {**KODO, "workflowName": "wf"})

    assert_ok_empty(created)
    body = assert_ok_json(client.get("/v2/datasources/ds"))
    assert body["workflow"] == "wf"
    assert body.get("fromDag", True) is True


def test_create_in_a_workflow_echoes_it(client: Client) -> None:
    create_workflow(client, "wf")

    created = client.post("/v2/datasources/ds", {**KODO, "workflow": "wf"})

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/datasources/ds"))["workflow"] == "wf"
    nodes = assert_ok_json(client.get("/v2/workflows/wf"))["nodes"]
    assert nodes["ds-datasource"]["name"] == "ds"


@pytest.mark.parametrize("workflow", ["", None])
def test_create_with_empty_or_null_workflow_joins_none(client: Client, workflow: Any) -> None:
    created = client.post("/v2/datasources/ds", {**KODO, "workflow": workflow})

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/datasources/ds"))["workflow"] == ""


# --- create: failures -----------------------------------------------------------------------


@pytest.mark.parametrize("name", BAD_NAMES)
def test_create_with_invalid_name_is_e18103(client: Client, name: str) -> None:
    response = client.post(f"/v2/datasources/{name}", KODO)

    assert_error(response, 400, "E18103")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param(b"", "E18006", id="empty"),
        pytest.param(b" \n", "E18006", id="blank"),
        pytest.param(b"{", "E18007", id="not-json"),
        pytest.param(b"[]", "E18007", id="array"),
        pytest.param(b"42", "E18007", id="number"),
        pytest.param(b"null", "E18007", id="null"),
        pytest.param(b'{"region": NaN}', "E18007", id="nan"),
    ],
)
def test_create_with_unparsable_body_is_refused(client: Client, raw: bytes, code: str) -> None:
    response = client.post("/v2/datasources/ds", raw=raw)

    assert_error(response, 400, code)


def test_create_parses_the_body_without_content_type(client: Client) -> None:
    created = client.post("/v2/datasources/ds", KODO, content_type=None)

    assert_ok_empty(created)


BAD_CREATE_BODIES = [
    # region
    pytest.param(without(KODO, "region"), 400, "E18212", id="region-missing"),
    pytest.param({**KODO, "region": ""}, 400, "E18212", id="region-empty"),
    pytest.param({**KODO, "region": None}, 400, "E18212", id="region-null"),
    pytest.param({**KODO, "region": "bj"}, 400, "E18212", id="region-unknown"),
    pytest.param({**KODO, "region": "NB"}, 400, "E18212", id="region-upper"),
    pytest.param({**KODO, "region": 1}, 400, "E18007", id="region-not-string"),
    # type
    pytest.param(without(KODO, "type"), 400, "E18109", id="type-missing"),
    pytest.param({**KODO, "type": ""}, 400, "E18109", id="type-empty"),
    pytest.param({**KODO, "type": "s3"}, 400, "E18109", id="type-unknown"),
    pytest.param({**KODO, "type": ["kodo"]}, 400, "E18007", id="type-not-string"),
    # spec structure
    pytest.param(without(KODO, "spec"), 400, "E18007", id="spec-missing"),
    pytest.param({**KODO, "spec": None}, 400, "E18007", id="spec-null"),
    pytest.param({**KODO, "spec": "bkt1"}, 400, "E18007", id="spec-string"),
    pytest.param({**KODO, "spec": []}, 400, "E18007", id="spec-array"),
    # kodo bucket
    pytest.param(with_spec(KODO, bucket=...), 400, "E18109", id="bucket-missing"),
    pytest.param(with_spec(KODO, bucket=""), 400, "E18109", id="bucket-empty"),
    pytest.param(with_spec(KODO, bucket="abc"), 400, "E18109", id="bucket-3-chars"),
    pytest.param(with_spec(KODO, bucket="a" * 64), 400, "E18109", id="bucket-64-chars"),
    pytest.param(with_spec(KODO, bucket="bkt_1"), 400, "E18109", id="bucket-underscore"),
    pytest.param(with_spec(KODO, bucket="bkt.1"), 400, "E18109", id="bucket-dot"),
    pytest.param(with_spec(KODO, bucket=1234), 400, "E18007", id="bucket-not-string"),
    # kodo keyPrefixes
    pytest.param(with_spec(KODO, keyPrefixes=["p" * 129]), 400, "E18008", id="prefix-129"),
    pytest.param(
        with_spec(KODO, keyPrefixes=["ok/", "a\\b"]), 400, "E18109", id="prefix-backslash"
    ),
    pytest.param(with_spec(KODO, keyPrefixes=["a<b"]), 400, "E18109", id="prefix-lt"),
    pytest.param(with_spec(KODO, keyPrefixes=["a>b"]), 400, "E18109", id="prefix-gt"),
    pytest.param(with_spec(KODO, keyPrefixes="logs/"), 400, "E18007", id="prefixes-string"),
    pytest.param(with_spec(KODO, keyPrefixes=[1]), 400, "E18007", id="prefixes-numbers"),
    # kodo fileType
    pytest.param(with_spec(KODO, fileType=...), 400, "E18109", id="filetype-missing"),
    pytest.param(with_spec(KODO, fileType=""), 400, "E18109", id="filetype-empty"),
    pytest.param(with_spec(KODO, fileType="xml"), 400, "E18109", id="filetype-unknown"),
    pytest.param(with_spec(KODO, fileType="orc"), 400, "E18109", id="filetype-orc"),
    pytest.param(with_spec(KODO, fileType=True), 400, "E18007", id="filetype-not-string"),
    # csv
    pytest.param(
        with_spec(KODO, fileType="csv", containsHeader=True), 400, "E18109", id="csv-no-delimiter"
    ),
    pytest.param(
        with_spec(KODO, fileType="csv", delimiter="", containsHeader=True),
        400,
        "E18109",
        id="csv-empty-delimiter",
    ),
    pytest.param(
        with_spec(KODO, fileType="csv", delimiter=",,", containsHeader=True),
        400,
        "E18109",
        id="csv-long-delimiter",
    ),
    pytest.param(
        with_spec(KODO, fileType="csv", delimiter=","), 400, "E18109", id="csv-no-contains-header"
    ),
    pytest.param(
        with_spec(KODO, fileType="csv", delimiter=",", containsHeader=None),
        400,
        "E18109",
        id="csv-null-contains-header",
    ),
    pytest.param(
        with_spec(KODO, fileType="csv", delimiter=",", containsHeader="true"),
        400,
        "E18007",
        id="csv-contains-header-string",
    ),
    pytest.param(
        with_spec(KODO, fileType="csv", delimiter=44, containsHeader=True),
        400,
        "E18007",
        id="csv-delimiter-number",
    ),
    # hdfs
    pytest.param(with_spec(HDFS, paths=...), 400, "E18109", id="hdfs-paths-missing"),
    pytest.param(with_spec(HDFS, paths=[]), 400, "E18109", id="hdfs-paths-empty"),
    pytest.param(with_spec(HDFS, paths=[""]), 400, "E18109", id="hdfs-path-empty"),
    pytest.param(
        with_spec(HDFS, paths=["hdfs://h:9000/a", ""]), 400, "E18109", id="hdfs-second-path-empty"
    ),
    pytest.param(
        with_spec(HDFS, paths=["hdfs://h:9000/" + "p" * 115]), 400, "E18008", id="hdfs-path-129"
    ),
    pytest.param(with_spec(HDFS, paths=["hdfs://h:9000/a<b"]), 400, "E18109", id="hdfs-path-lt"),
    pytest.param(with_spec(HDFS, paths=["hdfs://h:9000/a>b"]), 400, "E18109", id="hdfs-path-gt"),
    pytest.param(
        with_spec(HDFS, paths=["hdfs://h:9000/a\\b"]), 400, "E18109", id="hdfs-path-backslash"
    ),
    pytest.param(
        with_spec(HDFS, paths=["hdfs://h:9000/$(mine)"]), 400, "E18109", id="hdfs-user-variable"
    ),
    pytest.param(with_spec(HDFS, paths="hdfs://h:9000/a"), 400, "E18007", id="hdfs-paths-string"),
    pytest.param(with_spec(HDFS, fileType=...), 400, "E18109", id="hdfs-filetype-missing"),
    pytest.param(with_spec(HDFS, fileType="avro"), 400, "E18109", id="hdfs-filetype-unknown"),
    pytest.param(
        with_spec(HDFS, fileType="csv", containsHeader=False), 400, "E18109", id="hdfs-csv-no-delim"
    ),
    pytest.param(
        with_spec(HDFS, fileType="csv", delimiter=","), 400, "E18109", id="hdfs-csv-no-header"
    ),
    # fusion domains
    pytest.param(with_spec(FUSION, domains=...), 400, "E18109", id="fusion-domains-missing"),
    pytest.param(with_spec(FUSION, domains=[]), 400, "E18109", id="fusion-domains-empty"),
    pytest.param(with_spec(FUSION, domains=[""]), 400, "E18109", id="fusion-domain-empty"),
    pytest.param(
        with_spec(FUSION, domains=["a.example.com", "b.example.com"]),
        400,
        "E18109",
        id="fusion-two-domains",
    ),
    pytest.param(
        with_spec(FUSION, domains="a.example.com"), 400, "E18007", id="fusion-domains-string"
    ),
    # fusion fileFilter
    pytest.param(
        with_spec(FUSION, fileFilter="2017-06-01 05:00 ~ 2017-07-01 05:00" + " " * 30),
        400,
        "E18008",
        id="fusion-filter-65",
    ),
    pytest.param(
        with_spec(FUSION, fileFilter="2017-07-01 05:00 ~ 2017-06-01 05:00"),
        400,
        "E18109",
        id="fusion-range-reversed",
    ),
    pytest.param(
        with_spec(FUSION, fileFilter="2017-06-01 05:00 ~ 2017-06-01 05:00"),
        400,
        "E18109",
        id="fusion-range-empty",
    ),
    pytest.param(
        with_spec(FUSION, fileFilter="2017-13-01 05:00 ~ 2017-14-01 05:00"),
        400,
        "E18109",
        id="fusion-month-13",
    ),
    pytest.param(
        with_spec(FUSION, fileFilter="2017-06-01 25:00 ~ 2017-07-01 05:00"),
        400,
        "E18109",
        id="fusion-hour-25",
    ),
    pytest.param(
        with_spec(FUSION, fileFilter="2017-06-01 ~ 2017-07-01"), 400, "E18109", id="fusion-no-time"
    ),
    pytest.param(
        with_spec(FUSION, fileFilter="2017-06-01 05:00"), 400, "E18109", id="fusion-no-tilde"
    ),
    pytest.param(
        with_spec(FUSION, fileFilter="$(now) ~ $(now) ~ $(now)"), 400, "E18109", id="fusion-3-sides"
    ),
    pytest.param(
        with_spec(FUSION, fileFilter="yesterday ~ today"), 400, "E18109", id="fusion-words"
    ),
    pytest.param(
        with_spec(FUSION, fileFilter="$(undefinedVar) ~ $(now)"),
        400,
        "E18109",
        id="fusion-undefined-variable",
    ),
    pytest.param(
        with_spec(FUSION, fileFilter="$(stringVar) ~ $(now)"),
        400,
        "E18109",
        id="fusion-string-variable",
    ),
    pytest.param(with_spec(FUSION, fileFilter=5), 400, "E18007", id="fusion-filter-number"),
    # schema
    pytest.param(without(KODO, "schema"), 400, "E18105", id="schema-missing"),
    pytest.param({**KODO, "schema": None}, 400, "E18105", id="schema-null"),
    pytest.param({**KODO, "schema": []}, 400, "E18105", id="schema-empty"),
    pytest.param({**KODO, "schema": {"key": "f1"}}, 400, "E18007", id="schema-object"),
    pytest.param({**KODO, "schema": ["f1"]}, 400, "E18007", id="schema-entry-string"),
    pytest.param({**KODO, "schema": [{"valtype": "long"}]}, 400, "E18106", id="key-missing"),
    pytest.param(
        {**KODO, "schema": [{"key": "", "valtype": "long"}]}, 400, "E18106", id="key-empty"
    ),
    pytest.param(
        {**KODO, "schema": [{"key": "1f", "valtype": "long"}]}, 400, "E18106", id="key-digit-first"
    ),
    pytest.param(
        {**KODO, "schema": [{"key": "f-1", "valtype": "long"}]}, 400, "E18106", id="key-dash"
    ),
    pytest.param(
        {**KODO, "schema": [{"key": "f 1", "valtype": "long"}]}, 400, "E18106", id="key-space"
    ),
    pytest.param(
        {**KODO, "schema": [{"key": "k" * 129, "valtype": "long"}]}, 400, "E18106", id="key-129"
    ),
    pytest.param(
        {**KODO, "schema": [{"key": 1, "valtype": "long"}]}, 400, "E18007", id="key-number"
    ),
    pytest.param(
        {**KODO, "schema": [{"key": "a", "valtype": "long"}, {"key": "a", "valtype": "string"}]},
        400,
        "E18106",
        id="key-duplicate",
    ),
    pytest.param({**KODO, "schema": [{"key": "a"}]}, 400, "E18107", id="valtype-missing"),
    pytest.param(
        {**KODO, "schema": [{"key": "a", "valtype": ""}]}, 400, "E18107", id="valtype-empty"
    ),
    pytest.param(
        {**KODO, "schema": [{"key": "a", "valtype": "int"}]}, 400, "E18107", id="valtype-int"
    ),
    pytest.param(
        {**KODO, "schema": [{"key": "a", "valtype": "array", "elemtype": "long"}]},
        400,
        "E18107",
        id="valtype-array",
    ),
    pytest.param(
        {**KODO, "schema": [{"key": "a", "valtype": "map", "schema": []}]},
        400,
        "E18107",
        id="valtype-map",
    ),
    pytest.param(
        {**KODO, "schema": [{"key": "a", "valtype": "jsonstring"}]},
        400,
        "E18107",
        id="valtype-jsonstring",
    ),
    pytest.param(
        {**KODO, "schema": [{"key": "a", "valtype": "ip"}]}, 400, "E18107", id="valtype-ip"
    ),
    pytest.param(
        {**KODO, "schema": [{"key": "a", "valtype": "long", "required": "yes"}]},
        400,
        "E18007",
        id="required-string",
    ),
    pytest.param(
        {**FUSION, "schema": [{"key": "notACdnField", "valtype": "string"}]},
        400,
        "E18110",
        id="fusion-schema-not-fixed",
    ),
    # other members
    pytest.param({**KODO, "noVerifySchema": "true"}, 400, "E18007", id="noverify-string"),
    pytest.param({**KODO, "workflow": 1}, 400, "E18007", id="workflow-number"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_CREATE_BODIES)
def test_create_with_bad_body_is_refused(
    client: Client, body: dict[str, Any], status: int, code: str
) -> None:
    assert_ok_empty(client.post("/v2/variables/stringVar", {"type": "string", "value": "x"}))

    response = client.post("/v2/datasources/ds", body)

    assert_error(response, status, code)
    assert assert_ok_json(client.get("/v2/datasources/ds/exists")) == {"exist": False}


def test_create_twice_is_409_e18101(client: Client) -> None:
    create(client, "ds", KODO)

    again = client.post("/v2/datasources/ds", HDFS)

    assert_error(again, 409, "E18101")
    assert assert_ok_json(client.get("/v2/datasources/ds"))["type"] == "kodo"


def test_create_in_a_missing_workflow_is_404_e18641(client: Client) -> None:
    response = client.post("/v2/datasources/ds", {**KODO, "workflow": "nope"})

    assert_error(response, 404, "E18641")
    assert assert_ok_json(client.get("/v2/datasources/ds/exists")) == {"exist": False}


def test_create_with_invalid_workflow_name_is_e18639(client: Client) -> None:
    response = client.post("/v2/datasources/ds", {**KODO, "workflow": "1-bad"})

    assert_error(response, 400, "E18639")


def test_create_in_a_started_workflow_is_e18643(client: Client) -> None:
    create_workflow(client, "wf")
    start_workflow(client, "wf")

    response = client.post("/v2/datasources/ds", {**KODO, "workflow": "wf"})

    assert_error(response, 400, "E18643")
    assert assert_ok_json(client.get("/v2/datasources/ds/exists")) == {"exist": False}


def test_create_in_a_stopped_workflow_is_allowed(client: Client) -> None:
    create_workflow(client, "wf")
    start_workflow(client, "wf")
    assert_ok_empty(client.post("/v2/workflows/wf/stop", {"name": "wf"}))

    response = client.post("/v2/datasources/ds", {**KODO, "workflow": "wf"})

    assert_ok_empty(response)


# Check order (§1.6.3): name, body, region, type, spec, schema, existence, workflow.


def test_create_checks_name_before_body(client: Client) -> None:
    response = client.post("/v2/datasources/9ds", raw=b"")

    assert_error(response, 400, "E18103")


def test_create_checks_region_before_type(client: Client) -> None:
    response = client.post("/v2/datasources/ds", {**KODO, "region": "bj", "type": "s3"})

    assert_error(response, 400, "E18212")


def test_create_checks_spec_before_schema(client: Client) -> None:
    response = client.post(
        "/v2/datasources/ds", {**with_spec(KODO, keyPrefixes=["x" * 200]), "schema": []}
    )

    assert_error(response, 400, "E18008")


def test_create_checks_schema_before_existence(client: Client) -> None:
    create(client, "ds", KODO)

    response = client.post("/v2/datasources/ds", {**KODO, "schema": []})

    assert_error(response, 400, "E18105")


def test_create_checks_existence_before_workflow(client: Client) -> None:
    create(client, "ds", KODO)

    response = client.post("/v2/datasources/ds", {**KODO, "workflow": "nope"})

    assert_error(response, 409, "E18101")


# --- update ---------------------------------------------------------------------------------


def test_update_may_add_fields_change_required_and_replace_spec(client: Client) -> None:
    create(client, "ds", KODO)
    new_spec = {
        "bucket": "bkt2",
        "keyPrefixes": None,
        "fileType": "csv",
        "delimiter": "|",
        "containsHeader": True,
    }
    new_schema = [
        {"key": "f1", "valtype": "string", "required": False},
        {"key": "f2", "valtype": "long", "required": True},
    ]

    updated = client.put("/v2/datasources/ds", {"spec": new_spec, "schema": new_schema})

    assert_ok_empty(updated)
    body = assert_ok_json(client.get("/v2/datasources/ds"))
    assert body["spec"] == {
        "bucket": "bkt2",
        "fileType": "csv",
        "delimiter": "|",
        "containsHeader": True,
    }
    assert body["schema"] == new_schema
    assert body["type"] == "kodo"
    assert body["region"] == "nb"


def test_update_ignores_type_region_workflow_and_no_verify(client: Client) -> None:
    create_workflow(client, "wf")
    create(client, "ds", KODO)
    body = {
        "type": "hdfs",
        "region": "bj",
        "workflow": "wf",
        "noVerifySchema": False,
        "spec": KODO_SPEC,
        "schema": SCHEMA,
    }

    updated = client.put("/v2/datasources/ds", body)

    assert_ok_empty(updated)
    got = assert_ok_json(client.get("/v2/datasources/ds"))
    assert (got["type"], got["region"], got["workflow"]) == ("kodo", "nb", "")


def test_update_validates_spec_against_the_stored_type(client: Client) -> None:
    create(client, "ds", KODO)

    response = client.put(
        "/v2/datasources/ds", {"type": "hdfs", "spec": HDFS_SPEC, "schema": SCHEMA}
    )

    assert_error(response, 400, "E18109")


def test_update_accepts_the_same_schema_reordered(client: Client) -> None:
    schema = [{"key": "a", "valtype": "long"}, {"key": "b", "valtype": "string"}]
    create(client, "ds", {**KODO, "schema": schema})

    updated = client.put("/v2/datasources/ds", {"spec": KODO_SPEC, "schema": schema[::-1]})

    assert_ok_empty(updated)


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param([{"key": "b", "valtype": "long"}], id="field-removed"),
        pytest.param(
            [{"key": "f2", "valtype": "long"}, {"key": "b", "valtype": "long"}], id="renamed"
        ),
        pytest.param(
            [{"key": "f1", "valtype": "long"}, {"key": "b", "valtype": "long"}], id="type-changed"
        ),
        pytest.param(
            [{"key": "f1", "valtype": "date"}, {"key": "b", "valtype": "long"}], id="type-to-date"
        ),
    ],
)
def test_update_that_removes_or_retypes_a_field_is_e18110(
    client: Client, schema: list[dict[str, Any]]
) -> None:
    create(client, "ds", {**KODO, "schema": [*SCHEMA, {"key": "b", "valtype": "long"}]})

    response = client.put("/v2/datasources/ds", {"spec": KODO_SPEC, "schema": schema})

    assert_error(response, 400, "E18110")
    assert [f["key"] for f in assert_ok_json(client.get("/v2/datasources/ds"))["schema"]] == [
        "f1",
        "b",
    ]


BAD_UPDATE_BODIES = [
    pytest.param({"schema": SCHEMA}, 400, "E18007", id="spec-missing"),
    pytest.param({"spec": None, "schema": SCHEMA}, 400, "E18007", id="spec-null"),
    pytest.param({"spec": "x", "schema": SCHEMA}, 400, "E18007", id="spec-string"),
    pytest.param({"spec": kodo_spec(bucket="a"), "schema": SCHEMA}, 400, "E18109", id="bucket"),
    pytest.param({"spec": kodo_spec(fileType="xml"), "schema": SCHEMA}, 400, "E18109", id="ftype"),
    pytest.param(
        {"spec": kodo_spec(keyPrefixes=["a<"]), "schema": SCHEMA},
        400,
        "E18109",
        id="prefix-lt",
    ),
    pytest.param(
        {"spec": kodo_spec(keyPrefixes=["p" * 129]), "schema": SCHEMA},
        400,
        "E18008",
        id="prefix-129",
    ),
    pytest.param(
        {"spec": kodo_spec(fileType="csv"), "schema": SCHEMA},
        400,
        "E18109",
        id="csv-no-delim",
    ),
    pytest.param({"spec": KODO_SPEC}, 400, "E18105", id="schema-missing"),
    pytest.param({"spec": KODO_SPEC, "schema": []}, 400, "E18105", id="schema-empty"),
    pytest.param(
        {"spec": KODO_SPEC, "schema": [*SCHEMA, {"key": "9x", "valtype": "long"}]},
        400,
        "E18106",
        id="key-invalid",
    ),
    pytest.param({"spec": KODO_SPEC, "schema": SCHEMA + SCHEMA}, 400, "E18106", id="key-duplicate"),
    pytest.param(
        {"spec": KODO_SPEC, "schema": [*SCHEMA, {"key": "x", "valtype": "ip"}]},
        400,
        "E18107",
        id="valtype-invalid",
    ),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_UPDATE_BODIES)
def test_update_with_bad_body_is_refused(
    client: Client, body: dict[str, Any], status: int, code: str
) -> None:
    create(client, "ds", KODO)

    response = client.put("/v2/datasources/ds", body)

    assert_error(response, status, code)
    assert assert_ok_json(client.get("/v2/datasources/ds"))["spec"] == KODO_SPEC


@pytest.mark.parametrize(
    ("raw", "code"),
    [pytest.param(b"", "E18006", id="empty"), pytest.param(b"{", "E18007", id="not-json")],
)
def test_update_with_unparsable_body_is_refused(client: Client, raw: bytes, code: str) -> None:
    create(client, "ds", KODO)

    response = client.put("/v2/datasources/ds", raw=raw)

    assert_error(response, 400, code)


def test_update_of_missing_datasource_is_404_e18102(client: Client) -> None:
    response = client.put("/v2/datasources/ghost", {"spec": KODO_SPEC, "schema": SCHEMA})

    assert_error(response, 404, "E18102")


def test_update_parses_the_body_before_looking_up_the_datasource(client: Client) -> None:
    response = client.put("/v2/datasources/ghost", raw=b"")

    assert_error(response, 400, "E18006")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_update_with_invalid_name_is_e18103(client: Client, name: str) -> None:
    response = client.put(f"/v2/datasources/{name}", {"spec": KODO_SPEC, "schema": SCHEMA})

    assert_error(response, 400, "E18103")


def test_update_in_a_started_workflow_is_e18643(client: Client) -> None:
    create_workflow(client, "wf")
    start_workflow(client, "wf")

    response = client.put(
        "/v2/datasources/wf_ds",
        {"spec": KODO_SPEC, "schema": [*SCHEMA, {"key": "n", "valtype": "long"}]},
    )

    assert_error(response, 400, "E18643")
    assert assert_ok_json(client.get("/v2/datasources/wf_ds"))["schema"] == SCHEMA


def test_update_checks_schema_compatibility_before_workflow_state(client: Client) -> None:
    create_workflow(client, "wf")
    start_workflow(client, "wf")

    response = client.put(
        "/v2/datasources/wf_ds", {"spec": KODO_SPEC, "schema": [{"key": "g", "valtype": "long"}]}
    )

    assert_error(response, 400, "E18110")


def test_update_of_a_fusion_datasource_keeps_the_fixed_schema(client: Client) -> None:
    create(client, "ds", FUSION)
    before = assert_ok_json(client.get("/v2/datasources/ds"))["schema"]
    spec = {"domains": ["b.example.com"], "fileFilter": "$(now) ~ $(now)"}

    updated = client.put("/v2/datasources/ds", {"spec": spec, "schema": FUSION["schema"]})

    assert_ok_empty(updated)
    after = assert_ok_json(client.get("/v2/datasources/ds"))
    assert after["spec"] == spec
    assert after["schema"] == before


# --- get, exists, list ----------------------------------------------------------------------


def test_get_of_missing_datasource_is_404_e18102(client: Client) -> None:
    response = client.get("/v2/datasources/ghost")

    assert_error(response, 404, "E18102")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_get_with_invalid_name_is_e18103(client: Client, name: str) -> None:
    response = client.get(f"/v2/datasources/{name}")

    assert_error(response, 400, "E18103")


def test_exists_is_false_then_true(client: Client) -> None:
    before = client.get("/v2/datasources/ds/exists")
    create(client, "ds", KODO)

    after = client.get("/v2/datasources/ds/exists")

    assert assert_ok_json(before) == {"exist": False}
    assert assert_ok_json(after) == {"exist": True}


@pytest.mark.parametrize("name", BAD_NAMES)
def test_exists_with_invalid_name_is_e18103(client: Client, name: str) -> None:
    response = client.get(f"/v2/datasources/{name}/exists")

    assert_error(response, 400, "E18103")


def test_list_when_empty_is_an_empty_array(client: Client) -> None:
    response = client.get("/v2/datasources")

    assert assert_ok_json(response) == {"datasources": []}


def test_list_is_sorted_by_name_and_has_the_sdk_shape(client: Client) -> None:
    create_workflow(client, "wf")
    create(client, "zeta", HDFS)
    create(client, "alpha", KODO)
    create(client, "mid", {**FUSION, "workflow": "wf"})

    response = client.get("/v2/datasources")

    listed = assert_ok_json(response)["datasources"]
    assert [d["name"] for d in listed] == ["alpha", "mid", "zeta"]
    for item in listed:
        assert {"name", "region", "type", "spec", "schema", "workflow"} <= set(item)
        assert set(item) <= {"name", "region", "type", "spec", "schema", "workflow", "fromDag"}
    assert {k: v for k, v in listed[0].items() if k != "fromDag"} == {
        "name": "alpha",
        "region": "nb",
        "type": "kodo",
        "spec": KODO_SPEC,
        "schema": SCHEMA,
        "workflow": "",
    }
    assert (listed[1]["type"], listed[1]["workflow"]) == ("fusion", "wf")
    assert (listed[2]["type"], listed[2]["spec"]) == ("hdfs", HDFS_SPEC)


def test_list_items_match_get(client: Client) -> None:
    create(client, "a", KODO)
    create(client, "b", HDFS)

    listed = assert_ok_json(client.get("/v2/datasources"))["datasources"]

    for item in listed:
        single = assert_ok_json(client.get(f"/v2/datasources/{item['name']}"))
        assert {k: v for k, v in item.items() if k != "name"} == single


# --- delete ---------------------------------------------------------------------------------


def test_delete_removes_the_datasource(client: Client) -> None:
    create(client, "ds", KODO)

    deleted = client.delete("/v2/datasources/ds")

    assert_ok_empty(deleted)
    assert_error(client.get("/v2/datasources/ds"), 404, "E18102")
    assert assert_ok_json(client.get("/v2/datasources/ds/exists")) == {"exist": False}
    assert assert_ok_json(client.get("/v2/datasources")) == {"datasources": []}


def test_delete_ignores_a_body(client: Client) -> None:
    create(client, "ds", KODO)

    deleted = client.request("DELETE", "/v2/datasources/ds", {"name": "other"}, content_type=None)

    assert_ok_empty(deleted)


def test_delete_then_create_again_succeeds(client: Client) -> None:
    create(client, "ds", KODO)
    assert_ok_empty(client.delete("/v2/datasources/ds"))

    created = client.post("/v2/datasources/ds", HDFS)

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/datasources/ds"))["type"] == "hdfs"


def test_delete_of_missing_datasource_is_404_e18102(client: Client) -> None:
    response = client.delete("/v2/datasources/ghost")

    assert_error(response, 404, "E18102")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_delete_with_invalid_name_is_e18103(client: Client, name: str) -> None:
    response = client.delete(f"/v2/datasources/{name}")

    assert_error(response, 400, "E18103")


def test_delete_of_a_datasource_a_job_reads_is_e18112(client: Client) -> None:
    create(client, "ds", KODO)
    assert_ok_empty(client.post("/v2/jobs/j", JOB))

    response = client.delete("/v2/datasources/ds")

    assert_error(response, 400, "E18112")
    assert assert_ok_json(client.get("/v2/datasources/ds/exists")) == {"exist": True}


def test_delete_succeeds_once_the_reading_job_is_gone(client: Client) -> None:
    create(client, "ds", KODO)
    assert_ok_empty(client.post("/v2/jobs/j", JOB))
    assert_ok_empty(client.delete("/v2/jobs/j"))

    response = client.delete("/v2/datasources/ds")

    assert_ok_empty(response)


def test_delete_in_a_started_workflow_is_e18643(client: Client) -> None:
    create_workflow(client, "wf")
    create(client, "unread", {**KODO, "workflow": "wf"})
    start_workflow(client, "wf")

    response = client.delete("/v2/datasources/unread")

    assert_error(response, 400, "E18643")
    assert assert_ok_json(client.get("/v2/datasources/unread/exists")) == {"exist": True}


def test_resources_in_a_stopped_workflow_can_change_again(client: Client) -> None:
    create_workflow(client, "wf")
    create(client, "unread", {**KODO, "workflow": "wf"})
    start_workflow(client, "wf")
    assert_ok_empty(client.post("/v2/workflows/wf/stop"))

    updated = client.put("/v2/datasources/unread", {"spec": KODO_SPEC, "schema": SCHEMA})
    deleted = client.delete("/v2/datasources/unread")

    assert_ok_empty(updated)
    assert_ok_empty(deleted)


# --- tenant isolation -----------------------------------------------------------------------


@pytest.fixture
def other(client: Client, runtime: Runtime) -> Client:
    pair = create_key(runtime, "other")
    return client.as_account(pair.access_key, pair.secret_key)


def test_other_account_cannot_see_or_list_a_datasource(client: Client, other: Client) -> None:
    create(client, "ds", KODO)

    fetched = other.get("/v2/datasources/ds")
    exists = other.get("/v2/datasources/ds/exists")
    listed = other.get("/v2/datasources")

    assert_error(fetched, 404, "E18102")
    assert assert_ok_json(exists) == {"exist": False}
    assert assert_ok_json(listed) == {"datasources": []}


def test_other_account_cannot_update_or_delete_a_datasource(client: Client, other: Client) -> None:
    create(client, "ds", KODO)

    updated = other.put("/v2/datasources/ds", {"spec": HDFS_SPEC, "schema": SCHEMA})
    deleted = other.delete("/v2/datasources/ds")

    assert_error(updated, 404, "E18102")
    assert_error(deleted, 404, "E18102")
    assert assert_ok_json(client.get("/v2/datasources/ds"))["spec"] == KODO_SPEC


def test_other_account_cannot_join_a_workflow_of_the_first(client: Client, other: Client) -> None:
    create_workflow(client, "wf")

    response = other.post("/v2/datasources/ds", {**KODO, "workflow": "wf"})

    assert_error(response, 404, "E18641")


def test_other_account_can_create_a_datasource_of_the_same_name(
    client: Client, other: Client
) -> None:
    create(client, "ds", KODO)

    created = other.post("/v2/datasources/ds", HDFS)

    assert_ok_empty(created)
    assert assert_ok_json(other.get("/v2/datasources/ds"))["type"] == "hdfs"
    assert assert_ok_json(client.get("/v2/datasources/ds"))["type"] == "kodo"
    assert [d["name"] for d in assert_ok_json(other.get("/v2/datasources"))["datasources"]] == [
        "ds"
    ]


def test_fusion_filter_cannot_use_another_accounts_variable(client: Client, other: Client) -> None:
    assert_ok_empty(
        client.post(
            "/v2/variables/fiveDaysAgo",
            {"type": "time", "value": "$(now)-5d", "format": "yyyy-MM-dd HH:mm"},
        )
    )
    body = with_spec(FUSION, fileFilter="$(fiveDaysAgo) ~ $(now)")

    theirs = other.post("/v2/datasources/ds", body)
    mine = client.post("/v2/datasources/ds", body)

    assert_error(theirs, 400, "E18109")
    assert_ok_empty(mine)


def test_a_job_of_the_first_account_does_not_block_the_other_accounts_delete(
    client: Client, other: Client
) -> None:
    create(client, "ds", KODO)
    create(other, "ds", KODO)
    assert_ok_empty(client.post("/v2/jobs/j", JOB))

    response = other.delete("/v2/datasources/ds")

    assert_ok_empty(response)

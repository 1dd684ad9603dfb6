"""Variables (magic variables) through the real app: spec §9, §3.4, §3.5, §1.4, §1.6.3."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Client, assert_error, assert_ok_empty, assert_ok_json
from tidemill.runtime import Runtime
from tidemill.services.accounts import create_key

TIME_VAR: dict[str, Any] = {"type": "time", "value": "$(now)-5h", "format": "yyyy-MM-dd HH:mm:ss"}
STRING_VAR: dict[str, Any] = {"type": "string", "value": "2017-01-01"}

SYSTEM = [
    ("year", "yyyy"),
    ("mon", "MM"),
    ("day", "dd"),
    ("hour", "HH"),
    ("min", "mm"),
    ("sec", "ss"),
    ("date", "yyyy-MM-dd"),
    ("now", "yyyy-MM-dd HH:mm:ss"),
]
SYSTEM_PUBLIC = [
    {"name": name, "type": "time", "value": f"$({name})", "format": fmt} for name, fmt in SYSTEM
]
SYSTEM_NAMES = [name for name, _ in SYSTEM]

BAD_NAMES = ["1var", "var-1", "var.x", "a" * 129]


def create(client: Client, name: str, body: dict[str, Any]) -> None:
    assert_ok_empty(client.post(f"/v2/variables/{name}", body))


# --- create ---------------------------------------------------------------------------------


def test_create_time_variable_then_get_returns_its_definition(client: Client) -> None:
    created = client.post("/v2/variables/fiveHoursAgo", TIME_VAR)

    fetched = client.get("/v2/variables/fiveHoursAgo")

    assert_ok_empty(created)
    assert assert_ok_json(fetched) == {
        "name": "fiveHoursAgo",
        "type": "time",
        "value": "$(now)-5h",
        "format": "yyyy-MM-dd HH:mm:ss",
    }


def test_create_string_variable_stores_format_as_empty(client: Client) -> None:
    body = {"type": "string", "value": "constants", "format": "yyyy"}

    created = client.post("/v2/variables/s", body)

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/variables/s")) == {
        "name": "s",
        "type": "string",
        "value": "constants",
        "format": "",
    }


def test_create_accepts_the_sdk_body_without_content_type(client: Client) -> None:
    body = {"name": "v", "type": "time", "value": "$(now)-1d", "format": "yyyy-MM-dd HH:mm:ss"}

    created = client.post("/v2/variables/v", body, content_type=None)

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/variables/v"))["value"] == "$(now)-1d"


def test_create_ignores_the_name_in_the_body(client: Client) -> None:
    body = {"name": "other", "type": "string", "value": "x", "format": ""}

    created = client.post("/v2/variables/fromPath", body, content_type=None)

    assert_ok_empty(created)
    assert assert_ok_json(client.get("/v2/variables/fromPath"))["name"] == "fromPath"
    assert_error(client.get("/v2/variables/other"), 404, "E18102")


@pytest.mark.parametrize(
    "value",
    [
        "$(now)",
        "$(now)-5h",
        "$(now) - 5d",
        "$(now)-30m",
        "$(now)+1d",
        " $(now) - 1h ",
        "$(date)-1d",
    ],
)
def test_create_accepts_time_expressions(client: Client, value: str) -> None:
    response = client.post("/v2/variables/t", {"type": "time", "value": value, "format": "yyyy"})

    assert_ok_empty(response)


@pytest.mark.parametrize(
    "fmt", ["yyyy-MM-dd HH:mm:ss", "yyyyMMdd", "yy/M/d H", "hh:mm:ss.SSS", "'day' dd", "yyyy年MM月"]
)
def test_create_accepts_supported_format_patterns(client: Client, fmt: str) -> None:
    response = client.post("/v2/variables/t", {"type": "time", "value": "$(now)", "format": fmt})

    assert_ok_empty(response)
    assert assert_ok_json(client.get("/v2/variables/t"))["format"] == fmt


def test_create_accepts_a_value_of_128_characters(client: Client) -> None:
    response = client.post("/v2/variables/s", {"type": "string", "value": "x" * 128})

    assert_ok_empty(response)


def test_create_accepts_a_name_of_128_characters(client: Client) -> None:
    name = "_" + "a" * 127

    response = client.post(f"/v2/variables/{name}", STRING_VAR)

    assert_ok_empty(response)
    assert assert_ok_json(client.get(f"/v2/variables/{name}"))["name"] == name


@pytest.mark.parametrize("name", BAD_NAMES)
def test_create_with_invalid_name_is_e18106(client: Client, name: str) -> None:
    response = client.post(f"/v2/variables/{name}", TIME_VAR)

    assert_error(response, 400, "E18106")


@pytest.mark.parametrize("name", SYSTEM_NAMES)
def test_create_with_a_system_name_is_409_e18101(client: Client, name: str) -> None:
    response = client.post(f"/v2/variables/{name}", TIME_VAR)

    assert_error(response, 409, "E18101")


def test_create_twice_is_409_e18101(client: Client) -> None:
    create(client, "v", TIME_VAR)

    again = client.post("/v2/variables/v", STRING_VAR)

    assert_error(again, 409, "E18101")
    assert assert_ok_json(client.get("/v2/variables/v"))["type"] == "time"


BAD_BODIES = [
    pytest.param({"value": "x"}, 400, "E18107", id="type-missing"),
    pytest.param({"type": "", "value": "x"}, 400, "E18107", id="type-empty"),
    pytest.param({"type": "number", "value": "1"}, 400, "E18107", id="type-unknown"),
    pytest.param({"type": None, "value": "x"}, 400, "E18107", id="type-null"),
    pytest.param({"type": "string"}, 400, "E18110", id="string-value-missing"),
    pytest.param({"type": "string", "value": ""}, 400, "E18110", id="string-value-empty"),
    pytest.param({"type": "string", "value": "a$(now)"}, 400, "E18110", id="string-value-dollar"),
    pytest.param({"type": "string", "value": "x" * 129}, 400, "E18008", id="string-too-long"),
    pytest.param({"type": "time", "format": "yyyy"}, 400, "E18110", id="time-value-missing"),
    pytest.param(
        {"type": "time", "value": "$(now)-5x", "format": "yyyy"}, 400, "E18110", id="bad-unit"
    ),
    pytest.param(
        {"type": "time", "value": "yesterday", "format": "yyyy"}, 400, "E18110", id="not-an-expr"
    ),
    pytest.param(
        {"type": "time", "value": "$(now)-", "format": "yyyy"}, 400, "E18110", id="no-offset"
    ),
    pytest.param(
        {"type": "time", "value": "$(now)*2h", "format": "yyyy"}, 400, "E18110", id="bad-operator"
    ),
    pytest.param(
        {"type": "time", "value": "$(foo)-1d", "format": "yyyy"},
        400,
        "E18110",
        id="base-not-system",
    ),
    pytest.param(
        {"type": "time", "value": "$(now)-1d-1h", "format": "yyyy"}, 400, "E18110", id="two-offsets"
    ),
    pytest.param(
        {"type": "time", "value": "$(now)-" + "1" * 127 + "d", "format": "yyyy"},
        400,
        "E18008",
        id="time-too-long",
    ),
    pytest.param({"type": "time", "value": "$(now)"}, 400, "E18104", id="format-missing"),
    pytest.param(
        {"type": "time", "value": "$(now)", "format": ""}, 400, "E18104", id="format-empty"
    ),
    pytest.param(
        {"type": "time", "value": "$(now)", "format": "yyyy-QQ"},
        400,
        "E18104",
        id="format-bad-letter",
    ),
    pytest.param(
        {"type": "time", "value": "$(now)", "format": "EEE yyyy"},
        400,
        "E18104",
        id="format-weekday",
    ),
    pytest.param(
        {"type": "time", "value": "$(now)", "format": "MMM"}, 400, "E18104", id="format-month-name"
    ),
    pytest.param({"type": 1, "value": "x"}, 400, "E18007", id="type-not-string"),
    pytest.param({"type": "string", "value": 5}, 400, "E18007", id="value-not-string"),
    pytest.param(
        {"type": "time", "value": "$(now)", "format": ["yyyy"]},
        400,
        "E18007",
        id="format-not-string",
    ),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_BODIES)
def test_create_with_bad_body_is_refused(
    client: Client, body: dict[str, Any], status: int, code: str
) -> None:
    response = client.post("/v2/variables/v", body)

    assert_error(response, status, code)
    assert_error(client.get("/v2/variables/v"), 404, "E18102")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param(b"", "E18006", id="empty"),
        pytest.param(b"   ", "E18006", id="blank"),
        pytest.param(b"{not json", "E18007", id="not-json"),
        pytest.param(b'["time"]', "E18007", id="array"),
        pytest.param(b'"time"', "E18007", id="string"),
        pytest.param(b"null", "E18007", id="null"),
    ],
)
def test_create_with_unparsable_body_is_refused(client: Client, raw: bytes, code: str) -> None:
    response = client.post("/v2/variables/v", raw=raw)

    assert_error(response, 400, code)


def test_create_checks_name_before_body(client: Client) -> None:
    response = client.post("/v2/variables/9v", raw=b"")

    assert_error(response, 400, "E18106")


def test_create_checks_fields_before_existence(client: Client) -> None:
    create(client, "v", TIME_VAR)

    response = client.post("/v2/variables/v", {"type": "bogus", "value": "x"})

    assert_error(response, 400, "E18107")


def test_create_ignores_unknown_fields(client: Client) -> None:
    body = {**TIME_VAR, "description": None, "extra": {"a": 1}}

    response = client.post("/v2/variables/v", body)

    assert_ok_empty(response)


# --- update ---------------------------------------------------------------------------------


def test_update_replaces_the_whole_definition(client: Client) -> None:
    create(client, "v", TIME_VAR)

    updated = client.put("/v2/variables/v", {"type": "string", "value": "abc", "format": "yyyy"})

    assert_ok_empty(updated)
    assert assert_ok_json(client.get("/v2/variables/v")) == {
        "name": "v",
        "type": "string",
        "value": "abc",
        "format": "",
    }


def test_update_accepts_the_sdk_body_without_content_type(client: Client) -> None:
    create(client, "v", TIME_VAR)
    body = {"name": "v", "type": "time", "value": "$(now)-1d", "format": "yyyyMMdd"}

    updated = client.put("/v2/variables/v", body, content_type=None)

    assert_ok_empty(updated)
    assert assert_ok_json(client.get("/v2/variables/v")) == {
        "name": "v",
        "type": "time",
        "value": "$(now)-1d",
        "format": "yyyyMMdd",
    }


def test_update_of_missing_variable_is_404_e18102(client: Client) -> None:
    response = client.put("/v2/variables/ghost", TIME_VAR)

    assert_error(response, 404, "E18102")
    assert_error(client.get("/v2/variables/ghost"), 404, "E18102")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_update_with_invalid_name_is_e18106(client: Client, name: str) -> None:
    response = client.put(f"/v2/variables/{name}", TIME_VAR)

    assert_error(response, 400, "E18106")


@pytest.mark.parametrize("name", SYSTEM_NAMES)
def test_update_of_a_system_variable_is_400_e18106(client: Client, name: str) -> None:
    response = client.put(f"/v2/variables/{name}", TIME_VAR, content_type=None)

    assert_error(response, 400, "E18106")
    assert assert_ok_json(client.get(f"/v2/variables/{name}"))["value"] == f"$({name})"


@pytest.mark.parametrize(("body", "status", "code"), BAD_BODIES)
def test_update_with_bad_body_is_refused_and_keeps_the_old_value(
    client: Client, body: dict[str, Any], status: int, code: str
) -> None:
    create(client, "v", TIME_VAR)

    response = client.put("/v2/variables/v", body)

    assert_error(response, status, code)
    assert assert_ok_json(client.get("/v2/variables/v"))["value"] == TIME_VAR["value"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param(b"", "E18006", id="empty"),
        pytest.param(b"{", "E18007", id="not-json"),
        pytest.param(b"[]", "E18007", id="array"),
    ],
)
def test_update_with_unparsable_body_is_refused(client: Client, raw: bytes, code: str) -> None:
    create(client, "v", TIME_VAR)

    response = client.put("/v2/variables/v", raw=raw)

    assert_error(response, 400, code)


# --- get ------------------------------------------------------------------------------------


def test_get_of_missing_variable_is_404_e18102(client: Client) -> None:
    response = client.get("/v2/variables/ghost")

    assert_error(response, 404, "E18102")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_get_with_invalid_name_is_e18106(client: Client, name: str) -> None:
    response = client.get(f"/v2/variables/{name}")

    assert_error(response, 400, "E18106")


@pytest.mark.parametrize("expected", SYSTEM_PUBLIC, ids=SYSTEM_NAMES)
def test_get_of_a_system_variable_returns_its_definition(
    client: Client, expected: dict[str, str]
) -> None:
    response = client.get(f"/v2/variables/{expected['name']}")

    assert assert_ok_json(response) == expected


# --- list -----------------------------------------------------------------------------------


def test_list_system_returns_the_eight_system_variables_in_table_order(client: Client) -> None:
    create(client, "mine", TIME_VAR)

    response = client.get("/v2/variables?type=system")

    assert assert_ok_json(response) == {"variables": SYSTEM_PUBLIC}


def test_list_user_returns_only_user_variables_sorted_by_name(client: Client) -> None:
    create(client, "zeta", STRING_VAR)
    create(client, "alpha", TIME_VAR)
    create(client, "mid", {"type": "string", "value": "m"})

    response = client.get("/v2/variables?type=user")

    assert assert_ok_json(response) == {
        "variables": [
            {"name": "alpha", **TIME_VAR},
            {"name": "mid", "type": "string", "value": "m", "format": ""},
            {"name": "zeta", "type": "string", "value": "2017-01-01", "format": ""},
        ]
    }


def test_list_user_with_no_variables_is_an_empty_array(client: Client) -> None:
    response = client.get("/v2/variables?type=user")

    assert assert_ok_json(response) == {"variables": []}


def test_list_without_type_returns_user_then_system(client: Client) -> None:
    create(client, "b", STRING_VAR)
    create(client, "a", TIME_VAR)

    response = client.get("/v2/variables")

    names = [v["name"] for v in assert_ok_json(response)["variables"]]
    assert names == ["a", "b", *SYSTEM_NAMES]


@pytest.mark.parametrize("type_", ["all", "", "time", "users"])
def test_list_with_invalid_type_is_e18007(client: Client, type_: str) -> None:
    response = client.get("/v2/variables", params={"type": type_})

    assert_error(response, 400, "E18007")


# --- delete ---------------------------------------------------------------------------------


def test_delete_removes_the_variable(client: Client) -> None:
    create(client, "v", TIME_VAR)

    deleted = client.delete("/v2/variables/v")

    assert_ok_empty(deleted)
    assert_error(client.get("/v2/variables/v"), 404, "E18102")
    assert assert_ok_json(client.get("/v2/variables?type=user")) == {"variables": []}


def test_delete_accepts_the_sdk_body_without_content_type(client: Client) -> None:
    create(client, "v", TIME_VAR)

    deleted = client.request("DELETE", "/v2/variables/v", {"name": "v"}, content_type=None)

    assert_ok_empty(deleted)
    assert_error(client.get("/v2/variables/v"), 404, "E18102")


def test_delete_ignores_a_body_naming_another_variable(client: Client) -> None:
    create(client, "v", TIME_VAR)
    create(client, "keep", TIME_VAR)

    deleted = client.request("DELETE", "/v2/variables/v", {"name": "keep"})

    assert_ok_empty(deleted)
    assert assert_ok_json(client.get("/v2/variables/keep"))["name"] == "keep"


def test_delete_then_create_again_succeeds(client: Client) -> None:
    create(client, "v", TIME_VAR)
    assert_ok_empty(client.delete("/v2/variables/v"))

    recreated = client.post("/v2/variables/v", STRING_VAR)

    assert_ok_empty(recreated)
    assert assert_ok_json(client.get("/v2/variables/v"))["type"] == "string"


def test_delete_of_a_variable_a_job_references_is_allowed(client: Client) -> None:
    create(client, "v", STRING_VAR)
    datasource = {
        "region": "nb",
        "type": "kodo",
        "spec": {"bucket": "bkt1", "fileType": "json"},
        "schema": [{"key": "f1", "valtype": "string", "required": True}],
        "noVerifySchema": True,
    }
    job = {
        "srcs": [{"name": "ds", "fileFilter": "$(v)", "type": "datasource", "tableName": "t"}],
        "computation": {"code": "select * from t where f1 = '$(v)'", "type": "sql"},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "manual"},
    }
    assert_ok_empty(client.post("/v2/datasources/ds", datasource))
    assert_ok_empty(client.post("/v2/jobs/j", job))

    deleted = client.delete("/v2/variables/v")

    assert_ok_empty(deleted)
    assert_error(client.get("/v2/variables/v"), 404, "E18102")


def test_delete_of_missing_variable_is_404_e18102(client: Client) -> None:
    response = client.delete("/v2/variables/ghost")

    assert_error(response, 404, "E18102")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_delete_with_invalid_name_is_e18106(client: Client, name: str) -> None:
    response = client.delete(f"/v2/variables/{name}")

    assert_error(response, 400, "E18106")


@pytest.mark.parametrize("name", SYSTEM_NAMES)
def test_delete_of_a_system_variable_is_400_e18106(client: Client, name: str) -> None:
    response = client.request("DELETE", f"/v2/variables/{name}", {"name": name}, content_type=None)

    assert_error(response, 400, "E18106")
    assert assert_ok_json(client.get("/v2/variables?type=system")) == {"variables": SYSTEM_PUBLIC}


# --- tenant isolation -----------------------------------------------------------------------


@pytest.fixture
def other(client: Client, runtime: Runtime) -> Client:
    pair = create_key(runtime, "other")
    return client.as_account(pair.access_key, pair.secret_key)


def test_other_account_cannot_see_a_variable(client: Client, other: Client) -> None:
    create(client, "v", TIME_VAR)

    fetched = other.get("/v2/variables/v")
    listed = other.get("/v2/variables?type=user")

    assert_error(fetched, 404, "E18102")
    assert assert_ok_json(listed) == {"variables": []}


def test_other_account_cannot_update_or_delete_a_variable(client: Client, other: Client) -> None:
    create(client, "v", TIME_VAR)

    updated = other.put("/v2/variables/v", STRING_VAR)
    deleted = other.delete("/v2/variables/v")

    assert_error(updated, 404, "E18102")
    assert_error(deleted, 404, "E18102")
    assert assert_ok_json(client.get("/v2/variables/v")) == {"name": "v", **TIME_VAR}


def test_other_account_can_create_a_variable_of_the_same_name(
    client: Client, other: Client
) -> None:
    create(client, "v", TIME_VAR)

    created = other.post("/v2/variables/v", STRING_VAR)

    assert_ok_empty(created)
    assert assert_ok_json(other.get("/v2/variables/v"))["type"] == "string"
    assert assert_ok_json(client.get("/v2/variables/v"))["type"] == "time"
    assert [
        v["name"] for v in assert_ok_json(other.get("/v2/variables?type=user"))["variables"]
    ] == ["v"]

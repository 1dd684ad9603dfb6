"""No request, however bad, gets a 5xx or a traceback: a sweep over every endpoint."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest

from tests.support import Client, assert_error
from tidemill.config import Settings

DS = {
    "region": "nb",
    "type": "kodo",
    "schema": [{"key": "a", "valtype": "long", "required": True}],
    "spec": {
        "bucket": "bkt1",
        "keyPrefixes": ["p/"],
        "fileType": "csv",
        "delimiter": ",",
        "containsHeader": True,
    },
}
JOB = {
    "srcs": [{"name": "ds", "fileFilter": "", "type": "datasource", "tableName": "t"}],
    "computation": {"code": "select a from t", "type": "sql"},
    "container": {"type": "1U2G", "count": 1},
    "scheduler": {"type": "loop", "spec": {"loop": "10m"}},
    "params": [{"name": "p", "default": "x"}],
}
EXPORT = {
    "type": "kodo",
    "spec": {
        "bucket": "bkt1",
        "keyPrefix": "o/",
        "format": "csv",
        "delimiter": ",",
        "containsHeader": True,
        "compression": "gzip",
        "partitionBy": ["a"],
        "fileCount": 2,
        "saveMode": "append",
        "retention": 3,
    },
}
VARIABLE = {"type": "time", "value": "$(now)-5h", "format": "yyyy-MM-dd HH:mm:ss"}
WORKFLOW = {"region": "nb", "comment": "c"}

# (method, path, a valid body or None)
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/v2/datasources/ds2", DS),
    ("PUT", "/v2/datasources/ds", DS),
    ("GET", "/v2/datasources/ds", None),
    ("GET", "/v2/datasources", None),
    ("DELETE", "/v2/datasources/ds", None),
    ("GET", "/v2/datasources/ds/exists", None),
    ("POST", "/v2/schemas", {"type": "kodo", "spec": DS["spec"]}),
    ("POST", "/v2/jobs/j2", JOB),
    ("PUT", "/v2/jobs/j", JOB),
    ("GET", "/v2/jobs", None),
    ("GET", "/v2/jobs/j", None),
    ("DELETE", "/v2/jobs/j", None),
    ("GET", "/v2/jobs/j/exists", None),
    ("POST", "/v2/jobs/j/actions/start", {"params": [{"name": "p", "value": "y"}]}),
    ("POST", "/v2/jobs/j/actions/stop", None),
    ("GET", "/v2/jobs/j/history", None),
    ("GET", "/v2/jobs/j/history/1/result", None),
    ("POST", "/v2/batch/actions/stop", {"jobName": "j", "runId": 1}),
    ("POST", "/v2/batch/actions/rerun", {"jobName": "j", "runId": 1}),
    ("POST", "/v2/jobs/j/exports/e2", EXPORT),
    ("PUT", "/v2/jobs/j/exports/e", EXPORT),
    ("GET", "/v2/jobs/j/exports/e", None),
    ("GET", "/v2/jobs/j/exports", None),
    ("DELETE", "/v2/jobs/j/exports/e", None),
    ("GET", "/v2/jobs/j/exports/e/exists", None),
    ("POST", "/v2/variables/v2", VARIABLE),
    ("PUT", "/v2/variables/v", VARIABLE),
    ("GET", "/v2/variables/v", None),
    ("GET", "/v2/variables", None),
    ("DELETE", "/v2/variables/v", None),
    ("POST", "/v2/workflows/w2", WORKFLOW),
    ("PUT", "/v2/workflows/w", WORKFLOW),
    ("GET", "/v2/workflows/w", None),
    ("GET", "/v2/workflows", None),
    ("DELETE", "/v2/workflows/w", None),
    ("POST", "/v2/workflows/w/start", None),
    ("POST", "/v2/workflows/w/stop", None),
    ("GET", "/v2/workflows/w/status", None),
    ("POST", "/v2/workflows/w/search", {}),
]
BODY_ENDPOINTS = [(m, p, b) for m, p, b in ENDPOINTS if b]
IDS = [f"{m} {p}" for m, p, _ in ENDPOINTS]
BODY_IDS = [f"{m} {p}" for m, p, _ in BODY_ENDPOINTS]


@pytest.fixture(autouse=True)
def data_files(settings: Settings) -> None:
    """The files DS selects, so creating it verifies its schema against real data (D-7)."""
    folder = settings.data_dir / "kodo" / "default" / "bkt1" / "p"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("a\n1\n2\n")


@pytest.fixture
def seeded(client: Client) -> Client:
    """One of each resource, so every endpoint has something to act on."""
    for path, body in [
        ("/v2/workflows/w", WORKFLOW),
        ("/v2/datasources/ds", DS),
        ("/v2/jobs/j", JOB),
        ("/v2/jobs/j/exports/e", EXPORT),
        ("/v2/variables/v", VARIABLE),
    ]:
        response = client.post(path, body)
        assert response.status_code == 200, response.text
    return client


def assert_clean_failure(response: httpx.Response) -> None:
    """A client error in Pandora's envelope; never a 5xx, never a traceback."""
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-reqid"]
    if response.status_code != 200:
        error = response.json()["error"]
        assert isinstance(error, str)
        assert "Traceback" not in error


def assert_not_server_error(response: httpx.Response) -> None:
    # Endpoints of the execution issue answer 501 until it lands; nothing else may be 5xx.
    if response.status_code == 501:
        assert response.json()["error"].startswith("E9001:")
        return
    assert_clean_failure(response)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_unsigned_request_is_401_bad_token(seeded: Client, method, path, body) -> None:
    response = seeded.http.request(method, path, json=body)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-reqid"]
    assert response.json()["error"].startswith("bad token")


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_forged_signature_is_401(seeded: Client, method, path, body) -> None:
    forger = seeded.as_account(seeded.ak, "not-the-secret")

    response = forger.request(method, path, body)

    assert response.status_code == 401
    assert response.json()["error"].startswith("bad token")


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_unknown_access_key_is_401(seeded: Client, method, path, body) -> None:
    response = seeded.as_account("nobody", "x").request(method, path, body)

    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_signature_of_another_path_is_401(seeded: Client, method, path, body) -> None:
    signed_elsewhere = seeded.request(method, path, body, headers={})
    headers = dict(signed_elsewhere.request.headers)

    response = seeded.http.request(
        method, path + "x", content=signed_elsewhere.request.content, headers=headers
    )

    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), BODY_ENDPOINTS, ids=BODY_IDS)
@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"not json",
        b"[1,2]",
        b'"text"',
        b"42",
        b"null",
        b'{"a": NaN}',
        b"\xff\xfe",
        b"[" * 5000,
    ],
    ids=["truncated", "text", "array", "string", "number", "null", "nan", "binary", "deep"],
)
def test_malformed_bodies_are_4xx(seeded: Client, method, path, body, raw) -> None:
    response = seeded.request(method, path, raw=raw)

    assert_not_server_error(response)
    assert response.status_code != 200


@pytest.mark.parametrize(("method", "path", "body"), BODY_ENDPOINTS, ids=BODY_IDS)
def test_malformed_json_is_e18007(seeded: Client, method, path, body) -> None:
    response = seeded.request(method, path, raw=b'{"region": ')

    if response.status_code == 501:
        return  # not served until the execution issue lands
    assert_error(response, 400, "E18007")


@pytest.mark.parametrize(("method", "path", "body"), BODY_ENDPOINTS, ids=BODY_IDS)
def test_oversized_body_is_413_e18005(seeded: Client, method, path, body) -> None:
    response = seeded.request(method, path, raw=b" " * (4 * 1024 * 1024 + 1))

    if response.status_code == 501:
        return
    assert_error(response, 413, "E18005")


def _mutations(value: Any, trail: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every position in `value` paired with every JSON value of another type."""
    wrong = [1, 2.5, "x", True, None, [], {}, [1], {"k": 1}]
    if isinstance(value, dict):
        for key, member in value.items():
            for bad in wrong:
                if type(bad) is not type(member):
                    yield (*trail, key), bad
            yield from _mutations(member, (*trail, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield from _mutations(member, (*trail, index))


def _with(body: dict[str, Any], trail: tuple[Any, ...], bad: Any) -> dict[str, Any]:
    mutated = copy.deepcopy(body)
    target: Any = mutated
    for step in trail[:-1]:
        target = target[step]
    target[trail[-1]] = bad
    return mutated


@pytest.mark.parametrize(("method", "path", "body"), BODY_ENDPOINTS, ids=BODY_IDS)
def test_wrong_json_types_never_cause_a_server_error(seeded: Client, method, path, body) -> None:
    for trail, bad in _mutations(body):
        response = seeded.request(method, path, _with(body, trail, bad))

        assert response.status_code < 500 or response.status_code == 501, (
            f"{json.dumps(_with(body, trail, bad))} -> {response.status_code} {response.text}"
        )
        assert_not_server_error(response)


BAD_NAMES = ["1abc", "a-b", "a.b", "a%20b", "%C3%A9t%C3%A9", "x" * 129, "a%2Fb"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [e for e in ENDPOINTS if e[1].count("/") >= 3],
    ids=[i for i, e in zip(IDS, ENDPOINTS, strict=True) if e[1].count("/") >= 3],
)
@pytest.mark.parametrize("bad", BAD_NAMES)
def test_invalid_names_are_400(seeded: Client, method, path, body, bad) -> None:
    parts = path.split("/")
    parts[3] = bad

    response = seeded.request(method, "/".join(parts), body)

    if path.startswith("/v2/batch/") or path == "/v2/schemas":
        assert_not_server_error(response)
        return
    assert response.status_code in (400, 404), response.text
    assert_not_server_error(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/v2"),
        ("GET", "/v1/jobs"),
        ("GET", "/v2/jobs/j/x"),
        ("GET", "/v2/jobs/"),
        ("POST", "/v2/repos/r"),
        ("GET", "/v2/datasources/ds/exists/more"),
    ],
)
def test_unknown_paths_are_404_e9001(seeded: Client, method, path) -> None:
    assert_error(seeded.request(method, path), 404, "E9001")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/v2/jobs/j"),
        ("POST", "/v2/jobs"),
        ("DELETE", "/v2/datasources"),
        ("PUT", "/v2/workflows/w/start"),
        ("GET", "/v2/batch/actions/rerun"),
    ],
)
def test_wrong_methods_are_405(seeded: Client, method, path) -> None:
    response = seeded.request(method, path)

    assert response.status_code == 405
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-reqid"]
    assert response.json() == {"error": "method not allowed"}

"""Small leaks (issue 9, kind 10): 401 texts that tell which access keys exist, and job SQL that
reads the server's configuration."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from tests.support import AK, SK, Client, assert_error
from tidemill.core.sql import SERVER_FUNCTIONS

DATASOURCE = {
    "region": "nb", "type": "kodo", "noVerifySchema": True,
    "schema": [{"key": "id", "valtype": "long"}],
    "spec": {"bucket": "bkt1", "keyPrefixes": ["in/"], "fileType": "json"},
}  # fmt: skip


@pytest.mark.parametrize("path", ["/v2/jobs", "/v2/variables/x", "/v2/datasources/d/exists"])
def test_unknown_access_key_and_bad_signature_get_the_same_401(client: Client, path: str) -> None:
    unknown = client.as_account("NO-SUCH-ACCESS-KEY-42", SK).get(path)
    wrong_secret = client.as_account(AK, "not-the-secret").get(path)

    assert unknown.status_code == wrong_secret.status_code == 401
    assert unknown.json() == wrong_secret.json() == {"error": "bad token: signature mismatch"}


def test_unknown_access_key_with_a_stale_date_gets_the_known_keys_text(client: Client) -> None:
    stale = {"Date": formatdate(0, usegmt=True)}

    unknown = client.as_account("NO-SUCH-ACCESS-KEY-42", SK).get("/v2/jobs", headers=stale)
    known = client.as_account(AK, "not-the-secret").get("/v2/jobs", headers=stale)

    assert unknown.status_code == known.status_code == 401
    assert unknown.json() == known.json()
    assert "Date" in unknown.json()["error"]


def test_unknown_access_key_with_a_token_gets_the_known_keys_text(client: Client) -> None:
    def with_token(ak: str) -> dict[str, str]:
        return {"Authorization": f"Pandora {ak}:c2lnbmF0dXJl:eyJleHBpcmVzIjoxfQ"}

    unknown = client.http.get("/v2/jobs", headers=with_token("NO-SUCH-ACCESS-KEY-42"))
    known = client.http.get("/v2/jobs", headers=with_token(AK))

    assert unknown.status_code == known.status_code == 401
    assert unknown.json() == known.json()


SERVER_SQL = [
    ("SELECT current_setting('home_directory') AS h FROM t", "current_setting"),
    ("SELECT CURRENT_SETTING('temp_directory') AS h FROM t", "current_setting"),
    ("SELECT id FROM t WHERE id > length(getvariable('x'))", "getvariable"),
    ("SELECT id FROM t WHERE EXISTS (SELECT current_query())", "current_query"),
    ("SELECT `current_setting`('memory_limit') AS m FROM t", "current_setting"),
    ("SELECT duckdb_settings() AS s FROM t", "duckdb_settings"),
    ("SELECT read_text('/etc/passwd') AS x FROM t", "read_text"),
]


@pytest.mark.parametrize(("code", "function"), SERVER_SQL)
def test_sql_reading_server_configuration_is_e18209_naming_the_function(
    client: Client, code: str, function: str
) -> None:
    assert client.post("/v2/datasources/ds", DATASOURCE).status_code == 200
    job = {
        "srcs": [{"name": "ds", "type": "DataSource", "tableName": "t"}],
        "computation": {"type": "sql", "code": code},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "manual"},
    }

    response = client.post("/v2/jobs/j", job)

    body = assert_error(response, 400, "E18209")
    assert f"{function}()" in body["error"], body
    assert client.get("/v2/jobs").json() == {"jobs": []}


def test_the_refused_list_holds_the_configuration_readers() -> None:
    assert {"current_setting", "getvariable", "current_query"} <= SERVER_FUNCTIONS


def test_spark_functions_of_similar_names_are_still_available(client: Client) -> None:
    assert client.post("/v2/datasources/ds", DATASOURCE).status_code == 200
    code = "SELECT current_date() AS d, current_timestamp() AS ts, current_database() AS db FROM t"
    job = {
        "srcs": [{"name": "ds", "type": "DataSource", "tableName": "t"}],
        "computation": {"type": "sql", "code": code},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "manual"},
    }

    assert client.post("/v2/jobs/j", job).status_code == 200


def test_version_is_refused_as_its_answer_names_sparks_build(client: Client) -> None:
    # version() answered DuckDB's version before; Spark's names its own build
    assert client.post("/v2/datasources/ds", DATASOURCE).status_code == 200
    job = {
        "srcs": [{"name": "ds", "type": "DataSource", "tableName": "t"}],
        "computation": {"type": "sql", "code": "SELECT version() AS v FROM t"},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "manual"},
    }

    body = assert_error(client.post("/v2/jobs/j", job), 400, "E18209")
    assert "version()" in body["error"], body

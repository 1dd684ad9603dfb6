"""Export targets and source locations are checked when they are created, by the same rules the
storage applies when a batch runs (issue 9, kinds 7 and 8; spec §8.2, §4.2).

* kind 7: a kodo export to a bucket that does not exist (for the account) is 404 E18122 (seed
  codes) / E18323 (sdk codes) at create, and a batch never creates a bucket, unless
  TIDEMILL_EXPORTS__CREATE_BUCKETS allows it.
* kind 8: a keyPrefix or path that could name no object (`..`, a leading '/', '//', NUL ...) is
  refused at create; `core.object_keys.key_problem` is the one rule for both ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.support import Client, assert_error, wait_for
from tidemill.api.app import create_app
from tidemill.config import Settings
from tidemill.core.object_keys import key_problem
from tidemill.errors import InvalidInputError
from tidemill.runtime import build_runtime
from tidemill.storage.local_buckets import LocalBuckets

SOURCE = {
    "region": "nb",
    "type": "kodo",
    "spec": {"bucket": "src1", "keyPrefixes": ["in/"], "fileType": "json"},
    "schema": [{"key": "id", "valtype": "long", "required": False}],
}
JOB = {
    "srcs": [{"name": "src", "type": "DataSource", "tableName": "t"}],
    "computation": {"type": "sql", "code": "SELECT id FROM t"},
    "container": {"type": "1U2G", "count": 1},
    "scheduler": {"type": "manual"},
}


def kodo(bucket: str = "reports", prefix: str = "daily/") -> dict[str, Any]:
    spec = {"bucket": bucket, "keyPrefix": prefix, "format": "json", "fileCount": 1}
    return {"type": "kodo", "spec": spec}


def app_with(tmp_path: Path, **overrides: Any) -> Iterator[tuple[Client, Settings]]:
    settings = make_settings(tmp_path).model_copy(update=overrides)
    runtime = build_runtime(settings)
    own = settings.data_dir / "kodo" / settings.account
    (own / "src1" / "in").mkdir(parents=True)
    (own / "src1" / "in" / "a.json").write_text('{"id": 1}\n')
    (own / "reports").mkdir()
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            client = Client(http)
            assert client.post("/v2/datasources/src", SOURCE).status_code == 200
            assert client.post("/v2/jobs/j", JOB).status_code == 200
            yield client, settings
    finally:
        runtime.close()


@pytest.fixture
def seed(tmp_path: Path) -> Iterator[tuple[Client, Settings]]:
    yield from app_with(tmp_path)


@pytest.fixture
def sdk(tmp_path: Path) -> Iterator[tuple[Client, Settings]]:
    yield from app_with(tmp_path, error_codes="sdk")


@pytest.fixture
def creating(tmp_path: Path) -> Iterator[tuple[Client, Settings]]:
    exports = Settings().exports.model_copy(update={"create_buckets": True})
    yield from app_with(tmp_path, exports=exports)


# -- kind 7 --------------------------------------------------------------------------------------


def test_kodo_export_to_a_missing_bucket_is_e18122_at_create(
    seed: tuple[Client, Settings],
) -> None:
    client, settings = seed  # the instance in cases/safety/export-to-missing-bucket

    created = client.post("/v2/jobs/j/exports/e", kodo("reprots"))
    updated_first = client.post("/v2/jobs/j/exports/e", kodo("reports"))
    updated = client.put("/v2/jobs/j/exports/e", kodo("reprots"))

    assert_error(created, 404, "E18122")
    assert "'reprots' does not exist" in created.text
    assert updated_first.status_code == 200
    assert_error(updated, 404, "E18122")
    assert not (settings.data_dir / "kodo" / "default" / "reprots").exists()


def test_kodo_export_to_a_missing_bucket_is_e18323_with_sdk_codes(
    sdk: tuple[Client, Settings],
) -> None:
    client, _ = sdk
    assert_error(client.post("/v2/jobs/j/exports/e", kodo("reprots")), 404, "E18323")


def test_a_bucket_removed_after_create_fails_the_batch_and_is_not_created(
    seed: tuple[Client, Settings],
) -> None:
    client, settings = seed
    assert client.post("/v2/jobs/j/exports/e", kodo("reports")).status_code == 200
    bucket = settings.data_dir / "kodo" / "default" / "reports"
    bucket.rmdir()

    assert client.post("/v2/jobs/j/actions/start").status_code == 200
    done = wait_for(client, "j", timeout=60)

    assert done["status"] == "Failed", done
    assert "'reports' does not exist" in done["message"]
    assert "TIDEMILL_EXPORTS__CREATE_BUCKETS" in done["message"]
    assert not bucket.exists()


def test_the_create_buckets_setting_lets_the_batch_create_the_bucket(
    creating: tuple[Client, Settings],
) -> None:
    client, settings = creating

    assert client.post("/v2/jobs/j/exports/e", kodo("fresh-bucket")).status_code == 200
    assert client.post("/v2/jobs/j/actions/start").status_code == 200
    done = wait_for(client, "j", timeout=60)

    assert done["status"] == "Successful", done
    made = settings.data_dir / "kodo" / "default" / "fresh-bucket"
    [written] = [p for p in made.rglob("*") if p.is_file()]
    assert json.loads(written.read_text()) == {"id": 1}


# -- kind 8 --------------------------------------------------------------------------------------

BAD_PREFIXES = [
    "daily/../../elsewhere/",  # the instance in cases/safety/keyprefix-dotdot-accepted
    "../up",
    "a/..",
    "a/./b/",
    "/absolute/",
    "a//b/",
    "a\x00b/",
    "line\nbreak/",
    "tab\there/",
]
GOOD_PREFIXES = ["", "daily/", "daily/$(year)$(mon)$(day)/", "a.b/..c/x..", "out/name.json"]


@pytest.mark.parametrize("prefix", BAD_PREFIXES)
def test_export_key_prefix_that_names_no_object_is_e18305_at_create(
    seed: tuple[Client, Settings], prefix: str
) -> None:
    client, _ = seed
    assert client.post("/v2/jobs/j/exports/ok", kodo()).status_code == 200

    created = client.post("/v2/jobs/j/exports/e", kodo(prefix=prefix))
    updated = client.put("/v2/jobs/j/exports/ok", kodo(prefix=prefix))

    assert_error(created, 400, "E18305")
    assert_error(updated, 400, "E18305")
    assert "spec.keyPrefix" in created.text


@pytest.mark.parametrize("prefix", GOOD_PREFIXES)
def test_export_key_prefixes_that_can_name_objects_are_accepted(
    seed: tuple[Client, Settings], prefix: str
) -> None:
    client, _ = seed
    assert client.post("/v2/jobs/j/exports/e", kodo(prefix=prefix)).status_code == 200


@pytest.mark.parametrize("prefix", BAD_PREFIXES)
def test_datasource_key_prefix_that_matches_no_key_is_refused(
    seed: tuple[Client, Settings], prefix: str
) -> None:
    client, _ = seed
    body = {**SOURCE, "noVerifySchema": True}
    body["spec"] = {**SOURCE["spec"], "keyPrefixes": ["in/", prefix]}  # type: ignore[dict-item]

    assert_error(client.post("/v2/datasources/d2", body), 400, "E18109")
    assert_error(client.post("/v2/schemas", {"type": "kodo", "spec": body["spec"]}), 400, "E18109")


def test_datasource_key_prefix_refusal_is_e18638_with_sdk_codes(
    sdk: tuple[Client, Settings],
) -> None:
    client, _ = sdk
    body = {**SOURCE, "noVerifySchema": True}
    body["spec"] = {**SOURCE["spec"], "keyPrefixes": ["in/../x"]}  # type: ignore[dict-item]
    assert_error(client.post("/v2/datasources/d2", body), 400, "E18638")


@pytest.mark.parametrize(
    "path", ["hdfs://nn:9000/out/../../etc/", "hdfs://nn:9000//out/", "hdfs://nn:9000/a/./b"]
)
def test_hdfs_paths_that_name_no_file_are_refused(seed: tuple[Client, Settings], path: str) -> None:
    client, _ = seed
    export = {"type": "hdfs", "spec": {"path": path, "format": "json", "fileCount": 1}}
    source = {
        **SOURCE,
        "type": "hdfs",
        "noVerifySchema": True,
        "spec": {"paths": [path], "fileType": "json"},
    }

    assert_error(client.post("/v2/jobs/j/exports/h", export), 400, "E18305")
    assert_error(client.post("/v2/datasources/h", source), 400, "E18109")


@pytest.mark.parametrize("prefix", BAD_PREFIXES + GOOD_PREFIXES)
def test_create_time_and_storage_verdicts_are_one_rule(tmp_path: Path, prefix: str) -> None:
    """What the create check refuses is exactly what the storage would refuse to write under
    that prefix: both ask `key_problem`, so the two cannot drift apart."""
    store = LocalBuckets(tmp_path / "kodo")
    store.create_bucket("b")
    rendered = prefix.replace("$(year)$(mon)$(day)", "20261130")
    directory = rendered if not rendered or rendered.endswith("/") else rendered + "/"
    key = directory + "part-00000.json"  # a part file under the prefix (core.export_layout)
    try:
        store.write("b", key, b"{}")
        stored = True
    except InvalidInputError:
        stored = False

    assert (key_problem(prefix, prefix=True) is None) == stored

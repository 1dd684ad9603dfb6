"""The planner selects inputs only through Source, records them in the plan, and the engine reads
exactly those files — over a local bucket and a real S3 store (SeaweedFS)."""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.buckets import BACKENDS, Env, bucket_env
from tests.support import wait_for
from tidemill.clock import FixedClock
from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.plans import BatchPlan
from tidemill.errors import Failure, InvalidInputError
from tidemill.runner.plan import plan_batch
from tidemill.runner.worker import execute
from tidemill.runtime import Runtime
from tidemill.sources.kodo import KodoSource
from tidemill.sources.registry import Sources, open_sources
from tidemill.store import accounts
from tidemill.store import repository as repo

NOW = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)  # 2026-11-23 01:30 in Asia/Shanghai


@pytest.fixture(params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    with bucket_env(request, tmp_path, FixedClock(NOW)) as made:
        yield made


def ok(response: Any) -> None:
    assert response.status_code == 200, response.text


def runtime(env: Env) -> Runtime:
    assert env.runtime is not None
    return env.runtime


def setup_job(env: Env, ds_type: str = "kodo", **spec: Any) -> None:
    body = {"bucket": env.bucket, "keyPrefixes": ["logs/$(year)$(mon)$(day)/"],
            "fileType": "json", **spec} if ds_type == "kodo" else spec  # fmt: skip
    ok(env.client.post("/v2/datasources/logs", {
        "region": "nb", "type": ds_type, "noVerifySchema": True,
        "schema": [{"key": "n", "valtype": "long"}], "spec": body,
    }))  # fmt: skip
    ok(env.client.post("/v2/jobs/j", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "t", "fileFilter": "*.json*"}],
        "computation": {"type": "sql", "code": "select n from t"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip


def plan(env: Env, sources: Sources | None = None) -> BatchPlan:
    rt = runtime(env)
    with rt.db.connect() as conn:
        account = accounts.account_id(conn, rt.settings.account)
        job = repo.get_job(conn, account, "j")
        assert job is not None
        batch = Batch("j", 1, NOW, BatchStatus.READY, uid="u-1")
        return plan_batch(
            conn, account, job, batch, rt.settings.warehouse, rt.zone, 1, sources or rt.sources
        )


def test_the_plan_records_the_files_the_source_lists(env: Env) -> None:
    packed = gzip.compress(b'{"n": 2}\n')
    env.put("logs/20261123/a.json", b'{"n": 1}\n')
    env.put("logs/20261123/b.json.gz", packed)
    env.put("logs/20261123/c.csv", b"n\n3\n")
    env.put("logs/20261122/d.json", b'{"n": 4}\n')
    setup_job(env)

    made = plan(env)

    [table] = made.tables
    assert [(f.name, f.size, f.format, f.compression) for f in table.files] == [
        (f"{env.bucket}/logs/20261123/a.json", 9, "json", ""),
        (f"{env.bucket}/logs/20261123/b.json.gz", len(packed), "json", "gzip"),
    ]
    files = runtime(env).storages
    assert [files.read(f.uri) for f in table.files] == [b'{"n": 1}\n', packed]
    assert pickle.loads(pickle.dumps(made)) == made  # plain data: it travels to the worker


def test_the_engine_reads_exactly_the_planned_files(env: Env) -> None:
    env.put("logs/20261123/a.json", b'{"n": 1}\n{"n": 2}\n')
    setup_job(env)
    made = plan(env)
    env.put("logs/20261123/late.json", b'{"n": 3}\n')  # after planning: not this batch's

    committed = execute(made, runtime(env).storages)

    assert committed.rows == 2


def test_a_datasource_type_without_a_source_is_refused_by_name(env: Env) -> None:
    setup_job(env, "hdfs", paths=["hdfs://127.0.0.1:1/logs/"], fileType="json")
    only_kodo = Sources({"kodo": KodoSource(runtime(env).kodo)})

    with pytest.raises(InvalidInputError) as exc:
        plan(env, only_kodo)

    assert exc.value.failure is Failure.DS_TYPE_INVALID
    assert exc.value.message == (
        "datasource 'logs' is of type hdfs; this Tidemill runs kodo sources only"
    )


def test_an_hdfs_namenode_that_cannot_be_reached_fails_the_batch_by_name(env: Env) -> None:
    setup_job(env, "hdfs", paths=["hdfs://nn/logs/"], fileType="json")

    ok(env.client.post("/v2/jobs/j/actions/start", {}))
    failed = wait_for(env.client, "j")

    assert failed["status"] == "Failed"
    assert "cannot list hdfs://nn/logs/ for datasource 'logs'" in failed["message"]


def test_a_bucket_gone_since_create_fails_the_batch_naming_it(env: Env) -> None:
    rt = runtime(env)
    env.put("logs/20261123/a.json", b'{"n": 1}\n')
    setup_job(env)
    with rt.db.begin() as conn:
        account = accounts.account_id(conn, rt.settings.account)
        if rt.settings.s3.endpoint:
            accounts.revoke_bucket(conn, account, env.bucket)
    if not rt.settings.s3.endpoint:
        bucket_dir = rt.settings.data_dir / "kodo" / rt.settings.account / env.bucket
        for path in sorted(bucket_dir.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        bucket_dir.rmdir()

    ok(env.client.post("/v2/jobs/j/actions/start", {}))
    failed = wait_for(env.client, "j")

    assert failed["status"] == "Failed"
    assert f"bucket {env.bucket!r} does not exist in this account" in failed["message"]
    assert str(rt.settings.data_dir) not in failed["message"]


def test_a_failed_read_names_the_object_not_the_servers_path(env: Env) -> None:
    env.put("logs/20261123/a.json", b'{"n": 1}\n{"n": "two"}\n')
    setup_job(env)

    ok(env.client.post("/v2/jobs/j/actions/start", {}))
    failed = wait_for(env.client, "j")

    assert failed["status"] == "Failed"
    assert f"{env.bucket}/logs/20261123/a.json line 2" in failed["message"]
    assert str(runtime(env).settings.data_dir) not in failed["message"]


def test_a_fusion_datasource_on_a_node_without_the_setting_fails_the_batch_by_name(
    env: Env,
) -> None:
    # A fusion datasource made while TIDEMILL_FUSION__URL was set; the node running the batch
    # has no fusion source (the setting since unset): the batch fails naming type and setting.
    ok(env.client.post("/v2/datasources/logs", {
        "region": "nb", "type": "fusion", "schema": [], "spec": {"domains": ["a.com"]},
    }))  # fmt: skip
    ok(env.client.post("/v2/jobs/j", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "t"}],
        "computation": {"type": "sql", "code": "select ip from t"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip
    rt = runtime(env)
    rt.__dict__["sources"] = open_sources(rt.kodo, rt.storages)  # no fusion source

    ok(env.client.post("/v2/jobs/j/actions/start", {}))
    failed = wait_for(env.client, "j")

    assert failed["status"] == "Failed"
    assert "datasource 'logs' is of type fusion" in failed["message"]
    assert "runs hdfs, kodo sources only" in failed["message"]
    assert "TIDEMILL_FUSION__URL" in failed["message"]


def test_a_user_variable_is_read_as_it_is_when_each_batch_is_planned(env: Env) -> None:
    # The plan reads the account's variables only when the SQL or a path names one
    # (runner.plan._Variables): the value is still the one current at planning, and a plan
    # naming none is unchanged by them.
    env.put("logs/20261123/a.json", b'{"n": 1}\n')
    setup_job(env)
    ok(env.client.post("/v2/variables/limit", {"type": "string", "value": "5"}))
    ok(env.client.put("/v2/jobs/j", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "t", "fileFilter": "*.json*"}],
        "computation": {"type": "sql", "code": "select n from t limit $(limit)"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip
    assert plan(env).sql.endswith("limit 5")
    ok(env.client.put("/v2/variables/limit", {"type": "string", "value": "7"}))
    assert plan(env).sql.endswith("limit 7")
    ok(env.client.delete("/v2/variables/limit"))
    with pytest.raises(InvalidInputError) as raised:
        plan(env)
    assert raised.value.failure is Failure.JOB_SQL_UNDEF_VAR

"""GetJob answers kept between requests (api/answers.py) are never stale: every change to what
the answer shows, by this server, by another connection or process, or by the scheduler as
time passes, is in the next answer; accounts never see each other's; a repeated GET with
nothing changed is answered without reading the job again. On PostgreSQL nothing is kept: a
node sees what another node changed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.test_batches import make_datasource, make_job
from tests.conftest import make_settings
from tests.support import Client, assert_error, assert_ok_json
from tidemill.api.app import create_app
from tidemill.config import Settings
from tidemill.runtime import Runtime, build_runtime
from tidemill.services.accounts import create_key

HOURLY = {"type": "crontab", "spec": {"crontab": "0 0 0/1 * *"}}
EVERY_SECOND = {"type": "crontab", "spec": {"crontab": "* * * * * *"}}


def shown(client: Client, name: str = "job") -> dict[str, Any]:
    body: dict[str, Any] = assert_ok_json(client.get(f"/v2/jobs/{name}"))
    return body


@pytest.fixture
def data(client: Client) -> Client:
    make_datasource(client)
    return client


def database_file(runtime: Runtime) -> str:
    return str(runtime.db.url.database)


def test_update_start_stop_and_delete_show_in_the_next_get(data: Client) -> None:
    make_job(data, "job", "select 1 as n from logs", scheduler=HOURLY)
    assert shown(data) == shown(data)  # the second from the kept answer
    assert "nextFireTimes" not in shown(data)

    changed = {**shown(data), "computation": {"type": "sql", "code": "select 2 as n from logs"}}
    assert data.put("/v2/jobs/job", changed).status_code == 200
    assert shown(data)["computation"]["code"] == "select 2 as n from logs"

    assert data.post("/v2/jobs/job/actions/start", {}).status_code == 200
    assert len(shown(data)["nextFireTimes"]) == 3
    assert data.post("/v2/jobs/job/actions/stop").status_code == 200
    assert "nextFireTimes" not in shown(data)

    assert data.delete("/v2/jobs/job").status_code == 200
    assert_error(data.get("/v2/jobs/job"), 404, "E18202")


def test_a_commit_by_another_connection_or_process_shows_in_the_next_get(
    data: Client, runtime: Runtime
) -> None:
    make_job(data, "job", "select 1 as n from logs")
    assert shown(data)["workflow"] == shown(data)["workflow"] == ""

    other = sqlite3.connect(database_file(runtime))
    try:
        other.execute("update jobs set workflow = 'by-a-connection' where name = 'job'")
        other.commit()
    finally:
        other.close()
    assert shown(data)["workflow"] == "by-a-connection"

    script = (
        "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
        "db.execute(\"update jobs set workflow = 'by-a-process' where name = 'job'\"); "
        "db.commit()"
    )
    subprocess.run([sys.executable, "-c", script, database_file(runtime)], check=True)
    assert shown(data)["workflow"] == "by-a-process"


def test_the_shown_fire_times_move_on_as_the_scheduler_fires(data: Client) -> None:
    make_job(data, "job", "select 1 as n from logs", scheduler=EVERY_SECOND)
    assert data.post("/v2/jobs/job/actions/start", {}).status_code == 200
    first = shown(data)["nextFireTimes"]
    deadline = time.monotonic() + 15
    while shown(data)["nextFireTimes"] == first:
        assert time.monotonic() < deadline, "the shown fire times never moved on"
        time.sleep(0.05)
    later = shown(data)["nextFireTimes"]
    assert later[0] > first[0]
    data.post("/v2/jobs/job/actions/stop")


def test_two_accounts_each_see_their_own_job_of_one_name(
    settings: Settings, runtime: Runtime
) -> None:
    pair = create_key(runtime, "bob")
    with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
        a = Client(http)
        b = a.as_account(pair.access_key, pair.secret_key)
        for client, code in ((a, "select 1 as a from logs"), (b, "select 2 as b from logs")):
            make_datasource(client)
            make_job(client, "same", code)
        for _ in range(2):  # the second round from the kept answers
            assert shown(a, "same")["computation"]["code"] == "select 1 as a from logs"
            assert shown(b, "same")["computation"]["code"] == "select 2 as b from logs"


def test_a_repeated_get_with_nothing_changed_does_not_read_the_job_again(
    data: Client, runtime: Runtime
) -> None:
    make_job(data, "job", "select 1 as n from logs")
    reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM jobs LEFT OUTER JOIN job_states" in statement:
            reads.append(statement)

    sa.event.listen(runtime.db, "before_cursor_execute", seen)
    try:
        bodies = [data.get("/v2/jobs/job") for _ in range(3)]
    finally:
        sa.event.remove(runtime.db, "before_cursor_execute", seen)
    assert len(reads) == 1
    assert len({r.content for r in bodies}) == 1
    assert len({r.headers["x-reqid"] for r in bodies}) == 3  # a request id each, as before


@pytest.mark.postgres
def test_on_postgresql_a_node_sees_what_another_node_changed(
    tmp_path: Path, postgres_url: str
) -> None:
    def node(name: str) -> Runtime:
        settings = make_settings(tmp_path / name, postgres_url)
        settings = settings.model_copy(
            update={
                "runner": settings.runner.model_copy(update={"enabled": False}),
                "scheduler": settings.scheduler.model_copy(update={"enabled": False}),
            }
        )
        return build_runtime(settings)

    a_rt, b_rt = node("a"), node("b")
    try:
        with (
            TestClient(create_app(a_rt.settings, a_rt), raise_server_exceptions=False) as a_http,
            TestClient(create_app(b_rt.settings, b_rt), raise_server_exceptions=False) as b_http,
        ):
            a, b = Client(a_http), Client(b_http)
            make_datasource(a)
            make_job(a, "job", "select 1 as n from logs")
            assert shown(b)["computation"]["code"] == shown(b)["computation"]["code"]
            changed = {
                **shown(a),
                "computation": {"type": "sql", "code": "select 2 as n from logs"},
            }
            assert a.put("/v2/jobs/job", changed).status_code == 200
            assert shown(b)["computation"]["code"] == "select 2 as n from logs"
    finally:
        a_rt.close()
        b_rt.close()

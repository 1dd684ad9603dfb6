"""Alerts (issue 14, item 5) through the real app on a FixedClock, to a real local HTTP receiver.

The receiver checks nothing itself: each test verifies the signature as docs/decisions.md tells
a receiver to (HMAC-SHA256 over "<t>." + the raw body with the target's secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.api.test_batches import make_datasource, make_job, write_lines
from tests.api.test_retries import NOW, World, due_time
from tests.exporters.receivers import Received, Receiver, http_receiver
from tests.support import Client, assert_error, wait_for
from tidemill.clock import FixedClock
from tidemill.config import ExportSettings, OutboundSettings, Settings
from tidemill.core.notify import check_matches

SECRET = "s3cret-for-the-hook-0123"


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    quick = settings.model_copy(update={"exports": ExportSettings(http_retries=0, http_timeout=5)})
    made = World(quick, FixedClock(NOW))
    made.open()
    yield made
    made.close()


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with http_receiver() as made:
        yield made


def target(hook: Receiver, *on: str, **extra: Any) -> dict[str, Any]:
    return {"url": f"http://{hook.url}/hook", "on": list(on), "secret": SECRET, **extra}


def verified(request: Received, secret: str = SECRET) -> dict[str, Any]:
    """The alert's body, after checking its signature as a receiver should."""
    parts = dict(p.split("=", 1) for p in request.headers["x-tidemill-signature"].split(","))
    stamp, mac = parts["t"], parts["v1"]
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + request.body, hashlib.sha256)
    assert hmac.compare_digest(mac, expected.hexdigest()), "bad signature"
    assert abs(int(stamp) - time.time()) < 300
    assert request.headers["content-type"] == "application/json"
    body: dict[str, Any] = json.loads(request.body)
    assert request.headers["x-tidemill-event"] == body["event"]
    return body


def arrived(hook: Receiver, count: int, timeout: float = 20.0) -> list[Received]:
    deadline = time.monotonic() + timeout
    while len(hook.requests) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"{len(hook.requests)} alert(s) arrived, not {count}")
        time.sleep(0.05)
    return list(hook.requests)


def data(w: World) -> Client:
    assert w.client is not None
    write_lines(w.settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(w.client)
    return w.client


def tick(w: World) -> int:
    assert w._http is not None
    delivered: int = w._http.app.state.notifier.tick()  # type: ignore[attr-defined]
    return delivered


def test_succeeded_and_failed_alerts_are_signed_posts(world: World, hook: Receiver) -> None:
    client = data(world)
    make_job(client, "j", "select url from logs",
             notify=[target(hook, "failed", "succeeded")])  # fmt: skip
    client.post("/v2/jobs/j/actions/start", {})
    ok = wait_for(client, "j")
    [first] = arrived(hook, 1)
    shutil.rmtree(world.settings.data_dir / "kodo" / "default" / "bkt1")  # the next one fails
    client.post("/v2/batch/actions/rerun", {"jobName": "j", "runId": 1})
    failed = wait_for(client, "j", {"Failed"})
    second = arrived(hook, 2)[1]

    succeeded = verified(first)
    assert succeeded == {"event": "succeeded", "job": "j", "runId": 1,
                         "batchTime": ok["batchTime"], "status": "Successful",
                         "message": "success", "attempt": 1, "at": ok["endTime"]}  # fmt: skip
    assert first.path == "/hook" and first.headers["x-tidemill-delivery"]
    body = verified(second)
    assert (body["event"], body["status"], body["attempt"]) == ("failed", "Failed", 2)
    assert body["message"] == failed["message"] and "bkt1" in body["message"]
    with pytest.raises(AssertionError, match="bad signature"):
        verified(second, "another-secret-0123456")
    status = client.get("/v2/jobs/j").json()["notifyStatus"]
    assert status[0]["url"] == f"http://{hook.url}/hook" and status[0]["pending"] == 0
    last = status[0]["lastDelivery"]
    assert (last["event"], last["status"], last["httpStatus"], last["error"]) == (
        "failed",
        "Delivered",
        200,
        "",
    )


def test_a_retried_batch_alerts_once_when_it_has_failed_for_good(
    world: World, hook: Receiver
) -> None:
    client = data(world)
    with http_receiver() as export:
        export.always_fail = True
        make_job(client, "r", "select url from logs", notify=[target(hook, "failed")],
                 retry={"attempts": 2, "backoff": "1m", "maxBackoff": "1m"})  # fmt: skip
        spec = {"host": export.url, "uri": "/in", "format": "json"}
        client.post("/v2/jobs/r/exports/h", {"type": "http", "spec": spec})
        client.post("/v2/jobs/r/actions/start", {})
        first = wait_for(client, "r", {"Failed"})
        tick(world)
        silent = len(hook.requests)
        world.advance(due_time(first["message"]) - NOW)
        [alert] = arrived(hook, 1)

    assert silent == 0  # a failure that will be retried is not an alert
    body = verified(alert)
    assert body["event"] == "failed" and body["attempt"] == 2
    assert body["message"].startswith("attempt 2 of 2 failed") and "no attempts left" in body[
        "message"]  # fmt: skip


def test_a_refused_delivery_is_retried_with_backoff(world: World, hook: Receiver) -> None:
    hook.fail_next = 1
    client = data(world)
    make_job(client, "j", "select url from logs", notify=[target(hook, "succeeded")])
    client.post("/v2/jobs/j/actions/start", {})
    wait_for(client, "j")
    arrived(hook, 1)
    deadline = time.monotonic() + 10
    while "lastDelivery" not in (shown := client.get("/v2/jobs/j").json()["notifyStatus"][0]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    tick(world)  # not due again yet: 10 s later
    before = len(hook.requests)
    world.clock.advance(timedelta(seconds=10))
    delivered = tick(world)
    after = client.get("/v2/jobs/j").json()["notifyStatus"][0]

    assert shown["pending"] == 1
    assert shown["lastDelivery"]["status"] == "Pending"
    assert shown["lastDelivery"]["httpStatus"] == 503 and "HTTP 503" in shown["lastDelivery"][
        "error"]  # fmt: skip
    assert before == 1 and delivered == 1 and len(hook.requests) == 2
    assert hook.requests[0].headers["x-tidemill-delivery"] == hook.requests[1].headers[
        "x-tidemill-delivery"]  # fmt: skip
    assert after["pending"] == 0
    assert (after["lastDelivery"]["status"], after["lastDelivery"]["attempts"]) == ("Delivered", 2)


def test_late_fires_once_for_a_batch_not_succeeded_in_time(world: World, hook: Receiver) -> None:
    client = data(world)
    make_job(client, "slow", "select url from logs",
             notify=[target(hook, "late", lateAfter="15m")])  # fmt: skip
    make_job(client, "fine", "select url from logs",
             notify=[target(hook, "late", lateAfter="15m")])  # fmt: skip
    shutil.rmtree(world.settings.data_dir / "kodo" / "default" / "bkt1")
    client.post("/v2/jobs/slow/actions/start", {})
    slow = wait_for(client, "slow", {"Failed"})
    write_lines(world.settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    client.post("/v2/jobs/fine/actions/start", {})
    wait_for(client, "fine", {"Successful"})

    world.clock.advance(timedelta(minutes=14))
    tick(world)
    early = len(hook.requests)
    world.clock.advance(timedelta(minutes=1))
    tick(world)
    tick(world)

    assert early == 0
    [alert] = hook.requests
    body = verified(alert)
    assert (body["event"], body["job"], body["runId"]) == ("late", "slow", 1)
    assert body["batchTime"] == slow["batchTime"] and body["status"] == "Failed"
    assert body["message"] == "not succeeded 15m after its batchTime"


def test_a_target_the_outbound_policy_refuses_is_refused_at_create(client: Client) -> None:
    make_datasource(client)
    body: dict[str, Any] = {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select url from logs"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
        "notify": [{"url": "http://169.254.169.254/latest", "on": ["failed"], "secret": SECRET}],
    }  # fmt: skip

    error = assert_error(client.post("/v2/jobs/j", body), 400, "E18207")
    assert "notify[0].url" in error["error"] and "169.254.0.0/16" in error["error"]
    body["notify"][0]["url"] = "http://127.0.0.1:9/hook"
    assert client.post("/v2/jobs/j", body).status_code == 200  # loopback is allowed by default
    body["notify"][0]["url"] = "http://[::ffff:169.254.169.254]/x"
    assert_error(client.put("/v2/jobs/j", body), 400, "E18207")


def test_an_operator_deny_list_applies_to_alerts(tmp_path: Any, settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from tidemill.api.app import create_app
    from tidemill.runtime import build_runtime

    strict = settings.model_copy(update={"outbound": OutboundSettings(deny=("127.0.0.0/8",))})
    runtime = build_runtime(strict)
    with TestClient(create_app(strict, runtime), raise_server_exceptions=False) as http:
        client = Client(http)
        make_datasource(client)
        body = {
            "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
            "computation": {"type": "sql", "code": "select url from logs"},
            "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
            "notify": [{"url": "http://localhost:9/h", "on": ["failed"], "secret": SECRET}],
        }  # fmt: skip
        error = assert_error(client.post("/v2/jobs/j", body), 400, "E18207")
    assert "127.0.0.0/8" in error["error"]


@pytest.mark.parametrize(
    ("notify", "words"),
    [
        ({"url": "x"}, "notify must be a list"),
        ([{"on": ["failed"], "secret": SECRET}], "notify[0].url is required"),
        ([{"url": "ftp://h/x", "on": ["failed"], "secret": SECRET}], "http:// or https://"),
        ([{"url": "http://h/x", "on": [], "secret": SECRET}], "notify[0].on must be a non-empty"),
        ([{"url": "http://h/x", "on": ["boom"], "secret": SECRET}], "names 'boom'"),
        ([{"url": "http://h/x", "on": ["late"], "secret": SECRET}], "lateAfter is required"),
        ([{"url": "http://h/x", "on": ["late"], "lateAfter": "10s", "secret": SECRET}],
         "lateAfter must be from 1m to 7d"),
        ([{"url": "http://h/x", "on": ["failed"], "lateAfter": "1h", "secret": SECRET}],
         'only taken with "late"'),
        ([{"url": "http://h/x", "on": ["failed"]}], "notify[0].secret is required"),
        ([{"url": "http://h/x", "on": ["failed"], "secret": "short"}], "16-256 characters"),
        ([{"url": "http://h/x", "on": ["failed"], "secret": SECRET, "x": 1}], "x is not a member"),
        ([{"url": "http://h/x", "on": ["failed"], "secret": SECRET}] * 2, "one url twice"),
    ],
)  # fmt: skip
def test_a_bad_notify_field_is_refused(client: Client, notify: Any, words: str) -> None:
    make_datasource(client)
    body = {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select url from logs"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
        "notify": notify,
    }  # fmt: skip
    error = assert_error(client.post("/v2/jobs/j", body), 400, "E18207")
    assert words in error["error"]


def test_get_job_shows_the_targets_without_their_secret(client: Client) -> None:
    make_datasource(client)
    hooks = [{"url": "https://example.invalid/h", "on": ["late", "FAILED"], "lateAfter": "90m",
              "secret": SECRET}]  # fmt: skip
    make_job(client, "j", "select url from logs", notify=hooks)

    shown = client.get("/v2/jobs/j").json()
    listed = client.get("/v2/jobs").json()["jobs"][0]

    check = shown["notify"][0]["secretCheck"]  # lets a client holding the secret compare
    expected = [{"url": "https://example.invalid/h", "on": ["failed", "late"],
                 "lateAfter": "90m", "secret": "set", "secretCheck": check}]  # fmt: skip
    assert shown["notify"] == expected and listed["notify"] == expected
    assert check_matches(check, SECRET, "https://example.invalid/h")
    assert not check_matches(check, SECRET + "x", "https://example.invalid/h")
    assert shown["notifyStatus"] == [{"url": "https://example.invalid/h", "pending": 0}]
    assert SECRET not in json.dumps(shown) + json.dumps(listed)


def hook_with_password(hook: Receiver) -> str:
    return f"http://hookuser:hookpass-0123@{hook.url}/hook"


def test_a_urls_user_info_is_never_shown_and_still_used_to_deliver(
    world: World, hook: Receiver
) -> None:
    client = data(world)
    make_job(
        client,
        "j",
        "select url from logs",
        notify=[{"url": hook_with_password(hook), "on": ["succeeded"], "secret": SECRET}],
    )
    client.post("/v2/jobs/j/actions/start", {})
    wait_for(client, "j")
    [alert] = arrived(hook, 1)
    deadline = time.monotonic() + 10
    while "lastDelivery" not in client.get("/v2/jobs/j").json()["notifyStatus"][0]:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    shown = client.get("/v2/jobs/j").json()
    listed = client.get("/v2/jobs").json()["jobs"][0]
    read = json.dumps(shown) + json.dumps(listed)

    hidden = f"http://***@{hook.url}/hook"
    assert shown["notify"][0]["url"] == hidden and listed["notify"][0]["url"] == hidden
    assert shown["notifyStatus"][0]["url"] == hidden
    assert "hookpass" not in read and "hookuser" not in read
    verified(alert)
    assert alert.headers["authorization"] == "Basic " + base64.b64encode(
        b"hookuser:hookpass-0123").decode()  # fmt: skip


def test_a_job_read_back_can_be_put_back_unchanged(world: World, hook: Receiver) -> None:
    client = data(world)
    make_job(
        client,
        "j",
        "select url from logs",
        notify=[{"url": hook_with_password(hook), "on": ["succeeded"], "secret": SECRET}],
    )
    read = client.get("/v2/jobs/j").json()

    put = client.put("/v2/jobs/j", read)
    again = client.get("/v2/jobs/j").json()
    client.post("/v2/jobs/j/actions/start", {})
    wait_for(client, "j")
    [alert] = arrived(hook, 1)

    assert put.status_code == 200, put.text
    assert again["notify"] == read["notify"]
    verified(alert)  # signed with the secret stored at create
    assert alert.headers["authorization"] == "Basic " + base64.b64encode(
        b"hookuser:hookpass-0123").decode()  # fmt: skip


def test_a_new_secret_replaces_the_stored_one_and_set_never_becomes_a_secret(
    world: World, hook: Receiver
) -> None:
    client = data(world)
    make_job(
        client,
        "j",
        "select url from logs",
        notify=[{"url": hook_with_password(hook), "on": ["succeeded"], "secret": SECRET}],
    )
    read = client.get("/v2/jobs/j").json()
    other = "another-secret-0123456"
    read["notify"][0]["secret"] = other
    assert client.put("/v2/jobs/j", read).status_code == 200
    client.post("/v2/jobs/j/actions/start", {})
    wait_for(client, "j")
    [alert] = arrived(hook, 1)
    verified(alert, other)

    moved = {**read, "notify": [{"url": f"http://{hook.url}/elsewhere", "on": ["failed"],
                                 "secret": "set"}]}  # fmt: skip
    error = assert_error(client.put("/v2/jobs/j", moved), 400, "E18207")
    assert 'notify[0].secret "set" keeps the secret stored for this url' in error["error"]
    copied = assert_error(client.post("/v2/jobs/k", read | {"notify": [
        {"url": f"http://***@{hook.url}/hook", "on": ["failed"], "secret": SECRET}]}),
        400, "E18207")  # fmt: skip
    assert "send the url with its user info" in copied["error"]
    fresh = {**read, "notify": [{"url": f"http://{hook.url}/h", "on": ["failed"],
                                 "secret": "set"}]}  # fmt: skip
    assert "send the secret" in assert_error(client.post("/v2/jobs/k", fresh), 400, "E18207")[
        "error"]  # fmt: skip

"""Listing endpoints are capped per account (docs/decisions.md, "safety2"): an account's slow
listings cannot fill the API's threadpool and stall every account.

The listings are held in flight deterministically: an audit hook (sys.addaudithook) blocks
`os.scandir` of one account's bucket until released, as a huge listing would."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.api.test_batches import make_datasource, make_job, write_lines
from tests.support import Client, assert_error
from tidemill.config import Settings

_blocked: dict[str, Any] = {}  # "dir": the bucket directory whose scans wait; "release", "in"


def _audit(event: str, args: Any) -> None:
    if event != "os.scandir" or "dir" not in _blocked:  # armed by the test, after its setup
        return
    scanned = args[0]  # a path, or a directory's descriptor (storage.local_buckets)
    if isinstance(scanned, int):
        scanned = os.readlink(f"/proc/self/fd/{scanned}")
    if str(scanned).startswith(_blocked["dir"]):
        _blocked["in"].release()
        _blocked["release"].wait(30)


sys.addaudithook(_audit)  # cannot be removed: inert while nothing is blocked


@pytest.fixture
def slow_bucket() -> Iterator[threading.Semaphore]:
    entered = threading.Semaphore(0)
    release = threading.Event()
    _blocked.update({"release": release, "in": entered})
    try:
        yield entered
    finally:
        release.set()
        _blocked.clear()


def other_account(client: Client, runtime: Any, settings: Settings) -> Client:
    from tidemill.services.accounts import create_key

    pair = create_key(runtime, "other")
    (settings.data_dir / "kodo" / "other" / "bkt1").mkdir(parents=True)
    other = client.as_account(pair.access_key, pair.secret_key)
    make_datasource(other)
    return other


@pytest.mark.parametrize(
    "path", ["/v2/console/datasources/logs/files", "/v2/jobs/j/actions/render"]
)
def test_an_accounts_third_listing_is_refused_while_two_run_and_others_go_on(
    client: Client, runtime: Any, settings: Settings, slow_bucket: threading.Semaphore, path: str
) -> None:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1}'])
    make_datasource(client)
    make_job(client, "j", "select url from logs")
    other = other_account(client, runtime, settings)
    make_job(other, "j", "select url from logs")

    _blocked["dir"] = str(settings.data_dir / "kodo" / settings.account / "bkt1")

    def call(c: Client) -> httpx.Response:
        return c.post(path, {}) if path.endswith("render") else c.get(path)

    with ThreadPoolExecutor(2) as pool:
        held = [pool.submit(call, client) for _ in range(2)]
        for _ in held:  # both are listing, blocked inside the scan
            assert slow_bucket.acquire(timeout=30)

        refused = call(client)
        meanwhile = call(other)
        _blocked["release"].set()
        finished = [f.result(timeout=60) for f in held]

    assert_error(refused, 429, "E9000")
    assert "listings" in refused.json()["error"] and "retry" in refused.json()["error"]
    assert meanwhile.status_code == 200, meanwhile.text
    assert [r.status_code for r in finished] == [200, 200]
    assert call(client).status_code == 200  # the slots are given back


def test_the_limit_is_a_setting(tmp_path: Path) -> None:
    from tests.conftest import make_settings

    assert make_settings(tmp_path).api.max_listings_per_account == 2

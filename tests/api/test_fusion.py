"""fusion datasources end to end through the API (issue 12, Fusion): a generated CDN-log corpus
(3 domains x 48 hours, bad lines mixed in) from file://, from s3:// (SeaweedFS), from hdfs://
(the run's MiniDFSCluster; the corpus is written there once per module) and from the log-list
API."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.cdn_corpus import Corpus, corpus
from tests.conftest import make_settings
from tests.fusion_api import api_name, log_list_api
from tests.support import Client, assert_error, wait_for
from tidemill.api.app import create_app
from tidemill.clock import FixedClock
from tidemill.config import FusionSettings, Settings
from tidemill.runtime import build_runtime
from tidemill.storage.registry import StorageConfig, open_storages
from tidemill.storage.s3 import S3Store

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)  # 2026-11-23 01:30 in Shanghai
FIRST = datetime(2026, 11, 21, 2, tzinfo=ZONE)  # 48 hours: up to 2026-11-23 01:00
DOMAINS = ["a.example.com", "b.example.com", "cdn.example.org"]
CORPUS = corpus(DOMAINS, FIRST, 48)
COUNT_SQL = (
    "select date_format(time, 'yyyy-MM-dd HH') as h, statusCode as s, count(*) as n"
    " from t group by date_format(time, 'yyyy-MM-dd HH'), statusCode"
)


@contextmanager
def served(tmp_path: Path, url: str, settings: Settings, **fusion: Any) -> Iterator[Client]:
    settings = settings.model_copy(update={"fusion": FusionSettings(url=url, **fusion)})
    runtime = build_runtime(settings, FixedClock(NOW))
    try:
        if not url.startswith(("http", "hdfs")):  # the API serves its own; hdfs_logs wrote
            for path, data in CORPUS.files.items():
                runtime.storages.put(f"{url}/{path}", data)
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            yield Client(http, clock=FixedClock(NOW))
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def hdfs_logs(hdfs_url: str) -> str:
    """The corpus on the run's HDFS, written once for this module's tests (they only read)."""
    url = f"{hdfs_url}/cdn-{uuid.uuid4().hex[:12]}/logs"
    files = open_storages(StorageConfig())
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda item: files.put(f"{url}/{item[0]}", item[1]), CORPUS.files.items()))
    return url


@pytest.fixture(params=["file", "s3", pytest.param("hdfs", marks=pytest.mark.hdfs), "api"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Client]:
    settings = make_settings(tmp_path)
    if request.param == "hdfs":
        with served(tmp_path, request.getfixturevalue("hdfs_logs"), settings) as made:
            yield made
        return
    if request.param == "api":
        root = tmp_path / "api"
        for path, data in CORPUS.files.items():
            domain, name = api_name(path)
            (root / domain).mkdir(parents=True, exist_ok=True)
            (root / domain / name).write_bytes(data)
        with log_list_api(root) as server, served(tmp_path, server.base, settings) as made:
            yield made
        assert server.refused == []
        return
    if request.param == "file":
        url = f"file://{tmp_path / 'cdn'}"
    else:
        s3 = request.getfixturevalue("s3_settings")
        bucket = f"cdn-{uuid.uuid4().hex[:12]}"
        raw = S3Store(s3.endpoint, s3.access_key, s3.secret_key.get_secret_value(), s3.region)
        raw.create_bucket(bucket)
        settings = settings.model_copy(update={"s3": s3})
        url = f"s3://{bucket}/logs"
    with served(tmp_path, url, settings) as made:
        yield made


def ok(response: Any) -> None:
    assert response.status_code == 200, response.text


def fusion(client: Client, name: str, domain: str, file_filter: str | None) -> None:
    spec: dict[str, Any] = {"domains": [domain]}
    if file_filter is not None:
        spec["fileFilter"] = file_filter
    ok(client.post(f"/v2/datasources/{name}", {
        "region": "nb", "type": "fusion", "spec": spec, "schema": [],
    }))  # fmt: skip


def count_job(client: Client, name: str, datasource: str) -> dict[str, Any]:
    ok(client.post(f"/v2/jobs/{name}", {
        "srcs": [{"name": datasource, "type": "DataSource", "tableName": "t"}],
        "computation": {"type": "sql", "code": COUNT_SQL},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip
    ok(client.post(f"/v2/jobs/{name}/actions/start", {}))
    return wait_for(client, name, timeout=60)


def counted(client: Client, job: str) -> Counter[tuple[datetime, int | None]]:
    result = client.get(f"/v2/jobs/{job}/history/1/result", params={"limit": "1000"}).json()
    assert result["total"] == len(result["rows"])
    found: Counter[tuple[datetime, int | None]] = Counter()
    for hour, status, n in result["rows"]:
        at = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=ZONE)
        found[(at, status)] += n
    return found


def hours_from(start: datetime, count: int) -> set[datetime]:
    return {start + timedelta(hours=k) for k in range(count)}


def expect(done: dict[str, Any], corpus_: Corpus, domain: str, hours: set[datetime]) -> None:
    bad = corpus_.bad_lines(domain, hours)
    assert done["status"] == "Successful", done
    if bad:
        assert f"{bad} of " in done["message"], done
        assert "could not be parsed" in done["message"]
        assert f"{domain}/" in done["message"] and ".gz:" in done["message"]
    else:
        assert "could not be parsed" not in done["message"]


def test_a_fixed_range_counts_exactly_its_hours(client: Client) -> None:
    fusion(client, "fixed", DOMAINS[0], "2026-11-21 10:00 ~ 2026-11-22 04:00")
    done = count_job(client, "j", "fixed")
    hours = hours_from(datetime(2026, 11, 21, 10, tzinfo=ZONE), 18)
    expect(done, CORPUS, DOMAINS[0], hours)
    assert counted(client, "j") == CORPUS.count(DOMAINS[0], hours)


def test_a_relative_range_and_the_default_hour(client: Client) -> None:
    ok(client.post("/v2/variables/back", {
        "type": "time", "value": "$(now)-10h", "format": "yyyy-MM-dd HH:mm",
    }))  # fmt: skip
    fusion(client, "relative", DOMAINS[1], "$(back) ~ $(now)")
    fusion(client, "current", DOMAINS[2], None)
    relative = count_job(client, "r", "relative")
    current = count_job(client, "c", "current")
    # now = 2026-11-23 01:30: back = 2026-11-22 15:30, whose hour is the first one read
    hours = hours_from(datetime(2026, 11, 22, 15, tzinfo=ZONE), 11)
    expect(relative, CORPUS, DOMAINS[1], hours)
    assert counted(client, "r") == CORPUS.count(DOMAINS[1], hours)
    now_hour = {datetime(2026, 11, 23, 1, tzinfo=ZONE)}
    expect(current, CORPUS, DOMAINS[2], now_hour)
    assert counted(client, "c") == CORPUS.count(DOMAINS[2], now_hour)
    assert sum(CORPUS.count(DOMAINS[2], now_hour).values()) > 0


def test_too_many_bad_lines_fail_the_batch(tmp_path: Path) -> None:
    url = f"file://{tmp_path / 'cdn'}"
    with served(tmp_path, url, make_settings(tmp_path), max_bad_share=0.001) as client:
        fusion(client, "all", DOMAINS[0], "2026-11-21 00:00 ~ 2026-11-24 00:00")
        done = count_job(client, "j", "all")
    bad = CORPUS.bad_lines(DOMAINS[0], hours_from(FIRST, 48))
    assert done["status"] == "Failed", done
    assert f"{bad} of " in done["message"] and "0.10% allowed" in done["message"], done
    assert f"{DOMAINS[0]}/2026-11-21/02/part-0.gz:" in done["message"]


def test_declared_schema_differing_and_no_log_location_are_refused(tmp_path: Path) -> None:
    url = f"file://{tmp_path / 'cdn'}"
    with served(tmp_path, url, make_settings(tmp_path)) as client:
        assert_error(client.post("/v2/datasources/d", {
            "region": "nb", "type": "fusion", "spec": {"domains": ["a.com"]},
            "schema": [{"key": "statusCode", "valtype": "string"}],
        }), 400, "E18110")  # fmt: skip
    settings = make_settings(tmp_path / "other").model_copy(update={"fusion": FusionSettings()})
    runtime = build_runtime(settings, FixedClock(NOW))
    try:
        with TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http:
            response = Client(http, clock=FixedClock(NOW)).post("/v2/datasources/d", {
                "region": "nb", "type": "fusion", "spec": {"domains": ["a.com"]}, "schema": [],
            })  # fmt: skip
    finally:
        runtime.close()
    assert response.status_code == 400, response.text
    assert "TIDEMILL_FUSION__URL" in response.text

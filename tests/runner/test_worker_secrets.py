"""Workers get only what they need (issue 11, item 6): a real `tidemill serve` given its
bootstrap keys in the environment (as an operator would) runs a batch; neither the forkserver
nor any worker process holds the secret key anywhere in its memory or environment, while the
service itself does (the scan finds what is there)."""

from __future__ import annotations

import json
import pickle
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_batches import ROWS, SCHEMA
from tests.served import Served
from tests.support import SK
from tidemill.config import Settings, WorkerConfig

SECRET = SK.encode()


def test_the_worker_config_holds_no_key_of_the_bootstrap_account(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, access_key="ak_visible_1234", secret_key=SK)
    config = WorkerConfig.of(settings)

    sent = pickle.dumps(config)

    assert SECRET not in sent and b"ak_visible_1234" not in sent
    assert SECRET in pickle.dumps(settings)  # what a worker was given before


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def descendants(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def memory_holds(pid: int, needle: bytes) -> bool:
    """Whether any readable mapping of process `pid` contains `needle` (read from /proc)."""
    chunk = 1 << 20
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if not perms.startswith("r") or line.rstrip().endswith("[vvar]"):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            tail = b""
            for offset in range(start, end, chunk):
                try:
                    mem.seek(offset)
                    data = mem.read(min(chunk, end - offset))
                except (OSError, ValueError, OverflowError):
                    break
                if needle in tail + data:
                    return True
                tail = data[-len(needle) :]
    return False


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    data = tmp_path / "data"
    bucket = data / "kodo" / "default" / "bkt1" / "cdn"
    bucket.mkdir(parents=True)
    (bucket / "a.json").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    node = Served(data, {"TIDEMILL_RUNNER__SLOTS": "1"}).start()
    yield node
    node.stop()


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_no_worker_process_holds_the_bootstrap_secret_key(served: Served) -> None:
    body = {
        "region": "nb", "type": "kodo", "noVerifySchema": True, "schema": SCHEMA,
        "spec": {"bucket": "bkt1", "keyPrefixes": ["cdn/"], "fileType": "json"},
    }  # fmt: skip
    assert served.request("POST", "/v2/datasources/logs", body).status_code == 200
    job = {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select url, sum(bytes) as n from logs group by 1"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }  # fmt: skip
    created = served.request("POST", "/v2/jobs/j", job)
    assert created.status_code == 200, created.text
    assert served.request("POST", "/v2/jobs/j/actions/start", {}).status_code == 200
    deadline = time.monotonic() + 60
    status = ""
    while time.monotonic() < deadline and status not in ("Successful", "Failed"):
        time.sleep(0.2)
        answer = served.request("GET", "/v2/jobs/j/history", params={"runId": "-1"}).json()
        status = answer["history"][0]["status"]
    assert status == "Successful", answer  # a worker ran a batch, with its plan and fence

    assert served.process is not None
    service = served.process.pid
    workers = descendants(service)
    assert len(workers) >= 2, workers  # the forkserver and at least one worker

    assert memory_holds(service, SECRET)  # the scan finds the key where it is
    for pid in workers:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert not [v for v in environ if v.startswith(b"TIDEMILL_")], pid
        assert not memory_holds(pid, SECRET), f"process {pid} holds the bootstrap secret key"

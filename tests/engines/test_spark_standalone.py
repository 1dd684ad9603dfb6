"""The Spark engine on a real standalone cluster (scripts/spark.sh: a master and a worker on
loopback from pyspark's jars), started once for this module and stopped after it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "spark.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("spark")
    started = subprocess.run(
        [str(SCRIPT), "start", str(directory), str(free_port())],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    try:
        assert started.returncode == 0, started.stderr
        line = started.stdout.strip().splitlines()[-1]
        assert line.startswith("TIDEMILL_SPARK__URL=spark://127.0.0.1:"), started.stdout
        yield line.split("=", 1)[1]
    finally:
        subprocess.run([str(SCRIPT), "stop", str(directory)], timeout=60, check=False)


def test_a_batch_runs_on_the_cluster_and_a_stop_cancels_its_jobs(master: str) -> None:
    ran = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "engines" / "spark_standalone_run.py"), master],
        capture_output=True, text=True, timeout=600, check=False, cwd=ROOT,
    )  # fmt: skip

    assert ran.returncode == 0, ran.stderr[-3000:]
    got = json.loads(ran.stdout.strip().splitlines()[-1])
    assert got["master"] == master
    assert got["schema"] == [["s", "string"], ["total", "long"]]
    assert got["rows"] == [
        {"s": f"k{k}", "total": sum(i for i in range(1000) if i % 3 == k)} for k in range(3)
    ]
    assert got["outcome"] == "stopped"
    assert got["stop_seconds"] < 5
    assert got["published"] == ["r.parquet"]  # the stopped run published nothing

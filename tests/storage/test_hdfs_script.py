"""scripts/hdfs.sh keeps its promises: one line naming the namenode, the data kept in DIR across
a stop and a start, one cluster per DIR, and a stop that ends the JVM."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port
from tidemill.storage.hdfs import HdfsFiles

SCRIPT = str(ROOT / "scripts/hdfs.sh")


def hdfs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.hdfs
def test_a_restarted_cluster_keeps_its_files(tmp_path: Path) -> None:
    directory, port = tmp_path / "hdfs", free_port()
    try:
        started = hdfs("start", str(directory), str(port))
        assert started.returncode == 0, started.stderr
        assert started.stdout == f"hdfs://127.0.0.1:{port}\n"
        HdfsFiles().put(f"hdfs://127.0.0.1:{port}/kept/a.csv", b"1,2\n")

        again = hdfs("start", str(directory), str(port))
        assert again.returncode == 1 and "already runs" in again.stderr
        pid = int((directory / "hdfs.pid").read_text())
        assert hdfs("stop", str(directory)).returncode == 0
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # the JVM is gone

        restarted = hdfs("start", str(directory), str(port))
        assert restarted.returncode == 0, restarted.stderr
        assert HdfsFiles().read(f"hdfs://127.0.0.1:{port}/kept/a.csv") == b"1,2\n"
    finally:
        hdfs("stop", str(directory))


def test_stopping_where_nothing_runs_is_no_error(tmp_path: Path) -> None:
    assert hdfs("stop", str(tmp_path / "never-started")).returncode == 0
    assert hdfs("stop", str(tmp_path)).returncode == 0

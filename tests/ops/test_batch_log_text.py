"""The batch log's text (runner.batch_log), built directly: server paths never show, causes
are followed, sizes read as bytes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.engines.base import Committed
from tidemill.errors import BackendError, Failure
from tidemill.runner.batch_log import BatchLog, Redactor

DATA = Path("/srv/tidemill/data")
WAREHOUSE = f"file://{DATA}/warehouse"
LOCAL = f"{DATA}/kodo/default/bkt1/logs/a.json"


def plan() -> BatchPlan:
    files = (InputFile(f"file://{LOCAL}", 3_500_000, "json", "", "bkt1/logs/a.json"),)
    tables = (
        TablePlan("logs", files=files, file_type="json"),
        TablePlan("up", result=f"{WAREHOUSE}/3/up/7/result.parquet"),
    )
    return BatchPlan(
        3, AccountScope("default"), "j", 9, "select *\nfrom logs", tables,
        f"{WAREHOUSE}/3/j/9/result.parquet", Limits(2, "1GB"), "Asia/Shanghai",
        params={"day": "2026-11-30"}, attempt=1,
    )  # fmt: skip


def test_server_paths_become_names_the_tenant_knows_even_in_causes() -> None:
    log = BatchLog(plan(), Redactor.for_plan(plan(), DATA, WAREHOUSE))
    try:
        try:
            raise OSError(f"cannot read {LOCAL}: spill to {DATA}/scratch/x failed")
        except OSError as inner:
            raise BackendError(Failure.INTERNAL, "the query failed") from inner
    except BackendError as exc:
        log.failed(exc.message, exc)
    log.finish({"worker_peak_rss_bytes": 2048})

    text = log.text()

    assert str(DATA) not in text
    assert "caused by OSError: cannot read bkt1/logs/a.json: spill to <data>/scratch/x" in text
    assert "table up: an upstream batch's result, warehouse:/3/up/7/result.parquet" in text
    assert "bkt1/logs/a.json  3,500,000 bytes (3.3 MiB)" in text
    assert "batch: 9 (attempt 1)" in text and "params: day=2026-11-30" in text
    assert "select *\nfrom logs" in text
    assert "outcome: failed" in text and "worker peak rss: 2,048 bytes (2.0 KiB)" in text


def test_figures_are_shown_in_their_units() -> None:
    log = BatchLog(plan(), Redactor.for_plan(plan(), DATA, WAREHOUSE))
    figures = {"rows_read": 1234567, "bytes_read": 5 * 2**30, "spill_bytes": 0,
               "cpu_seconds": 1.5}  # fmt: skip
    log.committed(Committed([], 10, plan().result_uri, "", figures), {})

    text = log.text()

    assert "rows written: 10" in text and "rows read: 1,234,567" in text
    assert "bytes read: 5,368,709,120 bytes (5.0 GiB)" in text
    assert "spill: 0 bytes" in text and "cpu: 1.500 s" in text


_PEAKS = """
from tidemill.runner.batch_log import process_figures, reset_peak_memory
reset_peak_memory()
before = process_figures()["worker_peak_rss_bytes"]
block = bytearray(64 * 2**20)
block[::4096] = b"x" * len(block[::4096])  # touch every page
grown = process_figures()["worker_peak_rss_bytes"]
del block
reset_peak_memory()
print(before, grown, process_figures()["worker_peak_rss_bytes"])
"""


def test_peak_memory_is_measured_afresh_after_a_reset() -> None:
    # in a fresh process, as a worker's: in the test process, hundreds of MB in, freed memory
    # need not go back to the system at once (seen once in a full run), so the figure stays
    out = subprocess.run(
        [sys.executable, "-c", _PEAKS], check=True, capture_output=True, text=True
    ).stdout
    before, grown, after = (int(word) for word in out.split())

    assert grown >= before + 60 * 2**20
    assert after < grown - 32 * 2**20

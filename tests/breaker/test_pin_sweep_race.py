"""A sweep of abandoned input pins never removes a live one, however the two interleave.

`LocalBuckets.local_path` pins a read input in a directory of its own that holds a lock while
in use; `sweep_pins` (the runner's scratch sweep: at start and when it settles lapsed leases,
on any node sharing the data dir) removes the unlocked ones. The pin directory was made under
its pin name and locked after: a sweep in between removed it, and the batch's read failed with
"No file" naming an input that was there (NotFoundError: DS_VERIFY_NOT_FOUND on the wire).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from tidemill.storage.local_buckets import (
    PIN_PREFIX,
    PINNING_GRACE,
    PINNING_PREFIX,
    LocalBuckets,
    sweep_pins,
)

READS = 1500  # before the fix a read failed every ~100 on this machine


def test_reads_survive_a_sweeping_node(tmp_path: Path) -> None:
    kodo = tmp_path / "kodo"
    store = LocalBuckets(kodo / "acct")
    store.create_bucket("b")
    (kodo / "acct" / "b" / "x.csv").write_text("a,1\n")
    stop = threading.Event()

    def sweeping() -> None:  # another node's sweeps, back to back
        while not stop.is_set():
            sweep_pins(kodo)

    sweeper = threading.Thread(target=sweeping, daemon=True)
    sweeper.start()
    failures: list[str] = []
    try:
        for _ in range(READS):
            try:
                with store.local_path("b", "x.csv") as pinned:
                    if pinned.read_text() != "a,1\n":
                        failures.append(f"read {pinned.read_text()!r}")
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
            if failures:
                break
    finally:
        stop.set()
        sweeper.join()
    assert failures == []
    assert [p.name for p in kodo.iterdir() if p.name.startswith(PIN_PREFIX)] == []


def test_a_pin_left_half_made_is_swept_once_old(tmp_path: Path) -> None:
    kodo = tmp_path / "kodo"
    kodo.mkdir()
    young, old = kodo / f"{PINNING_PREFIX}1", kodo / f"{PINNING_PREFIX}2"
    young.mkdir()
    old.mkdir()
    past = time.time() - PINNING_GRACE - 60
    os.utime(old, (past, past))
    assert sweep_pins(kodo) == [old.name]
    assert young.is_dir() and not old.exists()

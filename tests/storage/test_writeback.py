"""tidemill.writeback: the files under a directory are flushed to disk while they grow (so the
fsync before a durable publish finds little left), only when they grew, and never after the
block."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tidemill.writeback import written_back


@pytest.fixture
def flushed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The inode of each file `os.fdatasync` flushed (the real call still runs)."""
    inodes: list[int] = []
    real = os.fdatasync

    def recording(fd: int) -> None:
        inodes.append(os.fstat(fd).st_ino)
        real(fd)

    monkeypatch.setattr(os, "fdatasync", recording)
    return inodes


def test_a_file_is_flushed_as_it_grows_and_not_once_it_stops(
    tmp_path: Path, flushed: list[int]
) -> None:
    target = tmp_path / "result.parquet"
    with written_back(tmp_path, 0.01):
        with target.open("wb") as out:
            for _ in range(3):
                out.write(b"x" * 65536)
                out.flush()
                time.sleep(0.06)
        grown = len(flushed)
        time.sleep(0.06)  # no longer growing: nothing more to flush
        assert len(flushed) == grown
    with target.open("ab") as out:  # grown after the block: never flushed
        out.write(b"y" * 65536)
    time.sleep(0.06)
    assert len(flushed) == grown

    assert grown >= 2  # flushed while written, not only once at the end
    assert set(flushed) == {target.stat().st_ino}


def test_files_removed_meanwhile_and_subdirectories_are_no_trouble(
    tmp_path: Path, flushed: list[int]
) -> None:
    (tmp_path / "part=1").mkdir()
    kept, gone = tmp_path / "part=1" / "a.data", tmp_path / "b.data"
    with written_back(tmp_path, 0.01):
        kept.write_bytes(b"a" * 4096)
        gone.write_bytes(b"b" * 4096)
        time.sleep(0.05)
        gone.unlink()
        time.sleep(0.03)

    assert kept.stat().st_ino in flushed


def test_an_empty_directory_is_looked_at_every_first_seconds_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flushed: list[int]
) -> None:
    looks: list[float] = []
    real = os.walk

    def counting(top: Path) -> object:
        looks.append(time.monotonic())
        return real(top)

    monkeypatch.setattr(os, "walk", counting)
    with written_back(tmp_path, 0.01, first=0.1):
        time.sleep(0.35)  # nothing written: ~3 looks, not ~35
        idle = len(looks)
        (tmp_path / "out.parquet").write_bytes(b"x" * 4096)
        time.sleep(0.25)  # the first look that sees data; from then on every 0.01 s

    assert idle <= 4  # fewer under load: the bounds hold either way
    assert len(looks) - idle >= 3
    assert flushed


def test_blocks_one_after_another_and_side_by_side_share_one_thread(
    tmp_path: Path, flushed: list[int]
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for directory in (a, b):  # one after the other, as a batch's result and then its export
        with written_back(directory, 0.01):
            (directory / "out").write_bytes(b"x" * 4096)
            time.sleep(0.05)
        assert (directory / "out").stat().st_ino in flushed
    flushed.clear()
    with written_back(a, 0.01), written_back(b, 0.01, first=0.02):  # side by side
        (a / "more").write_bytes(b"x" * 4096)
        (b / "more").write_bytes(b"x" * 4096)
        time.sleep(0.08)
    assert {(a / "more").stat().st_ino, (b / "more").stat().st_ino} <= set(flushed)
    assert [t.name for t in threading.enumerate()].count("tidemill-writeback") == 1


def test_a_block_that_ends_does_not_wait_for_a_flush_under_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_flush, release = threading.Event(), threading.Event()
    calls: list[int] = []
    real = os.fdatasync

    def held(fd: int) -> None:  # the flusher stops inside its fdatasync until released
        calls.append(fd)
        if threading.current_thread().name == "tidemill-writeback":
            in_flush.set()
            release.wait(10)
        real(fd)

    monkeypatch.setattr(os, "fdatasync", held)
    target = tmp_path / "result.parquet"
    safety = threading.Timer(10, release.set)  # a block that waited would still end
    safety.start()
    try:
        with written_back(tmp_path, 0.01):
            target.write_bytes(b"x" * 65536)
            assert in_flush.wait(10), "the flusher never flushed"
        assert not release.is_set()  # the block ended while the flush was still under way
        with target.open("ab") as out:  # grown after the block: no file is opened for it
            out.write(b"y" * 65536)
    finally:
        release.set()
        safety.cancel()
    time.sleep(0.06)
    assert len(calls) == 1

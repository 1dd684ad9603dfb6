"""Local mode: each run's spill and shuffle files in that run's own scratch directory.

Spark writes them under its block manager's directory, fixed when the SparkContext starts
(`spark.local.dir`/blockmgr-UUID) and shared by every run of the application. In local mode the
tasks run in this process's JVM, so that directory can follow the run: once, at the first run,
it is moved aside and replaced by a symbolic link; a run points the link at a directory of its
own scratch (with the 64 sub-directories Spark expects, spark.diskStore.subDirectories) and
back when it ends, and its files go with its scratch. Runs take turns (one at a time per
process; a worker runs one batch). A `spark://` cluster's executors spill on their own
machines (SPARK_LOCAL_DIRS of its workers): nothing here applies.

Making and removing 64 directories costs ~0.2 s a run on an ext4 disk mounted with `discard`
(each `rmdir` frees a block: ~3 ms, measured on this project's machine), so a run's tree is
not removed but emptied of its files when the run ends and kept beside the base (`SPARES` of
them), and the next run renames it into its scratch; where that fails (another file system) the
tree is made afresh and left to the caller's removal, as before.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyspark.sql import SparkSession

SUBDIRS = 64  # Spark's spark.diskStore.subDirectories default: "00" ... "3f"
SPARES = 2  # emptied trees kept for the next runs

_lock = threading.Lock()  # one run at a time holds the link
_bases: dict[str, Path] = {}  # application id → where its block manager's own files stay
_spares: list[Path] = []  # emptied spill trees of ended runs, beside a base


def _link(spark: SparkSession) -> tuple[Path, Path]:
    """(the block manager directory, now a link; the directory it points at between runs)."""
    app = str(spark.sparkContext.applicationId)
    jvm = spark.sparkContext._jvm
    assert jvm is not None  # a running context has its gateway
    dirs = jvm.org.apache.spark.SparkEnv.get().blockManager().diskBlockManager().localDirs()
    link = Path(str(dirs[0].getAbsolutePath()))
    base = _bases.get(app)
    if base is None:
        base = link.with_name(link.name + ".base")
        if not link.is_symlink():
            os.rename(link, base)
            _populate(base)
            os.symlink(base, link)
        _bases[app] = base
    return link, base


def _populate(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for number in range(SUBDIRS):
        (directory / f"{number:02x}").mkdir(exist_ok=True)


def _point(link: Path, target: Path) -> None:
    """Make `link` point at `target` in one step (readers never see no link)."""
    fresh = link.with_name(link.name + ".next")
    fresh.unlink(missing_ok=True)
    os.symlink(target, fresh)
    os.replace(fresh, link)


def _take(target: Path) -> None:
    """Make `target` a spill tree: a spare renamed there, else made afresh."""
    while _spares:
        spare = _spares.pop()
        try:
            os.rename(spare, target)
            return
        except OSError:  # gone with its application, or another file system: dropped
            continue
    _populate(target)


def _keep(target: Path, base: Path) -> None:
    """Empty `target` of the run's files and keep it as a spare beside `base`; a tree that
    holds anything else, or cannot move there, is left as it is (the caller removes it)."""
    if len(_spares) >= SPARES:
        return
    names = {f"{number:02x}" for number in range(SUBDIRS)}
    try:
        if {entry.name for entry in os.scandir(target)} != names:
            return
        for name in sorted(names):
            with os.scandir(target / name) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        return
                    os.unlink(entry.path)
        spare = base.with_name(f"{base.name}.spare-{uuid.uuid4().hex}")
        os.rename(target, spare)
    except OSError:
        return
    _spares.append(spare)


@contextmanager
def into(spark: SparkSession, target: Path) -> Iterator[None]:
    """While the block runs, the application's spill and shuffle files go under `target`
    (created; the caller removes it). Blocks runs of other threads until it ends."""
    with _lock:
        link, base = _link(spark)
        target.parent.mkdir(parents=True, exist_ok=True)
        _take(target)
        _point(link, target)
        try:
            yield
        finally:
            _point(link, base)
            _keep(target, base)

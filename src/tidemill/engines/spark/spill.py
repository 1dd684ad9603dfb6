"""Local mode: each run's spill and shuffle files in that run's own scratch directory.

Spark writes them under its block manager's directory, fixed when the SparkContext starts
(`spark.local.dir`/blockmgr-UUID) and shared by every run of the application. In local mode the
tasks run in this process's JVM, so that directory can follow the run: once, at the first run,
it is moved aside and replaced by a symbolic link; a run points the link at a directory of its
own scratch (with the 64 sub-directories Spark expects, spark.diskStore.subDirectories) and
back when it ends, and its files go with its scratch. Runs take turns (one at a time per
process; a worker runs one batch). A `spark://` cluster's executors spill on their own
machines (SPARK_LOCAL_DIRS of its workers): nothing here applies.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyspark.sql import SparkSession

SUBDIRS = 64  # Spark's spark.diskStore.subDirectories default: "00" ... "3f"

_lock = threading.Lock()  # one run at a time holds the link
_bases: dict[str, Path] = {}  # application id → where its block manager's own files stay


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


@contextmanager
def into(spark: SparkSession, target: Path) -> Iterator[None]:
    """While the block runs, the application's spill and shuffle files go under `target`
    (created; the caller removes it). Blocks runs of other threads until it ends."""
    with _lock:
        link, base = _link(spark)
        _populate(target)
        _point(link, target)
        try:
            yield
        finally:
            _point(link, base)

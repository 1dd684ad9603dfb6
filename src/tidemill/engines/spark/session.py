"""The process's Spark session: built once, on first use, against TIDEMILL_SPARK__URL.

A session costs seconds (a JVM, a SparkContext): it is shared by every run and `check` of the
process; each run works in its own `newSession()` (its own temporary views and session zone,
the same SparkContext). Settings fixed for every run (issue 13, the common standards): ANSI off,
no UI, no SQL over file paths (csv.`path`), timestamps written as Parquet TIMESTAMP_MICROS
(UTC-adjusted, as the DuckDB engine writes them), loopback for the driver unless told.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from pyspark.sql import SparkSession

DEFAULT_URL = "local[2]"

_FIXED = {
    "spark.ui.enabled": "false",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.runSQLOnFiles": "false",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionOverwriteMode": "static",
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.showConsoleProgress": "false",
    # no .crc files beside local files (Hadoop's checksummed LocalFileSystem): the result
    # directory holds the Parquet file only
    "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
}

_lock = threading.Lock()
_session: SparkSession | None = None


def shared(url: str, local_dir: Path | None = None) -> SparkSession:
    """The process's session against master `url` (`local[N]`, `spark://host:7077`).

    `local_dir` is Spark's `spark.local.dir` (shuffle and spill files); a fixed setting of
    the SparkContext, so it holds for every run of the process. The first call decides.
    """
    global _session
    with _lock:
        if _session is not None and not alive(_session):
            _forget()
            _session = None
        if _session is None:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            spill = local_dir or Path(tempfile.gettempdir()) / "tidemill-spark"
            spill.mkdir(parents=True, exist_ok=True)
            builder = SparkSession.builder.master(url).appName("tidemill")
            for key, value in {**_FIXED, "spark.local.dir": str(spill)}.items():
                builder = builder.config(key, value)
            _session = builder.getOrCreate()
            _session.sparkContext.setLogLevel("ERROR")
        return _session


def alive(spark: SparkSession) -> bool:
    """Whether `spark`'s JVM still answers and its context is not stopped."""
    try:
        return not spark.sparkContext._jsc.sc().isStopped()
    except Exception:  # the gateway is gone: py4j raises whatever the socket gave
        return False


def _forget() -> None:
    """End the JVM this process launched (it no longer answers: after an OutOfMemoryError
    its gateway can hang while the process lives on), and drop pyspark's references to it,
    so the next builder launches a new one."""
    from pyspark import SparkContext

    proc = getattr(SparkContext._gateway, "proc", None)
    if proc is not None:
        proc.kill()
        proc.wait()
        if proc.stdin is not None:  # the pipe whose end tells a live gateway to exit
            proc.stdin.close()
    SparkContext._active_spark_context = None
    SparkContext._gateway = None
    SparkContext._jvm = None
    SparkSession._instantiatedSession = None
    SparkSession._activeSession = None


def run_session(url: str, zone: str) -> SparkSession:
    """A fresh session of the shared context: its own temporary views, session zone `zone`."""
    session = shared(url).newSession()
    session.conf.set("spark.sql.session.timeZone", zone)
    for key in ("spark.sql.ansi.enabled", "spark.sql.runSQLOnFiles"):
        session.conf.set(key, "false")
    return session

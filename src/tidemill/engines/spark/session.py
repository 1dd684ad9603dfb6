"""The process's Spark session: built on first use for a `Profile`, rebuilt when a run needs
another (TIDEMILL_SPARK__*; docs/decisions.md, "Spark engine" and "Spark engine: storage,
memory, spill").

A session costs seconds (a JVM, a SparkContext): it is shared by every run and `check` of the
process while their profile is the same; each run works in its own `newSession()` (its own
temporary views and session zone, the same SparkContext). Settings fixed for every run (issue
13, the common standards): ANSI off, no UI, no SQL over file paths (csv.`path`), no `${...}`
variable substitution (it would put the server's environment and settings into a query's text),
timestamps written as Parquet TIMESTAMP_MICROS (UTC-adjusted, as the DuckDB engine writes
them), loopback for the driver unless told.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path

from pyspark.sql import SparkSession

from tidemill.core.spark_resources import RESERVED_MIB, heap_mib

DEFAULT_URL = "local[2]"

_FIXED = {
    "spark.ui.enabled": "false",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.runSQLOnFiles": "false",
    "spark.sql.variable.substitute": "false",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionOverwriteMode": "static",
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.showConsoleProgress": "false",
    # no .crc files beside local files (Hadoop's checksummed LocalFileSystem): the result
    # directory holds the Parquet file only
    "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
    # a result written through Hadoop (s3a://, hdfs://) gets no _SUCCESS marker beside it
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
}
# Settings a run's session may not change (a run's SQL cannot SET; these are re-set anyway).
_PER_RUN = ("spark.sql.ansi.enabled", "spark.sql.runSQLOnFiles", "spark.sql.variable.substitute")


@dataclass(frozen=True, slots=True)
class Profile:
    """What fixes a Spark application: a run needing another profile gets a new one.

    `url`: the master (`local[N]`, `spark://host:7077`). `jars`: a directory of extra jars
    on every JVM's class path ("" none). `driver_memory` / `executor_memory`: JVM heaps as
    Spark writes them ("1g"). `memory_fraction`: spark.memory.fraction (the share of the heap,
    past 300 MiB, that execution and storage may use before spilling). `driver_java_options`:
    the driver JVM's extra options, e.g. `-XX:TieredStopAtLevel=1` (JIT with C1 only: half the
    JVM's CPU for many small batches, measured; docs/spark.md).
    """

    url: str = DEFAULT_URL
    jars: str = ""
    driver_memory: str = "1g"
    executor_memory: str = "1g"
    memory_fraction: float = 0.6
    cores_max: str = ""  # spark.cores.max: the cores one application takes of a cluster
    driver_java_options: str = ""  # spark.driver.extraJavaOptions ("" none)

    def unified_mib(self) -> float:
        """MiB of Spark's unified memory in each JVM that runs tasks (`memory_fraction` of its
        heap past the reserved 300 MiB)."""
        heap = self.driver_memory if self.local else self.executor_memory
        return (heap_mib(heap) - RESERVED_MIB) * self.memory_fraction

    def serves(self, wanted: Profile) -> bool:
        """Whether an application of this profile may run a batch that wants `wanted`: the
        same cluster, jars and executors, and no more unified memory than the batch's limit
        (less only spills more; the limit is a ceiling)."""
        same = replace(self, driver_memory="", memory_fraction=0) == replace(
            wanted, driver_memory="", memory_fraction=0
        )
        return same and self.unified_mib() <= wanted.unified_mib() + 0.5

    @property
    def local(self) -> bool:
        """Whether tasks run in the driver's JVM (`local`, `local[N]`, `local[*]`)."""
        return self.url == "local" or self.url.startswith("local[")

    def conf(self, local_dir: Path) -> dict[str, str]:
        conf = {
            **_FIXED,
            "spark.local.dir": str(local_dir),
            "spark.driver.memory": self.driver_memory,
            "spark.executor.memory": self.executor_memory,
            "spark.memory.fraction": str(self.memory_fraction),
        }
        if self.cores_max:
            conf["spark.cores.max"] = self.cores_max
        if self.driver_java_options:
            conf["spark.driver.extraJavaOptions"] = self.driver_java_options
        if self.jars:
            classpath = str(Path(self.jars) / "*")
            conf["spark.driver.extraClassPath"] = classpath
            conf["spark.executor.extraClassPath"] = classpath
        return conf


_lock = threading.Lock()
_session: SparkSession | None = None
_profile: Profile | None = None
_local_dir: Path | None = None


def shared(profile: Profile, *, at_most: bool = False) -> SparkSession:
    """The process's session for `profile`: the running one when its profile is `profile`
    (with `at_most`: when it `serves` `profile`, giving no more memory), else a new application
    (the old one is stopped and its JVM ended: seconds)."""
    global _session, _profile, _local_dir
    with _lock:
        fits = _profile is not None and (
            _profile.serves(profile) if at_most else _profile == profile
        )
        if _session is not None and (not fits or not alive(_session)):
            _end()
        if _session is None:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            _local_dir = Path(tempfile.mkdtemp(prefix="tidemill-spark-"))
            builder = SparkSession.builder.master(profile.url).appName("tidemill")
            for key, value in profile.conf(_local_dir).items():
                builder = builder.config(key, value)
            _session = builder.getOrCreate()
            _session.sparkContext.setLogLevel("ERROR")
            _profile = profile
        return _session


def current(default: Profile) -> SparkSession:
    """The running session whatever its profile (a `check` needs no particular one), or a
    new one for `default` — in local mode (`local[1]`) when `default` names a cluster: a check
    only analyses, and an application on a cluster holds its executors while it lives."""
    with _lock:
        running = _session if _session is not None and alive(_session) else None
    if running is not None:
        return running
    return shared(default if default.local else replace(default, url="local[1]"))


def local_dir() -> Path | None:
    """The running application's spark.local.dir (None before the first session)."""
    return _local_dir


def alive(spark: SparkSession) -> bool:
    """Whether `spark`'s JVM still answers and its context is not stopped."""
    try:
        return not spark.sparkContext._jsc.sc().isStopped()
    except Exception:  # the gateway is gone: py4j raises whatever the socket gave
        return False


def stop() -> None:
    """End the process's session and its JVM, if any (tests; a profile change does it)."""
    with _lock:
        _end()


def _end() -> None:
    global _session, _profile, _local_dir
    if _session is not None and alive(_session):
        with suppress(Exception):  # a JVM that fails while stopping is ended below all the same
            _session.stop()
    _forget()
    if _local_dir is not None:
        shutil.rmtree(_local_dir, ignore_errors=True)
    _session, _profile, _local_dir = None, None, None


def _forget() -> None:
    """End the JVM this process launched (it no longer answers: after an OutOfMemoryError
    its gateway can hang while the process lives on; or its class path must change), and drop
    pyspark's references to it, so the next builder launches a new one."""
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


def run_session(profile: Profile, zone: str) -> SparkSession:
    """A fresh session of a context that serves `profile` (the running one unless it would give
    more memory than `profile`: a batch's limit is a ceiling, and a stop must not wait for a
    JVM to start), with its own temporary views and session zone `zone`. An idle worker's
    `prepare` brings back the default application (`shared` with the exact profile)."""
    return _fresh(shared(profile, at_most=True), zone)


def check_session(default: Profile) -> SparkSession:
    """A fresh session of whatever context runs (or `default`'s), in UTC: for `check`."""
    return _fresh(current(default), "UTC")


def _fresh(spark: SparkSession, zone: str) -> SparkSession:
    session = spark.newSession()
    session.conf.set("spark.sql.session.timeZone", zone)
    for key in _PER_RUN:
        session.conf.set(key, "false")
    return session

"""Tidemill's answers on the Spark engine (`tidemill.engines.spark`), through the Engine contract.

Create: `SparkEngine.check(sql, tables)` (what job create runs with TIDEMILL_ENGINE=spark).
Batch: `SparkEngine.run(plan, io)` over the corpus tables' Parquet files, given as a
datasource's `InputFile`s read through a real Storage (`file://`), the result committed at the
plan's `result_uri`. Result: `preview` of that file (what the result endpoint reads). One
engine (one shared Spark session) serves every case; each run has its own session of it.
`run` may be called from a few threads at once, as a node's workers would share a Spark
application: each case's outcome is its own (its own session, job group, result file).

The driver JVM compiles with C1 only (`JAVA_OPTIONS`, TIDEMILL_SPARK__DRIVER_JAVA_OPTIONS in
production): over a thousand small, different queries the JVM spends half its CPU in C2
compiling code it then barely runs (measured: docs/spark.md). The engine's code, Spark's plans
and its results are the same with either compiler.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from tests.fidelity import canonical
from tests.fidelity.case import Table
from tests.fidelity.corpus_loader import Entry, tables_read
from tests.fidelity.tidemill_side import ROW_LIMIT, ZONE, Outcome, _crash
from tidemill.core.models import AccountScope, SchemaField
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.engines.base import RunIO
from tidemill.engines.duckdb.database import preview
from tidemill.engines.spark.engine import SparkEngine
from tidemill.errors import Failure, InvalidInputError, TidemillError
from tidemill.storage.local import file_uri
from tidemill.storage.registry import StorageConfig, open_storages

SCOPE = AccountScope("fidelity", frozenset())
JAVA_OPTIONS = os.environ.get("TIDEMILL_FIDELITY_SPARK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1")


class SparkEngineSide:
    """The Spark engine over the corpus tables' Parquet files; `run(entry)` per case.

    `seconds` holds each case's wall time (create + batch + result), by case id.
    """

    def __init__(self, paths: Mapping[str, Path], tables: Mapping[str, Table]) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="tidemill-fidelity-spark-"))
        (self._root / "scratch").mkdir()
        self._storage = open_storages(StorageConfig(memory=True))
        self._engine = SparkEngine(driver_java_options=JAVA_OPTIONS)
        self._tables = tables
        self._files = {
            name: InputFile(file_uri(path), path.stat().st_size, "parquet", name=f"{name}/part-0")
            for name, path in paths.items()
        }
        self._count = 0
        self._counting = threading.Lock()
        self.seconds: dict[str, float] = {}

    def __enter__(self) -> SparkEngineSide:
        self._engine.prepare()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        shutil.rmtree(self._root, ignore_errors=True)

    def run(self, entry: Entry) -> Outcome:
        """Create, run and read back `entry`'s query on Spark (never raises for its faults)."""
        started = time.perf_counter()
        try:
            return self._run(entry)
        finally:
            self.seconds[entry.case.id] = time.perf_counter() - started

    def _run(self, entry: Entry) -> Outcome:
        sql = entry.case.sql
        read = tables_read(entry)
        fields = {
            name: [SchemaField(k, vt) for k, vt in table.columns] for name, table in read.items()
        }
        try:
            created = self._engine.check(sql, fields)
        except InvalidInputError as exc:
            if exc.failure is Failure.JOB_SQL_INVALID:
                return Outcome("refused", exc.message)
            return Outcome("create_error", f"{exc.failure.value}: {exc.message}")
        except TidemillError as exc:
            return Outcome("create_error", f"{exc.failure.value}: {exc.message}")
        except Exception as exc:
            return Outcome("create_error", f"crash (a 500): {_crash(exc)}")
        schema = [(f.key, f.valtype) for f in created]
        with self._counting:
            self._count += 1
            number = self._count
        result = self._root / f"warehouse/result-{number}.parquet"
        plan = BatchPlan(
            1, SCOPE, "fidelity", number, sql,
            tuple(
                TablePlan(name, tuple((k, vt, False) for k, vt in table.columns),
                          (self._files[name],), file_type="parquet")
                for name, table in read.items()
            ),
            file_uri(result), Limits(2, "1GB"), ZONE,
        )  # fmt: skip
        try:
            committed = self._engine.run(plan, RunIO(self._storage, scratch=self._root / "scratch"))
        except TidemillError as exc:
            return Outcome("batch_error", f"{exc.failure.value}: {exc.message}", "", schema)
        except Exception as exc:
            return Outcome("batch_error", f"crash: {_crash(exc)}", "", schema)
        ran = [(f.key, f.valtype) for f in committed.schema]
        if ran != schema:
            return Outcome(
                "batch_error", f"the batch's schema {ran} is not job create's {schema}", "", schema
            )
        try:
            _, rows = preview(result, ROW_LIMIT, ZONE)
            canonical_rows = [[canonical.value(v, ZONE) for v in row] for row in rows]
        except Exception as exc:
            return Outcome("result_error", _crash(exc), "", schema)
        finally:
            result.unlink(missing_ok=True)
        if committed.rows != len(rows) and len(rows) < ROW_LIMIT:
            return Outcome(
                "result_error", f"committed {committed.rows} rows, the file has {len(rows)}"
            )
        return Outcome("ran", "", "", schema, canonical_rows)

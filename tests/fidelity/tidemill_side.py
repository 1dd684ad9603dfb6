"""Tidemill's answers, computed exactly as a job's batch computes them.

Create: `dialect.to_duckdb` and `output_schema` over the job's tables (what job create runs and
reports). Batch: a sealed engine (`open_engine` + `seal`, the worker's steps), the tables
registered as Parquet datasources (`register_source`), `conformed` + COPY to Parquet. Result:
`preview` of that file (what the result endpoint reads). One engine serves many cases (a batch
only reads; views are the same for every case), which keeps a run to milliseconds per case.
"""

from __future__ import annotations

import os
import tempfile
import threading
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from tests.fidelity import canonical
from tests.fidelity.case import Table
from tests.fidelity.corpus_loader import Entry, tables_read
from tidemill.core.models import SchemaField
from tidemill.engines.duckdb import dialect
from tidemill.engines.duckdb.database import (
    conformed,
    open_engine,
    output_schema,
    preview,
    quote_literal,
    seal,
)
from tidemill.engines.duckdb.reading import register_source
from tidemill.errors import Failure, InvalidInputError, TidemillError

ZONE = "Asia/Shanghai"
ROW_LIMIT = 100_000
CASE_SECONDS = float(os.environ.get("TIDEMILL_FIDELITY_CASE_SECONDS", "20"))


@dataclass
class Outcome:
    """What Tidemill did with one case.

    kind: "ran" (a result), "refused" (InvalidInputError JOB_SQL_INVALID at create, spec code
    E18209), "create_error" (job create failed otherwise: another code or a crash, a 500),
    "batch_error" (the batch failed), "result_error" (the result endpoint failed).
    """

    kind: str
    message: str = ""
    duckdb_sql: str = ""
    schema: list[tuple[str, str]] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)


class TidemillSide:
    """A sealed engine over the corpus tables' Parquet files; `run(entry)` per case."""

    def __init__(self, paths: Mapping[str, Path], tables: Mapping[str, Table]) -> None:
        self._out = Path(tempfile.mkdtemp(prefix="tidemill-fidelity-out-"))
        self._tables = tables
        allowed = sorted({str(p.parent) for p in paths.values()} | {str(self._out)})
        self._con = seal(
            open_engine(macros=()), time_zone=ZONE, threads=1, allowed_directories=allowed,
            temp_directory=str(self._out / ".spill"),
        )  # fmt: skip
        for name, path in paths.items():
            register_source(
                self._con, name, [path], file_type="parquet",
                schema=[SchemaField(k, v, False) for k, v in tables[name].columns],
            )  # fmt: skip
        self._count = 0
        self._made: list[str] = []  # macros the current case created

    def __enter__(self) -> TidemillSide:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()
        for path in self._out.glob("*.parquet"):
            path.unlink()

    def run(self, entry: Entry) -> Outcome:
        """Create, run and read back `entry`'s query (never raises for the query's faults)."""
        try:
            return self._run(entry)
        finally:  # a case never leans on a macro an earlier case made
            for name in self._made:
                self._con.execute(f'DROP MACRO IF EXISTS "{name}"')
            self._made = []

    def _run(self, entry: Entry) -> Outcome:
        sql = entry.case.sql
        tables = {n: list(t.columns) for n, t in tables_read(entry).items()}
        try:
            duckdb_sql = dialect.to_duckdb(sql, tables)
            if self._plans_too_slowly(duckdb_sql):
                return Outcome(
                    "create_error",
                    f"job create would not finish: DuckDB still plans the translated SQL after"
                    f" {CASE_SECONDS:.0f} s (nested macros expanding?)",
                    duckdb_sql,
                )
            schema = output_schema(sql, tables)
        except InvalidInputError as exc:
            if exc.failure is Failure.JOB_SQL_INVALID:
                return Outcome("refused", exc.message)
            return Outcome("create_error", f"{exc.failure.value}: {exc.message}")
        except TidemillError as exc:
            return Outcome("create_error", f"{exc.failure.value}: {exc.message}")
        except Exception as exc:
            return Outcome("create_error", f"crash (a 500): {_crash(exc)}")
        self._count += 1
        path = self._out / f"result-{self._count}.parquet"
        cur = self._con.cursor()
        timer = threading.Timer(CASE_SECONDS, cur.interrupt)
        timer.start()
        try:
            query = conformed(cur, duckdb_sql)
            cur.execute(f"COPY ({query}) TO {quote_literal(str(path))} (FORMAT parquet)")
        except duckdb.InterruptException:
            message = f"the batch did not finish in {CASE_SECONDS:.0f} s"
            return Outcome("batch_error", message, duckdb_sql, schema)
        except (duckdb.Error, TidemillError) as exc:
            return Outcome("batch_error", _first_line(exc), duckdb_sql, schema)
        except Exception as exc:
            return Outcome("batch_error", f"crash: {_crash(exc)}", duckdb_sql, schema)
        finally:
            timer.cancel()
            cur.close()
        try:
            _, rows = preview(path, ROW_LIMIT, ZONE)
            canonical_rows = [[canonical.value(v, ZONE) for v in row] for row in rows]
        except Exception as exc:
            return Outcome("result_error", _crash(exc), duckdb_sql, schema)
        finally:
            path.unlink(missing_ok=True)
        return Outcome("ran", "", duckdb_sql, schema, canonical_rows)

    def _plans_too_slowly(self, duckdb_sql: str) -> bool:
        """Whether DuckDB is still planning `duckdb_sql` after CASE_SECONDS (it is then
        interrupted): `output_schema` has no time limit, and such a case would hang the run.
        First it creates only the macros the translation names, as a batch's run does."""
        macros = dialect.macros_for(duckdb_sql)
        if macros:
            self._con.execute(";\n".join(macros))
            self._made = dialect.macro_names(macros)
        cur = self._con.cursor()
        timer = threading.Timer(CASE_SECONDS, cur.interrupt)
        timer.start()
        try:
            cur.execute(f"DESCRIBE {duckdb_sql}").fetchall()
        except duckdb.InterruptException:
            return True
        except duckdb.Error:
            return False  # output_schema will say what is wrong
        finally:
            timer.cancel()
            cur.close()
        return False


def _first_line(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, TidemillError) else str(exc)
    return text.strip().split("\n")[0]


def _crash(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1:]
    at = f" at {where[0].filename.rsplit('/', 1)[-1]}:{where[0].lineno}" if where else ""
    text = str(exc).split("\n")[0].split(" due to the following Python exception")[0]
    return f"{type(exc).__name__}: {text[:400]}{at}"

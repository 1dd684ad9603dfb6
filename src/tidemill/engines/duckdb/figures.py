"""What a DuckDB run reports of its work, for the batch log: DuckDB's own profiler metrics.

`track(con)` once, `cpu = clock()` before the query, `read(con, cpu)` after it: a mapping of
figure name to a number, every value an int (bytes, rows) or a float (seconds). Names (the
batch log shows them as is):

* `rows_read`: rows the scans of the input files produced (after the filters pushed into
  them; a count DuckDB answers from a Parquet file's metadata scans none);
* `bytes_read`, `bytes_written`: file I/O of the query (inputs, spill, the result file);
* `peak_memory_bytes`: DuckDB's peak buffer memory (what `memory_limit` holds);
* `spill_bytes`: the peak size of its temporary files (work beyond `memory_limit`);
* `cpu_seconds`: the CPU time of this process while the query ran (DuckDB's threads, which
  do the query's work, and the engine's own);
* `query_seconds`: the query's wall time.

Source: DuckDB's profiler (`enable_profiling`, `tracked_metrics`, the `io`, `system` and
`query` sections of `get_profiling_information(format="json")`, DuckDB 2.0), query-level
metrics only; `time.process_time` for the CPU.
"""

from __future__ import annotations

import json
import time
from typing import Any

import duckdb

# Only what `read` reports, and no operator-level metric: every metric (`['*']`) also sizes
# each operator's output chunks (string lengths included), times the optimizer passes and the
# blocked threads, ~2% of the CPU of a 5M-row GROUP BY; an operator's rows or DuckDB's
# `query.cpu_time` (its operators' timers) still profile every operator, ~1% (docs/
# performance.md, "session 7, groupby"). Names are `section.metric` (DuckDB 2.0).
TRACKED = (
    "query.total_rows_scanned", "io.total_bytes_read", "io.total_bytes_written",
    "system.peak_buffer_memory", "system.peak_temp_dir_size", "query.total_time",
)  # fmt: skip


# What `track` runs: statements a database opened ahead may run with its others, in one call.
TRACK = (
    "SET enable_profiling = 'no_output'",
    "SET profiling_coverage = 'ALL'",
    f"SET tracked_metrics = [{', '.join(repr(m) for m in TRACKED)}]",
)


def track(con: duckdb.DuckDBPyConnection) -> None:
    """Have DuckDB profile the next statements of `con` without printing anything (one call:
    each `execute` costs ~0.2 ms). duckdb.Error if it refuses."""
    con.execute(";\n".join(TRACK))


def clock() -> float:
    """This process's CPU seconds so far (all its threads): `read`'s `cpu` before a query."""
    return time.process_time()


def read(con: duckdb.DuckDBPyConnection, cpu: float | None = None) -> dict[str, int | float]:
    """The figures of the last statement `con` ran, `cpu_seconds` since `cpu` (a `clock()`
    taken before it; None: not reported); {} when DuckDB gives none."""
    spent = None if cpu is None else clock() - cpu
    try:
        profile = json.loads(con.get_profiling_information(format="json"))
    except (duckdb.Error, ValueError):
        return {}
    io, system, query = (profile.get(k) or {} for k in ("io", "system", "query"))
    figures: dict[str, Any] = {
        "rows_read": query.get("total_rows_scanned"),
        "bytes_read": io.get("total_bytes_read"),
        "bytes_written": io.get("total_bytes_written"),
        "peak_memory_bytes": system.get("peak_buffer_memory"),
        "spill_bytes": system.get("peak_temp_dir_size"),
        "cpu_seconds": spent,
        "query_seconds": query.get("total_time"),
    }
    return {k: v for k, v in figures.items() if isinstance(v, int | float)}

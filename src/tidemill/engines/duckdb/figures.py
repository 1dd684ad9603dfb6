"""What a DuckDB run reports of its work, for the batch log: DuckDB's own profiler metrics.

`track(con)` before the query, `read(con)` after it: a mapping of figure name to a number,
every value an int (bytes, rows) or a float (seconds). Names (the batch log shows them as is):

* `rows_read`: rows the scans of the inputs produced (the leaf operators' output rows);
* `bytes_read`, `bytes_written`: file I/O of the query (inputs, spill, the result file);
* `peak_memory_bytes`: DuckDB's peak buffer memory (what `memory_limit` holds);
* `spill_bytes`: the peak size of its temporary files (work beyond `memory_limit`);
* `cpu_seconds`, `query_seconds`: the query's CPU and wall time.

Source: DuckDB's profiler (`enable_profiling`, `tracked_metrics`, the `io`, `system` and
`query` sections of `get_profiling_information(format="json")`, DuckDB 2.0).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import duckdb

# Only what `read` reports: every metric (`['*']`) also sizes each operator's output chunks
# (string lengths included), times the optimizer passes and the blocked threads, ~2% of the CPU
# of a 5M-row GROUP BY (docs/performance.md). Names are `section.metric` (DuckDB 2.0).
TRACKED = (
    "operator.intermediate_rows", "io.total_bytes_read", "io.total_bytes_written",
    "system.peak_buffer_memory", "system.peak_temp_dir_size", "query.cpu_time",
    "query.total_time",
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


def read(con: duckdb.DuckDBPyConnection) -> dict[str, int | float]:
    """The figures of the last statement `con` ran; {} when DuckDB gives none."""
    try:
        profile = json.loads(con.get_profiling_information(format="json"))
    except (duckdb.Error, ValueError):
        return {}
    io, system, query = (profile.get(k) or {} for k in ("io", "system", "query"))
    figures: dict[str, Any] = {
        "rows_read": sum(_leaf_rows(profile.get("operator") or [])),
        "bytes_read": io.get("total_bytes_read"),
        "bytes_written": io.get("total_bytes_written"),
        "peak_memory_bytes": system.get("peak_buffer_memory"),
        "spill_bytes": system.get("peak_temp_dir_size"),
        "cpu_seconds": query.get("cpu_time"),
        "query_seconds": query.get("total_time"),
    }
    return {k: v for k, v in figures.items() if isinstance(v, int | float)}


def _leaf_rows(operators: list[dict[str, Any]]) -> Iterator[int]:
    for operator in operators:
        children = operator.get("children") or []
        if children:
            yield from _leaf_rows(children)
        else:
            yield int(operator.get("intermediate_rows") or 0)

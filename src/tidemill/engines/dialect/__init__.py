"""Spark SQL as the DuckDB engine runs it (design D-4): Spark 3 semantics, ANSI mode off.

Users write Spark SQL; sqlglot translates it for DuckDB, and the passes here correct what the
translation gets wrong, one module per fault kind, so that every answer is Spark's answer in
values and in output types — or the construct is refused at create (E18209) by name:

* `coercion` — Spark's implicit casts; casts that truncate (fault kinds 2, 5).
* `datetimes` — Java datetime patterns, date text, time arithmetic, intervals (1, 3, 10, 11).
  Its parts: `datetime_patterns` (pattern → strftime/strptime), `datetime_values` (Spark's
  casts between text, dates and timestamps), `intervals` (interval literals, their text).
* `functions` — same name, other definition: positions, NULLs, JSON, URLs, regex, collections,
  generators, hints (4, 6, 7, 8, 12).
* `aggregates` — Spark's aggregate definitions, grouping sets, ROLLUP, CUBE (9).
* `basics` — node-by-node gaps in sqlglot's translation (range, trunc units, date_add, ...).
"""

from tidemill.engines.dialect.context import Context
from tidemill.engines.dialect.translate import MACROS, PASSES, to_duckdb, unsupported

__all__ = ["MACROS", "PASSES", "Context", "to_duckdb", "unsupported"]

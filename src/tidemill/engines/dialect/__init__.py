"""Spark SQL as the DuckDB engine runs it (design D-4): Spark 3 semantics, ANSI mode off.

Users write Spark SQL; sqlglot translates it for DuckDB, and the passes here correct what the
translation gets wrong, one module per fault kind, so that every answer is Spark's answer in
values and in output types — or the construct is refused at create (E18209) by name:

* `basics` — node-by-node gaps in sqlglot's translation (range, trunc units, date_add, ...).
"""

from tidemill.engines.dialect.context import Context
from tidemill.engines.dialect.translate import MACROS, PASSES, to_duckdb, unsupported

__all__ = ["MACROS", "PASSES", "Context", "to_duckdb", "unsupported"]

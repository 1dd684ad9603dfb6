"""Spark SQL as the DuckDB engine runs it (design D-4): Spark 3 semantics, ANSI mode off.

Users write Spark SQL; sqlglot translates it for DuckDB, and the passes here correct what the
translation gets wrong, one module per fault kind, so that every answer is Spark's answer in
values and in output types — or the construct is refused at create (E18209) by name:

* `coercion` — Spark's implicit casts and its CAST (fault kinds 2, 5, NULL semantics of 12),
  with `types` (Spark's type of an expression, its widening rules) and `casts` (Spark's
  non-ANSI CAST of one type to another as DuckDB SQL).
* `datetimes` — Java datetime patterns, date text, time arithmetic, intervals (1, 3, 10, 11).
  Its parts: `datetime_patterns` (pattern → strftime/strptime), `datetime_values` (Spark's
  casts between text, dates and timestamps), `intervals` (interval literals, their text).
* `hints` — query hints accepted and dropped; the partition count they ask for stays readable (8).
* `generators` — explode/posexplode/inline/json_tuple/stack, OUTER, LATERAL VIEW (7).
* `json_values` — get_json_object, json_tuple, from_json with DDL schemas, NULL not errors (6, 12).
* `urls` — parse_url, url_encode/url_decode.
* `regex` — Java regex in rlike/regexp_*/split, group references, NULL not errors (6, 12);
  what RE2 cannot run goes to `java_regex` (Python's `re` with java.util.regex's rules).
* `strings` — positions, padding, split limits, format_string/printf (4, 12).
* `arrays` — size of NULL, 0-based subscripts, str_to_map, maps and structs (4, 12).
* `higher_order` — transform's 0-based index, three-valued exists/forall, zip_with, maps (4, 12).
* `aggregates` — Spark's aggregate definitions: percentiles, moments, first/last (9).
* `grouping` — Hive's GROUP BY spellings (WITH ROLLUP/CUBE, GROUPING SETS) and grouping_id (9).
* `joins` — `SELECT *` over USING/NATURAL joins in Spark's column order.
* `subqueries` — IN / NOT IN subqueries outside filters are two-valued, as in Spark.
* `literals` — constant text → timestamp/date conversions folded at translation (speed).
* `basics` — node-by-node gaps in sqlglot's translation (range, trunc units, date_add, ...).
"""

from tidemill.engines.duckdb.dialect.context import Context
from tidemill.engines.duckdb.dialect.translate import (
    FUNCTIONS,
    MACROS,
    PASSES,
    functions_for,
    macro_names,
    macros_for,
    register_functions,
    to_duckdb,
    unsupported,
)

__all__ = [
    "FUNCTIONS",
    "MACROS",
    "PASSES",
    "Context",
    "functions_for",
    "macro_names",
    "macros_for",
    "register_functions",
    "to_duckdb",
    "unsupported",
]

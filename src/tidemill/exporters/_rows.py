"""The batch result as DuckDB sees it, and the SQL that renders its rows for each export format.

Rows are turned into text inside DuckDB (one vectorised expression per row), so the Python side
only moves finished bytes. The row forms:

* text (§8.4, D-25): `k1=v1<TAB>k2=v2`; in string values `\\`, TAB, CR and LF are escaped with
  a backslash; a NULL value leaves its `k=` pair out.
* json: one JSON object per row, keys in column order, NULL as null.
* `date` values are RFC 3339 with the configured zone's offset in both (and in csv).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import duckdb

from tidemill.engines.duckdb.database import (
    open_engine,
    quote_identifier,
    quote_literal,
    seal,
    valtype,
)
from tidemill.engines.duckdb.database import rfc3339_sql as rfc3339
from tidemill.errors import BackendError, Failure
from tidemill.exporters.base import ExportContext

Column = tuple[str, str]  # (name, valtype)


def open_result(ctx: ExportContext, *directories: Path) -> duckdb.DuckDBPyConnection:
    """A sandboxed DuckDB that may read the result and read/write `directories`.

    Without the Spark macros and Python functions: exports run only the SQL of this module,
    on built-in functions, and creating every macro (~70 ms) or registering every function
    (~8 ms) is work an export does not need (docs/performance.md)."""
    # Its temporary files in the batch's scratch (removed with it, swept after a killed
    # worker), not DuckDB's default `.tmp` under the worker's working directory.
    spill = ctx.scratch / f"spill-{uuid.uuid4().hex}"
    allowed = sorted({str(ctx.result.parent), str(spill), *(str(d) for d in directories)})
    return seal(
        open_engine(macros=(), functions=()),
        time_zone=ctx.zone.key,
        threads=ctx.threads,
        memory_limit=ctx.memory_limit,
        allowed_directories=allowed,
        temp_directory=str(spill),
    )


def source(ctx: ExportContext) -> str:
    return f"read_parquet({quote_literal(str(ctx.result))})"


def result_columns(con: duckdb.DuckDBPyConnection, ctx: ExportContext) -> list[Column]:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source(ctx)}").fetchall()
    except duckdb.Error as exc:
        raise BackendError(Failure.INTERNAL, f"cannot read the batch result: {exc}") from exc
    return [(str(row[0]), valtype(str(row[1]))) for row in described]


def plain(column: Column) -> str:
    """The column for json and csv: dates as RFC 3339 text, everything else as it is."""
    name, kind = column
    if kind == "date":
        return f"{rfc3339(quote_identifier(name))} AS {quote_identifier(name)}"
    return quote_identifier(name)


def _text_value(column: Column) -> str:
    name, kind = column
    expr = quote_identifier(name)
    if kind == "date":
        return rfc3339(expr)
    if kind == "boolean":
        return f"CASE WHEN {expr} THEN 'true' WHEN NOT {expr} THEN 'false' END"
    if kind in ("long", "float"):
        return f"CAST({expr} AS VARCHAR)"
    escaped = f"replace(CAST({expr} AS VARCHAR), '\\', '\\\\')"
    for char, code in (("\\t", 9), ("\\r", 13), ("\\n", 10)):
        escaped = f"replace({escaped}, chr({code}), {quote_literal(char)})"
    return escaped


def text_line(columns: Sequence[Column]) -> str:
    """`k1=v1\\tk2=v2` (NULL pairs left out, since concat_ws skips NULL arguments)."""
    pairs = ", ".join(
        f"{quote_literal(name + '=')} || {_text_value((name, kind))}" for name, kind in columns
    )
    return f"concat_ws(chr(9), {pairs})" if columns else "''"


def json_line(columns: Sequence[Column]) -> str:
    members = ", ".join(
        f"{quote_identifier(column[0])} := {plain_value(column)}" for column in columns
    )
    return f"CAST(to_json(struct_pack({members})) AS VARCHAR)" if columns else "'{}'"


def plain_value(column: Column) -> str:
    name, kind = column
    return rfc3339(quote_identifier(name)) if kind == "date" else quote_identifier(name)

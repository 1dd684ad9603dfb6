"""The corpus tables as Parquet files, which both Spark and Tidemill read.

Types are those Tidemill's reader gives each valtype (spec §3.2): long int64, float float64,
date timestamp[us, UTC] (an instant), string, boolean.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.fidelity.case import Table

ARROW_TYPE_BY_VALTYPE = {
    "long": pa.int64(),
    "float": pa.float64(),
    "date": pa.timestamp("us", tz="UTC"),
    "string": pa.string(),
    "boolean": pa.bool_(),
}


def instant(text: str | None) -> dt.datetime | None:
    """An RFC 3339 text as an aware datetime (microseconds kept)."""
    if text is None:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def write_table(table: Table, path: Path) -> Path:
    """Write `table` to the Parquet file `path`; returns it."""
    arrays = []
    for i, (_, valtype) in enumerate(table.columns):
        values = [row[i] for row in table.rows]
        if valtype == "date":
            values = [instant(v) for v in values]
        arrays.append(pa.array(values, type=ARROW_TYPE_BY_VALTYPE[valtype]))
    names = [key for key, _ in table.columns]
    pq.write_table(pa.Table.from_arrays(arrays, names=names), path)
    return path


def write_tables(tables: Mapping[str, Table], directory: Path) -> dict[str, Path]:
    """Each table as `directory/<name>/part-0.parquet`; {name: path}."""
    paths = {}
    for name, table in tables.items():
        folder = directory / name
        folder.mkdir(parents=True, exist_ok=True)
        paths[name] = write_table(table, folder / "part-0.parquet")
    return paths

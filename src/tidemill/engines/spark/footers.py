"""The schema Spark would infer for a table's local Parquet files, read from their footers.

`spark.read.parquet(paths)` without a schema runs a Spark job to read the first file's footer
(Spark 3.5 `ParquetUtils.inferSchema` → `mergeSchemasInParallel`, one task): ~0.2 s a table on
this project's 2-core machine (measured, docs/decisions.md "Spark engine: the whole corpus in
make test"). When every file's footer gives each declared column exactly the Spark type the
table declares (`declared`), the inferred schema is that one, so the read can be given it and
the job skipped. Anything else (a column missing, of another physical type, nested, named twice
up to case, Spark's own schema in the footer, a file Spark reads itself) answers None, and the
read infers as before: the same plan, the same errors.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pyarrow.parquet as pq

# Spark writes its own schema here; it then decides the inferred types (char/varchar, UDTs).
SPARK_METADATA = b"org.apache.spark.sql.parquet.row.metadata"


def _spark_type(physical: str, converted: str, logical: str) -> str | None:
    """The Spark type name Spark 3.5 infers for a primitive Parquet column, for the five types a
    declared column can have (`types.SPARK_BY_VALTYPE`); None for any other column."""
    if physical == "INT64" and converted in ("NONE", "INT_64"):
        return "bigint"
    if physical == "DOUBLE" and converted == "NONE":
        return "double"
    if physical == "BOOLEAN" and converted == "NONE":
        return "boolean"
    if physical == "BYTE_ARRAY" and converted == "UTF8":
        return "string"
    if physical == "INT64" and logical:  # an instant in micro- or milliseconds
        found = json.loads(logical)
        if (
            found.get("Type") == "Timestamp"
            and found.get("isAdjustedToUTC") is True
            and found.get("timeUnit") in ("microseconds", "milliseconds")
        ):
            return "timestamp"
    return None


def _matches(path: str, declared: Sequence[tuple[str, str]]) -> bool:
    """Whether Spark infers exactly `declared` (name, Spark type name) for the columns of the
    Parquet file at local `path` (other columns of the file are not read)."""
    parquet = pq.ParquetFile(path)
    try:
        metadata = parquet.metadata.metadata or {}
        if SPARK_METADATA in metadata:
            return False
        schema = parquet.schema
        top = [name.lower() for name in schema.to_arrow_schema().names]
        leaves = {}
        for i in range(len(schema)):
            column = schema.column(i)
            if column.path == column.name and column.max_repetition_level == 0:
                logical = column.logical_type
                leaves[column.name] = _spark_type(
                    column.physical_type,
                    column.converted_type,
                    logical.to_json() if logical.type != "None" else "",
                )
        return all(
            top.count(name.lower()) == 1 and leaves.get(name) == kind for name, kind in declared
        )
    finally:
        parquet.close()


def inferred_as_declared(paths: Sequence[str], declared: Sequence[tuple[str, str]]) -> bool:
    """Whether reading the Parquet files `paths` with the schema `declared` (name, Spark type
    name, in order) is what Spark's inference would give them: every path local and readable,
    and `_matches` for each. Unreadable footers answer False (the read then reports them)."""
    if not paths or any("://" in p for p in paths):
        return False
    try:
        return all(_matches(p, declared) for p in paths)
    except (OSError, ValueError):  # pyarrow's ArrowInvalid is a ValueError
        return False

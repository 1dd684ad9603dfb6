"""Reading the committed result as Python rows, a batch at a time (tsdb, logdb, report)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow.parquet as pq

from tidemill.exporters.base import ExportContext

BATCH_ROWS = 16 * 1024


def row_batches(ctx: ExportContext, columns: Sequence[str]) -> Iterator[list[dict[str, Any]]]:
    """Lists of {column: value}, in result order; dates come back as aware datetimes."""
    wanted = list(dict.fromkeys(columns))
    with pq.ParquetFile(ctx.result) as parquet:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
            yield batch.to_pylist()


def result_valtypes(ctx: ExportContext) -> dict[str, str]:
    import pyarrow as pa

    schema = pq.read_schema(ctx.result)
    kinds: dict[str, str] = {}
    for f in schema:
        t = f.type
        if pa.types.is_boolean(t):
            kinds[f.name] = "boolean"
        elif pa.types.is_integer(t):
            kinds[f.name] = "long"
        elif pa.types.is_floating(t) or pa.types.is_decimal(t):
            kinds[f.name] = "float"
        elif pa.types.is_timestamp(t) or pa.types.is_date(t):
            kinds[f.name] = "date"
        else:
            kinds[f.name] = "string"
    return kinds

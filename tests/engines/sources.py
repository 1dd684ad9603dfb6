"""Source files for the engine tests, written byte for byte and compressed by extension."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb

from tidemill.engines.duckdb.reading import source_error
from tidemill.errors import InvalidInputError


def write(path: Path, content: str | bytes) -> Path:
    """`content` at `path`; `.gz` and `.zst` names get it compressed."""
    data = content.encode() if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    elif path.suffix == ".zst":  # no zstd in this Python: DuckDB writes the lines back exactly
        assert data.endswith(b"\n"), "zstd test files end with a newline"
        lines = data.decode().split("\n")[:-1]
        with duckdb.connect() as con:
            con.execute(
                f"COPY (SELECT unnest(?::VARCHAR[]) AS line) TO '{path}' (FORMAT csv,"
                " HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01', COMPRESSION zstd)",
                [lines],
            )
    else:
        path.write_bytes(data)
    return path


def write_parquet(path: Path, select: str) -> Path:
    """The rows of the DuckDB query `select` as a Parquet file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    return path


def rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    """Every row of `table`; dates as text in UTC (fetching TIMESTAMPTZ needs pytz)."""
    columns = con.execute(f'DESCRIBE "{table}"').fetchall()
    exprs = [
        f'CAST("{name}" AS VARCHAR)' if kind == "TIMESTAMP WITH TIME ZONE" else f'"{name}"'
        for name, kind, *_ in columns
    ]
    return con.execute(f'SELECT {", ".join(exprs)} FROM "{table}"').fetchall()


def types(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in con.execute(f'DESCRIBE "{table}"').fetchall()]


def failure(con: duckdb.DuckDBPyConnection, sql: str) -> InvalidInputError:
    """The source error `sql` fails with (asserting it fails on the data)."""
    try:
        con.execute(sql).fetchall()
    except duckdb.Error as exc:
        error = source_error(con, exc)
        assert error is not None, f"not a source error: {exc}"
        return error
    raise AssertionError(f"{sql!r} succeeded")

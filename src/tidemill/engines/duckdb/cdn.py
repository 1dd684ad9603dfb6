"""CDN access-log files (fusion datasources) as a typed DuckDB view (spec §4.2.3).

Each file (plain, or `.gz`) is parsed line by line with `core.cdn_logs.parse_line` into a
Parquet file in the run's scratch directory; the view reads those files with the fixed schema
(`core.datasources.FUSION_SCHEMA`: time is TIMESTAMPTZ, the numbers BIGINT). Bad lines are
counted, never silently dropped: `Parsed.note` says how many and where the first one is
(`name:line`, 1-based), and `Parsed.check(share)` fails the batch when they exceed `share` of
all lines. Measured in docs/decisions.md ("Fusion").
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO, cast

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tidemill.core.cdn_logs import parse_fields
from tidemill.engines.duckdb.database import quote_identifier, quote_literal
from tidemill.errors import BackendError, Failure, InvalidInputError

ARROW_SCHEMA = pa.schema(
    [
        ("ip", pa.string()),
        ("hit", pa.string()),
        ("responseTime", pa.int64()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("method", pa.string()),
        ("url", pa.string()),
        ("protocol", pa.string()),
        ("statusCode", pa.int64()),
        ("bytes", pa.int64()),
        ("referer", pa.string()),
        ("userAgent", pa.string()),
    ]
)
# A local file to parse: its path, how messages name it, its compression ("" or "gzip").
LogFile = tuple[Path, str, str]
CHUNK_ROWS = 65_536  # rows per Parquet row group written
READ_BYTES = 4 * 1024 * 1024  # decompressed bytes read at a time


@dataclass(slots=True)
class Parsed:
    """What parsing a table's log files gave: the Parquet files, line and bad-line counts."""

    files: list[Path] = field(default_factory=list)
    lines: int = 0
    bad: int = 0
    first_bad: str = ""  # "name:line" of the first bad line

    @property
    def note(self) -> str:
        """'' when every line parsed, else the count and place of the bad lines."""
        if not self.bad:
            return ""
        return (
            f"{self.bad} of {self.lines} CDN log lines could not be parsed and were skipped;"
            f" the first is {self.first_bad}"
        )

    def check(self, table: str, share: float) -> None:
        """DS_VERIFY_FORMAT when the bad lines are more than `share` (0.01 = 1%) of all."""
        if self.bad and self.bad > share * self.lines:
            raise InvalidInputError(
                Failure.DS_VERIFY_FORMAT,
                f"table {table}: {self.note}; that is more than the {share:.2%} allowed"
                " (TIDEMILL_FUSION__MAX_BAD_SHARE)",
            )


def parse_files(files: Sequence[LogFile], scratch: Path, table: str) -> Parsed:
    """Parse `files` into Parquet files under `scratch` (DS_VERIFY_FORMAT for an unreadable
    file or a compression other than gzip)."""
    parsed = Parsed()
    scratch.mkdir(parents=True, exist_ok=True)
    for index, (path, name, compression) in enumerate(files):
        target = scratch / f"{table}-{index}.parquet"
        try:
            with _open(path, name, compression) as stream:
                _convert(stream, name, target, parsed)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InvalidInputError(
                Failure.DS_VERIFY_FORMAT, f"{name}: cannot read it as a CDN log file ({exc})"
            ) from exc
        parsed.files.append(target)
    return parsed


def register(con: duckdb.DuckDBPyConnection, table: str, parsed: Parsed) -> None:
    """The view `table` over `parsed`'s Parquet files (`query`)."""
    try:
        con.execute(f"CREATE VIEW {quote_identifier(table)} AS {query(parsed)}")
    except duckdb.Error as exc:
        raise BackendError(Failure.INTERNAL, f"cannot create the view {table!r}: {exc}") from exc


def query(parsed: Parsed) -> str:
    """A SELECT of `parsed`'s rows (a view's or a CTE's body): its Parquet files read with
    the fixed schema, no row for none."""
    if parsed.files:
        listed = ", ".join(quote_literal(str(p)) for p in parsed.files)
        body = f"SELECT * FROM read_parquet([{listed}])"
    else:
        body = (
            "SELECT CAST(NULL AS VARCHAR) AS ip, CAST(NULL AS VARCHAR) AS hit,"
            ' CAST(NULL AS BIGINT) AS "responseTime", CAST(NULL AS TIMESTAMPTZ) AS time,'
            " CAST(NULL AS VARCHAR) AS method, CAST(NULL AS VARCHAR) AS url,"
            ' CAST(NULL AS VARCHAR) AS protocol, CAST(NULL AS BIGINT) AS "statusCode",'
            " CAST(NULL AS BIGINT) AS bytes, CAST(NULL AS VARCHAR) AS referer,"
            ' CAST(NULL AS VARCHAR) AS "userAgent" WHERE false'
        )
    return body


def _open(path: Path, name: str, compression: str) -> BinaryIO:
    if compression == "gzip":
        return cast(BinaryIO, gzip.open(path, "rb"))
    if compression:
        raise InvalidInputError(
            Failure.DS_VERIFY_FORMAT,
            f"{name}: {compression} CDN log files cannot be read; use gzip",
        )
    return path.open("rb")


def _convert(stream: IO[bytes], name: str, target: Path, parsed: Parsed) -> None:
    with pq.ParquetWriter(target, ARROW_SCHEMA) as writer:
        for rows in _chunks(stream, name, parsed):
            columns = list(zip(*rows, strict=True))
            writer.write_table(
                pa.Table.from_arrays(
                    [pa.array(c, type=f.type) for c, f in zip(columns, ARROW_SCHEMA, strict=True)],
                    schema=ARROW_SCHEMA,
                )
            )


def _lines(stream: IO[bytes]) -> Iterator[str]:
    """The lines of `stream` without their "\n", read in blocks (readline per line costs a
    fifth of the parse); invalid UTF-8 becomes U+FFFD. A final line without "\n" counts."""
    carry = b""
    while block := stream.read(READ_BYTES):
        block = carry + block
        end = block.rfind(b"\n")
        if end < 0:
            carry = block
            continue
        carry = block[end + 1 :]
        yield from block[:end].decode("utf-8", "replace").split("\n")
    if carry:
        yield carry.decode("utf-8", "replace")


def _chunks(stream: IO[bytes], name: str, parsed: Parsed) -> Iterator[list[tuple[object, ...]]]:
    rows: list[tuple[object, ...]] = []
    for number, line in enumerate(_lines(stream), 1):
        parsed.lines += 1
        row = parse_fields(line)
        if row is None:
            parsed.bad += 1
            if not parsed.first_bad:
                parsed.first_bad = f"{name}:{number}"
            continue
        rows.append(row)
        if len(rows) >= CHUNK_ROWS:
            yield rows
            rows = []
    if rows:
        yield rows

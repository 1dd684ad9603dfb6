"""Source files read record by record in Python with line numbers: the views' exact twin."""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

# Batches read files through DuckDB (engines.reading). This slow, exact twin serves where a line
# number matters more than speed: sampling for inference, and finding the line a failed batch
# tripped on. Its rules mirror the views' so that both agree on which files are readable.

# Compressed inputs are recognised by extension (spec §4.3). DuckDB decompresses only these.
COMPRESSION_BY_SUFFIX = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
UNREADABLE_SUFFIXES = frozenset(
    {".bz2", ".lz4", ".snappy", ".deflate", ".xz", ".lzma", ".zip", ".br", ".lzo", ".z", ".7z"}
)

INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
SPECIAL_FLOATS = frozenset({"nan", "inf", "infinity"})
# RFC 3339 date-time; `t`, `z` and a space for `T` are allowed (RFC 3339 §5.6, note).
RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


class BadRecord(Exception):
    """Line `line` (1-based; 0 when unknown) of a file breaks its format."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class BadFile(Exception):
    """A file that cannot be read at all (not Parquet, say)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def unescape_delimiter(delimiter: str) -> str:
    """The character a datasource's `delimiter` means: the escapes `\\t` and `\\\\` (§4.2.1)."""
    return {"\\t": "\t", "\\\\": "\\"}.get(delimiter, delimiter)


def resolve_name(names: Sequence[str], key: str) -> str | None:
    """The name in `names` that binds `key`: the exact one, else the one case-insensitive one."""
    if names.count(key) == 1:
        return key
    folded = [n for n in names if n.lower() == key.lower()]
    return folded[0] if len(folded) == 1 else None


def compression(path: Path) -> str:
    """DuckDB's name for the compression of `path`: "none", "gzip" or "zstd"."""
    return COMPRESSION_BY_SUFFIX.get(path.suffix.lower(), "none")


def unreadable_compression(path: Path) -> str | None:
    """The suffix of a compression DuckDB cannot read (".bz2" ...), if `path` has one."""
    suffix = path.suffix.lower()
    return suffix if suffix in UNREADABLE_SUFFIXES else None


def is_long_text(text: str) -> bool:
    return INTEGER.fullmatch(text) is not None and LONG_MIN <= int(text) <= LONG_MAX


def is_float_text(text: str) -> bool:
    stripped = text.strip().lower().lstrip("+-")
    return DECIMAL.fullmatch(text.strip()) is not None or stripped in SPECIAL_FLOATS


def is_boolean_text(text: str) -> bool:
    return text.lower() in ("true", "false")


def is_date_text(text: str) -> bool:
    """Whether `text` is an RFC 3339 date-time that names a real instant."""
    if RFC3339.fullmatch(text) is None:
        return False
    text = text.upper().replace(" ", "T").replace("Z", "+00:00")
    try:
        datetime.fromisoformat(text)
    except ValueError:  # 2017-02-30, 25:00, a leap second
        return False
    return True


def raw_lines(path: Path, con: duckdb.DuckDBPyConnection) -> Iterator[bytes]:
    """The lines of `path` decompressed, each with its `\\n` (the last one may lack it).

    zstd has no reader in this Python's standard library: those files are read through DuckDB,
    which gives lines without their endings; a `\\n` is put back.
    """
    kind = compression(path)
    if kind == "zstd":
        yield from _duckdb_lines(path, con)
        return
    with gzip.open(path, "rb") if kind == "gzip" else path.open("rb") as stream:
        yield from stream


def text_lines(
    path: Path, con: duckdb.DuckDBPyConnection, *, nul_ok: bool = False
) -> Iterator[tuple[int, str]]:
    """(line number, text) for every line, empty ones included, as the text/csv views read.

    A line is ended by `\\n`, `\\r\\n` or `\\r`, the same ending throughout the file (DuckDB's
    CSV reader refuses a mix); a byte order mark starting the file is dropped. Raises BadRecord
    for a mix, invalid UTF-8, or a NUL byte unless `nul_ok` (text views split on NUL).
    """
    number = 0
    first_ending: bytes | None = None
    for chunk in raw_lines(path, con):
        for line, ending in _split_endings(chunk):
            number += 1
            if ending:
                if first_ending is None:
                    first_ending = ending
                elif ending != first_ending:
                    raise BadRecord(
                        number,
                        f"ends with {_show(ending)} but line 1 ends with {_show(first_ending)};"
                        " a file must use one kind of line ending",
                    )
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            yield number, _decode(number, line, nul_ok=nul_ok)


def json_records(
    path: Path, con: duckdb.DuckDBPyConnection
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every JSON line; blank lines are skipped, `null` is `{}`.

    Raises BadRecord for a line that is not one JSON object (DuckDB's NDJSON rules: no NaN,
    no duplicate keys, no byte order mark).
    """
    for number, raw in enumerate(raw_lines(path, con), start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raise BadRecord(1, "starts with a byte order mark (BOM), which JSON lines may not")
        text = _decode(number, raw.rstrip(b"\r\n"), nul_ok=True)
        if not text.strip():
            continue
        try:
            value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        except (json.JSONDecodeError, _DuplicateKeyError, ValueError) as exc:
            raise BadRecord(number, f"is not valid JSON ({_json_reason(exc)})") from None
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise BadRecord(number, f"is a JSON {_json_kind(value)}, not an object")
        yield number, value


def csv_records(
    path: Path, con: duckdb.DuckDBPyConnection, delimiter: str
) -> Iterator[tuple[int, list[str | None]]]:
    """(first line number, fields) per record; empty fields are None, a blank line is []."""
    last_line = [0]  # the number of the last line the csv reader has taken

    def lines() -> Iterator[str]:
        for number, text in text_lines(path, con, nul_ok=True):
            last_line[0] = number
            yield text + "\n"

    if delimiter == '"':  # the views read such files unquoted
        reader = csv.reader(lines(), delimiter=delimiter, quoting=csv.QUOTE_NONE, strict=True)
    else:
        reader = csv.reader(lines(), delimiter=delimiter, quotechar='"', strict=True)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BadRecord(start, _csv_reason(exc)) from None
        yield start, [field or None for field in fields]
        start = last_line[0] + 1


def parquet_columns(con: duckdb.DuckDBPyConnection, paths: Sequence[Path]) -> list[dict[str, str]]:
    """The top-level columns (name → DuckDB type) of each Parquet file, in file order.

    Reads only the footers. Raises BadFile for a file that is not Parquet, duckdb.Error if
    DuckDB cannot read a file at all (sandbox, I/O).
    """
    if not paths:
        return []
    query = "SELECT file_name, name, duckdb_type, num_children FROM parquet_schema(?)"
    with con.cursor() as cur:
        try:
            rows = cur.execute(query, [[str(p) for p in paths]]).fetchall()
        except duckdb.Error:
            for path in paths:  # which one?
                try:
                    cur.execute(query, [[str(path)]]).fetchall()
                except duckdb.InvalidInputException as exc:
                    reason = str(exc).split("\n", 1)[0].split(": ", 1)[-1]
                    raise BadFile(path, f"not a Parquet file ({reason})") from None
            raise
    by_file: dict[str, list[tuple[str, str, int]]] = {}
    for file_name, name, duckdb_type, children in rows:
        by_file.setdefault(file_name, []).append((name, duckdb_type, children or 0))
    return [_top_level(by_file.get(str(p), [])) for p in paths]


def _top_level(elements: list[tuple[str, str, int]]) -> dict[str, str]:
    """Parquet's flattened schema (root first, depth first) → its top-level columns."""
    columns: dict[str, str] = {}
    position = 1

    def skip(index: int) -> int:
        children = elements[index][2]
        index += 1
        for _ in range(children):
            index = skip(index)
        return index

    for _ in range(elements[0][2] if elements else 0):
        name, duckdb_type, _children = elements[position]
        columns[name] = duckdb_type
        position = skip(position)
    return columns


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"the key {json.dumps(key)} appears twice")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return str(exc)


def _json_kind(value: Any) -> str:
    kinds = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return kinds.get(type(value), type(value).__name__)


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text or "EOF" in text:
        return "has a quoted field that is never closed"
    return f"is not valid CSV ({text})"


def _decode(number: int, line: bytes, *, nul_ok: bool) -> str:
    if not nul_ok and b"\x00" in line:
        raise BadRecord(number, "contains a NUL byte")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRecord(number, f"is not valid UTF-8 (byte {exc.start + 1})") from None


def _split_endings(chunk: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(line, ending) for the lines in `chunk`, which holds at most one `\\n`, at its end."""
    body, newline = (chunk[:-1], b"\n") if chunk.endswith(b"\n") else (chunk, b"")
    if newline and body.endswith(b"\r"):
        body, newline = body[:-1], b"\r\n"
    *inner, last = body.split(b"\r")
    for line in inner:
        yield line, b"\r"
    if last or newline:
        yield last, newline


def _show(ending: bytes) -> str:
    return ending.decode().replace("\r", "\\r").replace("\n", "\\n")


def _duckdb_lines(path: Path, con: duckdb.DuckDBPyConnection) -> Iterator[bytes]:
    query = (
        "SELECT line FROM read_csv(?, delim=chr(0), quote='', escape='', header=false,"
        " auto_detect=false, columns={'line': 'VARCHAR'}, compression='zstd')"
    )
    with con.cursor() as cur:
        try:
            cur.execute(query, [str(path)])
            while batch := cur.fetchmany(4096):
                for (line,) in batch:
                    yield (line or "").encode() + b"\n"
        except duckdb.InvalidInputException as exc:
            found = re.search(r"CSV Error on Line: (\d+)", str(exc))
            reason = str(exc).split("\n", 1)[0].removeprefix("Invalid Input Error: ")
            raise BadRecord(int(found.group(1)) if found else 0, reason) from None

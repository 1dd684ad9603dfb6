"""The failure path of source reads: which file and line a failed query tripped on, and why."""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tidemill.engines.duckdb import _records
from tidemill.engines.duckdb._records import BadRecord
from tidemill.errors import Failure, InvalidInputError

# Marks our error() payloads (see engines.reading).
VALUE_MARK = "tidemill-bad-value:"

_PAYLOAD = re.compile(re.escape(VALUE_MARK) + r"(\{[^\n]*\})")
_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_NOT_A = {
    "long": "a long",
    "float": "a float",
    "boolean": "a boolean (true or false)",
    "date": "an RFC 3339 date-time with a zone offset",
    "string": "a string",
}
_SHOWN_CHARS = 80


@dataclass(frozen=True, slots=True)
class Source:
    """What engines.reading records about a view it created (`remember`)."""

    file_type: str
    delimiter: str | None
    header: bool
    schema: list[tuple[str, str, bool]]
    files: list[str]
    labels: Mapping[str, str]

    def label(self, file: str) -> str:
        return self.labels.get(file, file)


def describe(con: duckdb.DuckDBPyConnection, exc: BaseException) -> InvalidInputError | None:
    """DS_VERIFY_FORMAT naming file, line and fault if `exc` came from reading a source."""
    if not isinstance(exc, duckdb.InvalidInputException | duckdb.ConversionException):
        return None  # I/O, permissions, memory, the user's SQL: not the data's fault
    text = str(exc)
    sources = _registered(con)
    by_file = {file: source for source in sources for file in source.files}
    if (found := _PAYLOAD.search(text)) is not None:
        payload = json.loads(found.group(1))
        if (source := by_file.get(payload["file"])) is not None:
            return _bad_value(con, source, payload)
    for file in sorted(by_file, key=len, reverse=True):  # a.json before a.json.gz's prefix
        if file in text:
            return _bad_format(con, by_file[file], file, text)
    return None


# The sources of each connection's views, kept here rather than in DuckDB (a view comment
# was one more statement, ~0.3 ms, on every batch's path): held no longer than the connection.
_SOURCES: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, list[Source]] = (
    weakref.WeakKeyDictionary()
)


def remember(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Note that a view of `con` reads `source` (for `describe`)."""
    _SOURCES.setdefault(con, []).append(source)


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what `remember` noted for `con`: a database kept for another run reads other
    files."""
    _SOURCES.pop(con, None)


def _registered(con: duckdb.DuckDBPyConnection) -> list[Source]:
    return list(_SOURCES.get(con, ()))


def _bad_value(
    con: duckdb.DuckDBPyConnection, source: Source, payload: dict[str, Any]
) -> InvalidInputError:
    file, key, value = payload["file"], payload["column"], payload["value"]
    if value is None:
        what = f'"{key}" is missing or null, and the schema requires it'
    else:
        what = f'"{key}" is {_show(value)}, not {_NOT_A[payload["valtype"]]}'
    where = _find_value(con, source, file, key, value)
    label = source.label(file)
    place = f"{label} {where[0]} {where[1]}" if where else label
    details: dict[str, Any] = {"file": label, "column": key}
    if where:
        details[where[0]] = where[1]
    return InvalidInputError(Failure.DS_VERIFY_FORMAT, f"{place}: {what}", **details)


def _bad_format(
    con: duckdb.DuckDBPyConnection, source: Source, file: str, text: str
) -> InvalidInputError:
    label = source.label(file)
    problem = _first_problem(con, source, Path(file))
    if problem is None:  # our rescan saw nothing: say what DuckDB said
        found = _CSV_LINE.search(text)
        problem = (int(found.group(1)) if found else 0, _duckdb_reason(text))
    line, reason = problem
    place = f"{label} line {line}" if line else label
    details: dict[str, Any] = {"file": label, "line": line} if line else {"file": label}
    return InvalidInputError(Failure.DS_VERIFY_FORMAT, f"{place}: {reason}", **details)


def _find_value(
    con: duckdb.DuckDBPyConnection, source: Source, file: str, key: str, value: str | None
) -> tuple[str, int] | None:
    """("line", n) or ("row", n): the first record of `file` whose `key` reads as `value`."""
    path = Path(file)
    try:
        if source.file_type == "parquet":
            row = _parquet_row(con, path, key, value)
            return ("row", row) if row is not None else None
        if source.file_type == "json":
            for number, record in _records.json_records(path, con):
                if _json_equals(record.get(key), value):
                    return "line", number
        elif source.file_type == "text":
            for number, line in _records.text_lines(path, con):
                if line == value:
                    return "line", number
        elif source.file_type == "csv":
            for number, cell in _csv_cells(con, source, path, key):
                if cell == value:
                    return "line", number
    except (BadRecord, OSError, duckdb.Error):
        return None
    return None


def _csv_cells(
    con: duckdb.DuckDBPyConnection, source: Source, path: Path, key: str
) -> Iterator[tuple[int, str | None]]:
    keys = [k for k, _, _ in source.schema]
    records = _records.csv_records(path, con, source.delimiter or ",")
    index, width = keys.index(key), len(keys)
    if source.header:
        header = next((fields for _, fields in records), None)
        if header is None:
            return
        names = [name or "" for name in header]
        if (name := _records.resolve_name(names, key)) is None:
            return
        index, width = names.index(name), len(names)
    for number, fields in records:
        if not fields and width > 1:
            continue  # DuckDB skips blank lines of multi-column files
        yield number, fields[index] if index < len(fields) else None


def _parquet_row(
    con: duckdb.DuckDBPyConnection, path: Path, key: str, value: str | None
) -> int | None:
    column = '"' + key.replace('"', '""') + '"'
    condition = f"{column} IS NULL" if value is None else f"CAST({column} AS VARCHAR) = ?"
    query = (
        f"SELECT min(file_row_number) + 1 FROM read_parquet(?, file_row_number=true)"
        f" WHERE {condition}"
    )
    with con.cursor() as cur:
        row = cur.execute(query, [str(path)] + ([] if value is None else [value])).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _first_problem(
    con: duckdb.DuckDBPyConnection, source: Source, path: Path
) -> tuple[int, str] | None:
    """The first line of `path` that breaks its format, as our Python twin of the view sees it."""
    try:
        if source.file_type == "json":
            for _ in _records.json_records(path, con):
                pass
        elif source.file_type == "text":
            for _ in _records.text_lines(path, con):
                pass
        elif source.file_type == "csv":
            _check_widths(con, source, path)
    except BadRecord as bad:
        return bad.line, bad.reason
    except (OSError, duckdb.Error):
        return None
    return None


def _check_widths(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> None:
    width = None if source.header else len(source.schema)
    for number, fields in _records.csv_records(path, con, source.delimiter or ","):
        if width is None:
            width = len(fields)
            continue
        if not fields and width > 1:
            continue
        if (count := max(len(fields), 1)) != width:
            expected = "the header has" if source.header else "the schema declares"
            raise BadRecord(number, f"has {count} fields but {expected} {width}")


def _json_equals(found: Any, text: str | None) -> bool:
    """Whether the JSON value `found` is the one DuckDB rendered as `text`."""
    if text is None or found is None:
        return text is None and found is None
    if isinstance(found, str):
        return found == text
    if isinstance(found, bool):
        return text == str(found).lower()
    if isinstance(found, int):
        return text == str(found)
    try:
        parsed = json.loads(text)
    except ValueError:
        return False
    return bool(parsed == found)


def _duckdb_reason(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    first = lines[0].split(": ", 1)[-1] if lines else text
    if first.startswith("CSV Error on Line"):
        detail = (
            line
            for line in lines[1:]
            if not line.startswith(("Original Line", "Possible", "*", " "))
        )
        return next(detail, first)
    return first


def _show(value: str) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= _SHOWN_CHARS else shown[: _SHOWN_CHARS - 2] + '…"'

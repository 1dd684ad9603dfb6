"""Schema inference from sample files (spec §5.3) and the check of a declared schema (D-7)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb

from tidemill.core.models import SchemaField
from tidemill.core.names import is_resource_name
from tidemill.engines.duckdb import _records
from tidemill.engines.duckdb._records import BadFile, BadRecord
from tidemill.engines.duckdb.database import connect, valtype
from tidemill.errors import BackendError, Failure, InvalidInputError

TEXT_SCHEMA = (SchemaField("text", "string"),)  # D-11


def infer_schema(
    files: Sequence[Path],
    *,
    file_type: str,
    delimiter: str | None = None,
    contains_header: bool | None = None,
    max_files: int = 10,
    max_records: int = 1000,
    names: Mapping[Path, str] | None = None,
) -> list[SchemaField]:
    """The schema of the first `max_files` files, from up to `max_records` records of each.

    * json: the keys in first-seen order; bool → boolean, integer → long (float beyond 64
      bits), other number → float, string → date if every sampled value is RFC 3339 (with
      its offset), else string; objects and arrays → string. Types that disagree widen:
      long and float → float, anything else → string. A key that is only ever null is
      string. Keys that are not valid schema keys, or that differ only in case from an
      earlier key (one view cannot hold both), are left out.
    * csv: the header's names (`containsHeader`), else `_c0, _c1, ...`; each column typed
      as JSON strings are, where true/false, integers and decimals also count. Header names
      that are invalid or repeated (in any case) are left out: nothing can bind them.
    * text: `[text: string]`. parquet: the columns' logical types (§5.3); nested → string.

    Every sampled record must read as the batch would read it. Raises InvalidInputError:
    DS_VERIFY_NO_FILES for no files, DS_VERIFY_FORMAT naming file and line for one that does
    not parse, DS_SPEC_INVALID for a bad file type or csv option.
    """
    paths = [Path(f) for f in files][:max_files]
    labels = {p: (names or {}).get(p, str(p)) for p in paths}
    if not paths:
        raise InvalidInputError(Failure.DS_VERIFY_NO_FILES, "no files to infer a schema from")
    if file_type not in ("json", "csv", "text", "parquet"):
        raise InvalidInputError(Failure.DS_SPEC_INVALID, f"unknown fileType {file_type!r}")
    if file_type == "csv" and (not delimiter or contains_header is None):
        raise InvalidInputError(
            Failure.DS_SPEC_INVALID, "csv files need a delimiter and containsHeader"
        )
    for path in paths:
        if suffix := _records.unreadable_compression(path):
            raise InvalidInputError(
                Failure.DS_VERIFY_FORMAT,
                f"{labels[path]}: {suffix} files cannot be read; use .gz or .zst",
            )
    with _connection(paths) as con:
        if file_type == "parquet":
            try:
                columns = _records.parquet_columns(con, paths)
            except BadFile as bad:
                raise InvalidInputError(
                    Failure.DS_VERIFY_FORMAT, f"{labels[bad.path]}: {bad.reason}"
                ) from None
            except duckdb.Error as exc:
                raise BackendError(Failure.INTERNAL, f"cannot read Parquet footers: {exc}") from exc
            kinds = _Kinds()
            for file_columns in columns:
                for name, duckdb_type in file_columns.items():
                    kinds.add(name, valtype(duckdb_type))
            return kinds.schema()
        kinds = _Kinds()
        for path in paths:
            try:
                if file_type == "json":
                    _sample_json(kinds, _records.json_records(path, con), max_records)
                elif file_type == "csv":
                    records = _records.csv_records(
                        path, con, _records.unescape_delimiter(delimiter or ",")
                    )
                    _sample_csv(kinds, records, bool(contains_header), max_records)
                else:
                    for _ in islice(_records.text_lines(path, con), max_records):
                        pass
            except BadRecord as bad:
                where = f"{labels[path]} line {bad.line}" if bad.line else labels[path]
                raise InvalidInputError(
                    Failure.DS_VERIFY_FORMAT, f"{where}: {bad.reason}", file=labels[path]
                ) from None
            except (OSError, duckdb.Error) as exc:
                raise BackendError(Failure.INTERNAL, f"cannot read {labels[path]}: {exc}") from exc
        return list(TEXT_SCHEMA) if file_type == "text" else kinds.schema()


def verify_schema(declared: Iterable[SchemaField], inferred: Iterable[SchemaField]) -> None:
    """Check `declared` against the schema inferred from the data (D-7).

    Every declared key must be in the data (exact spelling) with a compatible type: the same
    valtype; a string accepts any data; a float accepts long data. Anything else (a long
    over float data, a date over strings that are not all RFC 3339) is refused. Raises
    InvalidInputError(DS_VERIFY_SCHEMA) listing every mismatch.
    """
    found = {field.key: field.valtype for field in inferred}
    problems = []
    for field in declared:
        have = found.get(field.key)
        if have is None:
            problems.append(f'"{field.key}" is not in the data')
        elif not (
            have == field.valtype
            or field.valtype == "string"
            or (field.valtype == "float" and have == "long")
        ):
            problems.append(f'"{field.key}" is declared {field.valtype} but the data has {have}')
    if problems:
        keys = ", ".join(found) or "none"
        raise InvalidInputError(
            Failure.DS_VERIFY_SCHEMA,
            f"the schema does not match the data: {'; '.join(problems)} (the data has: {keys})",
            mismatches=problems,
        )


class _Kinds:
    """The valtypes seen per key, keys in first-seen order."""

    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = {}
        self.folded: set[str] = set()

    def add(self, key: str, kind: str | None) -> None:
        if key not in self.seen:
            if not is_resource_name(key) or key.lower() in self.folded:
                return
            self.seen[key] = set()
            self.folded.add(key.lower())
        if kind is not None:
            self.seen[key].add(kind)

    def schema(self) -> list[SchemaField]:
        return [SchemaField(key, _widen(kinds)) for key, kinds in self.seen.items()]


def _widen(kinds: set[str]) -> str:
    if len(kinds) == 1:
        return next(iter(kinds))
    return "float" if kinds == {"long", "float"} else "string"


def _sample_json(
    kinds: _Kinds, records: Iterator[tuple[int, dict[str, Any]]], max_records: int
) -> None:
    for _, record in islice(records, max_records):
        for key, value in record.items():
            kinds.add(key, None if value is None else _json_kind(value))


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long" if _records.LONG_MIN <= value <= _records.LONG_MAX else "float"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "date" if _records.is_date_text(value) else "string"
    return "string"  # objects and arrays read as their JSON text


def _sample_csv(
    kinds: _Kinds,
    records: Iterator[tuple[int, list[str | None]]],
    header: bool,
    max_records: int,
) -> None:
    keys: list[str | None]
    if header:
        first = next(records, None)
        if first is None:
            return  # an empty file
        names = [name or "" for name in first[1]]
        folded = [name.lower() for name in names]
        keys = [name if folded.count(name.lower()) == 1 else None for name in names]
    elif kinds.seen:  # an earlier file set the width
        keys = list(kinds.seen)
    else:
        first = next(records, None)
        if first is None:
            return
        keys = [f"_c{i}" for i in range(max(len(first[1]), 1))]
        records = _chain(first, records)
    for key in keys:
        if key is not None:
            kinds.add(key, None)
    width = len(keys)
    for number, fields in islice(records, max_records):
        if not fields and width > 1:
            continue  # DuckDB skips blank lines of multi-column files
        if (count := max(len(fields), 1)) != width:
            expected = "the header has" if header else "the first record has"
            raise BadRecord(number, f"has {count} fields but {expected} {width}")
        for key, cell in zip(keys, fields, strict=False):
            if key is not None:
                kinds.add(key, None if cell is None else _text_kind(cell))


def _chain(
    first: tuple[int, list[str | None]], rest: Iterator[tuple[int, list[str | None]]]
) -> Iterator[tuple[int, list[str | None]]]:
    yield first
    yield from rest


def _text_kind(text: str) -> str:
    if _records.is_boolean_text(text):
        return "boolean"
    if _records.is_long_text(text):
        return "long"
    if _records.is_float_text(text):
        return "float"
    return "date" if _records.is_date_text(text) else "string"


@contextmanager
def _connection(paths: Sequence[Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    """A sandboxed DuckDB that may read only the directories of `paths`."""
    directories = sorted({str(p.resolve().parent) for p in paths})
    con = connect(threads=1, allowed_directories=directories)
    try:
        yield con
    finally:
        con.close()

"""Datasource files as typed DuckDB views that never drop, null or round a value (§3.2, §4.3)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import duckdb

from tidemill.core.models import SchemaField
from tidemill.engines.duckdb import _locate, _records, _typed, dialect
from tidemill.engines.duckdb._records import BadFile, BadRecord
from tidemill.engines.duckdb.database import (
    DUCKDB_TYPE_BY_VALTYPE,
    quote_identifier,
    quote_literal,
    valtype,
)
from tidemill.errors import BackendError, Failure, InvalidInputError

FILE_TYPES = ("json", "csv", "text", "parquet")

_INTEGER_TYPES = frozenset(
    ["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"]
)
_WIDE_INTEGER_TYPES = frozenset(["UBIGINT", "HUGEINT", "UHUGEINT"])
_INTEGRAL_DECIMAL = re.compile(r"DECIMAL\(\d+,\s*0\)")


def register_source(
    con: duckdb.DuckDBPyConnection,
    table: str,
    files: Sequence[Path],
    *,
    file_type: str,
    schema: Sequence[SchemaField],
    delimiter: str | None = None,
    contains_header: bool | None = None,
    names: Mapping[Path, str] | None = None,
) -> None:
    """Create the view `table` over `files`: `source_query`'s SELECT (its rules, its errors),
    and the macros it calls unless `con` has them."""
    body = source_query(
        con, files, file_type=file_type, schema=schema, delimiter=delimiter,
        contains_header=contains_header, names=names,
    )  # fmt: skip
    macros = [
        m.replace("CREATE MACRO", "CREATE MACRO IF NOT EXISTS", 1) for m in dialect.macros_for(body)
    ]
    try:
        con.execute(";\n".join([*macros, f"CREATE VIEW {quote_identifier(table)} AS {body}"]))
    except duckdb.Error as exc:
        raise BackendError(Failure.INTERNAL, f"cannot create the view {table!r}: {exc}") from exc


def source_query(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[Path],
    *,
    file_type: str,
    schema: Sequence[SchemaField],
    delimiter: str | None = None,
    contains_header: bool | None = None,
    names: Mapping[Path, str] | None = None,
) -> str:
    """A SELECT over `files` (a view's or a CTE's body, for queries of `con`): the declared
    columns, in order, with their types. `con` is where `source_error` will look for them (it
    is noted there now) and what reads a csv header or Parquet footers if needed. It calls
    macros of `_typed` (`dialect.macros_for(body)` names them), which `con` must have.

    Types: boolean BOOLEAN, long BIGINT, float DOUBLE, date TIMESTAMPTZ, string VARCHAR.

    * json: one object per line; missing keys and `null` are NULL, other keys are ignored,
      blank lines skipped. A value is read through its text: `"42"` is a long, `1.5` and
      `1e3` are not (DuckDB would round them: we refuse). Objects and arrays read as string
      hold their JSON text.
    * csv: `delimiter` (`\\t`, `\\\\` escapes), `"` quotes. With a header, columns bind by
      name (exact, else the one case-insensitive match) and a file whose header lacks a
      declared column is refused; without, by position, and each row has one field per
      declared column. Empty fields are NULL.
    * text: one row per line, empty lines as '' (as Spark), in the one declared column.
    * parquet: columns bind by name; a file without a declared column, or with a type that
      cannot become the declared one without loss, is refused. DATE and zone-less TIMESTAMP
      become instants in the session time zone; nested values read as string are JSON.
    * Text parses strictly: long an integer within 64 bits (no point, no exponent: DuckDB
      would round), float any decimal or NaN/Infinity, boolean true/false in any case, date
      RFC 3339 with its zone offset or Z (required: a zone-less time is ambiguous); DuckDB's
      parser also takes near-RFC shapes such as `2017-01-01T15:00Z`.
    * `required: true` makes a NULL (missing key, empty field) an error.

    Values are checked as a query reads them: a malformed line always fails the query, a
    bad value fails every query that reads its column; run the failure through
    `source_error` for a message naming file and line. `.gz` and `.zst` files are
    decompressed; other compressions are refused. `names` maps files to the names messages
    use (an object key, say). Raises InvalidInputError: DS_VERIFY_FORMAT for an unreadable
    file, DS_VERIFY_SCHEMA for one that lacks a declared column, DS_SPEC_INVALID for a bad
    file type or csv option, SCHEMA_* for a bad schema; BackendError if DuckDB refuses.
    """
    fields = _checked_schema(schema)
    paths = [Path(f) for f in files]
    labels = {str(p): (names or {}).get(p, str(p)) for p in paths}
    for path in paths:
        if suffix := _records.unreadable_compression(path):
            raise InvalidInputError(
                Failure.DS_VERIFY_FORMAT,
                f"{labels[str(path)]}: {suffix} files cannot be read; use .gz or .zst",
            )
    source = _Source(con, fields, labels, _file_column(fields))
    if file_type == "json":
        selects = [source.json(group) for group in _by_compression(paths)]
    elif file_type == "text":
        if len(fields) != 1:
            raise InvalidInputError(
                Failure.DS_VERIFY_SCHEMA,
                f"text files have one column; the schema has {len(fields)}",
            )
        selects = [source.csv(group, chr(0), None) for group in _by_compression(paths)]
    elif file_type == "csv":
        if not delimiter or contains_header is None:
            raise InvalidInputError(
                Failure.DS_SPEC_INVALID, "csv files need a delimiter and containsHeader"
            )
        delimiter = _records.unescape_delimiter(delimiter)
        selects = source.csv_groups(paths, delimiter, contains_header)
    elif file_type == "parquet":
        selects = source.parquet_groups(paths)
    else:
        raise InvalidInputError(Failure.DS_SPEC_INVALID, f"unknown fileType {file_type!r}")
    _locate.remember(
        con,
        _locate.Source(
            file_type=file_type,
            delimiter=delimiter,
            header=bool(contains_header),
            schema=[(f.key, f.valtype, f.required) for f in fields],
            files=list(labels),
            labels={path: label for path, label in labels.items() if path != label},
        ),
    )
    return " UNION ALL ".join(selects) or _empty(fields)


def source_error(con: duckdb.DuckDBPyConnection, exc: BaseException) -> InvalidInputError | None:
    """DS_VERIFY_FORMAT naming file, line and fault if `exc` came from reading a source of `con`
    (the connection `register_source` was given, not another cursor of its database).

    None for any other failure (the user's SQL, memory ...). Locating the line may re-read the
    offending file: this is for the failure path only. Use it as::

        except duckdb.Error as exc:
            raise source_error(con, exc) or QueryFailed(...) from exc
    """
    return _locate.describe(con, exc)


class _Source:
    """Builds the SELECTs of one view; each reads a group of files sharing a layout."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        fields: Sequence[SchemaField],
        labels: Mapping[str, str],
        file_column: str,
    ) -> None:
        self.con = con
        self.fields = fields
        self.labels = labels
        self.file_column = quote_identifier(file_column)
        self.file_option = f"filename={quote_literal(file_column)}"

    def json(self, group: tuple[str, list[Path]]) -> str:
        kind, paths = group
        columns = ", ".join(f"{quote_literal(f.key)}: 'VARCHAR'" for f in self.fields)
        exprs = [self.column(f, quote_identifier(f.key)) for f in self.fields]
        return (
            f"SELECT {', '.join(exprs)} FROM read_json({_paths(paths)},"
            f" format='newline_delimited', records=true, columns={{{columns}}},"
            f" compression='{kind}', {self.file_option})"
        )

    def csv_groups(self, paths: Sequence[Path], delimiter: str, header: bool) -> list[str]:
        if not header:
            return [self.csv(group, delimiter, None) for group in _by_compression(paths)]
        layouts: dict[tuple[str, tuple[str | None, ...]], list[Path]] = {}
        for path in paths:
            first = self._first_record(path, delimiter)
            if first is not None:  # an empty file has no rows
                layouts.setdefault((_records.compression(path), tuple(first)), []).append(path)
        return [
            self.csv((kind, group), delimiter, list(names))
            for (kind, names), group in layouts.items()
        ]

    def csv(
        self, group: tuple[str, list[Path]], delimiter: str, header: list[str | None] | None
    ) -> str:
        kind, paths = group
        if header is None:
            width, picks = len(self.fields), list(range(len(self.fields)))
        else:
            width = len(header)
            picks = [self._header_index(header, f.key, paths[0]) for f in self.fields]
        quote = "" if delimiter in ('"', chr(0)) else '"'
        exprs = [
            self.column(f, f"COALESCE(c{i}, '')" if delimiter == chr(0) else f"c{i}")
            for f, i in zip(self.fields, picks, strict=True)
        ]
        columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
        return (
            f"SELECT {', '.join(exprs)} FROM read_csv({_paths(paths)},"
            f" header={str(header is not None).lower()}, auto_detect=false, strict_mode=true,"
            f" delim={quote_literal(delimiter)}, quote={quote_literal(quote)},"
            f" escape={quote_literal(quote)},"
            f" columns={{{columns}}}, compression='{kind}', {self.file_option})"
        )

    def parquet_groups(self, paths: Sequence[Path]) -> list[str]:
        layouts: dict[tuple[tuple[str, str], ...], list[Path]] = {}
        for path, columns in zip(paths, self._parquet_columns(paths), strict=True):
            layout = []
            for field in self.fields:
                name = _records.resolve_name(list(columns), field.key)
                if name is None:
                    raise InvalidInputError(
                        Failure.DS_VERIFY_SCHEMA,
                        f'{self.labels[str(path)]}: no column "{field.key}"'
                        f" (it has {', '.join(columns) or 'none'})",
                    )
                layout.append((name, columns[name]))
            layouts.setdefault(tuple(layout), []).append(path)
        selects = []
        for columns_read, group in layouts.items():
            exprs = [
                self.parquet_column(field, name, duckdb_type, group[0])
                for field, (name, duckdb_type) in zip(self.fields, columns_read, strict=True)
            ]
            selects.append(
                f"SELECT {', '.join(exprs)} FROM read_parquet({_paths(group)}, {self.file_option})"
            )
        return selects

    def parquet_column(self, field: SchemaField, name: str, duckdb_type: str, path: Path) -> str:
        column = quote_identifier(name)
        if duckdb_type == "VARCHAR" and field.valtype != "string":
            return self.column(field, column)  # text in a Parquet file parses as in csv
        expr = self._parquet_value(field, column, duckdb_type)
        if expr is None:
            raise InvalidInputError(
                Failure.DS_VERIFY_SCHEMA,
                f'{self.labels[str(path)]}: column "{name}" is {duckdb_type},'
                f" which cannot be read as a {field.valtype}",
            )
        if field.required:
            expr = f"CASE WHEN {column} IS NULL THEN {self.error(field, 'NULL')} ELSE {expr} END"
        kind = DUCKDB_TYPE_BY_VALTYPE[field.valtype]
        return f"CAST({expr} AS {kind}) AS {quote_identifier(field.key)}"

    def _parquet_value(self, field: SchemaField, column: str, duckdb_type: str) -> str | None:
        """SQL reading `column` as `field`'s valtype without loss, or None if it cannot."""
        wanted, found = field.valtype, valtype(duckdb_type)
        if wanted == "string":
            nested = duckdb_type.endswith("]") or duckdb_type.startswith(("STRUCT", "MAP", "UNION"))
            return f"to_json({column})" if nested else column
        if wanted == "long" and duckdb_type not in _INTEGER_TYPES:
            if duckdb_type in _WIDE_INTEGER_TYPES or _INTEGRAL_DECIMAL.fullmatch(duckdb_type):
                return f"COALESCE(TRY_CAST({column} AS BIGINT), {self.error(field, column)})"
            return None
        if wanted == found or (wanted == "float" and found == "long"):
            return column
        return None

    def column(self, field: SchemaField, text: str) -> str:
        """SQL: the VARCHAR expression `text` as `field`'s type, failing on what does not fit
        (`_typed.read`: a macro of every database `open_engine` opens)."""
        converted = _typed.read(field.valtype, field.required, text, self.file_column, field.key)
        kind = DUCKDB_TYPE_BY_VALTYPE[field.valtype]
        return f"CAST({converted} AS {kind}) AS {quote_identifier(field.key)}"

    def error(self, field: SchemaField, value: str) -> str:
        return _typed.bad_value(value, self.file_column, field.key, field.valtype)

    def _first_record(self, path: Path, delimiter: str) -> list[str | None] | None:
        try:
            return next(
                (fields for _, fields in _records.csv_records(path, self.con, delimiter)), None
            )
        except BadRecord as bad:
            raise InvalidInputError(
                Failure.DS_VERIFY_FORMAT, f"{self.labels[str(path)]} line {bad.line}: {bad.reason}"
            ) from None
        except (OSError, duckdb.Error) as exc:
            raise BackendError(
                Failure.INTERNAL, f"cannot read {self.labels[str(path)]}: {exc}"
            ) from exc

    def _header_index(self, header: list[str | None], key: str, path: Path) -> int:
        names = [name or "" for name in header]
        if (name := _records.resolve_name(names, key)) is None:
            raise InvalidInputError(
                Failure.DS_VERIFY_SCHEMA,
                f'{self.labels[str(path)]}: the header has no column "{key}"'
                f" (it has {', '.join(names) or 'none'})",
            )
        return names.index(name)

    def _parquet_columns(self, paths: Sequence[Path]) -> list[dict[str, str]]:
        try:
            return _records.parquet_columns(self.con, paths)
        except BadFile as bad:
            raise InvalidInputError(
                Failure.DS_VERIFY_FORMAT, f"{self.labels[str(bad.path)]}: {bad.reason}"
            ) from None
        except duckdb.Error as exc:
            raise BackendError(Failure.INTERNAL, f"cannot read Parquet footers: {exc}") from exc


def _checked_schema(schema: Sequence[SchemaField]) -> list[SchemaField]:
    if not schema:
        raise InvalidInputError(Failure.SCHEMA_EMPTY, "the schema has no fields")
    seen: dict[str, str] = {}
    for field in schema:
        if field.valtype not in DUCKDB_TYPE_BY_VALTYPE:
            raise InvalidInputError(
                Failure.SCHEMA_TYPE_INVALID, f"{field.key!r} has valtype {field.valtype!r}"
            )
        if (other := seen.get(field.key.lower())) is not None:
            raise InvalidInputError(
                Failure.SCHEMA_KEY_DUP, f"{other!r} and {field.key!r} name the same column"
            )
        seen[field.key.lower()] = field.key
    return list(schema)


def _file_column(fields: Sequence[SchemaField]) -> str:
    name = "__tidemill_file"
    keys = {f.key.lower() for f in fields}
    while name in keys:
        name += "_"
    return name


def _by_compression(paths: Iterable[Path]) -> list[tuple[str, list[Path]]]:
    groups: dict[str, list[Path]] = {}
    for path in paths:
        groups.setdefault(_records.compression(path), []).append(path)
    return list(groups.items())


def _empty(fields: Sequence[SchemaField]) -> str:
    columns = (
        f"CAST(NULL AS {DUCKDB_TYPE_BY_VALTYPE[f.valtype]}) AS {quote_identifier(f.key)}"
        for f in fields
    )
    return f"SELECT {', '.join(columns)} WHERE false"


def _paths(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(quote_literal(str(p)) for p in paths) + "]"


def _first_line(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0].removeprefix("Invalid Input Error: ")

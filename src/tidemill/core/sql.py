"""Users' Spark SQL (spec §6.1.3, design D-4): parse, check, list tables, transpile. Never executes.

Everything here is sqlglot only. The engines run what `to_duckdb` returns; the DuckDB engine
defines the macros that fill the Spark functions sqlglot leaves untranslated
(`tidemill.engines.duckdb`), and `UNIX_TIMESTAMP_MACRO` names the one this module emits itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, UnsupportedError
from sqlglot.optimizer.scope import build_scope
from sqlglot.time import format_time

from tidemill.errors import Failure, InvalidInputError

# Spark's unix_timestamp/to_unix_timestamp become a call to this DuckDB macro. sqlglot's own
# translation (EPOCH(STRPTIME(x, fmt))) returns DOUBLE instead of BIGINT, reads the text as UTC
# instead of the session time zone, and cannot take a TIMESTAMP or DATE argument.
UNIX_TIMESTAMP_MACRO = "tidemill_unix_timestamp"

# The table-valued functions Spark has. Anything else in FROM (DuckDB's read_csv,
# read_text, duckdb_settings ...) is not Spark SQL and is refused before any engine sees it.
SPARK_TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "explode",
        "explode_outer",
        "posexplode",
        "posexplode_outer",
        "inline",
        "inline_outer",
        "json_tuple",
        "stack",
    }
)

# Spark's cast functions that sqlglot leaves as unknown calls (it already turns int(), string(),
# double(), float(), boolean(), date() and timestamp() into casts).
_CAST_FUNCTIONS = frozenset({"tinyint", "smallint", "bigint", "decimal", "binary"})

_SCHEMA_KEY_MAX = 128
_ILLEGAL_KEY_CHARS = re.compile(r"[^a-zA-Z0-9_]")

_SPARK = Dialect.get_or_raise("spark")
_DUCKDB = Dialect.get_or_raise("duckdb")


def parse_query(spark_sql: str) -> exp.Query | exp.Values:
    """The one query statement in `spark_sql`, or JOB_SQL_INVALID saying why there is none.

    A query is SELECT, WITH ... SELECT, a set operation (UNION, INTERSECT, EXCEPT), VALUES or a
    parenthesised query. Empty statements (stray semicolons, comments) are ignored.
    """
    return _parsed(spark_sql).copy()


@lru_cache(maxsize=256)
def _parsed(spark_sql: str) -> exp.Query | exp.Values:
    # Shared between callers (validation asks for the tables and the DuckDB text of the same
    # SQL): never mutate what this returns.
    try:
        statements = [s for s in sqlglot.parse(spark_sql, read=_SPARK) if s is not None]
    except ParseError as exc:
        raise _invalid(_describe_parse_error(exc)) from exc
    except SqlglotError as exc:  # TokenError: an unterminated string or quoted name
        raise _invalid(f"SQL cannot be read: {exc}") from exc
    if not statements:
        raise _invalid("SQL is empty: write one SELECT statement")
    if len(statements) > 1:
        raise _invalid(f"SQL must be exactly one statement, found {len(statements)}")
    (statement,) = statements
    if not isinstance(statement, exp.Query | exp.Values):
        kind = statement.key.upper() if not isinstance(statement, exp.Command) else statement.name
        raise _invalid(f"SQL must be a query (SELECT ...), not {kind}")
    _check_table_functions(statement)
    return statement


def referenced_tables(spark_sql: str) -> set[str]:
    """Names of the tables the query reads, as written (CTE names and table functions excluded).

    A qualified name keeps its qualifiers (`db.t`), so it never matches a job's table.
    Compare the names case-insensitively: Spark and DuckDB both resolve them that way.
    """
    root = build_scope(_parsed(spark_sql))
    if root is None:  # a bare VALUES list reads no table
        return set()
    return {
        ".".join(part.name for part in source.parts)
        for scope in root.traverse()
        for _, source in scope.selected_sources.values()
        if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier)
    }


def to_duckdb(spark_sql: str) -> str:
    """`spark_sql`, a single Spark SQL query, rewritten for DuckDB.

    The result relies on the macros registered by `tidemill.engines.duckdb.connect`.
    Raises InvalidInputError(JOB_SQL_INVALID) if the SQL is unreadable, is not exactly one
    query, or uses something that has no DuckDB equivalent.
    """
    query = _parsed(spark_sql).transform(_fill_gaps)  # transform copies
    try:
        return query.sql(dialect=_DUCKDB, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise _invalid(f"SQL uses something the DuckDB engine cannot run: {exc}") from exc


def schema_keys(names: Iterable[str]) -> list[str]:
    """Result column names made into distinct schema keys (spec §6.9, §3.1).

    Illegal characters become `_`, a leading digit gets a `_` prefix, names are cut to 128
    characters, and repeats get `_1`, `_2`, ... Repeats are found ignoring case, because Spark
    and DuckDB cannot tell `a` from `A` when the result is read as a table downstream.
    """
    keys: list[str] = []
    taken: set[str] = set()
    for name in names:
        key = _ILLEGAL_KEY_CHARS.sub("_", name) or "_"
        if key[0].isdigit():
            key = "_" + key
        key = key[:_SCHEMA_KEY_MAX]
        candidate, n = key, 0
        while candidate.lower() in taken:
            n += 1
            suffix = f"_{n}"
            candidate = key[: _SCHEMA_KEY_MAX - len(suffix)] + suffix
        taken.add(candidate.lower())
        keys.append(candidate)
    return keys


# Spark's trunc/date_trunc format names and the DuckDB part each means.
_TRUNC_UNITS = {
    "year": "year", "yyyy": "year", "yy": "year", "quarter": "quarter", "month": "month",
    "mon": "month", "mm": "month", "week": "week", "day": "day", "dd": "day", "hour": "hour",
    "minute": "minute", "second": "second", "millisecond": "millisecond",
    "microsecond": "microsecond",
}  # fmt: skip


def _fill_gaps(node: exp.Expr) -> exp.Expr:
    """Rewrite one node where sqlglot's Spark → DuckDB translation is missing or wrong."""
    if _is_spark_range(node):
        return _range_with_id(node)
    if isinstance(node, exp.DateTrunc | exp.TimestampTrunc):
        unit = node.args.get("unit")
        if isinstance(unit, exp.Literal | exp.Var) and unit.name.lower() in _TRUNC_UNITS:
            node.set("unit", exp.Literal.string(_TRUNC_UNITS[unit.name.lower()]))
        if isinstance(node, exp.TimestampTrunc) and _is_text(node.this):
            node.set("this", exp.cast(node.this, exp.DataType.build("TIMESTAMP")))
        return node
    if isinstance(node, exp.TsOrDsAdd) and node.text("unit").upper() in ("", "DAY"):
        # Spark's date_add/date_sub give a DATE; DuckDB's date + interval a TIMESTAMP.
        date = exp.cast(node.this, exp.DataType.build("DATE"))
        return exp.Add(this=date, expression=exp.cast(node.expression, exp.DataType.build("INT")))
    if isinstance(node, exp.ToBase64):  # Spark encodes a string's UTF-8 bytes
        return exp.Anonymous(
            this="to_base64", expressions=[exp.Anonymous(this="encode", expressions=[node.this])]
        )
    if isinstance(node, exp.StrToUnix):
        return exp.Anonymous(
            this=UNIX_TIMESTAMP_MACRO, expressions=[node.this, _duckdb_format(node)]
        )
    if (
        isinstance(node, exp.Anonymous)
        and node.name.lower() in _CAST_FUNCTIONS
        and len(node.expressions) == 1
    ):
        return exp.cast(node.expressions[0], exp.DataType.build(node.name, dialect=_SPARK))
    return node


def _is_spark_range(node: exp.Expr) -> bool:
    return (
        isinstance(node, exp.Table)
        and isinstance(node.this, exp.Anonymous)
        and node.this.name.lower() == "range"
        and not node.meta.get("tidemill_range")
    )


def _range_with_id(table: exp.Expr) -> exp.Expr:
    """Spark's range() has one BIGINT column `id`; DuckDB's calls it `range`."""
    inner = table.copy()
    inner.set("alias", None)
    inner.meta["tidemill_range"] = True
    select = exp.select(exp.alias_(exp.column("range"), "id")).from_(inner)
    alias = table.args.get("alias")
    name = alias.name if isinstance(alias, exp.TableAlias) and alias.name else "range"
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(name)))


def _is_text(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def _duckdb_format(node: exp.StrToUnix) -> exp.Expr:
    fmt = node.args.get("format")
    if not isinstance(fmt, exp.Literal):
        return fmt if isinstance(fmt, exp.Expr) else exp.Null()
    text = fmt.name
    if "%" not in text:  # to_unix_timestamp's format reaches us untranslated (Java style)
        converted = _SPARK.format_time(fmt)
        text = converted.name if converted is not None else text
    duckdb_text = format_time(text, _DUCKDB.INVERSE_TIME_MAPPING, _DUCKDB.INVERSE_TIME_TRIE)
    return exp.Literal.string(duckdb_text if duckdb_text is not None else text)


def _check_table_functions(statement: exp.Expr) -> None:
    for table in statement.find_all(exp.Table):
        function = table.this
        if not isinstance(function, exp.Func):
            continue
        name = (
            function.name if isinstance(function, exp.Anonymous) else function.sql_name()
        ).lower()
        if name not in SPARK_TABLE_FUNCTIONS:
            raise _invalid(f"table function {name}() is not available; read the job's tables")


def _describe_parse_error(exc: ParseError) -> str:
    first = exc.errors[0] if exc.errors else {}
    description = str(first.get("description") or "syntax error")
    # sqlglot describes unexpected tokens with their repr; keep the message short and human.
    description = re.sub(r"<Token token_type: TokenType\.(\w+).*?>", r"\1", description)
    description = re.sub(r"<class '(?:\w+\.)*(\w+)'>", r"\1", description)
    line, col = first.get("line"), first.get("col")
    where = f" at line {line}, column {col}" if line and col else ""
    highlight = first.get("highlight")
    near = f" (near {highlight!r})" if highlight else ""
    return f"SQL syntax error{where}{near}: {description}"


def _invalid(message: str) -> InvalidInputError:
    return InvalidInputError(Failure.JOB_SQL_INVALID, message)

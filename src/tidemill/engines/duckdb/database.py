"""The in-process DuckDB engine: sandboxed connections with Spark gap macros; job output schemas.

duckdb's exceptions stop here: callers get `InvalidInputError`/`BackendError`, never `duckdb.Error`.

Decisions recorded here:

* The `date` valtype is `TIMESTAMP WITH TIME ZONE`. Pandora dates are RFC 3339 instants and a
  Spark TIMESTAMP is an instant shown in the session time zone; DuckDB's TIMESTAMPTZ behaves the
  same way with `TimeZone` set to the configured zone (`connect(time_zone=...)`).
* Table names are matched case-insensitively, as Spark and DuckDB both do: `FROM LOGS` reads the
  job's `logs` table, and two tables (or two columns of one table) that differ only in case
  cannot be used together.
* Unaliased expressions keep DuckDB's column names (`count(*)` is `count_star()`, Spark says
  `count(1)`), sanitised into schema keys by `tidemill.core.sql.schema_keys`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
import sqlglot.errors
from sqlglot import exp

from tidemill.core import sql
from tidemill.engines.duckdb import dialect
from tidemill.errors import BackendError, Failure, InvalidInputError

DUCKDB_TYPE_BY_VALTYPE: Mapping[str, str] = {
    "boolean": "BOOLEAN",
    "long": "BIGINT",
    "float": "DOUBLE",
    "date": "TIMESTAMP WITH TIME ZONE",
    "string": "VARCHAR",
}

# Spec §3.2, result column → valtype. Types not listed (VARCHAR, BLOB, UUID, TIME, INTERVAL,
# lists, structs, maps, NULL ...) are `string`.
VALTYPE_BY_DUCKDB_TYPE: Mapping[str, str] = {
    "BOOLEAN": "boolean",
    **dict.fromkeys(
        [
            "TINYINT",
            "SMALLINT",
            "INTEGER",
            "BIGINT",
            "HUGEINT",
            "UTINYINT",
            "USMALLINT",
            "UINTEGER",
            "UBIGINT",
            "UHUGEINT",
        ],
        "long",
    ),
    **dict.fromkeys(["FLOAT", "DOUBLE", "DECIMAL"], "float"),
    **dict.fromkeys(
        [
            "DATE",
            "TIMESTAMP",
            "TIMESTAMP WITH TIME ZONE",
            "TIMESTAMP_S",
            "TIMESTAMP_MS",
            "TIMESTAMP_NS",
        ],
        "date",
    ),
}


# DuckDB appends candidate signatures and a caret under the *transpiled* SQL: drop both.
_MISSING_FUNCTION = re.compile(
    r"Catalog Error: \w+ Function with name \"?([^\s\"]+)\"? does not exist"
)
_NOISE = re.compile(r"\n\s*(?:Candidate functions:|LINE \d+:).*", re.DOTALL)
_schema_lock = threading.Lock()
# DuckDB 2.0 starts 8 threads per database for asynchronous I/O tasks (`async_threads`),
# at connect, and joins them at close: one does (~0.8 ms less CPU per database). Not none:
# without any, work beyond `memory_limit` fails as out of memory instead of spilling
# (measured: the engine contract's spill tests). Local Parquet, JSON, CSV and text reads and
# the Parquet write cost the same with one (docs/performance.md, session 8, workerpath8).
ASYNC_THREADS: Mapping[str, int] = {"async_threads": 1}


def connect(
    *,
    time_zone: str = "UTC",
    threads: int | None = None,
    memory_limit: str | None = None,
    allowed_directories: Sequence[str] = (),
    temp_directory: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """A new in-memory database ready for users' SQL (the output of `dialect.to_duckdb`).

    It has the Spark gap macros, Spark-like implicit casts to VARCHAR, `TimeZone` set for every
    cursor, and only built-in extensions (no install or autoload). External access is switched
    off before it is returned, for good: only files under `allowed_directories` can be read, so
    register sources that live elsewhere through Arrow. Opening one costs ~15 ms (`open_engine`
    ahead of time and `seal` it when the work arrives to save that); reuse it through cursors.
    Work beyond `memory_limit` spills to `temp_directory` (none: no spilling). Raises
    BackendError if DuckDB refuses the settings.
    """
    return seal(
        open_engine(), time_zone=time_zone, threads=threads, memory_limit=memory_limit,
        allowed_directories=allowed_directories, temp_directory=temp_directory,
    )  # fmt: skip


def open_engine(
    macros: Sequence[str] | None = None,
    functions: Collection[str] | None = None,
    *,
    limits: tuple[str, int, str] | None = None,
    setup: Sequence[str] = (),
) -> duckdb.DuckDBPyConnection:
    """An in-memory database with the Spark macros, not yet sealed: no user SQL until `seal`.

    `macros`: the CREATE MACRO statements to run (`dialect.macros_for` of the query); None:
    every macro (~70 ms). `functions`: the names of the Python functions to register
    (`dialect.functions_for`); None: every one (~8 ms). A run names its own (the DuckDB
    engine opens its next database with the last run's). `limits`: (time zone, threads,
    memory limit) as `seal` sets them; None: DuckDB's defaults. `setup`: more
    statements to run (SETs). All of it in one call after `duckdb.connect` (each call costs
    ~0.3 ms; the thread count and memory limit are given to `connect` itself). Raises
    BackendError if DuckDB refuses any of it (the database is then closed)."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        # Spark casts numbers and booleans to strings where a string is expected
        # (length(status), concat(bytes, 'B'), status LIKE '2%'); DuckDB does so only with this.
        "old_implicit_casting": True,
        **ASYNC_THREADS,
    }
    statements = ["SET enable_progress_bar = false"]  # it would draw on the service's terminal
    if limits is not None:
        zone, config["threads"], config["memory_limit"] = limits
        statements += _limit_statements(zone, None, None)
    statements += [*(dialect.MACROS if macros is None else macros), *setup]
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        raise BackendError(Failure.INTERNAL, f"cannot open DuckDB: {_message(exc)}") from exc
    try:
        con.execute(";\n".join(statements))
        dialect.register_functions(con, functions)
    except duckdb.Error as exc:
        con.close()
        raise BackendError(Failure.INTERNAL, f"cannot open DuckDB: {_message(exc)}") from exc
    return con


def seal(
    con: duckdb.DuckDBPyConnection,
    *,
    time_zone: str | None = "UTC",
    threads: int | None = None,
    memory_limit: str | None = None,
    allowed_directories: Sequence[str] = (),
    temp_directory: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Apply one piece of work's limits to `con`, then shut its file access for good.

    A limit given as None is left as it is (DuckDB's default, or what `open_engine` set).
    Closes `con` and raises BackendError if DuckDB refuses a setting."""
    statements = _limit_statements(time_zone, threads, memory_limit)
    if temp_directory is not None:
        statements.append(f"SET GLOBAL temp_directory = {quote_literal(temp_directory)}")
    directories = ", ".join(quote_literal(d) for d in allowed_directories)
    statements.append(f"SET allowed_directories = [{directories}]")
    statements.append("SET enable_external_access = false")
    _settle(con, statements)
    return con


def apply_limits(
    con: duckdb.DuckDBPyConnection,
    *,
    time_zone: str | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> None:
    """Set one piece of work's limits on a database sealed already (DuckDB accepts these SETs
    after the seal; not `allowed_directories` nor `temp_directory`). None: left as it is.
    Closes `con` and raises BackendError if DuckDB refuses a setting."""
    statements = _limit_statements(time_zone, threads, memory_limit)
    if statements:
        _settle(con, statements)


def _limit_statements(
    time_zone: str | None, threads: int | None, memory_limit: str | None
) -> list[str]:
    statements = []
    if time_zone is not None:
        statements.append(f"SET GLOBAL TimeZone = {quote_literal(time_zone)}")
    if threads is not None:
        statements.append(f"SET GLOBAL threads = {int(threads)}")
    if memory_limit is not None:
        statements.append(f"SET GLOBAL memory_limit = {quote_literal(memory_limit)}")
    return statements


def _settle(con: duckdb.DuckDBPyConnection, statements: Sequence[str]) -> None:
    """Run the SET `statements` in one call; on a refusal close `con` (BackendError)."""
    try:
        con.execute(";\n".join(statements))
    except duckdb.Error as exc:
        con.close()
        raise BackendError(Failure.INTERNAL, f"cannot open DuckDB: {_message(exc)}") from exc


def output_schema(
    spark_sql: str, tables: Mapping[str, Sequence[tuple[str, str]]]
) -> list[tuple[str, str]]:
    """The (key, valtype) columns `spark_sql` returns when run over `tables` (spec §6.9).

    `tables` maps each table name to its (key, valtype) columns. The query is planned against
    empty tables, never run. Raises InvalidInputError: JOB_SQL_INVALID for SQL that is not one
    query, reads a table not in `tables`, or names an unknown column or function or mixes
    types; JOB_TABLE_DUP / SCHEMA_KEY_DUP for names that differ only in case;
    SCHEMA_TYPE_INVALID for a valtype outside spec §3.2.
    """
    duckdb_sql = dialect.to_duckdb(spark_sql, tables)
    check_tables_known(sql.referenced_tables(spark_sql), tables)
    _check_case_clashes(tables)
    ddl = [_create_table(name, columns) for name, columns in tables.items()]
    with _schema_cursor() as cur:
        try:
            for statement in ddl:
                cur.execute(statement)
        except duckdb.Error as exc:
            raise BackendError(Failure.INTERNAL, f"cannot create tables: {_message(exc)}") from exc
        try:
            described = cur.execute(f"DESCRIBE {duckdb_sql}").fetchall()
        except duckdb.Error as exc:
            raise InvalidInputError(Failure.JOB_SQL_INVALID, _bind_message(exc)) from exc
    keys = sql.schema_keys(str(row[0]) for row in described)
    return [(key, valtype(str(row[1]))) for key, row in zip(keys, described, strict=True)]


def valtype(duckdb_type: str) -> str:
    """The spec §3.2 valtype of a DuckDB type name as DESCRIBE prints it."""
    if duckdb_type.endswith("]"):  # LIST (INTEGER[]) or ARRAY (INTEGER[3])
        return "string"
    base = duckdb_type.split("(", 1)[0].strip().upper()  # DECIMAL(18,3), STRUCT(...), MAP(...)
    return VALTYPE_BY_DUCKDB_TYPE.get(base, "string")


# One database per process for every output_schema call: opening one costs ~25 ms, a cursor
# well under 1 ms. Each call gets its own cursor, whose TEMP tables no other cursor sees and
# which vanish when it closes. Keyed by process id: a forked child opens its own. The parent's
# copy is kept, never closed, in the child: destroying a DuckDB database inherited through
# fork() can crash (a subprocess with preexec_fn runs Python in the child, as pyspark's does).
_schema_databases: dict[int, duckdb.DuckDBPyConnection] = {}


def _schema_database() -> duckdb.DuckDBPyConnection:
    pid = os.getpid()
    con = _schema_databases.get(pid)
    if con is None:
        con = _schema_databases[pid] = connect(threads=1)
    return con


def _schema_cursor() -> duckdb.DuckDBPyConnection:
    with _schema_lock:
        return _schema_database().cursor()


def check_tables_known(
    referenced: Iterable[str], tables: Mapping[str, Sequence[tuple[str, str]]]
) -> None:
    """JOB_SQL_INVALID naming the first of `referenced` (table names) not in `tables`: a name
    such as csv.`/etc/passwd` (Spark's file query) is no table of the job."""
    known = {name.lower() for name in tables}
    unknown = sorted(name for name in referenced if name.lower() not in known)
    if unknown:
        defined = ", ".join(sorted(tables)) or "none"
        raise InvalidInputError(
            Failure.JOB_SQL_INVALID,
            f"unknown table {unknown[0]!r}: the job's tables are {defined}",
            tables=unknown,
        )


def _check_case_clashes(tables: Mapping[str, Sequence[tuple[str, str]]]) -> None:
    _check_distinct("tables", list(tables), Failure.JOB_TABLE_DUP)
    for table, columns in tables.items():
        _check_distinct(f"columns of {table!r}", [k for k, _ in columns], Failure.SCHEMA_KEY_DUP)


def _check_distinct(what: str, names: Sequence[str], failure: Failure) -> None:
    seen: dict[str, str] = {}
    for name in names:
        if (other := seen.setdefault(name.lower(), name)) != name:
            raise InvalidInputError(failure, f"{what}: {other!r} and {name!r} differ only in case")


def _create_table(name: str, columns: Sequence[tuple[str, str]]) -> str:
    if not columns:
        raise InvalidInputError(Failure.SCHEMA_EMPTY, f"table {name!r} has no columns")
    defs = []
    for key, vt in columns:
        if vt not in DUCKDB_TYPE_BY_VALTYPE:
            raise InvalidInputError(
                Failure.SCHEMA_TYPE_INVALID, f"column {key!r} of table {name!r}: valtype {vt!r}"
            )
        defs.append(f"{quote_identifier(key)} {DUCKDB_TYPE_BY_VALTYPE[vt]}")
    return f"CREATE TEMP TABLE {quote_identifier(name)} ({', '.join(defs)})"


def quote_identifier(name: str) -> str:
    """`name` as a DuckDB identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """`text` as a DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


def _message(exc: duckdb.Error) -> str:
    return " ".join(_NOISE.sub("", str(exc)).split())


def _bind_message(exc: duckdb.Error) -> str:
    """What to tell the user of a query DuckDB cannot bind. A function it does not have is a
    Spark function the translation passes on by the name sqlglot gives it (`csc`, `rint`,
    `width_bucket`: `core.sql` has refused every name Spark lacks): named as the engine's gap,
    without DuckDB's "Did you mean" (another engine's function, which job SQL cannot call).
    Anything else (an unknown column, mixed types) is DuckDB's own message."""
    missing = _MISSING_FUNCTION.match(str(exc))
    if missing is not None:
        return (
            f"the Spark function {missing.group(1).lower()}() is not supported on the DuckDB engine"
        )
    return _message(exc)


def conformed(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """`query` with its columns in the types their valtypes name (`conform`)."""
    return conform(con, query)[0]


def conform(
    con: duckdb.DuckDBPyConnection, query: str, sources: Mapping[str, str] | None = None
) -> tuple[str, list[tuple[str, str]]]:
    """`query` with its columns in the types their valtypes name (BIGINT, DOUBLE, TIMESTAMPTZ),
    and its (column name, valtype) pairs. `sources`: tables `query` reads that are not views
    of `con` (`with_sources`: name → SELECT); the answer does not include them.

    A DATE (Spark's to_date, date_add, ...) becomes the instant its day starts in the session
    zone, as Spark's DATE does when written as a `date` valtype (spec §3.2).

    DuckDB widens sums of BIGINT to HUGEINT, which Parquet stores as DOUBLE: a `long` column
    would come back as 1.4e8 and lose digits past 2**53. Spark keeps BIGINT; so does this (a
    sum past BIGINT fails the batch, as in Spark's ANSI mode, instead of rounding silently).
    """
    described = con.execute(f"DESCRIBE {with_sources(query, sources or {})}").fetchall()
    exprs, columns, changed = [], [], False
    for position, row in enumerate(described, 1):
        name, kind = str(row[0]), str(row[1])
        columns.append((name, valtype(kind)))
        wanted = {"long": "BIGINT", "float": "DOUBLE", "date": "TIMESTAMP WITH TIME ZONE"}.get(
            valtype(kind)
        )
        # Each column by its place (`c<position>` of the alias list below), not its name: a
        # name the query repeats (`SELECT 1 AS n, n FROM t`) would read the first of them.
        column = f"c{position}"
        if wanted is not None and kind != wanted:
            exprs.append(f"CAST({column} AS {wanted}) AS {quote_identifier(name)}")
            changed = True
        else:
            exprs.append(f"{column} AS {quote_identifier(name)}")
    if not changed:
        return query, columns
    places = ", ".join(f"c{position}" for position in range(1, len(described) + 1))
    return f"SELECT {', '.join(exprs)} FROM ({query}) AS conformed({places})", columns


_WITH = re.compile(r"\s*WITH(?:\s+RECURSIVE)?\s+", re.IGNORECASE)


def with_sources(query: str, sources: Mapping[str, str]) -> str:
    """`query` with `sources` (table name → its SELECT) as the first CTEs of its own WITH,
    each NOT MATERIALIZED: inlined where it is read, as a view's body is, so a column the query
    never reads is never checked. `query` must be one `inlinable` allows for these names.

    Not a `WITH ... SELECT * FROM (query)` around it: that renames repeated output names
    (`n, n` → `n, n_1`)."""
    if not sources:
        return query
    ctes = ", ".join(
        f"{quote_identifier(name)} AS NOT MATERIALIZED ({body})" for name, body in sources.items()
    )
    if (found := _WITH.match(query)) is not None:
        return f"{found.group(0)}{ctes}, {query[found.end() :]}"
    return f"WITH {ctes} {query}"


def inlinable(query: str, tables: Iterable[str]) -> bool:
    """Whether `with_sources` can give `query` (DuckDB SQL) `tables` as CTEs: it is a SELECT,
    or begins with a WITH none of whose CTEs is named like one of `tables` (DuckDB refuses two
    CTEs of one name in a WITH, whatever their case). False for anything else (a query in
    parentheses, say): its tables are then views. Parses `query` when it has a WITH."""
    head = query.lstrip()[:6].upper()
    if head.startswith("SELECT"):
        return True
    if not head.startswith("WITH"):
        return False
    try:
        tree = sqlglot.parse_one(query, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return False
    with_ = tree.args.get("with_")
    if not isinstance(with_, exp.With):
        return False
    names = {cte.alias.lower() for cte in with_.expressions}
    return not names & {table.lower() for table in tables}


def rfc3339_sql(expr: str) -> str:
    """SQL: a date as RFC 3339 text with the session zone's offset (seconds, or microseconds
    when it has any)."""
    ts = f"CAST({expr} AS TIMESTAMPTZ)"
    whole = f"strftime({ts}, '%Y-%m-%dT%H:%M:%S%z')"
    fraction = f"strftime({ts}, '%Y-%m-%dT%H:%M:%S.%f%z')"
    chosen = f"CASE WHEN epoch_us({ts}) % 1000000 = 0 THEN {whole} ELSE {fraction} END"
    return f"regexp_replace({chosen}, '([+-][0-9][0-9])$', '\\1:00')"


def preview(path: Path, limit: int, time_zone: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names and first `limit` rows of a result file, as JSON-ready Python values.

    Dates are RFC 3339 text in `time_zone` (Python has no zone database of its own here; a
    DATE is its midnight there),
    binary values base64 text (as Spark's JSON writer prints them), arrays lists, structs
    and maps objects, at any depth; decimals inside them are floats.
    """
    con = duckdb.connect(":memory:", config=dict(ASYNC_THREADS))
    try:
        con.execute(f"SET TimeZone = {quote_literal(time_zone)}")
        source = f"read_parquet({quote_literal(str(path))})"
        relation = con.sql(f"SELECT * FROM {source}")
        names = list(relation.columns)
        exprs = []
        for name, kind in zip(names, relation.types, strict=True):
            column = quote_identifier(name)
            readable = _readable(column, kind, 0)
            exprs.append(f"{readable} AS {column}" if readable is not None else column)
        query = f"SELECT {', '.join(exprs) or '*'} FROM {source} LIMIT {int(limit)}"
        rows = con.execute(query).fetchall()
    except duckdb.Error as exc:
        raise BackendError(Failure.INTERNAL, f"cannot read the result: {_message(exc)}") from exc
    finally:
        con.close()
    return names, rows


def _readable(expr: str, kind: Any, depth: int) -> str | None:
    """SQL turning `expr` (of DuckDB type `kind`) into values Python prints as Spark would;
    None when it needs no change."""
    kind_id = str(kind.id)
    if kind_id in ("timestamp with time zone", "date"):  # a date is midnight in the zone
        return rfc3339_sql(expr)
    if kind_id == "blob":
        return f"to_base64({expr})"
    if depth > 0 and kind_id in ("decimal", "hugeint"):
        return f"CAST({expr} AS DOUBLE)"
    if kind_id in ("list", "array"):
        var = f"x{depth}"
        inner = _readable(var, kind.children[0][1], depth + 1)
        return None if inner is None else f"list_transform({expr}, lambda {var}: {inner})"
    if kind_id == "struct":
        fields = [
            (name, f"struct_extract({expr}, {quote_literal(name)})", child)
            for name, child in kind.children
        ]
        converted = [(name, _readable(e, child, depth + 1), e) for name, e, child in fields]
        if all(c is None for _, c, _ in converted):
            return None
        members = ", ".join(
            f"{quote_identifier(name)} := {c if c is not None else e}" for name, c, e in converted
        )
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE struct_pack({members}) END"
    if kind_id == "map":
        var = f"x{depth}"
        key = _readable(f"{var}.key", kind.children[0][1], depth + 1)
        value = _readable(f"{var}.value", kind.children[1][1], depth + 1)
        if key is None and value is None:
            return None
        pair = f"struct_pack(key := {key or var + '.key'}, value := {value or var + '.value'})"
        return f"map_from_entries(list_transform(map_entries({expr}), lambda {var}: {pair}))"
    return None

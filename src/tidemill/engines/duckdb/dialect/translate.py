"""The Spark SQL → DuckDB SQL pipeline: parse once, run every pass in order, print for DuckDB.

Each pass is a function `(query, context) -> query` that lives in the module of the fault kind
it fixes (see the package docstring) and may copy or mutate the tree it is given; the tree is a
private copy. Each module also names the DuckDB macros its output relies on; `MACROS` is all of
them, registered on every engine connection by `tidemill.engines.duckdb.database.open_engine`, which
also registers `FUNCTIONS` (Python scalar functions, for the rare rules SQL cannot express) through
`register_functions`.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import duckdb
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, UnsupportedError

from tidemill.core.sql import parse_query
from tidemill.engines.duckdb import _typed
from tidemill.engines.duckdb.dialect import (
    aggregates,
    arrays,
    basics,
    coercion,
    datetimes,
    generators,
    gk_summary,
    grouping,
    higher_order,
    hints,
    jackson,
    java_regex,
    joins,
    json_values,
    literals,
    pivot,
    regex,
    strings,
    subqueries,
    urls,
)
from tidemill.engines.duckdb.dialect.context import Context
from tidemill.errors import Failure, InvalidInputError

Pass = Callable[[exp.Expr, Context], exp.Expr]

# Order matters: later passes see what earlier ones wrote. Coercion runs first, on the tree as
# Spark wrote it, because it needs the Spark types of expressions that later passes rewrite.
PASSES: tuple[Pass, ...] = (
    literals.signed,  # Spark's negative and suffixed integer literals, before any type is read
    pivot.rewrite,  # PIVOT as Spark's GROUP BY, on the tree as written (its names, its types)
    strings.rewrite_typed,  # typeof, bin, to_json: Spark types of the arguments as written
    coercion.rewrite,
    datetimes.rewrite,
    hints.rewrite,
    generators.rewrite,
    json_values.rewrite,
    urls.rewrite,
    regex.rewrite,
    strings.rewrite,
    arrays.rewrite,
    higher_order.rewrite,
    aggregates.rewrite,
    grouping.rewrite,
    joins.rewrite,
    subqueries.rewrite,
    basics.rewrite,
    literals.rewrite,
)

MACROS: tuple[str, ...] = (
    *coercion.MACROS,
    *datetimes.MACROS,
    *hints.MACROS,
    *generators.MACROS,
    *json_values.MACROS,
    *urls.MACROS,
    *regex.MACROS,
    *strings.MACROS,
    *arrays.MACROS,
    *higher_order.MACROS,
    *aggregates.MACROS,
    *grouping.MACROS,
    *pivot.MACROS,
    *joins.MACROS,
    *subqueries.MACROS,
    *basics.MACROS,
    *literals.MACROS,
    *_typed.MACROS,  # what a source's SELECT calls (`reading`), not the translation
)

_MACRO_NAME = re.compile(r'^\s*CREATE\s+MACRO\s+"?(\w+)"?', re.IGNORECASE)
_CALLED = re.compile(r'(\w+)"?\s*\(')
# name (lower case) → (position in MACROS, its CREATE statement, the macro names it calls)
_MACRO_INDEX: dict[str, tuple[int, str, frozenset[str]]] = {}
for _position, _text in enumerate(MACROS):
    _found = _MACRO_NAME.match(_text)
    if _found is None:  # every entry is one CREATE MACRO; a new shape must be taught here
        raise RuntimeError(f"not a CREATE MACRO statement: {_text[:60]!r}")
    _body = _text[_found.end() :]
    _MACRO_INDEX[_found.group(1).lower()] = (
        _position, _text, frozenset(n.lower() for n in _CALLED.findall(_body)),
    )  # fmt: skip


def macros_for(duckdb_sql: str) -> list[str]:
    """The CREATE MACRO statements a translated query needs: the macros it calls and,
    transitively, those they call, in `MACROS` order. Creating all 100-odd macros costs a
    fresh database ~70 ms; a run creates only these (usually none or a few)."""
    wanted: set[str] = set()
    pending = [n.lower() for n in _CALLED.findall(duckdb_sql)]
    while pending:
        name = pending.pop()
        if name in wanted or name not in _MACRO_INDEX:
            continue
        wanted.add(name)
        pending.extend(_MACRO_INDEX[name][2])
    return [text for _, text, _ in sorted(_MACRO_INDEX[n] for n in wanted)]


def macro_names(statements: Sequence[str]) -> list[str]:
    """The macro names `statements` (from `macros_for`) create."""
    return [m.group(1) for s in statements if (m := _MACRO_NAME.match(s)) is not None]


# (name, function, DuckDB parameter types, DuckDB return type); NULL in any argument → NULL.
FUNCTIONS: tuple[tuple[str, Callable[..., Any], tuple[str, ...], str], ...] = (
    *java_regex.FUNCTIONS,
    *jackson.FUNCTIONS,
    *gk_summary.FUNCTIONS,
)

_DUCKDB = Dialect.get_or_raise("duckdb")


def functions_for(duckdb_sql: str, macros: Sequence[str] = ()) -> list[str]:
    """The names of the `FUNCTIONS` a translated query calls, itself or through `macros` (its
    `macros_for`), in `FUNCTIONS` order. Registering all ten costs a database ~8 ms of CPU; a
    run registers only these (usually none)."""
    called = {n.lower() for text in (duckdb_sql, *macros) for n in _CALLED.findall(text)}
    return [name for name, *_ in FUNCTIONS if name in called]


def register_functions(con: Any, names: Collection[str] | None = None) -> None:
    """Register `FUNCTIONS` (only those named in `names`, when given) on the DuckDB connection
    `con` (DuckDB's Python functions need numpy). Raises duckdb.Error if DuckDB refuses one."""
    for name, function, parameters, returns in FUNCTIONS:
        if names is not None and name not in names:
            continue
        con.create_function(
            name, _null_in_null_out(function), list(parameters), returns,
            null_handling="special", side_effects=False,
        )  # fmt: skip


def _null_in_null_out(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` answering None when an argument is None (DuckDB's default NULL handling
    cannot return NULL for non-NULL arguments)."""

    def checked(*args: Any) -> Any:
        return None if any(arg is None for arg in args) else function(*args)

    checked.__signature__ = inspect.signature(function)  # type: ignore[attr-defined]
    return checked


def to_duckdb(spark_sql: str, tables: Mapping[str, Sequence[tuple[str, str]]] | None = None) -> str:
    """`spark_sql`, a single Spark SQL query, rewritten for DuckDB with Spark's semantics.

    `tables` maps each table the query reads to its (key, valtype) columns (spec §3.2); passes
    that depend on column types (Spark's implicit casts) use it. The result relies on `MACROS`.
    Raises InvalidInputError(JOB_SQL_INVALID, spec code E18209) if the SQL is unreadable, is not
    exactly one query, or uses something the DuckDB engine cannot run with Spark's answer; the
    message names the construct.
    """
    context = Context(dict(tables or {}))
    query: exp.Expr = parse_query(spark_sql)  # a private copy
    _refuse_own_names(query)
    for rewrite in PASSES:
        query = rewrite(query, context)
    _refuse_missing_functions(query)
    try:
        return query.sql(dialect=_DUCKDB, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise InvalidInputError(
            Failure.JOB_SQL_INVALID, f"SQL uses something the DuckDB engine cannot run: {exc}"
        ) from exc


def _refuse_own_names(query: exp.Expr) -> None:
    """JOB_SQL_INVALID for a call of a function named like the engine's own (`MACROS`,
    `FUNCTIONS`: `tidemill_...`): Spark has none of them, and the translation would pass the
    call through to the macro (`tidemill_bad_value` fails a batch with an input file's error)."""
    for call in query.find_all(exp.Anonymous):
        if call.name.lower().startswith("tidemill_"):
            raise InvalidInputError(
                Failure.JOB_SQL_INVALID, f"unknown function {call.name}: not a Spark function"
            )


def _refuse_missing_functions(query: exp.Expr) -> None:
    """JOB_SQL_INVALID for a Spark function the translation passed through by name that
    DuckDB has no function, macro or registered function of (`spark_partition_id`,
    `monotonically_increasing_id` ...): refused when the job is written, not failed with a
    catalog error when it runs."""
    for call in query.find_all(exp.Anonymous):
        name = call.name.lower()
        if name not in _duckdb_functions() and name not in _MACRO_INDEX and name not in _PASSED:
            raise unsupported(f"the Spark function {call.name}()")


_OWN = frozenset(name for name, *_ in FUNCTIONS)
_PASSED = _OWN | {"try"}  # and DuckDB's TRY(expression), which the casts pass writes


@functools.cache
def _duckdb_functions() -> frozenset[str]:
    """The names of DuckDB's built-in functions and macros (lower case), read once from a
    database without extensions: what any run's database has before `MACROS`."""
    con = duckdb.connect(":memory:", config={"autoload_known_extensions": False})
    try:
        rows = con.execute("SELECT DISTINCT lower(function_name) FROM duckdb_functions()")
        return frozenset(name for (name,) in rows.fetchall())
    finally:
        con.close()


def unsupported(construct: str) -> InvalidInputError:
    """The refusal for a construct the DuckDB engine does not run (spec code E18209)."""
    return InvalidInputError(
        Failure.JOB_SQL_INVALID, f"{construct} is not supported on the DuckDB engine"
    )

"""Spark's implicit casts (strings in comparisons, arithmetic, aggregates and date functions; an
unparseable value is NULL) and casts that truncate instead of rounding (fault kinds 2, 5).
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.dialect.context import Context

# DuckDB macros the output of `rewrite` relies on (registered on every engine connection).
MACROS: tuple[str, ...] = ()


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with this module's rules applied."""
    return query

"""Aggregates with Spark's definitions, grouping sets, ROLLUP and CUBE (fault kind 9)."""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.dialect.context import Context

# DuckDB macros the output of `rewrite` relies on (registered on every engine connection).
MACROS: tuple[str, ...] = ()


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with this module's rules applied."""
    return query

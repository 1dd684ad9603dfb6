"""Java datetime patterns, date/timestamp text, time arithmetic, intervals (fault kinds 1, 3, 10,
and the interval part of 11).
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.dialect.context import Context

# DuckDB macros the output of `rewrite` relies on (registered on every engine connection).
MACROS: tuple[str, ...] = ()


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with this module's rules applied."""
    return query

"""Functions whose Spark definition differs from DuckDB's under the same name: positions, NULL
instead of errors, JSON, URLs, regex, collections, generators and hints (fault kinds 4, 6, 7, 8,
12).
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.dialect.context import Context

# DuckDB macros the output of `rewrite` relies on (registered on every engine connection).
MACROS: tuple[str, ...] = ()


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with this module's rules applied."""
    return query

"""Spark query hints (fault kind 8): accepted and dropped from the DuckDB query.

Spark's hints (`/*+ COALESCE(1) */`, `REPARTITION(n[, cols])`, `REPARTITION_BY_RANGE`,
`REBALANCE`, `BROADCAST(t)`/`BROADCASTJOIN`/`MAPJOIN`, `MERGE`, `SHUFFLE_HASH`,
`SHUFFLE_REPLICATE_NL`) choose partitioning and join strategies; none changes a query's answer,
and Spark itself ignores a hint it does not know (with a warning). DuckDB plans on its own, so
every hint is removed. The partition count a query asks for (`COALESCE(n)`, `REPARTITION(n)`),
which Spark would write as that many output files, stays readable through `output_partitions`.
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.core.sql import parse_query
from tidemill.engines.duckdb.dialect._nodes import function_name, literal_int
from tidemill.engines.duckdb.dialect.context import Context

MACROS: tuple[str, ...] = ()

# Hints whose first argument is the number of partitions Spark writes.
_PARTITION_HINTS = frozenset({"coalesce", "repartition", "repartition_by_range", "rebalance"})


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` without its hints (every SELECT's `/*+ ... */`)."""
    for hint in list(query.find_all(exp.Hint)):
        hint.pop()
    return query


def output_partitions(spark_sql: str) -> int | None:
    """The partition count the outermost SELECT's hint asks for, or None.

    `select /*+ COALESCE(2) */ ...` → 2; `REPARTITION(4, col)` → 4; no count (`REPARTITION(col)`,
    `REBALANCE`) or no hint → None. Several such hints: the last one (Spark applies them in order,
    outermost last). Raises InvalidInputError (E18209) for SQL that is not one query.
    """
    query = parse_query(spark_sql)
    while isinstance(query, exp.Subquery | exp.SetOperation):
        query = query.this
    hint = query.args.get("hint") if isinstance(query, exp.Select) else None
    count = None
    for item in hint.expressions if isinstance(hint, exp.Hint) else ():
        if function_name(item) in _PARTITION_HINTS:
            first = item.this if isinstance(item, exp.Coalesce) else _first_argument(item)
            number = literal_int(first)
            if number is not None and number > 0:
                count = number
    return count


def _first_argument(node: exp.Expr) -> exp.Expr | None:
    expressions = node.expressions
    return expressions[0] if expressions else None

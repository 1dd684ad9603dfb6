"""`x IN (subquery)` and `x NOT IN (subquery)` with Spark's two-valued answers.

Spark 3.5 plans an IN subquery that is not a plain filter as an existence join, so its value is
never NULL: `x IN (q)` is true when some row of q equals x and false otherwise, and
`x NOT IN (q)` is true only when no row of q equals x or compares as unknown (measured on
pyspark 3.5.9: `NULL IN (1, 2, NULL)` in a SELECT list is false). SQL, and DuckDB, answer NULL
in those cases. Both are the standard answer with NULL read as false, so each such predicate
becomes `COALESCE(<predicate>, false)` — except inside WHERE, HAVING or a join condition, where
Spark keeps SQL's three-valued answer (measured: `NOT (x IN (q) OR ...)` in a WHERE drops the
row when x IN (q) is unknown) and where DuckDB plans the predicate as a semi or anti join.
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.duckdb.dialect.context import Context

MACROS: tuple[str, ...] = ()


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with every IN/NOT IN subquery that can meet NULL made two-valued, as in Spark."""
    for node in list(query.find_all(exp.In)):
        if not isinstance(node.args.get("query"), exp.Expr):
            continue  # a literal list keeps SQL's three-valued IN, as in Spark
        predicate: exp.Expr = node
        if isinstance(node.parent, exp.Not):
            predicate = node.parent
        elif isinstance(node.parent, exp.Paren) and isinstance(node.parent.parent, exp.Not):
            predicate = node.parent.parent
        if _in_filter(predicate):
            continue
        replacement = exp.Coalesce(this=predicate.copy(), expressions=[exp.Boolean(this=False)])
        predicate.replace(replacement)
    return query


def _in_filter(node: exp.Expr) -> bool:
    """Whether `node` is part of a WHERE, HAVING or JOIN ... ON condition of its own query."""
    child, parent = node, node.parent
    while parent is not None and not isinstance(parent, exp.Query):
        if isinstance(parent, exp.Where | exp.Having):
            return True
        if isinstance(parent, exp.Join) and parent.args.get("on") is child:
            return True
        child, parent = parent, parent.parent
    return False

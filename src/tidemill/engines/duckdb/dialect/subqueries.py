"""`x IN (subquery)` and `x NOT IN (subquery)` with Spark's two-valued answers.

Spark 3.5 plans an IN subquery that is not a plain filter as an existence join, so its value is
never NULL: `x IN (q)` is true when some row of q equals x and false otherwise, and
`x NOT IN (q)` is true only when no row of q equals x or compares as unknown (measured on
pyspark 3.5.9: `NULL IN (1, 2, NULL)` in a SELECT list is false). SQL, and DuckDB, answer NULL
in those cases. Both are the standard answer with NULL read as false, so each such predicate
becomes `COALESCE(<predicate>, false)` — except inside WHERE, HAVING or a join condition, where
Spark keeps SQL's three-valued answer (measured: `NOT (x IN (q) OR ...)` in a WHERE drops the
row when x IN (q) is unknown) and where DuckDB plans the predicate as a semi or anti join.

Refused by name (E18209): an IN subquery inside count_if (or inside nullif in an aggregate)
that is not a window. Spark 3.5.9 answers it wrongly and not in a way that can be stated as a
rule (measured: `count_if(x IN (q))` counts every row of the group; `count_if(x IN (q) AND c)`,
`count(nullif(x IN (q), false))`, the FILTER form and HAVING likewise; `count_if(x IN (q'))`
with an empty match counts the rows where x is NULL), while `sum(CASE WHEN x IN (q) THEN 1
ELSE 0 END)`, `count_if(coalesce(x IN (q), false))` and windowed count_if are right — the
refusal names those spellings.
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.duckdb.dialect.context import Context

MACROS: tuple[str, ...] = ()


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with every IN/NOT IN subquery that can meet NULL made two-valued, as in Spark."""
    _refuse_counted_in(query)
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


def _refuse_counted_in(query: exp.Expr) -> None:
    """Raise the E18209 refusal for an IN subquery counted by count_if (see the docstring)."""
    counters: list[exp.Expr] = list(query.find_all(exp.CountIf))
    counters += [n for n in query.find_all(exp.Nullif) if _in_aggregate(n)]
    for counter in counters:
        if _windowed(counter):
            continue
        home = counter.parent_select
        for node in counter.find_all(exp.In):
            if (
                isinstance(node.args.get("query"), exp.Expr)
                and node.parent_select is home
                and not _in_coalesce(node)
            ):
                from tidemill.engines.duckdb.dialect.translate import unsupported

                raise unsupported(
                    "an IN subquery inside count_if (Spark 3.5 counts rows it does not match;"
                    " write sum(CASE WHEN x IN (...) THEN 1 ELSE 0 END) or"
                    " count_if(coalesce(x IN (...), false)))"
                )


def _in_coalesce(node: exp.Expr) -> bool:
    parent = node.parent
    while isinstance(parent, exp.Paren | exp.Not):
        parent = parent.parent
    return isinstance(parent, exp.Coalesce)


def _in_aggregate(node: exp.Expr) -> bool:
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Query):
        if isinstance(parent, exp.AggFunc):
            return not _windowed(parent)
        parent = parent.parent
    return False


def _windowed(node: exp.Expr) -> bool:
    parent = node.parent
    while isinstance(parent, exp.AggFunc | exp.Filter | exp.Window):
        if isinstance(parent, exp.Window):
            return True
        parent = parent.parent
    return False

"""`SELECT *` over joins with USING or NATURAL, in Spark's column order (issue #10, joins).

Spark lists the join keys first (in USING order; NATURAL: the left side's order), then the
left side's other columns, then the right side's; DuckDB keeps each key where the left side has
it. So a `*` over such a join becomes the explicit column list Spark would give, worked out by
sqlglot's column qualifier from the job's table schemas (Context.tables). A `*` whose sources'
columns cannot be known (a CTE) is refused at create (E18209) rather than answered in another
column order. Everything else in the query is left as written.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify

from tidemill.engines.duckdb.dialect.context import Context

MACROS: tuple[str, ...] = ()


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with every `*` over a USING/NATURAL join spelled out in Spark's order (as it is
    when the tables are not known)."""
    if not context.tables:
        return query
    for select in list(query.find_all(exp.Select)):
        if _has_using_join(select) and any(_is_star(e) for e in select.expressions):
            _expand_stars(select, context)
    return query


def _is_star(node: exp.Expr) -> bool:
    return isinstance(node, exp.Star) or (isinstance(node, exp.Column) and node.is_star)


def _has_using_join(select: exp.Select) -> bool:
    return any(
        join.args.get("using") or _is_natural(join) for join in select.args.get("joins") or []
    )


def _is_natural(join: exp.Join) -> bool:
    return join.text("method").upper() == "NATURAL"


def _expand_stars(select: exp.Select, context: Context) -> None:
    """Replace `*` and `t.*` in `select` by Spark's columns: the join keys first."""
    everything = _expanded(select, exp.Star(), context)
    keys = []
    for column in everything:  # the qualifier puts the merged keys first, as COALESCE(...)
        if not (isinstance(column, exp.Alias) and isinstance(column.this, exp.Coalesce)):
            break
        keys.append(column.alias.lower())
    projections: list[exp.Expr] = []
    for e in select.expressions:
        if isinstance(e, exp.Star):
            projections.extend(everything)
        elif _is_star(e):
            # Spark: `t.*` of a side of the join is t's key columns first, then its others.
            own = _expanded(select, e, context)
            rank = {key: i for i, key in enumerate(keys)}
            projections.extend(
                sorted(own, key=lambda c: rank.get(c.alias_or_name.lower(), len(rank)))
            )
        else:
            projections.append(e)
    select.set("expressions", projections)


def _expanded(select: exp.Select, star: exp.Expr, context: Context) -> list[exp.Expr]:
    probe = exp.Select(expressions=[star.copy()])
    source = select.args.get("from_")
    probe.set("from_", source.copy() if isinstance(source, exp.Expr) else None)
    probe.set("joins", [j.copy() for j in select.args.get("joins") or []])
    ctes = [
        cte.copy()
        for query in _enclosing_queries(select)
        if isinstance(with_ := query.args.get("with_"), exp.With)
        for cte in with_.expressions
    ]
    if ctes:
        probe.set("with_", exp.With(expressions=ctes))
    try:
        expanded = qualify(
            probe,
            schema=dict(context.spark_schema()),
            dialect="spark",
            quote_identifiers=False,
            validate_qualify_columns=True,
        )
    except SqlglotError as exc:
        raise _unknown_columns() from exc
    if not isinstance(expanded, exp.Select) or any(_is_star(e) for e in expanded.expressions):
        raise _unknown_columns()
    return [e.copy() for e in expanded.expressions]


def _unknown_columns() -> Exception:
    from tidemill.engines.duckdb.dialect.translate import (
        unsupported,  # translate imports this module
    )

    return unsupported(
        "SELECT * over a USING or NATURAL join of sources whose columns are unknown"
        " (name the columns)"
    )


def _enclosing_queries(node: exp.Expr) -> list[exp.Expr]:
    """The queries around `node`, innermost first: their WITH clauses name its CTEs."""
    out: list[exp.Expr] = []
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.Query):
            out.append(parent)
        parent = parent.parent
    if isinstance(node, exp.Query):
        out.insert(0, node)
    return out

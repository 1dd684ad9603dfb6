"""Spark's GROUP BY forms on DuckDB: `WITH ROLLUP`, `WITH CUBE`, Hive's `GROUP BY a, b GROUPING
SETS (...)`, and `grouping_id()` / `grouping__id` with Spark's column order (fault kind 9).

DuckDB runs ROLLUP(...), CUBE(...), GROUPING SETS (...) and grouping(...) as Spark does; what it
lacks is the Hive spellings, which become the standard ones here:

* `GROUP BY a, b WITH ROLLUP` → `GROUP BY ROLLUP (a, b)`; `WITH CUBE` → `CUBE (a, b)`.
* `GROUP BY a, b GROUPING SETS ((a), (b))` → `GROUP BY GROUPING SETS ((a), (b))`: the column list
  only names the grouping columns (DuckDB would read it as a cross product with the sets).
* `grouping_id()` and the virtual column `grouping__id` → `grouping(c1, ..., cn)` over Spark's
  grouping columns: the Hive column list, else every grouping expression in order of first
  appearance. Bit i (from the right) is 1 when c(n-i) is aggregated away (Spark's
  `grouping_id` doc). Spark refuses `grouping_id(...)` whose arguments are not exactly those
  columns; so does this (E18209), instead of answering with another bit order.
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.duckdb.dialect.context import Context
from tidemill.errors import InvalidInputError

MACROS: tuple[str, ...] = ()


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with every SELECT's GROUP BY in the standard form DuckDB reads."""
    for select in list(query.find_all(exp.Select)):
        group = select.args.get("group")
        columns = None  # Spark: grouping() and grouping_id() need sets, ROLLUP or CUBE
        if isinstance(group, exp.Group):
            columns = [_ordinal_resolved(c, select) for c in _standard_form(group)]
            if not _has_grouping_analytics(group):
                columns = None
        _spell_grouping_id(select, columns)
    return query


def _ordinal_resolved(column: exp.Expr, select: exp.Select) -> exp.Expr:
    """`GROUP BY 1` names the first SELECT item; grouping(...) needs the item itself."""
    if isinstance(column, exp.Literal) and column.is_int:
        position = int(column.name)
        if 1 <= position <= len(select.expressions):
            item: exp.Expr = select.expressions[position - 1]
            return (
                item.this
                if isinstance(item, exp.Alias) and isinstance(item.this, exp.Expr)
                else item
            )
    return column


def _has_grouping_analytics(group: exp.Group) -> bool:
    return any(isinstance(e, exp.Rollup | exp.Cube | exp.GroupingSets) for e in group.expressions)


def _standard_form(group: exp.Group) -> list[exp.Expr]:
    """Rewrite `group` in place; return Spark's grouping columns (for grouping_id())."""
    plain = list(group.expressions)
    hive_sets = group.args.get("grouping_sets") or []
    if group.args.get("rollup") or group.args.get("cube"):
        kind = exp.Rollup if group.args.get("rollup") else exp.Cube
        group.set("expressions", [kind(expressions=plain)])
        group.set("rollup", None)
        group.set("cube", None)
        return _distinct(plain)
    if hive_sets:
        group.set("expressions", list(hive_sets))
        group.set("grouping_sets", None)
        return _distinct(plain)
    return _distinct(_flattened(plain))


def _flattened(expressions: list[exp.Expr]) -> list[exp.Expr]:
    out: list[exp.Expr] = []
    for e in expressions:
        if isinstance(e, exp.Rollup | exp.Cube | exp.GroupingSets):
            out.extend(_flattened(list(e.expressions)))
        elif isinstance(e, exp.Tuple | exp.Paren):
            inner = e.expressions if isinstance(e, exp.Tuple) else [e.this]
            out.extend(_flattened(list(inner)))
        else:
            out.append(e)
    return out


def _distinct(expressions: list[exp.Expr]) -> list[exp.Expr]:
    seen: set[str] = set()
    out = []
    for e in expressions:
        key = e.sql()
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _spell_grouping_id(select: exp.Select, columns: list[exp.Expr] | None) -> None:
    for node in list(_own_nodes(select)):
        if isinstance(node, exp.GroupingId):
            args = list(node.expressions)
        elif isinstance(node, exp.Grouping) and columns is None:
            raise _refused("grouping() without GROUPING SETS, ROLLUP or CUBE")
        elif _is_grouping_id_column(node):
            args = []
        else:
            continue
        if columns is None:
            raise _refused("grouping_id() without GROUPING SETS, ROLLUP or CUBE")
        if args and [a.sql() for a in args] != [c.sql() for c in columns]:
            raise _refused(
                "grouping_id(...) whose arguments are not the GROUP BY columns in their order"
            )
        replacement = exp.Grouping(expressions=[c.copy() for c in columns])
        # Spark's grouping_id() is a BIGINT; DuckDB's grouping() too.
        node.replace(replacement)


def _is_grouping_id_column(node: exp.Expr) -> bool:
    return isinstance(node, exp.Column) and not node.table and node.name.lower() == "grouping__id"


def _own_nodes(select: exp.Select) -> list[exp.Expr]:
    """The nodes of `select` outside its subqueries and FROM/JOIN sources."""
    out: list[exp.Expr] = []
    for key in ("expressions", "having", "order", "qualify"):
        value = select.args.get(key)
        roots = value if isinstance(value, list) else [value]
        for root in roots:
            if isinstance(root, exp.Expr):
                out.extend(
                    n
                    for n in root.walk(prune=lambda n: isinstance(n, exp.Query | exp.Subquery))
                    if not isinstance(n, exp.Query | exp.Subquery)
                )
    return out


def _refused(construct: str) -> InvalidInputError:
    from tidemill.engines.duckdb.dialect.translate import (
        unsupported,  # translate imports this module
    )

    return unsupported(construct)

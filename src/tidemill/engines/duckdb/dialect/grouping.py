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
            if any(_is_empty(e) for e in group.expressions):
                raise _refused("GROUP BY () (a Spark 3.5 syntax error)")
            columns = [_ordinal_resolved(c, select) for c in _standard_form(group)]
            if not _has_grouping_analytics(group):
                columns = None
        _spell_grouping_id(select, columns)
        if isinstance(group, exp.Group) and _has_grouping_analytics(group):
            _one_spelling(select, group)
            _no_row_from_nothing(select)
    return query


# Spark's Canonicalize: operands of these are ordered, so `b + a` is the grouping expression
# `a + b` (the flattened chain of one operator, e.g. `a + b + c`, is one commutative set).
_COMMUTATIVE = (
    exp.Add, exp.Mul, exp.And, exp.Or, exp.EQ, exp.NullSafeEQ, exp.NEQ,
    exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor,
)  # fmt: skip
_MIRRORED: dict[type[exp.Expr], type[exp.Expr]] = {exp.LT: exp.GT, exp.LTE: exp.GTE}


def _canonical(node: exp.Expr) -> str:
    """A key equal for expressions Spark's Canonicalize makes equal (case-blind names,
    commutative operands in any order, `a < b` as `b > a`)."""
    if isinstance(node, exp.Paren):
        return _canonical(node.this)
    if isinstance(node, exp.Identifier):
        return f"id:{str(node.this).lower()}"
    mirrored = _MIRRORED.get(type(node))
    if mirrored is not None and isinstance(node, exp.Binary):
        return f"{mirrored.__name__}({_canonical(node.right)},{_canonical(node.left)})"
    if isinstance(node, _COMMUTATIVE) and isinstance(node, exp.Binary):
        operands: list[exp.Expr] = []
        pending: list[exp.Expr] = [node]
        while pending:
            current = pending.pop()
            while isinstance(current, exp.Paren):
                current = current.this
            if type(current) is type(node):
                pending.extend([current.left, current.right])
            else:
                operands.append(current)
        return f"{type(node).__name__}({','.join(sorted(_canonical(o) for o in operands))})"
    parts = [type(node).__name__]
    for key in sorted(node.args):
        value = node.args[key]
        values = value if isinstance(value, list) else [value]
        for v in values:
            parts.append(f"{key}={_canonical(v) if isinstance(v, exp.Expr) else repr(v)}")
    return "(" + ";".join(parts) + ")"


def _one_spelling(select: exp.Select, group: exp.Group) -> None:
    """Grouping expressions equal for Spark but spelt differently (`a + b`, `b + a`) take the
    first spelling, in the sets and in the SELECT, HAVING and ORDER BY: DuckDB compares them
    as written and would leave the `(b + a)` set's `a + b` NULL."""
    first: dict[str, exp.Expr] = {}
    for e in _flattened(list(group.expressions)):
        if isinstance(e, exp.Column | exp.Literal):
            continue
        key = _canonical(e)
        if key not in first:
            first[key] = e
        elif e.sql() != first[key].sql():
            e.replace(first[key].copy())
    if not first:
        return
    for key_name in ("expressions", "having", "order"):
        value = select.args.get(key_name)
        roots = value if isinstance(value, list) else [value]
        for root in roots:
            if isinstance(root, exp.Expr):
                _respell(root, first)


def _respell(root: exp.Expr, first: dict[str, exp.Expr]) -> None:
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, exp.Query | exp.Subquery):
            continue
        if not isinstance(node, exp.Column | exp.Literal | exp.Identifier):
            chosen = first.get(_canonical(node))
            if chosen is not None:
                if node.sql() != chosen.sql():
                    node.replace(chosen.copy())
                continue
        pending.extend(node.iter_expressions())


def _no_row_from_nothing(select: exp.Select) -> None:
    """Spark 3.5 runs GROUPING SETS, ROLLUP and CUBE as an Expand under a grouped aggregate,
    so an empty input gives no row, even for the `()` set (DuckDB: one row of totals). Every
    group of a non-empty input has a row, so `count(*) > 0` keeps exactly Spark's rows."""
    condition: exp.Expr = exp.GT(
        this=exp.Count(this=exp.Star(), big_int=True), expression=exp.Literal.number(0)
    )
    having = select.args.get("having")
    if isinstance(having, exp.Having):
        condition = exp.And(this=exp.Paren(this=having.this.copy()), expression=condition)
    select.set("having", exp.Having(this=condition))


def _is_empty(e: exp.Expr) -> bool:
    return (isinstance(e, exp.Tuple) and not e.expressions) or (
        isinstance(e, exp.Paren) and e.this is None
    )


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
        elif isinstance(node, exp.Grouping):
            if (
                node.parent is select
                and node.arg_key == "expressions"
                and len(node.expressions) == 1
                and isinstance(node.expressions[0], exp.Column)
            ):  # Spark's name for the unaliased column, `grouping(k)`
                name = f"grouping({node.expressions[0].name})"
                node.replace(exp.alias_(node.copy(), exp.to_identifier(name, quoted=True)))
            continue
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
        replacement: exp.Expr = exp.Grouping(expressions=[c.copy() for c in columns])
        # Spark's grouping_id() is a BIGINT; DuckDB's grouping() too.
        if node.parent is select and node.arg_key == "expressions":
            # Spark's name for the unaliased column: `grouping__id`, `grouping_id()`, ...
            spark_name = (
                "grouping__id"
                if isinstance(node, exp.Column)
                else f"grouping_id({', '.join(a.sql(dialect='spark') for a in args)})"
            )
            replacement = exp.alias_(replacement, exp.to_identifier(spark_name, quoted=True))
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

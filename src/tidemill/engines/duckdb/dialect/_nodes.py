"""Small builders shared by the rewrite modules: calls to DuckDB functions or our macros, and
DuckDB SQL templates with Spark sub-expressions put in their place.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types

from tidemill.engines.duckdb.dialect.context import Context


def call(name: str, *args: exp.Expr) -> exp.Anonymous:
    """`name(args...)`, printed as written (a DuckDB function or one of our macros)."""
    return exp.Anonymous(this=name, expressions=list(args))


def template(duckdb_sql: str, **parts: exp.Expr) -> exp.Expr:
    """`duckdb_sql` (an expression or a query) parsed, each column `_<name>` replaced by a copy
    of `parts[name]`. UNNEST stays a plain call so that no pass reads it as Spark's explode.
    """

    def fill(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name.startswith("_"):
            part = parts.get(node.name[1:])
            if part is not None:
                return part.copy()
        return node

    def unnest(node: exp.Expr) -> exp.Expr:
        if type(node) is exp.Explode:
            return call("UNNEST", node.this)
        return node

    return _parsed(duckdb_sql).transform(unnest).transform(fill)


@lru_cache(maxsize=512)
def _parsed(duckdb_sql: str) -> exp.Expr:
    return sqlglot.parse_one(duckdb_sql, read="duckdb")


def literal_int(node: exp.Expr | None) -> int | None:
    """The value of an integer literal (also `-3`), else None."""
    if isinstance(node, exp.Neg):
        inner = literal_int(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.name)
        except ValueError:
            return None
    return None


def literal_text(node: exp.Expr | None) -> str | None:
    """The value of a string literal, else None."""
    if isinstance(node, exp.Literal) and node.is_string:
        return node.name
    return None


def function_name(node: exp.Expr) -> str:
    """The lower-case Spark name of a function call node."""
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return ""


def bottom_up(tree: exp.Expr, rule: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """`tree` with `rule` applied to every node, children before their parent, so a rule sees
    its arguments already rewritten (sqlglot's `transform` goes parent first and does not visit
    the arguments of a node it replaced)."""
    root = tree
    for node in reversed(list(tree.dfs())):
        new = rule(node)
        if new is not node:
            if new.type is None and node.type is not None:
                new.type = node.type
            if node is root:
                root = new
            else:
                node.replace(new)
    return root


def annotate(query: exp.Expr, context: Context) -> None:
    """Give `query`'s nodes their Spark types (`node.type`) where sqlglot can tell them."""
    schema: dict[str, object] = dict(context.spark_schema())
    annotate_types(query, schema=schema, dialect="spark")


def is_map(node: exp.Expr) -> bool:
    """Whether `node` is a map, following a column to the subquery or CTE that defines it."""
    if node.type is not None and node.type.is_type(exp.DType.MAP):
        return True
    if not isinstance(node, exp.Column):
        return False
    select = node.find_ancestor(exp.Select)
    source = select.args.get("from_") if select is not None else None
    inner: exp.Expr | None = source.this if isinstance(source, exp.From) else None
    if isinstance(inner, exp.Table) and select is not None:
        with_ = select.args.get("with_")
        ctes = with_.expressions if isinstance(with_, exp.With) else []
        inner = next((c.this for c in ctes if c.alias_or_name == inner.name), None)
    if isinstance(inner, exp.Subquery):
        inner = inner.this
    if not isinstance(inner, exp.Select):
        return False
    for projection in inner.expressions:
        if projection.alias_or_name == node.name:
            return is_map(projection.this if isinstance(projection, exp.Alias) else projection)
    return False

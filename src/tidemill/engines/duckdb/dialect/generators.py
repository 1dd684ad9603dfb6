"""Spark's generators (fault kind 7): explode, posexplode, inline, json_tuple and stack, in the
select list or in LATERAL VIEW, with and without OUTER.

Every generator becomes a correlated `CROSS JOIN LATERAL (SELECT UNNEST(...) ...)` on the rows it
expands. OUTER (`LATERAL VIEW OUTER`, `explode_outer`, `posexplode_outer`, `inline_outer`) keeps
a row whose array or map is empty or NULL, with NULL in every generated column: the unnested list
is `[NULL]` for such a row. Column names are Spark's (Spark SQL reference, "Generator
functions"): `col` for array elements, `key`/`value` for map entries, `pos` for positions
(counting from 0), `c0, c1, ...` for json_tuple, `col0, col1, ...` for stack, the struct's field
names for inline. A generator in the select list is rewritten into the equivalent LATERAL VIEW
(over the aggregated rows when the select aggregates).

Whether the argument is a map or an array is read from sqlglot's type annotation; an argument
whose type it cannot tell is taken as an array.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp

from tidemill.engines.duckdb.dialect import json_values
from tidemill.engines.duckdb.dialect._nodes import (
    annotate,
    call,
    function_name,
    is_map,
    literal_int,
    template,
)
from tidemill.engines.duckdb.dialect.context import Context

MACROS: tuple[str, ...] = ()

_NAMES = {
    "explode": ("explode", False),
    "explode_outer": ("explode", True),
    "posexplode": ("posexplode", False),
    "posexplode_outer": ("posexplode", True),
    "inline": ("inline", False),
    "inline_outer": ("inline", True),
    "json_tuple": ("json_tuple", False),
    "stack": ("stack", False),
}


@dataclass(frozen=True, slots=True)
class _Generator:
    kind: str  # explode, posexplode, inline, json_tuple, stack
    outer: bool
    args: list[exp.Expr]
    is_map: bool


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with every generator expanded by a lateral join (see the module docstring)."""
    if not any(_generator(node) for node in query.find_all(exp.Func)):
        return query
    annotate(query, context)
    counter = iter(range(1_000_000))
    for table in list(query.find_all(exp.Table)):
        generator = _generator(table.this)
        if generator is not None:
            _table_function(table, generator, counter)
    for select in reversed(list(query.find_all(exp.Select))):
        for lateral in list(select.args.get("laterals") or ()):
            _lateral_view(select, lateral)
        replaced = _select_list_generator(select, counter)
        if select is query and replaced is not None:
            query = replaced
    return query


def _generator(node: exp.Expr | None) -> _Generator | None:
    if not isinstance(node, exp.Func):
        return None
    found = _NAMES.get(function_name(node))
    if found is None:
        return None
    kind, outer = found
    args = [arg for arg in (node.this, *node.expressions) if isinstance(arg, exp.Expr)]
    if isinstance(node, exp.Anonymous):
        args = list(node.expressions)
    map_argument = bool(args) and is_map(args[0])
    return _Generator(kind, outer, args, map_argument)


def _lateral_view(select: exp.Select, lateral: exp.Lateral) -> None:
    generator = _generator(lateral.this)
    if generator is None:
        return
    outer = generator.outer or bool(lateral.args.get("outer"))
    alias = lateral.args.get("alias")
    table = alias.name if isinstance(alias, exp.TableAlias) and alias.name else "_tidemill_gen"
    columns = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
    lateral.pop()
    select.append("joins", _join(generator, outer, table, columns))


def _table_function(table: exp.Table, generator: _Generator, counter: Iterator[int]) -> None:
    """`FROM explode(...) [AS t(c)]` (Spark 3.4+): the generator over one row."""
    alias = table.args.get("alias")
    name = alias.name if isinstance(alias, exp.TableAlias) and alias.name else ""
    columns = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
    inner = f"_tidemill_gen{next(counter)}"
    select = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(inner))).from_(
        exp.select(exp.Literal.number(1)).subquery("_tidemill_one"), copy=False
    )
    select.append("joins", _join(generator, generator.outer, inner, columns))
    table.replace(select.subquery(name or inner))


def _qualified_stars(select: exp.Select) -> None:
    """`*` next to a select-list generator means the FROM sources' columns, not the generated."""
    if not any(isinstance(item, exp.Star) for item in select.expressions):
        return
    sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
    names = [
        source.this.alias_or_name
        for source in sources
        if isinstance(source, exp.From | exp.Join) and source.this.alias_or_name
    ]
    items: list[exp.Expr] = []
    for item in select.expressions:
        if isinstance(item, exp.Star):
            items.extend(exp.Column(this=exp.Star(), table=exp.to_identifier(n)) for n in names)
        else:
            items.append(item)
    select.set("expressions", items)


def _select_list_generator(select: exp.Select, counter: Iterator[int]) -> exp.Select | None:
    """Spark's one generator in a select list, as a lateral join; the new select if replaced."""
    for index, item in enumerate(select.expressions):
        inner = item.this if isinstance(item, exp.Alias | exp.Aliases) else item
        generator = _generator(inner)
        if generator is None:
            continue
        if isinstance(item, exp.Aliases):
            columns = [c.name for c in item.expressions]
        elif isinstance(item, exp.Alias):
            columns = [item.alias]
        else:
            columns = []
        names = columns or _default_names(generator)
        table = f"_tidemill_gen{next(counter)}"
        outputs: list[exp.Expr]
        if names:
            outputs = [exp.column(name, table=table) for name in names]
        else:
            outputs = [exp.Column(this=exp.Star(), table=exp.to_identifier(table))]
        if _aggregates(select):
            return _wrap_aggregate(select, index, generator, table, names, outputs)
        _qualified_stars(select)
        index = next(i for i, e in enumerate(select.expressions) if e is item)
        items = select.expressions[:index] + outputs + select.expressions[index + 1 :]
        select.set("expressions", items)
        if not select.args.get("from_"):
            select.from_(exp.select(exp.Literal.number(1)).subquery("_tidemill_one"), copy=False)
        select.append("joins", _join(generator, generator.outer, table, names))
        return None
    return None


def _aggregates(select: exp.Select) -> bool:
    if select.args.get("group") or select.args.get("distinct"):
        return True
    return any(
        isinstance(node, exp.AggFunc) and node.find_ancestor(exp.Select) is select
        for item in select.expressions
        for node in item.find_all(exp.AggFunc)
    )


def _wrap_aggregate(
    select: exp.Select,
    index: int,
    generator: _Generator,
    table: str,
    names: list[str],
    outputs: list[exp.Expr],
) -> exp.Select:
    """`select g(agg) ... group by ...` → the generator over the aggregated rows."""
    inner = select.copy()
    for key in ("order", "limit", "offset"):
        inner.set(key, None)
    kept: list[exp.Expr] = []
    inner_items: list[exp.Expr] = []
    args: list[exp.Expr] = []
    for position, item in enumerate(select.expressions):
        if position == index:
            for number, arg in enumerate(generator.args):
                inner_items.append(exp.alias_(arg.copy(), f"_tidemill_arg{number}"))
                args.append(exp.column(f"_tidemill_arg{number}", table="_tidemill_agg"))
            kept.extend(outputs)
            continue
        name = item.alias_or_name or f"_tidemill_c{position}"
        inner_items.append(exp.alias_(item.this if isinstance(item, exp.Alias) else item, name))
        kept.append(exp.column(name, table="_tidemill_agg"))
    inner.set("expressions", inner_items)
    for arg, original in zip(args, generator.args, strict=True):
        arg.type = original.type
    moved = _Generator(generator.kind, generator.outer, args, generator.is_map)
    outer = exp.select(*kept).from_(inner.subquery("_tidemill_agg"), copy=False)
    outer.append("joins", _join(moved, generator.outer, table, names))
    for key in ("order", "limit", "offset"):
        outer.set(key, select.args.get(key))
    select.replace(outer)
    return outer


def _default_names(generator: _Generator) -> list[str]:
    if generator.kind == "explode":
        return ["key", "value"] if generator.is_map else ["col"]
    if generator.kind == "posexplode":
        return ["pos", "key", "value"] if generator.is_map else ["pos", "col"]
    if generator.kind == "json_tuple":
        return [f"c{i}" for i in range(len(generator.args) - 1)]
    if generator.kind == "stack":
        return [f"col{i}" for i in range(_stack_width(generator))]
    return []  # inline: the struct's own field names


def _stack_width(generator: _Generator) -> int:
    rows = literal_int(generator.args[0]) if generator.args else None
    if rows is None or rows <= 0:
        from tidemill.engines.duckdb.dialect.translate import unsupported

        raise unsupported("stack() without a positive literal row count")
    values = len(generator.args) - 1
    return -(-values // rows)


def _join(generator: _Generator, outer: bool, table: str, names: list[str]) -> exp.Join:
    columns = _generated_columns(generator, outer)
    names = names or _default_names(generator)
    if names and len(names) != len(columns) and generator.kind != "inline":
        from tidemill.engines.duckdb.dialect.translate import unsupported

        raise unsupported(
            f"{generator.kind} with {len(names)} column aliases for {len(columns)} columns"
        )
    if generator.kind == "inline":
        subquery = template(
            "(SELECT UNNEST(_tidemill_struct) FROM (SELECT UNNEST(_a) AS _tidemill_struct))",
            a=_outer_list(generator.args[0], outer),
        )
    else:
        subquery = exp.select(
            *(exp.alias_(column, name) for column, name in zip(columns, names, strict=True))
        ).subquery()
    alias = exp.TableAlias(
        this=exp.to_identifier(table), columns=[exp.to_identifier(n) for n in names]
    )
    lateral = exp.Lateral(this=subquery, alias=alias)
    return exp.Join(this=lateral, kind="CROSS")


def _generated_columns(generator: _Generator, outer: bool) -> list[exp.Expr]:
    args = generator.args
    if generator.kind in ("explode", "posexplode"):
        (arg,) = args
        lists: list[exp.Expr]
        if generator.is_map:
            lists = [call("map_keys", arg), call("map_values", arg)]
            size = call("cardinality", arg)
        else:
            lists = [arg]
            size = call("len", arg)
        if generator.kind == "posexplode":
            lists.insert(0, call("range", exp.cast(size, exp.DataType.build("BIGINT"))))
        return [call("UNNEST", _outer_list(items, outer, size)) for items in lists]
    if generator.kind == "json_tuple":
        document, *keys = args
        return [json_values.json_tuple_field(document, key) for key in keys]
    if generator.kind == "stack":
        rows = literal_int(args[0]) or 1
        values = args[1:]
        width = _stack_width(generator)
        return [
            call(
                "UNNEST",
                exp.Array(
                    expressions=[
                        values[r * width + c].copy() if r * width + c < len(values) else exp.Null()
                        for r in range(rows)
                    ]
                ),
            )
            for c in range(width)
        ]
    return []


def _outer_list(items: exp.Expr, outer: bool, size: exp.Expr | None = None) -> exp.Expr:
    if not outer:
        return items
    return template(
        "CASE WHEN _size > 0 THEN _items ELSE [NULL] END",
        size=size if size is not None else call("len", items),
        items=items,
    )

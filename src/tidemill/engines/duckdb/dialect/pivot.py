"""Spark's PIVOT on DuckDB, written as the GROUP BY Spark's analyzer makes of it (ResolvePivot).

DuckDB's own PIVOT differs from Spark's in what it matches (a tuple of columns against aliased
tuple values matched nothing), in column names and in the empty cells, so a PIVOT becomes, in
place of the relation it pivots, the subquery

    (SELECT g1, ..., gn, <one column per value and aggregate> FROM <relation> GROUP BY g1, ..., gn)

* The grouping columns g are Spark's implicit ones: every column of the relation, in its order,
  that neither the FOR columns nor the aggregates reference.
* A value v matches the rows where `column <=> CAST(v AS <column's type>)` (a tuple of columns:
  each column against its field), as Spark's `EqualNullSafe(pivotColumn, Cast(value, type))`
  (NULL matches NULL; a value the cast cannot read is NULL).
* Each cell is the aggregate over the matching rows (`FILTER (WHERE match)`). When every
  aggregate's type is one Spark's PivotFirst takes (numbers, booleans, decimals), Spark
  aggregates per (group, pivot value) first and a group without that value gets NULL, even from
  count(); the cell is then `CASE WHEN count_if(match) > 0 THEN ... END`. Otherwise Spark
  aggregates `if(match, e, NULL)` (count() gives 0) and so does the FILTER form.
* Names as Spark's `outputName`: the value's alias, else the value as a string (`null`, a tuple
  `{a, 1}`); with several aggregates `<value>_<aggregate alias, else its Spark text>`.

Refused (JOB_SQL_INVALID, E18209): a PIVOT whose relation's columns or column types are unknown,
a PIVOT on a join or on several relations, an unaliased value or (with several aggregates)
aggregate whose Spark name this cannot write, an aggregate with a window or a subquery.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from sqlglot import exp

from tidemill.engines.duckdb.dialect.context import Context
from tidemill.engines.duckdb.dialect.types import SparkTypes
from tidemill.errors import InvalidInputError

MACROS: tuple[str, ...] = ()

# Spark's PivotFirst.supportsDataType: the two-step aggregation (NULL for an absent value)
_PIVOT_FIRST = {"double", "float", "int", "bigint", "smallint", "tinyint", "boolean"}
_VALUE_CAST = "tidemill_pivot_value"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with every PIVOT written as the aggregate Spark runs for it."""
    for pivot in list(query.find_all(exp.Pivot)):
        if pivot.args.get("unpivot"):
            continue
        _replace(pivot, context)
    return query


def _replace(pivot: exp.Pivot, context: Context) -> None:
    source = pivot.parent
    if not isinstance(source, exp.Table | exp.Values | exp.Subquery):
        raise _refused("PIVOT on this kind of relation")
    select = source.parent.parent if isinstance(source.parent, exp.From) else None
    if (
        not isinstance(select, exp.Select)
        or select.args.get("joins")
        or select.args.get("laterals")
    ):
        raise _refused("PIVOT on a join or on several relations")
    if len(source.args.get("pivots") or []) != 1:
        raise _refused("several PIVOT / UNPIVOT clauses on one relation")
    fields = pivot.args.get("fields") or []
    if len(fields) != 1 or not isinstance(fields[0], exp.In):
        raise _refused("this PIVOT form")
    field = fields[0]
    columns_written = field.this.expressions if isinstance(field.this, exp.Tuple) else [field.this]
    if not all(isinstance(c, exp.Column) and not c.table for c in columns_written):
        raise _refused("PIVOT FOR anything but column names")
    child_columns = _output_names(source, select, context)
    if child_columns is None:
        raise _refused("PIVOT on a relation whose columns are not known")
    by_lower = {c.lower(): c for c in child_columns}
    pivot_columns = []
    for column in columns_written:
        if column.name.lower() not in by_lower:
            raise _refused(f"PIVOT FOR an unknown column {column.name}")
        pivot_columns.append(by_lower[column.name.lower()])

    aggregates = list(pivot.expressions)
    referenced = {c.lower() for c in pivot_columns}
    for aggregate in aggregates:
        if aggregate.find(exp.Window, exp.Query, exp.Subquery) is not None:
            raise _refused("a PIVOT aggregate with a window or a subquery")
        if aggregate.find(exp.AggFunc) is None:
            raise _refused("a PIVOT aggregate without an aggregate function")
        referenced |= {c.name.lower() for c in aggregate.find_all(exp.Column)}
    groups = [c for c in child_columns if c.lower() not in referenced]

    values = list(field.expressions)
    value_names = [_value_name(v) for v in values]
    bare_values = [v.this if isinstance(v, exp.PivotAlias) else v for v in values]
    value_keys = [_as_string(v) or v.sql(dialect="spark") for v in bare_values]
    if len(set(value_keys)) != len(value_keys):
        # Spark's PivotFirst keeps one index per value: its cells for a repeated value are NULL
        raise _refused("PIVOT with a value repeated in its IN list")
    single = len(aggregates) == 1
    suffixes = [None if single else _aggregate_name(a, by_lower) for a in aggregates]

    # The new relation: the source without its PIVOT, grouped
    inner = source.copy()
    inner.set("pivots", None)
    pivot_alias = pivot.args.get("alias")
    alias_name = (source.alias or source.name) if isinstance(source, exp.Table) else source.alias
    if isinstance(pivot_alias, exp.TableAlias) and pivot_alias.name:
        alias_name = pivot_alias.name

    casts: list[tuple[exp.Cast, exp.Column]] = []
    cells: list[tuple[exp.Expr, exp.Expr, str, int]] = []  # (cell, match, name, aggregate)
    for value, value_name in zip(values, value_names, strict=True):
        bare = value.this if isinstance(value, exp.PivotAlias) else value
        match = _match(bare, pivot_columns, casts)
        for i, aggregate in enumerate(aggregates):
            body = aggregate.this if isinstance(aggregate, exp.Alias) else aggregate
            cell = _filtered(body.copy(), match)
            suffix = suffixes[i]
            name = value_name if suffix is None else f"{value_name}_{suffix}"
            cells.append((cell, match, name, i))

    projections: list[exp.Expr] = [
        exp.alias_(exp.column(g, quoted=True), exp.to_identifier(g, quoted=True)) for g in groups
    ]
    projections += [
        exp.alias_(cell, exp.to_identifier(name, quoted=True)) for cell, _, name, _ in cells
    ]
    body_select = exp.select(*projections).from_(inner)
    if groups:
        body_select = body_select.group_by(*[exp.column(g, quoted=True) for g in groups])
    replacement = exp.Subquery(
        this=body_select,
        alias=exp.TableAlias(this=exp.to_identifier(alias_name)) if alias_name else None,
    )
    source.replace(replacement)

    # Types, read in place: each FOR column's (for the casts), each aggregate's (for the path)
    types = SparkTypes(replacement.root(), context)
    placed = [
        (node.expression, node.this)
        for node in replacement.find_all(exp.NullSafeEQ)
        if isinstance(node.expression, exp.Cast) and node.expression.meta.get(_VALUE_CAST)
    ]
    for cast, column in placed:
        spark_type = types.of(column)
        if spark_type is None or spark_type == "void":
            raise _refused("PIVOT on a column whose type is not known")
        cast.set("to", exp.DataType.build(spark_type, dialect="spark"))
    placed_select = replacement.this
    in_tree = [p.this for p in placed_select.expressions[len(groups) :]]
    cells = [(t, m, n, i) for t, (_, m, n, i) in zip(in_tree, cells, strict=True)]
    aggregate_types: dict[int, str | None] = {}
    for cell, _, _, i in cells:
        if i not in aggregate_types:
            aggregate_types[i] = types.of(_unfiltered(cell))
    if any(t is None for t in aggregate_types.values()):
        raise _refused("a PIVOT aggregate whose type is not known")
    pivot_first = all(
        t in _PIVOT_FIRST or t.startswith("decimal") for t in aggregate_types.values() if t
    )
    if pivot_first:
        for cell, _, _, _ in cells:
            first_filter = cell.find(exp.Filter)
            if first_filter is None:
                raise _refused("this PIVOT aggregate")
            match = first_filter.expression.this
            guard = exp.GT(
                this=exp.Anonymous(this="count_if", expressions=[match.copy()]),
                expression=exp.Literal.number(0),
            )
            holder = exp.Null()
            cell.replace(holder)
            holder.replace(exp.Case(ifs=[exp.If(this=guard, true=cell)]))


def _unfiltered(cell: exp.Expr) -> exp.Expr:
    """The aggregate expression of `cell` as typed: FILTER clauses do not change a type."""
    return cell.this if isinstance(cell, exp.Filter) else cell


def _filtered(body: exp.Expr, match: exp.Expr) -> exp.Expr:
    """`body` with each outermost aggregate function over the matching rows only."""
    if isinstance(body, exp.AggFunc):
        return _with_filter(body, match)
    for node in list(body.find_all(exp.AggFunc)):
        if node.find_ancestor(exp.AggFunc) is None or not _inside(node, body):
            if isinstance(node.parent, exp.Filter):
                raise _refused("a PIVOT aggregate with a FILTER clause")
            holder = exp.Null()
            node.replace(holder)
            holder.replace(_with_filter(node, match))
    return body


def _inside(node: exp.Expr, root: exp.Expr) -> bool:
    ancestor = node.find_ancestor(exp.AggFunc)
    while ancestor is not None:
        if ancestor is root:
            return False
        ancestor = ancestor.find_ancestor(exp.AggFunc)
    return True


def _with_filter(aggregate: exp.Expr, match: exp.Expr) -> exp.Expr:
    return exp.Filter(this=aggregate, expression=exp.Where(this=match.copy()))


def _match(
    value: exp.Expr, columns: list[str], casts: list[tuple[exp.Cast, exp.Column]]
) -> exp.Expr:
    if value.find(exp.Column, exp.Query, exp.AggFunc, exp.Window) is not None:
        raise _refused("a PIVOT value that is not a constant")
    if len(columns) == 1:
        parts = [value]
    elif isinstance(value, exp.Tuple) and len(value.expressions) == len(columns):
        parts = list(value.expressions)
    else:
        raise _refused("a PIVOT value that is not a tuple of as many fields as FOR columns")
    conditions: list[exp.Expr] = []
    for column_name, part in zip(columns, parts, strict=True):
        column = exp.column(column_name, quoted=True)
        cast = exp.Cast(this=part.copy(), to=exp.DataType.build("string"))
        cast.meta[_VALUE_CAST] = True
        casts.append((cast, column))
        conditions.append(exp.NullSafeEQ(this=column, expression=cast))
    out = conditions[0]
    for condition in conditions[1:]:
        out = exp.And(this=out, expression=condition)
    return exp.Paren(this=out) if len(conditions) > 1 else out


def _value_name(value: exp.Expr) -> str:
    """Spark's name part for a pivot value: its alias, else `Cast(value, StringType)`."""
    if isinstance(value, exp.PivotAlias):
        return value.alias
    text = _as_string(value)
    if text is None:
        raise _refused(
            f"a PIVOT value without an alias whose Spark name is unknown ({value.sql()})"
        )
    return text


def _as_string(value: exp.Expr) -> str | None:
    if isinstance(value, exp.Paren):
        return _as_string(value.this)
    if isinstance(value, exp.Null):
        return "null"
    if isinstance(value, exp.Boolean):
        return "true" if value.this else "false"
    if isinstance(value, exp.Literal):
        if value.is_string:
            return str(value.this)
        return _number_text(str(value.this))
    if (
        isinstance(value, exp.Neg)
        and isinstance(value.this, exp.Literal)
        and not value.this.is_string
    ):
        inner = _number_text(str(value.this.this))
        return None if inner is None else "-" + inner
    if isinstance(value, exp.Cast | exp.TryCast) and isinstance(value.this, exp.Null):
        return "null"
    if isinstance(value, exp.Cast | exp.TryCast) and isinstance(value.this, exp.Literal):
        target = value.to.this
        literal = value.this
        if target == exp.DataType.Type.DATE and literal.is_string:
            return literal.this if _DATE.fullmatch(literal.this) else None
        if target in (exp.DataType.Type.BIGINT, exp.DataType.Type.SMALLINT,
                      exp.DataType.Type.TINYINT) and not literal.is_string:  # fmt: skip
            text = str(literal.this)
            return str(int(text)) if text.isdigit() else None
        return None
    if isinstance(value, exp.Tuple):
        fields = [_as_string(e) for e in value.expressions]
        if any(f is None for f in fields):
            return None
        return "{" + ", ".join(f for f in fields if f is not None) + "}"
    return None


def _number_text(text: str) -> str | None:
    """Spark's string of a numeric literal: an integer, or a decimal as written (no exponent)."""
    if text.isdigit():
        return str(int(text))
    if "e" in text.lower():
        return None
    try:
        return str(Decimal(text))
    except InvalidOperation:
        return None


_PRETTY: dict[type[exp.Expr], str] = {
    exp.Sum: "sum",
    exp.Avg: "avg",
    exp.Min: "min",
    exp.Max: "max",
    exp.Count: "count",
}


def _aggregate_name(aggregate: exp.Expr, by_lower: dict[str, str]) -> str:
    """Spark's name part for an aggregate among several: its alias, else its Spark text."""
    if isinstance(aggregate, exp.Alias):
        return aggregate.alias
    name = _PRETTY.get(type(aggregate))
    argument = aggregate.this if name else None
    distinct = ""
    if isinstance(argument, exp.Distinct) and len(argument.expressions) == 1:
        distinct, argument = "DISTINCT ", argument.expressions[0]
    if (
        name == "count"
        and not distinct
        and (
            isinstance(argument, exp.Star)
            or (isinstance(argument, exp.Literal) and argument.this == "1")
        )
    ):
        return "count(1)"
    if (
        name
        and isinstance(argument, exp.Column)
        and not argument.table
        and argument.name.lower() in by_lower
        and not any(aggregate.args.get(k) for k in aggregate.args if k not in ("this", "big_int"))
    ):
        return f"{name}({distinct}{argument.name})"  # Spark keeps the spelling as written
    raise _refused(
        f"PIVOT with several aggregates where {aggregate.sql(dialect='spark')} has no alias"
    )


def _output_names(source: exp.Expr, select: exp.Select, context: Context) -> list[str] | None:
    """The column names of `source` (a relation of `select`'s FROM), or None if unknown."""
    alias = source.args.get("alias")
    if isinstance(alias, exp.TableAlias) and alias.columns:
        return [c.name for c in alias.columns]
    if isinstance(source, exp.Values):
        first = source.expressions[0] if source.expressions else None
        width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
        return [f"col{i + 1}" for i in range(width)]
    if isinstance(source, exp.Subquery):
        return _query_names(source.this, context)
    if isinstance(source, exp.Table):
        if source.args.get("db") or source.args.get("catalog"):
            return None
        cte = _cte(source.name, select)
        if cte is not None:
            cte_alias = cte.args.get("alias")
            if isinstance(cte_alias, exp.TableAlias) and cte_alias.columns:
                return [c.name for c in cte_alias.columns]
            return _query_names(cte.this, context)
        for table, columns in context.tables.items():
            if table.lower() == source.name.lower():
                return [key for key, _ in columns]
        return None
    return None


def _query_names(query: exp.Expr, context: Context) -> list[str] | None:
    while isinstance(query, exp.SetOperation):
        query = query.this
    while isinstance(query, exp.Subquery):
        query = query.this
    if not isinstance(query, exp.Select):
        return None
    names: list[str] = []
    for projection in query.expressions:
        if isinstance(projection, exp.Star):
            from_ = query.args.get("from_")
            if query.args.get("joins") or not isinstance(from_, exp.From):
                return None
            inner = _output_names(from_.this, query, context)
            if inner is None:
                return None
            names.extend(inner)
        elif isinstance(projection, exp.Alias | exp.Column) and not isinstance(
            projection.this, exp.Star
        ):
            names.append(projection.alias_or_name)
        else:
            return None
    return names


def _cte(name: str, node: exp.Expr) -> exp.CTE | None:
    current: exp.Expr | None = node
    while current is not None:
        with_ = current.args.get("with_") if isinstance(current, exp.Query) else None
        if isinstance(with_, exp.With):
            for cte in with_.expressions:
                if isinstance(cte, exp.CTE) and cte.alias.lower() == name.lower():
                    return cte
        current = current.parent
    return None


def _refused(construct: str) -> InvalidInputError:
    from tidemill.engines.duckdb.dialect.translate import (
        unsupported,  # translate imports this module
    )

    return unsupported(construct)

"""Higher-order functions with Spark's answers (fault kinds 4, 12).

Spark's rules (Spark SQL reference, "Lambda functions"; higherOrderFunctions.scala):

* transform/filter with a `(x, i)` lambda: `i` counts from 0 (DuckDB's lambda index from 1).
* exists/forall: three-valued — exists is true if any element gives true, else NULL if any gives
  NULL, else false; forall is false if any gives false, else NULL if any gives NULL, else true.
* aggregate/reduce(array, start, merge[, finish]): `finish` is applied to the result.
* zip_with(a, b, f): pairs by position up to the longer array, NULL for the missing side.
* map_filter, transform_keys, transform_values: over the map's entries.

A struct a lambda builds (`struct(x, y)`, `named_struct('p', x)`, `(y, x)`) keeps Spark's field
names: a column or lambda variable names its field, any other value is `col<n>` (Spark's
CreateStruct); a parenthesized `(a, b)` where a value stands is such a struct too, not DuckDB's
unnamed row.

Refused by name: map_zip_with, array_sort with a comparator.
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.duckdb.dialect._nodes import bottom_up, call, function_name, template
from tidemill.engines.duckdb.dialect.context import Context

MACROS: tuple[str, ...] = (
    """CREATE MACRO tidemill_exists(l) AS CASE
        WHEN l IS NULL THEN NULL
        WHEN len(list_filter(l, lambda x: x)) > 0 THEN true
        WHEN len(list_filter(l, lambda x: x IS NULL)) > 0 THEN NULL
        ELSE false
    END""",
    """CREATE MACRO tidemill_forall(l) AS CASE
        WHEN l IS NULL THEN NULL
        WHEN len(list_filter(l, lambda x: NOT x)) > 0 THEN false
        WHEN len(list_filter(l, lambda x: x IS NULL)) > 0 THEN NULL
        ELSE true
    END""",
)


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with Spark's higher-order function definitions (see the module docstring)."""
    return bottom_up(query, _rewrite_node)


# where a parenthesized list `(a, b)` is a value, which Spark makes a struct (elsewhere, as in
# `(a, b) IN (...)`, VALUES rows or GROUP BY lists, it is not)
_VALUE_PARENTS = (exp.Alias, exp.Select, exp.Lambda, exp.PropertyEQ, exp.Array, exp.Func)


def _rewrite_node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Tuple) and isinstance(node.parent, _VALUE_PARENTS):
        return _struct(node.expressions)
    if isinstance(node, exp.Array) and len({_field_names(e) for e in node.expressions}) > 1:
        names = {_field_names(e) for e in node.expressions}
        if None not in names:  # Spark: DATATYPE_MISMATCH.DATA_DIFF_TYPES; DuckDB renames them
            from tidemill.engines.duckdb.dialect.translate import unsupported

            raise unsupported("array of structs with different field names")
    if isinstance(node, exp.Transform | exp.ArrayFilter):
        _index_from_zero(node.args.get("expression"))
        return node
    if isinstance(node, exp.Exists) and isinstance(node.args.get("expression"), exp.Lambda):
        return call("tidemill_exists", _mapped(node.this, node.args["expression"]))
    if isinstance(node, exp.ArraySort) and node.args.get("expression") is not None:
        from tidemill.engines.duckdb.dialect.translate import unsupported

        raise unsupported("array_sort with a comparator")
    if isinstance(node, exp.Reduce) and node.args.get("finish") is not None:
        finish = node.args["finish"]
        node.set("finish", None)
        return _applied(finish, [node])
    name = function_name(node)
    if not isinstance(node, exp.Anonymous):
        return node
    args = node.expressions
    if name == "forall" and len(args) == 2 and isinstance(args[1], exp.Lambda):
        return call("tidemill_forall", _mapped(args[0], args[1]))
    if name == "zip_with" and len(args) == 3 and isinstance(args[2], exp.Lambda):
        left, right, function = args
        index = exp.column("_tidemill_i")
        pair = _applied(
            function,
            [
                template("_a[_i + 1]", a=left, i=index),
                template("_b[_i + 1]", b=right, i=index),
            ],
        )
        return template(
            """CASE WHEN _a IS NULL OR _b IS NULL THEN NULL ELSE
                list_transform(range(CAST(greatest(len(_a), len(_b)) AS BIGINT)), _f) END""",
            a=left, b=right, f=exp.Lambda(this=pair, expressions=[index.this]),
        )  # fmt: skip
    if name in ("map_filter", "transform_keys", "transform_values") and len(args) == 2:
        return _map_entries(name, args[0], args[1])
    if name == "map_zip_with":
        from tidemill.engines.duckdb.dialect.translate import unsupported

        raise unsupported("map_zip_with")
    return node


def _field_names(node: exp.Expr) -> tuple[str, ...] | None:
    """The field names of a struct built in place (lower case: Spark compares them so), else
    None."""
    if not isinstance(node, exp.Struct):
        return None
    keys = [e.this for e in node.expressions if isinstance(e, exp.PropertyEQ)]
    if len(keys) != len(node.expressions):
        return None
    return tuple(k.name.lower() for k in keys)


def _struct(values: list[exp.Expr]) -> exp.Expr:
    """Spark's struct(values...): a column or lambda variable names its field, others col<n>."""
    fields: list[exp.Expr] = []
    for i, value in enumerate(values):
        if isinstance(value, exp.Column | exp.Identifier):
            key = exp.to_identifier(value.name)
        elif isinstance(value, exp.Alias):
            key, value = exp.to_identifier(value.alias), value.this
        else:
            key = exp.to_identifier(f"col{i + 1}")
        fields.append(exp.PropertyEQ(this=key, expression=value.copy()))
    return exp.Struct(expressions=fields)


def _index_from_zero(function: exp.Expr | None) -> None:
    """A `(x, i) -> ...` lambda of Spark sees i from 0: DuckDB's i becomes `i - 1`."""
    if not isinstance(function, exp.Lambda) or len(function.expressions) != 2:
        return
    index = function.expressions[1].name
    shifted = exp.Paren(this=exp.Sub(this=exp.column(index), expression=exp.Literal.number(1)))
    function.set("this", _substituted(function.this, {index: shifted}))


def _mapped(items: exp.Expr, function: exp.Expr) -> exp.Expr:
    return call("list_transform", items, function)


def _applied(function: exp.Expr, args: list[exp.Expr]) -> exp.Expr:
    """The body of a Spark lambda with its parameters replaced by `args`."""
    if not isinstance(function, exp.Lambda):
        return function
    names = [p.name for p in function.expressions]
    return _substituted(function.this.copy(), dict(zip(names, args, strict=False)))


def _substituted(body: exp.Expr, values: dict[str, exp.Expr]) -> exp.Expr:
    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in values:
            return values[node.name].copy()
        if (
            isinstance(node, exp.Identifier)
            and node.name in values
            and not isinstance(node.parent, exp.Column | exp.Alias | exp.Dot)
            and not (isinstance(node.parent, exp.PropertyEQ) and node.arg_key == "this")
        ):
            return values[node.name].copy()
        return node

    return body.transform(replace)


def _map_entries(name: str, mapping: exp.Expr, function: exp.Expr) -> exp.Expr:
    entry = exp.column("_tidemill_e")
    key = template("struct_extract(_e, 'key')", e=entry)
    value = template("struct_extract(_e, 'value')", e=entry)
    result = _applied(function, [key, value])
    if name == "map_filter":
        body = call("list_filter", call("map_entries", mapping), exp.Lambda(
            this=result, expressions=[entry.this]))  # fmt: skip
    else:
        new_key, new_value = (result, value) if name == "transform_keys" else (key, result)
        pair = exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.to_identifier("key"), expression=new_key),
                exp.PropertyEQ(this=exp.to_identifier("value"), expression=new_value),
            ]
        )
        body = call("list_transform", call("map_entries", mapping), exp.Lambda(
            this=pair, expressions=[entry.this]))  # fmt: skip
    return call("map_from_entries", body)

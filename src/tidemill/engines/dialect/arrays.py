"""Arrays, maps and structs with Spark's answers (fault kinds 4, 6, 12).

Spark's rules (Spark SQL reference, "Array/Map functions"; collectionExpressions.scala):

* size/cardinality of NULL is -1 (spark.sql.legacy.sizeOfNull, on when ANSI mode is off).
* `array[i]` counts from 0; a negative or too large index gives NULL. element_at counts from 1,
  from the end when negative, NULL out of range (sqlglot's translation already agrees).
* str_to_map(text, pairDelim=',', keyValueDelim=':'): both delimiters are regexes; a pair
  without a key-value delimiter maps to NULL.
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.dialect._nodes import (
    annotate,
    bottom_up,
    call,
    function_name,
    literal_int,
    template,
)
from tidemill.engines.dialect.context import Context

MACROS: tuple[str, ...] = (
    """CREATE MACRO tidemill_str_to_map(s, pairs, kv) AS CASE WHEN s IS NOT NULL THEN
        map_from_entries(list_transform(string_split_regex(s, pairs), lambda e: {
            'key': string_split_regex(e, kv)[1],
            'value': tidemill_split(e, kv, 2)[2]}))
    END""",
)


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with Spark's collection function definitions (see the module docstring)."""
    if not any(
        isinstance(node, exp.ArraySize | exp.Bracket | exp.StrToMap)
        or function_name(node) == "cardinality"
        for node in query.find_all(exp.Func, exp.Bracket)
    ):
        return query
    annotate(query, context)
    return bottom_up(query, _rewrite_node)


def _rewrite_node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.ArraySize) or (
        isinstance(node, exp.Anonymous) and function_name(node) == "cardinality"
    ):
        value = node.this if isinstance(node, exp.ArraySize) else node.expressions[0]
        is_map = value.type is not None and value.type.is_type(exp.DType.MAP)
        size = call("cardinality" if is_map else "len", value)
        return exp.cast(
            exp.Coalesce(this=size, expressions=[exp.Literal.number(-1)]),
            exp.DataType.build("INT"),
        )
    if isinstance(node, exp.Bracket) and not node.args.get("offset") and not node.args.get("safe"):
        return _subscript(node)
    if isinstance(node, exp.StrToMap):
        return call(
            "tidemill_str_to_map",
            node.this,
            node.args.get("pair_delim") or exp.Literal.string(","),
            node.args.get("key_value_delim") or exp.Literal.string(":"),
        )
    return node


def _subscript(node: exp.Bracket) -> exp.Expr:
    """Spark's 0-based `array[i]`: NULL for a negative index (DuckDB counts those from the end)."""
    container = node.this
    if container.type is None or not container.type.is_type(exp.DType.ARRAY):
        return node
    if len(node.expressions) != 1:
        return node
    (index,) = node.expressions
    value = literal_int(index)
    if value is not None:
        if value < 0 and container.type.expressions:
            return exp.cast(exp.Null(), container.type.expressions[0])
        return node
    node.set("expressions", [template("CASE WHEN _i >= 0 THEN _i + 1 END", i=index)])
    node.set("offset", 1)  # already counted from 1: sqlglot must not add its own 1
    return node

"""Arrays, maps and structs with Spark's answers (fault kinds 4, 6, 12).

Spark's rules (Spark SQL reference, "Array/Map functions"; collectionExpressions.scala):

* size/cardinality of NULL is -1 (spark.sql.legacy.sizeOfNull, on when ANSI mode is off).
* `array[i]` counts from 0; a negative or too large index gives NULL. element_at counts from 1,
  from the end when negative, NULL out of range (sqlglot's translation already agrees).
* array_contains: NULL (not false) when not found and the array holds a NULL; array_position:
  0 when not found; array_distinct/union/intersect/except keep first-seen order; flatten of an
  array holding a NULL array is NULL; arrays_overlap is three-valued; reverse of an array.
* str_to_map(text, pairDelim=',', keyValueDelim=':'): both delimiters are regexes; a pair
  without a key-value delimiter maps to NULL.
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.duckdb.dialect._nodes import (
    annotate,
    bottom_up,
    call,
    function_name,
    is_map,
    literal_int,
    template,
)
from tidemill.engines.duckdb.dialect.context import Context

MACROS: tuple[str, ...] = (
    """CREATE MACRO tidemill_array_contains(a, x) AS CASE
        WHEN a IS NULL OR x IS NULL THEN NULL
        WHEN list_contains(a, x) THEN true
        WHEN list_position(a, NULL) IS NOT NULL THEN NULL
        ELSE false
    END""",
    """CREATE MACRO tidemill_array_position(a, x) AS CASE
        WHEN a IS NULL OR x IS NULL THEN NULL
        ELSE CAST(coalesce(list_position(a, x), 0) AS BIGINT)
    END""",
    """CREATE MACRO tidemill_array_distinct(a) AS
        list_filter(a, lambda x, i: list_position(a, x) = i)""",
    """CREATE MACRO tidemill_array_union(a, b) AS CASE
        WHEN a IS NULL OR b IS NULL THEN NULL
        ELSE tidemill_array_distinct(list_concat(a, b))
    END""",
    """CREATE MACRO tidemill_array_intersect(a, b) AS CASE
        WHEN a IS NULL OR b IS NULL THEN NULL
        ELSE list_filter(tidemill_array_distinct(a), lambda x: list_position(b, x) IS NOT NULL)
    END""",
    """CREATE MACRO tidemill_array_except(a, b) AS CASE
        WHEN a IS NULL OR b IS NULL THEN NULL
        ELSE list_filter(tidemill_array_distinct(a), lambda x: list_position(b, x) IS NULL)
    END""",
    """CREATE MACRO tidemill_flatten(a) AS CASE
        WHEN list_position(a, NULL) IS NOT NULL THEN NULL ELSE flatten(a) END""",
    """CREATE MACRO tidemill_arrays_overlap(a, b) AS CASE
        WHEN a IS NULL OR b IS NULL THEN NULL
        WHEN list_has_any(a, b) THEN true
        WHEN len(a) > 0 AND len(b) > 0
            AND (list_position(a, NULL) IS NOT NULL OR list_position(b, NULL) IS NOT NULL)
        THEN NULL
        ELSE false
    END""",
    """CREATE MACRO tidemill_str_to_map(s, pairs, kv) AS CASE WHEN s IS NOT NULL THEN
        map_from_entries(list_transform(string_split_regex(s, pairs), lambda e: {
            'key': string_split_regex(e, kv)[1],
            'value': tidemill_split(e, kv, 2)[2]}))
    END""",
)


_SET_FUNCTIONS = (
    exp.ArrayContains,
    exp.ArrayPosition,
    exp.ArrayDistinct,
    exp.ArrayExcept,
    exp.ArrayIntersect,
    exp.Flatten,
    exp.Anonymous,
    exp.MapContainsKey,
    exp.ArraysZip,
)


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with Spark's collection function definitions (see the module docstring)."""
    if not any(
        isinstance(node, exp.ArraySize | exp.Bracket | exp.StrToMap | exp.Reverse)
        or function_name(node) in ("cardinality", "array_repeat")
        or isinstance(node, _SET_FUNCTIONS)
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
        size = call("cardinality" if is_map(value) else "len", value)
        return exp.cast(
            exp.Coalesce(this=size, expressions=[exp.Literal.number(-1)]),
            exp.DataType.build("INT"),
        )
    if isinstance(node, exp.Bracket) and not node.args.get("offset") and not node.args.get("safe"):
        return _subscript(node)
    if isinstance(node, exp.ArrayContains):
        return call("tidemill_array_contains", node.this, node.expression)
    if isinstance(node, exp.ArrayPosition):
        return call("tidemill_array_position", node.this, node.expression)
    if isinstance(node, exp.ArrayDistinct):
        return call("tidemill_array_distinct", node.this)
    if isinstance(node, exp.ArrayExcept):
        return call("tidemill_array_except", node.this, node.expression)
    if isinstance(node, exp.ArrayIntersect) and len(node.expressions) == 2:
        return call("tidemill_array_intersect", *node.expressions)
    if isinstance(node, exp.Flatten):
        return call("tidemill_flatten", node.this)
    if isinstance(node, exp.MapContainsKey):
        return call("map_contains", node.this, node.args["key"])
    if function_name(node) == "arrays_zip":
        return _arrays_zip([])
    if isinstance(node, exp.Reverse) and _is_array(node.this):
        return call("list_reverse", node.this)
    name = function_name(node)
    if isinstance(node, exp.Anonymous) and name in _ANONYMOUS:
        return _ANONYMOUS[name](node.expressions)
    if isinstance(node, exp.StrToMap):
        return call(
            "tidemill_str_to_map",
            node.this,
            node.args.get("pair_delim") or exp.Literal.string(","),
            node.args.get("key_value_delim") or exp.Literal.string(":"),
        )
    return node


def _is_array(node: exp.Expr) -> bool:
    return node.type is not None and node.type.is_type(exp.DType.ARRAY)


def _array_repeat(args: list[exp.Expr]) -> exp.Expr:
    element, count = args
    return template(
        """CASE WHEN _n IS NULL THEN NULL
            ELSE list_transform(range(CAST(CASE WHEN _n < 0 THEN 0 ELSE _n END AS BIGINT)),
                lambda _tidemill_x: _e) END""",
        n=count, e=element,
    )  # fmt: skip


def _arrays_zip(args: list[exp.Expr]) -> exp.Expr:
    from tidemill.engines.duckdb.dialect.translate import unsupported

    raise unsupported("arrays_zip")


_ANONYMOUS = {
    "array_union": lambda args: call("tidemill_array_union", *args),
    "arrays_overlap": lambda args: call("tidemill_arrays_overlap", *args),
    "array_repeat": _array_repeat,
    "arrays_zip": _arrays_zip,
}


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

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
* array_remove(a, x) keeps a's NULL elements (NULL when x is NULL); DuckDB's `<>` filter would
  drop them.
* sequence(start, stop[, step]): the default step is 1 when start <= stop, else -1 (for dates
  1 day / -1 day); a step of the wrong sign, or 0 with start <> stop, fails the query as Spark's
  "Illegal sequence boundaries" does; a step of 0 with start = stop is [start]. A sequence over
  timestamps, or of dates with a step, is refused.
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
    """CREATE MACRO tidemill_sequence(a, b, s) AS CASE
        WHEN a IS NULL OR b IS NULL OR s IS NULL THEN NULL
        WHEN (s > 0 AND a > b) OR (s < 0 AND a < b) OR (s = 0 AND a <> b)
        THEN error('Illegal sequence boundaries: ' || CAST(a AS VARCHAR) || ' to '
            || CAST(b AS VARCHAR) || ' by ' || CAST(s AS VARCHAR))
        WHEN s = 0 THEN [CAST(a AS BIGINT)]
        ELSE generate_series(CAST(a AS BIGINT), CAST(b AS BIGINT), CAST(s AS BIGINT))
    END""",
    """CREATE MACRO tidemill_sequence_days(a, b) AS CASE
        WHEN a IS NULL OR b IS NULL THEN NULL
        ELSE list_transform(range(0, abs(b - a) + 1),
            lambda _tidemill_i: a + CAST(_tidemill_i * sign(b - a) AS INTEGER))
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
    exp.ArrayRemove,
    exp.GenerateSeries,
)


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with Spark's collection function definitions (see the module docstring)."""
    for node in query.find_all(exp.BitmapConstructAgg, exp.BitmapOrAgg, exp.BitmapCount):
        # sqlglot writes Snowflake's bitmap format, not Spark's 4096-byte bitmap
        from tidemill.engines.duckdb.dialect.translate import unsupported

        raise unsupported(function_name(node))
    if not any(
        isinstance(node, exp.ArraySize | exp.Bracket | exp.StrToMap | exp.Reverse)
        or function_name(node) in ("cardinality", "array_repeat")
        or isinstance(node, _SET_FUNCTIONS)
        for node in query.find_all(exp.Func, exp.Bracket)
    ):
        return query
    annotate(query, context)
    return bottom_up(query, lambda node: _rewrite_node(node, context))


def _rewrite_node(node: exp.Expr, context: Context) -> exp.Expr:
    if isinstance(node, exp.ArrayRemove):
        return template(
            """CASE WHEN _x IS NULL THEN NULL
                ELSE list_filter(_a, lambda _tidemill_u: _tidemill_u IS DISTINCT FROM _x) END""",
            a=node.this, x=node.expression,
        )  # fmt: skip
    if type(node) is exp.GenerateSeries and not node.args.get("is_end_exclusive"):
        return _sequence(node, context)
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


_NOT_SEQUENCED = frozenset(
    {exp.DType.DECIMAL, exp.DType.DOUBLE, exp.DType.FLOAT, exp.DType.VARCHAR, exp.DType.TEXT,
     exp.DType.BOOLEAN}
)  # fmt: skip


def _sequence(node: exp.GenerateSeries, context: Context) -> exp.Expr:
    """Spark's sequence(start, stop[, step]) (see the module docstring)."""
    from tidemill.engines.duckdb.dialect.datetimes import temporal_kind
    from tidemill.engines.duckdb.dialect.translate import unsupported

    start, stop, step = node.args["start"], node.args["end"], node.args.get("step")
    for arg in (start, stop, step):
        if arg is not None and arg.type is not None and arg.type.this in _NOT_SEQUENCED:
            # Spark: DATATYPE_MISMATCH.SEQUENCE_WRONG_INPUT_TYPES
            raise unsupported("sequence of values that are not integers or dates")
    kinds = {temporal_kind(start, context), temporal_kind(stop, context)}
    if "timestamp" in kinds:
        raise unsupported("sequence over timestamps")
    if "date" in kinds:
        if step is not None:
            raise unsupported("sequence of dates with a step")
        return call("tidemill_sequence_days", start, stop)
    if step is None:
        step = template("CASE WHEN _a <= _b THEN 1 ELSE -1 END", a=start, b=stop)
    return call("tidemill_sequence", start, stop, step)


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

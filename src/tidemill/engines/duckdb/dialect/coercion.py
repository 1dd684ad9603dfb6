"""Spark's implicit casts and Spark's CAST (fault kinds 2 and 5), as a rewrite of the Spark tree.

Runs first, on the tree as Spark wrote it, children before parents (Spark's analyzer order), and
adds a cast only where the Spark types of the operands differ, so plain queries over typed
columns are left untouched. The rules are Spark 3.5's `TypeCoercion` with ANSI mode off:

* comparisons: a string against a number, boolean, date or timestamp is cast to that type
  (against a decimal both become double) — `bytes > 1000` over text casts `bytes` to int, and
  `-` becomes NULL instead of failing the batch;
* arithmetic, unary minus, sum/avg/stddev/variance: strings become double;
* CASE/IF/COALESCE/NVL/NVL2, IN lists, array(), greatest/least, UNION/INTERSECT/EXCEPT columns:
  every member is cast to the wider common type (a string with a number gives a string);
* `/` is always a fractional division, and `/`, `%`, `div` by zero give NULL;
* `div` truncates to bigint, floor/ceil of a number give bigint;
* INT and BIGINT `+ - * div %`, unary minus, abs and sum wrap around on overflow (`overflow`);
* explicit CAST with Spark's non-ANSI result (`tidemill.engines.duckdb.dialect.casts`).
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.duckdb.dialect import casts, overflow
from tidemill.engines.duckdb.dialect._nodes import template
from tidemill.engines.duckdb.dialect.context import Context
from tidemill.engines.duckdb.dialect.types import (
    FRACTIONAL,
    INTEGRAL,
    TYPE_META,
    SparkTypes,
    branches,
    comparison_type,
    decimal,
    is_atomic,
    is_numeric,
    wider,
    wider_all,
)
from tidemill.errors import Failure, InvalidInputError

MACROS: tuple[str, ...] = (
    *casts.MACROS,
    *overflow.MACROS,
    # Spark's bround: HALF_EVEN at `d` places (DuckDB's round is HALF_UP, like Spark's round).
    "CREATE MACRO bround(x) AS round_even(x, 0), (x, d) AS round_even(x, d)",
    # Spark rounds a double as the decimal its shortest text spells (BigDecimal(Double.toString)):
    # round(1.005, 2) is 1.01, where rounding the binary value gives 1.0.
    """CREATE MACRO tidemill_round(x, d) AS CASE
        WHEN isnan(x) OR isinf(x) OR abs(x) >= 1e20 THEN x
        ELSE CAST(round(TRY_CAST(CAST(x AS VARCHAR) AS DECIMAL(38, 18)), d) AS DOUBLE)
    END""",
    """CREATE MACRO tidemill_bround(x, d) AS CASE
        WHEN isnan(x) OR isinf(x) OR abs(x) >= 1e20 THEN x
        ELSE CAST(round_even(TRY_CAST(CAST(x AS VARCHAR) AS DECIMAL(38, 18)), d) AS DOUBLE)
    END""",
    "CREATE MACRO tidemill_byte_length(b) AS octet_length(b)",
    # Spark's signum is a DOUBLE that keeps NaN and the sign of zero.
    """CREATE MACRO tidemill_signum(x) AS CASE
        WHEN x = 0 OR isnan(x) THEN CAST(x AS DOUBLE) ELSE CAST(sign(x) AS DOUBLE)
    END""",
)

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv)
_STRING_AS_DOUBLE = (
    exp.Neg, exp.Abs, exp.Sqrt, exp.Exp, exp.Ln, exp.Cbrt, exp.Sin, exp.Cos, exp.Tan,
    exp.Asin, exp.Acos, exp.Atan, exp.Degrees, exp.Radians, exp.Sum, exp.Avg, exp.Stddev,
    exp.StddevPop, exp.StddevSamp, exp.Variance, exp.VariancePop, exp.Skewness, exp.Kurtosis,
)  # fmt: skip
_CONDITIONALS = (exp.Case, exp.If, exp.Coalesce, exp.Nvl2)
# Functions whose arguments Spark casts to string (ConcatCoercion, ImplicitTypeCasts): a double
# argument must print as Spark prints it (1.0E10, NaN), not as DuckDB does.
_STRING_ARGUMENTS = (
    exp.Concat, exp.DPipe, exp.Like, exp.ILike, exp.Length, exp.Upper, exp.Lower,
    exp.Substring, exp.Trim, exp.RegexpLike, exp.RegexpExtract, exp.RegexpReplace,
    exp.StrPosition, exp.Initcap, exp.Reverse, exp.Pad, exp.Split, exp.SHA, exp.MD5,
)  # fmt: skip


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with Spark's implicit and explicit casts made explicit for DuckDB (in place, or
    a copy of the answer remembered for the same query over the same tables)."""
    key = (repr(query), _tables_key(context))  # the whole tree: SQL text can lose detail
    remembered = _REMEMBERED.get(key)
    if remembered is not None:
        return remembered.copy()
    types = SparkTypes(query, context)
    for select in query.find_all(exp.Select):
        for item in select.expressions:
            if not isinstance(item, exp.Alias):
                item.meta[_SPARK_TEXT] = item.sql(dialect="spark", normalize_functions="lower")
    _visit(query, types)
    if len(_REMEMBERED) >= _REMEMBER:
        _REMEMBERED.pop(next(iter(_REMEMBERED)), None)
    _REMEMBERED[key] = query.copy()
    return query


# Typing a query costs a few milliseconds (sqlglot's qualify + annotate), paid once per job
# SQL and tables: a scheduled job's batches reuse the answer.
_REMEMBER = 256
_REMEMBERED: dict[tuple[str, tuple[tuple[str, tuple[tuple[str, str], ...]], ...]], exp.Expr] = {}


def _tables_key(context: Context) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    return tuple(
        sorted(
            (name, tuple((k, v) for k, v in columns)) for name, columns in context.tables.items()
        )
    )


def _visit(node: exp.Expr, types: SparkTypes) -> None:
    for child in list(node.iter_expressions()):
        _visit(child, types)
    _int_arguments(node, types)
    _coerce(node, types)


# Integer arguments of string functions (ImplicitTypeCasts to IntegerType): a string, a
# fraction or a bigint there is cast to INT as Spark casts it (NULL for text that is not a
# number, truncated, wrapped), where DuckDB's implicit cast fails the batch or rounds.
_INT_ARGUMENTS: dict[type[exp.Expr], tuple[str, ...]] = {
    exp.Pad: ("expression",), exp.Left: ("expression",), exp.Right: ("expression",),
    exp.Substring: ("start", "length"), exp.Repeat: ("times",), exp.RegexpSplit: ("limit",),
    exp.SubstringIndex: ("count",), exp.Space: ("this",), exp.Overlay: ("from_", "for_"),
    exp.Elt: ("this",), exp.SplitPart: ("part_index",), exp.RegexpExtract: ("group",),
    exp.RegexpExtractAll: ("group",),
}  # fmt: skip
_TO_INT = ("string", "bigint", "float", "double")


def _int_arguments(node: exp.Expr, types: SparkTypes) -> None:
    for arg in _INT_ARGUMENTS.get(type(node), ()):
        child = node.args.get(arg)
        if not isinstance(child, exp.Expr):
            continue
        source = types.of(child)
        if source in _TO_INT or decimal(source) is not None:
            _cast_arg(node, arg, "int", types)


def _coerce(node: exp.Expr, types: SparkTypes) -> None:
    if isinstance(node, _COMPARISONS):
        _compare(node, types)
    elif isinstance(node, _ARITHMETIC):
        _arithmetic(node, types)
    elif isinstance(node, exp.Neg | exp.Abs) and _wraps(node, types):
        spark_type = str(types.of(node))
        _replace_named(node, _typed(overflow.wrapped(node, spark_type), spark_type), types)
    elif isinstance(node, exp.Sum) and _void_sum(node, types):
        pass
    elif isinstance(node, exp.Sum | exp.Window | exp.Filter) and _is_long_sum(node, types):
        _replace_named(node, _typed(overflow.wrapped_sum(node), "bigint"), types)
    elif isinstance(node, exp.SafeAdd | exp.SafeSubtract | exp.SafeMultiply):
        _try_arithmetic(node, types)
    elif _is_call(node, "try_sum") and len(node.expressions) == 1:
        _try_sum(node, types)
    elif isinstance(node, _STRING_AS_DOUBLE) and types.of(node.this) == "string":
        _cast_arg(node, "this", "double", types)
    elif isinstance(node, exp.Case) and node.this is not None:
        _simple_case(node, types)
    elif isinstance(node, exp.Pow):  # power(a, b) takes doubles
        for arg in ("this", "expression"):
            if types.of(node.args.get(arg)) == "string":
                _cast_arg(node, arg, "double", types)
    elif isinstance(node, _CONDITIONALS):
        _widen(node, branches(node), types, strings=True)
    elif isinstance(node, exp.Greatest | exp.Least):
        _widen(node, [node.this, *node.expressions], types, strings=False)
    elif isinstance(node, exp.Array):
        _widen(node, list(node.expressions), types, strings=True)
    elif isinstance(node, exp.In) and node.expressions:
        _widen(node, [node.this, *node.expressions], types, strings=True)
    elif isinstance(node, exp.In) and node.args.get("query") is not None:
        _in_subquery(node, types)
    elif isinstance(node, exp.Cast):  # TryCast too
        _explicit_cast(node, types)
    elif _is_cast_function(node):  # bigint(x), smallint(x) ...: sqlglot leaves them as calls
        cast = exp.Cast(this=node.expressions[0], to=exp.DataType.build(node.name, dialect="spark"))
        _replace(node, cast, types)
        _explicit_cast(cast, types)
    elif isinstance(node, exp.Floor | exp.Ceil) and not node.args.get("decimals"):
        _to_bigint(node, types)
    elif isinstance(node, exp.Round) or _is_call(node, "bround"):
        _round(node, types)
    elif isinstance(node, exp.Sign) and types.of(node.this) in (*FRACTIONAL, *INTEGRAL):
        _replace(node, _typed(casts.call("tidemill_signum", node.this.copy()), "double"), types)
    elif _is_call(node, "pmod") and len(node.expressions) == 2:
        for member in list(node.expressions):  # a string operand is a double (PromoteStrings)
            if types.of(member) == "string":
                _replace(member, casts.call("tidemill_str_to_double", member.copy()), types)
        _null_on_zero_arg(node.expressions[1])
    elif isinstance(node, exp.StrPosition) and types.of(node.args.get("position")) == "string":
        _locate_from_text(node, types)
    elif isinstance(node, exp.Between):
        _between(node, types)
    elif isinstance(node, exp.ToBase64 | exp.Length) and types.of(node.this) == "binary":
        # base64 of bytes encodes them as they are; length of bytes counts them
        name = "to_base64" if isinstance(node, exp.ToBase64) else "tidemill_byte_length"
        call = exp.Anonymous(this=name, expressions=[node.this.copy()])
        _replace(node, _typed(call, "string" if name == "to_base64" else "int"), types)
    elif isinstance(node, _STRING_ARGUMENTS):
        _print_fractions(node, types)
    elif isinstance(node, exp.Union | exp.Intersect | exp.Except):
        _widen_set_operation(node, types)
    elif isinstance(node, exp.IsNan):  # Spark's isnan(NULL) is false
        _replace(node, exp.Coalesce(this=node.copy(), expressions=[exp.false()]), types)
    elif isinstance(node, exp.Select) and (node.args.get("group") or node.args.get("distinct")):
        _normalize_zero_keys(node, types)


def _is_call(node: exp.Expr, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.lower() == name


def _typed_copy(node: exp.Expr, types: SparkTypes) -> exp.Expr:
    """A copy of `node` that keeps its Spark type (a copied column loses its annotation)."""
    copy = node.copy()
    spark_type = types.of(node)
    if spark_type is not None:
        copy.meta[TYPE_META] = spark_type
    return copy


def _typed(node: exp.Expr, spark_type: str) -> exp.Expr:
    node.meta[TYPE_META] = spark_type
    return node


def _round(node: exp.Expr, types: SparkTypes) -> None:
    """round/bround of a double round its decimal text (HALF_UP / HALF_EVEN), as Spark does."""
    if isinstance(node, exp.Round):
        value, places = node.this, node.args.get("decimals")
        macro = "tidemill_round"
    else:
        value, places = node.expressions[0], (node.expressions[1:] or [None])[0]
        macro = "tidemill_bround"
    source = types.of(value)
    scale = _integer_literal(places) if places is not None else None
    if source in INTEGRAL and scale is not None and scale < 0:
        rounded = _round_integral(value, source, -scale, even=macro == "tidemill_bround")
        _replace(node, _typed(rounded, str(source)), types)
        return
    if source == "string":
        value = casts.call("tidemill_str_to_double", value.copy())
        source = "double"
    if source not in FRACTIONAL:
        return
    digits = places.copy() if places is not None else exp.Literal.number(0)
    _replace(node, _typed(casts.call(macro, value.copy(), digits), "double"), types)


_DUCKDB_INTEGRAL = {
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "bigint": "BIGINT",
}


def _round_integral(value: exp.Expr, source: str, digits: int, *, even: bool) -> exp.Expr:
    """round/bround of an integral value to `digits` places left of the point: Spark rounds
    exactly (BigDecimal.setScale, HALF_UP / HALF_EVEN) and narrows to the argument's type as
    Java does (its low bits: round(127Y, -1) is -126), where DuckDB fails on overflow."""
    if digits >= 20:  # beyond any BIGINT's half: 0
        return casts.duckdb_cast(exp.Literal.number(0), _DUCKDB_INTEGRAL[source], safe=False)
    power, half = 10**digits, 10**digits // 2
    if even:
        sql = (
            f"sign(_h) * (abs(_h) // {power} + CASE WHEN abs(_h) % {power} > {half} OR "
            f"(abs(_h) % {power} = {half} AND (abs(_h) // {power}) % 2 = 1) THEN 1 ELSE 0 END)"
            f" * {power}"
        )
    else:
        sql = f"sign(_h) * ((abs(_h) + {half}) // {power}) * {power}"
    huge = casts.duckdb_cast(value.copy(), "HUGEINT", safe=False)
    exact = template(sql, h=huge)
    if source == "bigint":
        return casts.call("tidemill_wrap64", exact)
    wrapped = casts.call("tidemill_wrap", exact, exp.Literal.number(_BITS[source]))
    return casts.duckdb_cast(wrapped, _DUCKDB_INTEGRAL[source], safe=False)


_BITS = {"tinyint": 8, "smallint": 16, "int": 32}


def _locate_from_text(node: exp.StrPosition, types: SparkTypes) -> None:
    """locate(sub, s, pos) with a text position: Spark casts it to INT, and a NULL position
    (text that is not a number) answers 0."""
    _cast_arg(node, "position", "int", types)
    position = node.args["position"].copy()
    answer = exp.If(
        this=exp.Is(this=position, expression=exp.Null()),
        true=exp.Literal.number(0),
        false=node.copy(),
    )
    _replace(node, _typed(answer, "int"), types)


def _null_on_zero_arg(divisor: exp.Expr) -> None:
    if isinstance(divisor, exp.Literal) and divisor.is_number and float(divisor.this) != 0:
        return
    divisor.replace(exp.Nullif(this=divisor.copy(), expression=exp.Literal.number(0)))


def _is_cast_function(node: exp.Expr) -> bool:
    return (
        isinstance(node, exp.Anonymous)
        and node.name.lower() in ("tinyint", "smallint", "bigint", "decimal")
        and len(node.expressions) == 1
    )


def _compare(node: exp.Binary, types: SparkTypes) -> None:
    left, right = types.of(node.left), types.of(node.right)
    common = comparison_type(left, right)
    if common is None:
        return
    if left != common:
        _cast_arg(node, "this", common, types)
    if right != common:
        _cast_arg(node, "expression", common, types)


def _simple_case(node: exp.Case, types: SparkTypes) -> None:
    """Spark reads `CASE a WHEN b ...` as `CASE WHEN a = b ...`, each comparison coerced alone;
    rewritten so when the operand and a WHEN value need a cast."""
    operand = node.this
    ifs = node.args.get("ifs") or []
    if all(comparison_type(types.of(operand), types.of(when.this)) is None for when in ifs):
        _widen(node, branches(node), types, strings=True)
        return
    for when in ifs:
        equal = exp.EQ(this=_typed_copy(operand, types), expression=_typed_copy(when.this, types))
        when.set("this", equal)
        _compare(equal, types)
    node.set("this", None)
    types.forget(node)
    _widen(node, branches(node), types, strings=True)


def _in_subquery(node: exp.In, types: SparkTypes) -> None:
    """`a IN (SELECT b ...)`: both sides in Spark's comparison type (InConversion)."""
    query = node.args["query"]
    projections = _projections(query)
    if not projections or len(projections) != 1:
        return
    left, right = types.of(node.this), types.of(projections[0])
    common = comparison_type(left, right)
    if common is None:
        return
    if left != common:
        _cast_arg(node, "this", common, types)
    if right != common:
        _replace_projection(projections[0], common, right, types)


def _between(node: exp.Between, types: SparkTypes) -> None:
    """Spark reads `a BETWEEN lo AND hi` as `a >= lo AND a <= hi`, each side coerced alone."""
    value, low, high = node.this, node.args["low"], node.args["high"]
    kinds = {comparison_type(types.of(value), types.of(bound)) for bound in (low, high)}
    if kinds == {None}:
        return
    if len(kinds) == 1:
        for arg in ("this", "low", "high"):
            if types.of(node.args[arg]) != next(iter(kinds)):
                _cast_arg(node, arg, str(next(iter(kinds))), types)
        return
    both = exp.and_(
        exp.GTE(this=_typed_copy(value, types), expression=_typed_copy(low, types)),
        exp.LTE(this=_typed_copy(value, types), expression=_typed_copy(high, types)),
    )
    _replace(node, exp.Paren(this=both), types)
    for comparison in both.find_all(exp.GTE, exp.LTE):
        _compare(comparison, types)


def _print_fractions(node: exp.Expr, types: SparkTypes) -> None:
    for child in list(node.args.values()):
        children = child if isinstance(child, list) else [child]
        for member in children:
            if isinstance(member, exp.Expr) and types.of(member) in FRACTIONAL:
                printed = casts.to_string(member.copy(), str(types.of(member)))
                if printed is not None:
                    _replace(member, printed, types)


def _arithmetic(node: exp.Binary, types: SparkTypes) -> None:
    left, right = types.of(node.left), types.of(node.right)
    if left == "string" and (is_numeric(right) or right in ("string", "void")):
        _cast_arg(node, "this", "double", types)
    if right == "string" and (is_numeric(left) or left in ("string", "void")):
        _cast_arg(node, "expression", "double", types)
    if isinstance(node, exp.Div | exp.Mod | exp.IntDiv):
        _null_on_zero(node)
    if isinstance(node, exp.Div) and decimal(types.of(node)) is not None:
        # DuckDB divides decimals as doubles; Spark's quotient is a decimal rounded half up.
        scale = exp.Literal.number(decimal(types.of(node))[1])  # type: ignore[index]
        quotient = casts.call("tidemill_round", node.copy(), scale)
        rounded = casts.duckdb_cast(quotient, str(types.of(node)).upper())
        _replace(node, _typed(rounded, str(types.of(node))), types)
        return
    if isinstance(node, exp.IntDiv) and not (
        types.of(node.left) in INTEGRAL and types.of(node.right) in INTEGRAL
    ):
        # DuckDB's // of fractions is a plain division; Spark's div truncates to bigint.
        quotient = exp.Div(this=node.left.copy(), expression=node.expression.copy())
        truncated = exp.Anonymous(this="trunc", expressions=[quotient])
        _replace(node, casts.duckdb_cast(truncated, "BIGINT"), types)
        return
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.IntDiv | exp.Mod) and _wraps(node, types):
        spark_type = str(types.of(node))
        _replace_named(node, _typed(overflow.wrapped(node, spark_type), spark_type), types)


def _try_arithmetic(node: exp.Expr, types: SparkTypes) -> None:
    """try_add/try_subtract/try_multiply: NULL past an integral type's range (Spark 3.5)."""
    left, right = types.of(node.this), types.of(node.expression)
    if left in INTEGRAL and right in INTEGRAL:
        result = "bigint" if "bigint" in (left, right) else "int"
        _replace_named(node, _typed(overflow.checked(node, result), result), types)
    else:
        _replace(node, overflow.plain(node), types)


def _void_sum(node: exp.Expr, types: SparkTypes) -> bool:
    """sum/try_sum of an untyped NULL (a NULL literal, a VALUES column of NULLs): Spark's sum
    is a DOUBLE there (DuckDB's an INT128); the NULL argument becomes a DOUBLE NULL."""
    arg = node.this if isinstance(node, exp.Sum) else node.expressions[0]
    if types.of(arg) != "void":
        return False
    typed = node.copy()
    typed_arg = typed.this if isinstance(typed, exp.Sum) else typed.expressions[0]
    typed_arg.replace(exp.cast(typed_arg.copy(), exp.DataType.build("DOUBLE")))
    _replace_named(node, _typed(typed, "double"), types)
    return True


def _try_sum(node: exp.Expr, types: SparkTypes) -> None:
    """try_sum of integral values: NULL past BIGINT's range, as Spark (not wrapped)."""
    if _void_sum(node, types):
        return
    if types.of(node.expressions[0]) not in INTEGRAL:
        return
    outer = node
    while isinstance(outer.parent, exp.Window | exp.Filter) and outer.arg_key == "this":
        outer = outer.parent
    _replace_named(outer, _typed(overflow.checked_sum(outer, node), "bigint"), types)


def _wraps(node: exp.Expr, types: SparkTypes) -> bool:
    """Whether `node` (integral operands) can overflow its INT/BIGINT Spark type: not when every
    operand is an integer literal and the exact result fits."""
    if not overflow.wraps(types.of(node)):
        return False
    operands = [node.left, node.right] if isinstance(node, exp.Binary) else [node.this]
    if any(types.of(operand) not in INTEGRAL for operand in operands):
        return False
    values = [_integer_literal(operand) for operand in operands]
    known = [value for value in values if value is not None]
    if len(known) < len(values):
        return True
    bits = 64 if types.of(node) == "bigint" else 32
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    exact: int | None = None
    if isinstance(node, exp.Neg | exp.Abs):
        exact = -known[0]
    elif isinstance(node, exp.Add):
        exact = known[0] + known[1]
    elif isinstance(node, exp.Sub):
        exact = known[0] - known[1]
    elif isinstance(node, exp.Mul):
        exact = known[0] * known[1]
    return exact is None or not low <= exact <= high


def _integer_literal(node: exp.Expr) -> int | None:
    if isinstance(node, exp.Paren):
        return _integer_literal(node.this)
    if isinstance(node, exp.Neg):
        inner = _integer_literal(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Literal) and node.is_int:
        return int(node.this)
    return None


def _is_long_sum(node: exp.Expr, types: SparkTypes) -> bool:
    """Whether `node` is the outermost node of an integral sum: `sum(x)`, `sum(x) FILTER (...)`
    or `sum(x) [FILTER (...)] OVER (...)`, whose Spark type is bigint."""
    if isinstance(node.parent, exp.Window | exp.Filter) and node.arg_key == "this":
        return False
    inner = node
    while isinstance(inner, exp.Window | exp.Filter):
        inner = inner.this
    return isinstance(inner, exp.Sum) and types.of(inner) == "bigint"


def _null_on_zero(node: exp.Binary) -> None:
    """Spark (ANSI off) answers NULL for a zero divisor; DuckDB raises."""
    divisor = node.expression
    if isinstance(divisor, exp.Literal) and divisor.is_number and float(divisor.this) != 0:
        return
    node.set("expression", exp.Nullif(this=divisor, expression=exp.Literal.number(0)))


def _widen(node: exp.Expr, members: list[exp.Expr], types: SparkTypes, *, strings: bool) -> None:
    member_types = [types.of(m) for m in members]
    if len(set(member_types)) <= 1:
        return
    common = wider_all(member_types, strings=strings)
    if common is None:
        _refuse_incompatible(_construct(node), member_types, strings=strings)
        return
    for member, member_type in zip(members, member_types, strict=True):
        if member_type != common and member_type != "void":
            _replace_member(member, common, member_type, types)
    types.forget(node)


_CONSTRUCTS = {
    exp.Case: "CASE", exp.If: "IF", exp.Coalesce: "COALESCE/NVL", exp.Nvl2: "NVL2",
    exp.Greatest: "greatest", exp.Least: "least", exp.Array: "array", exp.In: "IN",
    exp.Union: "UNION", exp.Intersect: "INTERSECT", exp.Except: "EXCEPT",
}  # fmt: skip


def _construct(node: exp.Expr) -> str:
    return _CONSTRUCTS.get(type(node), node.key.upper())


def _refuse_incompatible(construct: str, member_types: list[str | None], *, strings: bool) -> None:
    """Spark refuses (DATATYPE_MISMATCH / INCOMPATIBLE_COLUMN_TYPE) the members of a CASE, IF,
    COALESCE, IN list, array(), greatest/least or set operation column with no wider common
    type (TypeCoercion.findWiderCommonType): boolean with a number, string, date or binary;
    binary with anything but binary; a date or timestamp with a number. Raised only when every
    type is one this module knows exactly (a map, struct or interval is left alone)."""
    if not all(_known(t) for t in member_types):
        return
    listed = [str(t) for t in member_types]
    ordered = [t for t in dict.fromkeys(listed) if "string" in t]
    ordered += [t for t in listed if "string" not in t]
    so_far: str | None = "void"
    for member_type in ordered:
        combined = wider(so_far, member_type, strings=strings)
        if combined is None:
            raise InvalidInputError(
                Failure.JOB_SQL_INVALID,
                f"{construct} combines {str(so_far).upper()} and {member_type.upper()}, types with "
                "no common type: Spark refuses the query (DATATYPE_MISMATCH)",
            )
        so_far = combined


def _known(spark_type: str | None) -> bool:
    if spark_type is None:
        return False
    if spark_type.startswith("array<"):
        return _known(spark_type[6:-1])
    return spark_type == "void" or is_atomic(spark_type) or decimal(spark_type) is not None


def _replace_member(member: exp.Expr, target: str, source: str | None, types: SparkTypes) -> None:
    cast = casts.spark_cast(member.copy(), source, target)
    if cast is None:
        cast = exp.TryCast(this=member.copy(), to=exp.DataType.build(target, dialect="spark"))
    _replace(member, cast, types)


def _cast_arg(node: exp.Expr, arg: str, target: str, types: SparkTypes) -> None:
    child = node.args[arg]
    source = types.of(child)
    if source == "void":
        return
    cast = casts.spark_cast(child.copy(), source, target)
    if cast is None:
        cast = exp.TryCast(this=child.copy(), to=exp.DataType.build(target, dialect="spark"))
    _replace(child, cast, types)


_SPARK_TEXT = "tidemill_spark_text"  # an unaliased SELECT item's text as the user wrote it


def _replace_named(old: exp.Expr, new: exp.Expr, types: SparkTypes) -> None:
    """`_replace`, keeping the result column's name when `old` is an unaliased SELECT item:
    Spark's (and DuckDB's) text of what the user wrote — `(a + 1)`, `sum(x)` — not DuckDB's
    text of the macro call that replaces it."""
    if isinstance(old.parent, exp.Select) and old.arg_key == "expressions":
        text = old.meta.get(_SPARK_TEXT) or old.sql(dialect="spark", normalize_functions="lower")
        new = exp.alias_(new, f"({text})" if isinstance(old, exp.Binary) else text)
    _replace(old, new, types)


def _replace(old: exp.Expr, new: exp.Expr, types: SparkTypes) -> None:
    parent = old.parent
    old.replace(new)
    if parent is not None:
        types.forget(parent)


def _explicit_cast(node: exp.Cast, types: SparkTypes) -> None:
    source = types.of(node.this)
    target = types.of(node)
    cast = casts.spark_cast(node.this.copy(), source, target, ansi=bool(node.args.get("safe")))
    if cast is not None:
        _replace(node, _typed(cast, target) if target is not None else cast, types)


def _to_bigint(node: exp.Func, types: SparkTypes) -> None:
    """Spark's floor/ceil of a double or integral is a BIGINT (DuckDB keeps the type)."""
    inner = types.of(node.this)
    if inner in FRACTIONAL:
        _replace(node, casts.call("tidemill_double_to_long", node.copy()), types)
    elif inner in INTEGRAL:  # the value itself (DuckDB's floor of an integer is a DOUBLE)
        _replace(node, casts.duckdb_cast(node.this.copy(), "BIGINT"), types)
    elif inner == "string":
        value = casts.call("tidemill_str_to_double", node.this.copy())
        rounded = node.__class__(this=value)
        _replace(node, casts.call("tidemill_double_to_long", rounded), types)
    elif decimal(inner) is None:
        return


def _normalize_zero_keys(select: exp.Select, types: SparkTypes) -> None:
    """Spark groups -0.0 with 0.0 and shows the key as 0.0 (NormalizeFloatingNumbers); DuckDB
    shows whichever it met first. A double key column is printed as `key + 0.0`, which is 0.0
    for both zeros and leaves every other value (NaN included) as it is."""
    group = select.args.get("group")
    keys = {
        key.name.lower()
        for key in (group.expressions if group else [])
        if isinstance(key, exp.Column)
    }
    distinct = bool(select.args.get("distinct"))
    for projection in list(select.expressions):
        column = projection.this if isinstance(projection, exp.Alias) else projection
        if not isinstance(column, exp.Column) or types.of(column) not in FRACTIONAL:
            continue
        if not distinct and column.name.lower() not in keys:
            continue
        plus_zero = exp.Add(this=column.copy(), expression=exp.Literal.number("0.0"))
        _replace(
            projection, exp.alias_(_typed(plus_zero, "double"), projection.alias_or_name), types
        )


def _widen_set_operation(node: exp.SetOperation, types: SparkTypes) -> None:
    """UNION/INTERSECT/EXCEPT: each column in the wider common type of every branch (all the
    SELECTs of a chain such as `a UNION b UNION c`, as Spark widens them together)."""
    sides = _branch_projections(node)
    if sides is None or len({len(side) for side in sides}) != 1:
        return
    for position in range(len(sides[0])):
        members = [side[position] for side in sides]
        member_types = [types.of(m) for m in members]
        if len(set(member_types)) <= 1:
            continue
        common = wider_all(member_types)
        if common is None:
            _refuse_incompatible(_construct(node), member_types, strings=True)
            continue
        for member, member_type in zip(members, member_types, strict=True):
            if member_type != common and member_type != "void":
                _replace_projection(member, common, member_type, types)


def _branch_projections(query: exp.Expr) -> list[list[exp.Expr]] | None:
    """The projections of every SELECT a set operation combines (None: one is not plain)."""
    if isinstance(query, exp.Subquery):
        return _branch_projections(query.this)
    if isinstance(query, exp.SetOperation):
        left, right = _branch_projections(query.left), _branch_projections(query.right)
        return None if left is None or right is None else [*left, *right]
    projections = _projections(query)
    return None if projections is None else [projections]


def _projections(query: exp.Expr) -> list[exp.Expr] | None:
    if isinstance(query, exp.Subquery):
        return _projections(query.this)
    if isinstance(query, exp.Select) and not any(
        isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star)
        for e in query.expressions
    ):
        return list(query.expressions)
    if isinstance(query, exp.SetOperation):
        return _projections(query.left)
    return None


def _replace_projection(
    member: exp.Expr, target: str, source: str | None, types: SparkTypes
) -> None:
    name = member.alias_or_name
    inner = member.this if isinstance(member, exp.Alias) else member
    cast = casts.spark_cast(inner.copy(), source, target) or exp.TryCast(
        this=inner.copy(), to=exp.DataType.build(target, dialect="spark")
    )
    aliased = exp.alias_(cast, name) if name else cast
    _replace(member, aliased, types)

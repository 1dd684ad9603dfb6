"""Spark's data types of expressions in a Spark SQL tree, and Spark's rules for combining them.

Types are Spark's simple strings (`int`, `bigint`, `double`, `decimal(2,1)`, `string`,
`timestamp`, `void` for NULL, `array<int>` ...); None means unknown. `SparkTypes` infers them the
way Spark's analyzer does for the expressions the coercion rules care about (literals, casts,
arithmetic, comparisons, conditionals, aggregates) and takes every other node's type from
sqlglot's annotator run over a qualified copy of the query. The widening rules follow Spark 3.5's
`TypeCoercion` (findTightestCommonType, findWiderTypeForTwo, findCommonTypeForBinaryComparison)
and `DecimalPrecision`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import ensure_schema

from tidemill.engines.duckdb.dialect.context import Context

INTEGRAL = ("tinyint", "smallint", "int", "bigint")
FRACTIONAL = ("float", "double")
_NUMERIC_PRECEDENCE = (*INTEGRAL, *FRACTIONAL)
_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")
_DECIMAL_OF_INTEGRAL = {"tinyint": (3, 0), "smallint": (5, 0), "int": (10, 0), "bigint": (20, 0)}
_MAX_PRECISION = 38
_ATOMIC = (*_NUMERIC_PRECEDENCE, "string", "boolean", "date", "timestamp", "binary")
_TAG = "tidemill_node"
# Set on the nodes the coercion rules build: the Spark type the node has.
TYPE_META = "tidemill_spark_type"


def type_members(spark_type: str) -> tuple[str, list[tuple[str, str]]]:
    """A Spark type name's kind and members, as (field name, type): `array<int>` →
    ('array', [('', 'int')]); `map<string,int>` → ('map', [('', 'string'), ('', 'int')]);
    `struct<a:int,b:string>` → ('struct', [('a', 'int'), ('b', 'string')]); an atomic type
    has none."""
    if "<" not in spark_type or not spark_type.endswith(">"):
        return spark_type, []
    kind, _, inner = spark_type[:-1].partition("<")
    parts, depth, start = [], 0, 0
    for index, char in enumerate(inner):
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(inner[start:index])
            start = index + 1
    parts.append(inner[start:])
    if kind == "struct":
        return kind, [(p.partition(":")[0].strip(), p.partition(":")[2].strip()) for p in parts]
    return kind, [("", p.strip()) for p in parts]


def decimal(spark_type: str | None) -> tuple[int, int] | None:
    """(precision, scale) of a `decimal(p,s)` type, else None."""
    match = _DECIMAL.fullmatch(spark_type or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def is_numeric(spark_type: str | None) -> bool:
    return spark_type in _NUMERIC_PRECEDENCE or decimal(spark_type) is not None


def is_atomic(spark_type: str | None) -> bool:
    return spark_type in _ATOMIC or decimal(spark_type) is not None


def decimal_type(precision: int, scale: int) -> str:
    """Spark's DecimalType.bounded/adjustPrecisionScale: at most 38 digits, scale kept ≥ 6."""
    if precision > _MAX_PRECISION:
        whole = precision - scale
        scale = max(_MAX_PRECISION - whole, min(scale, 6))
        precision = _MAX_PRECISION
    return f"decimal({precision},{scale})"


def as_decimal(spark_type: str | None) -> tuple[int, int] | None:
    """The decimal an integral or decimal type widens to (DecimalType.forType)."""
    return _DECIMAL_OF_INTEGRAL.get(spark_type or "") or decimal(spark_type)


def tightest(a: str | None, b: str | None) -> str | None:
    """Spark's findTightestCommonType (no loss of precision; None when there is none)."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    if a == "void":
        return b
    if b == "void":
        return a
    if a in _NUMERIC_PRECEDENCE and b in _NUMERIC_PRECEDENCE:
        return max(a, b, key=_NUMERIC_PRECEDENCE.index)
    da, db = decimal(a), decimal(b)
    if a in INTEGRAL and db is not None and _wider_than(db, _DECIMAL_OF_INTEGRAL[a]):
        return b
    if b in INTEGRAL and da is not None and _wider_than(da, _DECIMAL_OF_INTEGRAL[b]):
        return a
    if {a, b} == {"date", "timestamp"}:
        return "timestamp"
    return _complex(a, b, tightest)


def wider(a: str | None, b: str | None, *, strings: bool = True) -> str | None:
    """Spark's findWiderTypeForTwo (decimals may widen to double; with `strings`, any atomic
    type but binary and boolean widens to string)."""
    found = tightest(a, b)
    if found is not None or a is None or b is None:
        return found
    da, db = as_decimal(a), as_decimal(b)
    if da is not None and db is not None and (decimal(a) or decimal(b)):
        whole = max(da[0] - da[1], db[0] - db[1])
        scale = max(da[1], db[1])
        return decimal_type(whole + scale, scale)
    if (decimal(a) and b in FRACTIONAL) or (decimal(b) and a in FRACTIONAL):
        return "double"
    if strings:
        if a == "string" and is_atomic(b) and b not in ("binary", "boolean"):
            return "string"
        if b == "string" and is_atomic(a) and a not in ("binary", "boolean"):
            return "string"
    return _complex(a, b, lambda x, y: wider(x, y, strings=strings))


def wider_all(types: Iterable[str | None], *, strings: bool = True) -> str | None:
    """Spark's findWiderCommonType: strings first (the rule is not associative), then the rest."""
    given = list(types)
    listed = [t for t in given if t is not None]
    if len(listed) != len(given):
        return None
    ordered = [t for t in dict.fromkeys(listed) if _has_string(t)]
    ordered += [t for t in listed if not _has_string(t)]
    result: str | None = "void"
    for t in ordered:
        result = wider(result, t, strings=strings)
        if result is None:
            return None
    return result


def comparison_type(a: str | None, b: str | None) -> str | None:
    """Spark's findCommonTypeForBinaryComparison: the type both sides of a comparison are cast
    to when one is a string (None: no such rule applies)."""
    if a is None or b is None or a == b:
        return None
    pair = {a, b}
    if "string" not in pair:
        return None
    other = (pair - {"string"}).pop()
    if other in ("date", "timestamp", "void"):
        return other if other != "void" else "string"
    if decimal(other) is not None:
        return "double"
    return other if is_atomic(other) else None


def _has_string(spark_type: str) -> bool:
    return spark_type == "string" or (
        spark_type.startswith("array<") and _has_string(spark_type[6:-1])
    )


def _wider_than(wide: tuple[int, int], narrow: tuple[int, int]) -> bool:
    return wide[0] - wide[1] >= narrow[0] - narrow[1] and wide[1] >= narrow[1]


def _complex(a: str, b: str, combine: object) -> str | None:
    if a.startswith("array<") and b.startswith("array<") and callable(combine):
        element = combine(a[6:-1], b[6:-1])
        return f"array<{element}>" if element is not None else None
    return None


_SIMPLE = {
    exp.DataType.Type.BOOLEAN: "boolean", exp.DataType.Type.TINYINT: "tinyint",
    exp.DataType.Type.SMALLINT: "smallint", exp.DataType.Type.INT: "int",
    exp.DataType.Type.BIGINT: "bigint", exp.DataType.Type.FLOAT: "float",
    exp.DataType.Type.DOUBLE: "double", exp.DataType.Type.VARCHAR: "string",
    exp.DataType.Type.TEXT: "string", exp.DataType.Type.DATE: "date",
    exp.DataType.Type.TIMESTAMP: "timestamp", exp.DataType.Type.BINARY: "binary",
    exp.DataType.Type.NULL: "void",
}  # fmt: skip


def spark_type_of(data_type: exp.DataType) -> str | None:
    """The Spark simple string of a sqlglot type (None for an unknown one)."""
    if data_type.this in (exp.DataType.Type.UNKNOWN, exp.DataType.Type.USERDEFINED):
        return None
    if data_type.this in _SIMPLE and not data_type.expressions:
        return _SIMPLE[data_type.this]
    text = data_type.sql("spark").lower().replace(" ", "")
    return {"integer": "int", "real": "float", "text": "string", "varchar": "string"}.get(
        text, text
    )


def literal_type(literal: exp.Literal) -> str:
    """A Spark literal's type: 1 is int, 3000000000 bigint, 1.5 decimal(2,1), 1e3 double."""
    text = literal.this
    if literal.is_string:
        return "string"
    if "e" in text.lower():
        return "double"
    if "." not in text:
        digits = text.lstrip("+-")
        value = int(text)  # signed: `-2147483648` is one literal for Spark's grammar
        if -(2**31) <= value <= 2**31 - 1:
            return "int"
        if -(2**63) <= value <= 2**63 - 1:
            return "bigint"
        return decimal_type(len(digits.lstrip("0")) or 1, 0)
    whole, _, fraction = text.lstrip("+-").partition(".")
    unscaled = (whole + fraction).lstrip("0") or "0"
    scale = len(fraction)
    return decimal_type(max(len(unscaled), scale, 1), scale)


class SparkTypes:
    """The Spark type of any node of one query tree (computed on demand, remembered).

    Built once per query; `of(node)` answers for nodes of the original tree and for nodes the
    coercion rules add (a cast's type is its target). Column types come from sqlglot's
    annotator over a qualified copy (`Context.spark_schema()`); when the query cannot be
    qualified (an unknown table, a construct the qualifier rejects) they are unknown.
    """

    def __init__(self, query: exp.Expr, context: Context) -> None:
        self._annotated: dict[int, exp.DataType] = {}
        self._memo: dict[int, str | None] = {}
        # Annotating costs a few milliseconds: only done when a rule first asks for a type.
        self._pending: tuple[exp.Expr, Context] | None = (query, context)

    def _annotate(self, query: exp.Expr, context: Context) -> None:
        if not context.tables and query.find(exp.Subquery, exp.CTE, exp.Values) is None:
            return  # no column to type
        for number, node in enumerate(query.walk()):
            node.meta[_TAG] = number
        numbered = {number: node for number, node in enumerate(query.walk())}
        schema = ensure_schema(dict(context.spark_schema()), dialect="spark")
        try:
            copy = qualify(
                query.copy(), dialect="spark", schema=schema, quote_identifiers=False,
                validate_qualify_columns=False,
            )  # fmt: skip
            annotated = annotate_types(copy, schema=schema, dialect="spark")
        except (SqlglotError, KeyError, ValueError, TypeError, AttributeError):
            return
        for node in annotated.walk():
            tag = node.meta.get(_TAG)
            if not isinstance(tag, int) or tag not in numbered or node.type is None:
                continue
            original = numbered[tag]
            if isinstance(original, exp.Column) != isinstance(node, exp.Column):
                continue
            self._annotated[id(original)] = node.type
        for node in numbered.values():
            node.meta.pop(_TAG, None)

    def of(self, node: exp.Expr | None) -> str | None:
        if node is None:
            return None
        if self._pending is not None:
            query, context = self._pending
            self._pending = None
            self._annotate(query.root(), context)
        key = id(node)
        if key not in self._memo:
            self._memo[key] = self._infer(node)
        return self._memo[key]

    def _sqlglot_type(self, node: exp.Expr) -> str | None:
        data_type = self._annotated.get(id(node))
        return spark_type_of(data_type) if data_type is not None else None

    def forget(self, node: exp.Expr) -> None:
        """Drop what is remembered for `node` and its ancestors (after a child was replaced)."""
        current: exp.Expr | None = node
        while current is not None:
            self._memo.pop(id(current), None)
            current = current.parent

    def _infer(self, node: exp.Expr) -> str | None:
        if TYPE_META in node.meta:
            return str(node.meta[TYPE_META])
        annotated = self._sqlglot_type(node)
        if isinstance(node, exp.Paren | exp.Alias):
            return self.of(node.this)
        if isinstance(node, exp.Literal):
            return literal_type(node)
        if isinstance(node, exp.Null):
            return "void"
        if isinstance(node, exp.Boolean):
            return "boolean"
        if isinstance(node, exp.Cast):  # TryCast too
            return spark_type_of(node.to)
        if isinstance(node, exp.Column):
            return annotated
        if isinstance(node, exp.Abs):
            inner = self.of(node.this)
            return "double" if inner == "string" else inner
        if isinstance(node, exp.Neg):
            if isinstance(node.this, exp.Literal) and node.this.is_int:
                # Spark's grammar reads `-2147483648` (also `- 2147483648`) as one literal, typed
                # by its negative value: int; `-(2147483648)` negates a bigint
                return literal_type(exp.Literal(this=f"-{node.this.this}", is_string=False))
            inner = self.of(node.this)
            return "double" if inner == "string" else inner
        if isinstance(node, exp.Predicate | exp.Connector | exp.Not | exp.Is):
            return "boolean"
        if isinstance(node, exp.Div):
            return self._divide(node)
        if isinstance(node, exp.IntDiv):
            return "bigint"
        if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Mod):
            return self._arithmetic(node)
        if isinstance(node, exp.Case | exp.If | exp.Coalesce | exp.Nvl2):
            return wider_all(self.of(branch) for branch in _branches(node))
        if isinstance(node, exp.Greatest | exp.Least):
            return wider_all((self.of(e) for e in [node.this, *node.expressions]), strings=False)
        if isinstance(node, exp.Nullif):
            return self.of(node.this)
        if isinstance(node, exp.Count):
            return "bigint"
        if isinstance(node, exp.Sum):
            return _sum_type(self.of(node.this))
        if isinstance(node, exp.Avg):
            return _avg_type(self.of(node.this))
        if isinstance(node, exp.Min | exp.Max):
            return self.of(node.this)
        if isinstance(node, exp.Floor | exp.Ceil) and not node.args.get("decimals"):
            inner = self.of(node.this)
            dec = decimal(inner)
            if dec is not None:
                return decimal_type(dec[0] - dec[1] + 1, 0)
            return "bigint" if is_numeric(inner) or inner == "string" else inner
        if isinstance(node, exp.Array):
            element = wider_all(self.of(e) for e in node.expressions)
            return f"array<{element}>" if element else None
        return annotated

    def _arithmetic(self, node: exp.Binary) -> str | None:
        left, right = self.of(node.left), self.of(node.right)
        left = "double" if left == "string" else left
        right = "double" if right == "string" else right
        dl, dr = decimal(left), decimal(right)
        if dl is None and dr is None:
            if left in _NUMERIC_PRECEDENCE and right in _NUMERIC_PRECEDENCE:
                return tightest(left, right)
            if left == "void":
                return right
            if right == "void":
                return left
            return self._sqlglot_type(node)
        if left in FRACTIONAL or right in FRACTIONAL:
            return "double"
        a, b = _operand_decimal(node.left, left), _operand_decimal(node.right, right)
        if a is None or b is None:
            return self._sqlglot_type(node)
        (p1, s1), (p2, s2) = a, b
        if isinstance(node, exp.Mul):
            return decimal_type(p1 + p2 + 1, s1 + s2)
        if isinstance(node, exp.Mod):
            scale = max(s1, s2)
            return decimal_type(min(p1 - s1, p2 - s2) + scale, scale)
        scale = max(s1, s2)
        return decimal_type(max(p1 - s1, p2 - s2) + scale + 1, scale)

    def _divide(self, node: exp.Div) -> str | None:
        left, right = self.of(node.left), self.of(node.right)
        if decimal(left) is None and decimal(right) is None:
            return "double"
        if left in FRACTIONAL or right in FRACTIONAL or "string" in (left, right):
            return "double"
        a, b = _operand_decimal(node.left, left), _operand_decimal(node.right, right)
        if a is None or b is None:
            return "double"
        (p1, s1), (p2, s2) = a, b
        scale = max(6, s1 + p2 + 1)
        return decimal_type(p1 - s1 + s2 + scale, scale)


def _operand_decimal(node: exp.Expr, spark_type: str | None) -> tuple[int, int] | None:
    """The decimal an operand of decimal arithmetic counts as: an integer literal counts by its
    digits (Spark's DecimalType.fromLiteral: 3 is decimal(1,0), not decimal(10,0))."""
    bare = node.this if isinstance(node, exp.Neg | exp.Paren) else node
    if isinstance(bare, exp.Literal) and bare.is_int and spark_type in INTEGRAL:
        return (len(bare.this.lstrip("+-").lstrip("0")) or 1, 0)
    return as_decimal(spark_type)


def _branches(node: exp.Expr) -> list[exp.Expr]:
    """The value branches of a conditional (CASE, IF, COALESCE, NVL2)."""
    if isinstance(node, exp.Case):
        values = [when.args["true"] for when in node.args.get("ifs") or []]
        default = node.args.get("default")
        return [*values, default] if default is not None else values
    if isinstance(node, exp.If):
        false = node.args.get("false")
        return [node.args["true"], false] if false is not None else [node.args["true"]]
    if isinstance(node, exp.Nvl2):
        other = node.args.get("false")
        return [node.args["true"], other] if other is not None else [node.args["true"]]
    return [node.this, *node.expressions]


def branches(node: exp.Expr) -> list[exp.Expr]:
    """The value branches of a CASE, IF, COALESCE or NVL2 (those Spark widens to one type)."""
    return _branches(node)


def _sum_type(inner: str | None) -> str | None:
    if inner in INTEGRAL:
        return "bigint"
    if inner in (*FRACTIONAL, "string", "timestamp"):
        return "double"
    dec = decimal(inner)
    return decimal_type(min(_MAX_PRECISION, dec[0] + 10), dec[1]) if dec else inner


def _avg_type(inner: str | None) -> str | None:
    dec = decimal(inner)
    if dec is not None:
        return decimal_type(min(_MAX_PRECISION, dec[0] + 4), min(_MAX_PRECISION, dec[1] + 4))
    return "double"

"""String functions whose Spark definition differs from DuckDB's under the same name (fault
kinds 4, 12): positions, padding, splitting with a limit, formatting, NULL handling.

Spark's rules (Spark SQL reference, "String functions"; UTF8String, stringExpressions.scala):

* substr/substring: position 0 is position 1; a negative position counts from the end; the
  part before the string's start is cut off (substr('abc', -5, 3) = 'a'); a negative length
  gives ''.
* locate(sub, s, pos): 0 when pos < 1 or pos is NULL; '' is found at once (1).
* lpad/rpad: a target length at or below 0 gives ''; an empty pad truncates but never pads.
* split(s, regex, limit): at most `limit` parts when limit > 0, the last holding the rest;
  a NULL delimiter gives NULL.
* left/right with a negative length: ''. chr(n): '' for n < 0, else the character n mod 256.
* levenshtein counts characters, not bytes.
* format_string/printf: Java's Formatter; a NULL argument prints `null`.
* octet_length: bytes of the UTF-8 text. replace(s, search): removes `search`.
* elt(n, ...): the n-th argument, NULL out of range. find_in_set(s, list): 1-based, 0 if absent
  or `s` contains a comma.
* sha2(s, 0|256) is SHA-256; other bit lengths are refused (DuckDB has no SHA-224/384/512).
* LIKE/ILIKE (also NOT, ANY/SOME/ALL and like()/ilike()): the escape character is a backslash
  unless ESCAPE names one (DuckDB has none by default). It may only precede `_`, `%` or itself:
  Spark fails the query otherwise (INVALID_FORMAT.ESC_IN_THE_MIDDLE, ESC_AT_THE_END). A literal
  pattern breaking that is refused; any other fails the batch with Spark's error on the rows
  Spark fails on (subject and pattern not NULL). ILIKE checks the lowered pattern, as Spark.

Refused by name (no DuckDB equivalent with Spark's answer): soundex, crc32, conv, hash,
xxhash64, sha2 with 224/384/512 bits.
"""

from __future__ import annotations

import re

from sqlglot import exp

from tidemill.engines.duckdb.dialect import json_values
from tidemill.engines.duckdb.dialect._nodes import (
    bottom_up,
    call,
    function_name,
    literal_int,
    literal_text,
    template,
)
from tidemill.engines.duckdb.dialect.context import Context
from tidemill.engines.duckdb.dialect.types import INTEGRAL, SparkTypes, is_numeric, wider_all
from tidemill.errors import Failure, InvalidInputError

_INT_MAX = 2147483647

MACROS: tuple[str, ...] = (
    # unhex: NULL for a character that is not a hex digit (DuckDB's unhex fails the query);
    # an odd count of digits gets a leading 0 on both engines.
    """CREATE MACRO tidemill_unhex(s) AS
        CASE WHEN regexp_full_match(s, '[0-9a-fA-F]*') THEN unhex(s) END""",
    # unbase64: Spark's lenient decoding (a MIME decoder): the text up to the first '=', any
    # character outside the base64 alphabet skipped ('-' and '_' too), a last lone character
    # dropped, the padding restored (DuckDB's from_base64 wants it exact).
    """CREATE MACRO tidemill_base64_digits(s) AS regexp_replace(
        split_part(s, '=', 1), '[^A-Za-z0-9+/]', '', 'g')""",
    """CREATE MACRO tidemill_unbase64_digits(t) AS from_base64(CASE length(t) % 4
        WHEN 0 THEN t WHEN 1 THEN left(t, length(t) - 1) WHEN 2 THEN t || '==' ELSE t || '='
        END)""",
    "CREATE MACRO tidemill_unbase64(s) AS tidemill_unbase64_digits(tidemill_base64_digits(s))",
    # to_binary(s[, 'hex' | 'base64']) fails the query on malformed text, as Spark's
    # (CONVERSION_INVALID_INPUT); try_to_binary is refused by name.
    """CREATE MACRO tidemill_to_binary_hex(s) AS CASE
        WHEN regexp_full_match(s, '[0-9a-fA-F]*') THEN unhex(s)
        ELSE error('[CONVERSION_INVALID_INPUT] The value ' || s
            || ' (HEX) cannot be converted to BINARY because it is malformed') END""",
    """CREATE MACRO tidemill_to_binary_base64(s) AS CASE
        WHEN length(tidemill_base64_digits(s)) % 4 <> 1 THEN tidemill_unbase64(s)
        ELSE error('[CONVERSION_INVALID_INPUT] The value ' || s
            || ' (BASE64) cannot be converted to BINARY because it is malformed') END""",
    """CREATE MACRO tidemill_substr(s, pos, len) AS CASE
        WHEN s IS NULL OR pos IS NULL OR len IS NULL THEN NULL
        WHEN (CASE WHEN pos > 0 THEN pos - 1 WHEN pos < 0 THEN length(s) + pos ELSE 0 END) < 0
        THEN CASE WHEN length(s) + pos + len <= 0 THEN ''
            ELSE substring(s, 1, length(s) + pos + len) END
        WHEN len <= 0 THEN ''
        ELSE substring(s,
            (CASE WHEN pos > 0 THEN pos - 1 WHEN pos < 0 THEN length(s) + pos ELSE 0 END) + 1,
            len)
    END""",
    """CREATE MACRO tidemill_locate(sub, s, pos) AS CASE
        WHEN pos IS NULL THEN 0
        WHEN sub IS NULL OR s IS NULL THEN NULL
        WHEN pos < 1 THEN 0
        WHEN sub = '' THEN 1
        WHEN strpos(substring(s, pos), sub) = 0 THEN 0
        ELSE strpos(substring(s, pos), sub) + pos - 1
    END""",
    """CREATE MACRO tidemill_lpad(s, n, p) AS CASE
        WHEN s IS NULL OR n IS NULL OR p IS NULL THEN NULL
        WHEN n <= 0 THEN ''
        WHEN p = '' THEN left(s, n)
        ELSE lpad(s, n, p)
    END""",
    """CREATE MACRO tidemill_rpad(s, n, p) AS CASE
        WHEN s IS NULL OR n IS NULL OR p IS NULL THEN NULL
        WHEN n <= 0 THEN ''
        WHEN p = '' THEN left(s, n)
        ELSE rpad(s, n, p)
    END""",
    """CREATE MACRO tidemill_split(s, re, n) AS CASE
        WHEN s IS NULL OR re IS NULL OR n IS NULL THEN NULL
        WHEN n <= 0 OR len(string_split_regex(s, re)) <= n THEN string_split_regex(s, re)
        ELSE list_concat(string_split_regex(s, re)[1:n - 1], [substring(s,
            CAST(coalesce(list_sum(list_transform(string_split_regex(s, re)[1:n - 1],
                lambda x: length(x))), 0)
            + coalesce(list_sum(list_transform(regexp_extract_all(s, re)[1:n - 1],
                lambda x: length(x))), 0) + 1 AS BIGINT))])
    END""",
    # DuckDB's levenshtein counts bytes, Spark's characters: the same for ASCII text; otherwise
    # a row-by-row dynamic programme over the characters (O(len(a) * len(b)) list steps).
    r"""CREATE MACRO tidemill_levenshtein(a, b) AS CASE
        WHEN a IS NULL OR b IS NULL THEN NULL
        WHEN regexp_matches(a || b, '^[\x00-\x7F]*$') THEN levenshtein(a, b)
        ELSE list_reduce(
            list_zip(string_split(a, ''), range(1, length(a) + 1)),
            lambda prev, p: list_reduce(range(1, length(b) + 1),
                lambda acc, j: list_append(acc, least(prev[j + 1] + 1, acc[-1] + 1,
                    prev[j] + CASE WHEN p[1] = substring(b, j, 1) THEN 0 ELSE 1 END)),
                [p[2]]),
            range(0, length(b) + 1))[-1]
    END""",
    """CREATE MACRO tidemill_chr(n) AS CASE
        WHEN n < 0 THEN '' ELSE chr(CAST(n % 256 AS INTEGER)) END""",
    """CREATE MACRO tidemill_find_in_set(s, list) AS CASE
        WHEN s IS NULL OR list IS NULL THEN NULL
        WHEN contains(s, ',') THEN 0
        ELSE CAST(coalesce(list_position(string_split(list, ','), s), 0) AS INTEGER)
    END""",
)

_REFUSED = {
    "soundex": "soundex",
    "crc32": "crc32",
    "conv": "conv",
    "hash": "hash (Spark's Murmur3)",
    "xxhash64": "xxhash64",
}

# A Java Formatter conversion: %[index$][flags][width][.precision]conversion.
_CONVERSION = re.compile(r"%(\d+\$)?([-#+ 0,(]*)(\d+)?(\.\d+)?([a-zA-Z%])")


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with Spark's string function definitions (see the module docstring)."""
    return bottom_up(query, _rewrite_node)


def _rewrite_node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.ToBinary | exp.FromBase64 | exp.Unhex):
        return _binary_from_text(node)
    if isinstance(node, exp.Escape) and isinstance(node.this, exp.Like | exp.ILike):
        return _like(node.this, node.expression)
    if isinstance(node, exp.Like | exp.ILike) and not isinstance(node.parent, exp.Escape):
        return _like(node, exp.Literal.string("\\"))
    if isinstance(node, exp.Substring):
        return _substring(node)
    if isinstance(node, exp.StrPosition) and node.args.get("position") is not None:
        return call("tidemill_locate", node.args["substr"], node.this, node.args["position"])
    if isinstance(node, exp.Pad):
        return _pad(node)
    if isinstance(node, exp.RegexpSplit):
        return _split(node)
    if isinstance(node, exp.Left | exp.Right):
        return node.__class__(this=node.this, expression=_not_negative(node.expression))
    if isinstance(node, exp.Chr) and len(node.expressions) == 1:
        return call("tidemill_chr", node.expressions[0])
    if isinstance(node, exp.Levenshtein) and not any(
        v is not None for k, v in node.args.items() if k not in ("this", "expression")
    ):
        return call("tidemill_levenshtein", node.this, node.expression)
    if isinstance(node, exp.Format):
        return _format(node.this, node.expressions)
    if isinstance(node, exp.Replace) and node.args.get("replacement") is None:
        return exp.Replace(
            this=node.this, expression=node.expression, replacement=exp.Literal.string("")
        )
    if isinstance(node, exp.SHA2):
        return _sha2(node)
    if isinstance(node, exp.Elt):
        return _elt(node)
    if isinstance(node, exp.Soundex):
        raise _unsupported("soundex")
    name = function_name(node)
    if not isinstance(node, exp.Anonymous):
        return node
    if name == "printf":
        first, *rest = node.expressions
        return _format(first, rest)
    if name == "octet_length" and len(node.expressions) == 1:
        return exp.cast(call("strlen", node.expressions[0]), exp.DataType.build("INT"))
    if name == "find_in_set":
        return call("tidemill_find_in_set", *node.expressions)
    if name in _REFUSED:
        raise _unsupported(_REFUSED[name])
    return node


_TO_BINARY = {
    "hex": "tidemill_to_binary_hex",
    "base64": "tidemill_to_binary_base64",
    "utf-8": "encode",
    "utf8": "encode",
}


def _binary_from_text(node: exp.Expr) -> exp.Expr:
    """unhex, unbase64 and to_binary with Spark's answers (the macros above). to_binary's
    format is 'hex' (the default), 'base64', 'utf-8' or 'utf8' in any case, a literal: Spark
    refuses any other (DATATYPE_MISMATCH.INVALID_ARG_VALUE)."""
    if isinstance(node, exp.Unhex):
        return exp.Anonymous(this="tidemill_unhex", expressions=[node.this])
    if isinstance(node, exp.FromBase64):
        return exp.Anonymous(this="tidemill_unbase64", expressions=[node.this])
    form = node.args.get("format")
    name = "hex" if form is None else form.name.lower() if form.is_string else None
    if name not in _TO_BINARY:
        raise _unsupported("to_binary with a format other than 'hex', 'base64', 'utf-8', 'utf8'")
    return exp.Anonymous(this=_TO_BINARY[name], expressions=[node.this])


def rewrite_typed(query: exp.Expr, context: Context) -> exp.Expr:
    """The rewrites that need the Spark type of an argument, run first (before coercion, on
    the tree as Spark wrote it): typeof, bin, format_number's second argument, to_json."""
    wanted = [
        node
        for node in query.find_all(exp.Typeof, exp.JSONFormat, exp.Anonymous)
        if not isinstance(node, exp.Anonymous)
        or (node.name.lower() in ("bin", "format_number") and len(node.expressions) in (1, 2))
    ]
    if not wanted:
        return query
    types = SparkTypes(query, context)
    found = [(node, _spark_type(_typed_argument(node), types)) for node in wanted]
    for node, spark_type in found:
        if isinstance(node, exp.JSONFormat):
            node.meta[json_values.TO_JSON_TYPE] = spark_type
        elif isinstance(node, exp.Typeof):
            name = spark_type if _names_exactly(node.this) else None
            if name is None:
                raise _unsupported(f"typeof({node.this.sql(dialect='spark')}) (its Spark type)")
            node.replace(exp.Literal.string(name))
        elif not isinstance(node, exp.Anonymous):
            continue
        elif node.name.lower() == "bin" and len(node.expressions) == 1:
            _bin(node, spark_type)
        elif node.name.lower() == "format_number" and len(node.expressions) == 2:
            _format_number(node, spark_type, _spark_type(node.expressions[0], types))
    return query


def _spark_type(node: exp.Expr, types: SparkTypes) -> str | None:
    """`types.of(node)`, also for what it leaves to sqlglot's annotator when there are no
    tables (struct, map and array literals) and for a negative integer literal (Spark reads
    -2147483648 as one INT literal, not the negation of a BIGINT)."""
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and node.this.is_int:
        value = -int(node.this.name)
        return "int" if value >= -(2**31) else "bigint" if value >= -(2**63) else None
    if isinstance(node, exp.Paren):
        return _spark_type(node.this, types)
    if isinstance(node, exp.HexString):  # X'01'
        return "binary"
    if isinstance(node, exp.Struct):
        fields = []
        for field in node.expressions:
            if not isinstance(field, exp.PropertyEQ):
                return None
            field_type = _spark_type(field.expression, types)
            if field_type is None:
                return None
            fields.append(f"{field.name}:{field_type}")
        return f"struct<{','.join(fields)}>"
    if isinstance(node, exp.Array) and not types.of(node):
        members = [_spark_type(e, types) for e in node.expressions]
        element = wider_all(members) if node.expressions else "void"
        return f"array<{element}>" if element is not None else None
    if isinstance(node, exp.VarMap):
        keys, values = node.args.get("keys"), node.args.get("values")
        if not isinstance(keys, exp.Array) or not isinstance(values, exp.Array):
            return None
        key = wider_all(_spark_type(e, types) for e in keys.expressions) or "void"
        item = wider_all(_spark_type(e, types) for e in values.expressions) or "void"
        return f"map<{key},{item}>"
    return types.of(node)


def _typed_argument(node: exp.Expr) -> exp.Expr:
    argument: exp.Expr = node.expressions[-1] if isinstance(node, exp.Anonymous) else node.this
    return argument  # bin's value, format_number's digits, typeof's and to_json's value


def _bin(node: exp.Anonymous, spark_type: str | None) -> None:
    """Spark's bin casts its argument to BIGINT (bin(13.3) = '1101', bin(-1) has 64 digits)."""
    if not (is_numeric(spark_type) or spark_type in ("string", "void")):
        raise _unsupported(f"bin of a {spark_type or 'value of unknown type'}")
    value = node.expressions[0]
    value.replace(exp.Cast(this=value.copy(), to=exp.DataType.build("BIGINT")))


def _format_number(node: exp.Anonymous, spark_type: str | None, value_type: str | None) -> None:
    """format_number(x, d): an integral d is digits; a string is a Java DecimalFormat pattern
    (HALF_EVEN rounding, its own grouping rules), refused. A DECIMAL `x` is rounded exactly
    (the `format_number` macro), which DuckDB does only to a constant number of digits."""
    if spark_type in (*INTEGRAL, "void"):
        if (value_type or "").startswith("decimal") and not node.expressions[1].is_int:
            raise _unsupported("format_number of a decimal to a number of digits that varies")
        return
    raise _unsupported(
        "format_number with a DecimalFormat pattern (a second argument that is not an integer)"
    )


# The nodes whose Spark type `types.SparkTypes` works out by Spark's own rules (not from
# sqlglot's annotator, which knows other engines' function signatures).
_TYPED_BY_RULE = (
    exp.Literal, exp.Null, exp.Boolean, exp.Cast, exp.Paren, exp.Predicate, exp.Connector,
    exp.Not, exp.Is, exp.Div, exp.IntDiv, exp.Add, exp.Sub, exp.Mul, exp.Mod, exp.Case, exp.If,
    exp.Coalesce, exp.Nvl2, exp.Count, exp.Array, exp.Struct, exp.PropertyEQ, exp.HexString,
)  # fmt: skip


def _names_exactly(node: exp.Expr) -> bool:
    """Whether typeof(`node`) can be written as a constant: its Spark type follows from Spark's
    rules on literals, casts, the tables' columns and a few operators."""
    if isinstance(node, exp.Neg):
        return _names_exactly(node.this)
    if isinstance(node, exp.Column):
        return node.find_ancestor(exp.Select) is not None and not any(
            node.root().find_all(exp.Subquery, exp.CTE, exp.Lateral, exp.Unnest)
        )
    if isinstance(node, exp.VarMap):
        return all(_names_exactly(e) for e in (*node.args["keys"].expressions,
                                                *node.args["values"].expressions))  # fmt: skip
    if not isinstance(node, _TYPED_BY_RULE):
        return False
    return all(_names_exactly(child) for child in node.iter_expressions() if _is_value(child))


def _is_value(node: exp.Expr) -> bool:
    return not isinstance(node, exp.DataType | exp.Identifier | exp.Var)


def _unsupported(construct: str) -> Exception:
    from tidemill.engines.duckdb.dialect.translate import unsupported

    return unsupported(construct)


def _like(node: exp.Like | exp.ILike, escape: exp.Expr) -> exp.Expr:
    """Spark's LIKE/ILIKE with its escape character (see the module docstring)."""
    char = literal_text(escape)
    if char is None or len(char) != 1:
        raise _unsupported("LIKE with an ESCAPE that is not one character")
    lower = isinstance(node, exp.ILike)
    if lower and char.lower() != char.upper():
        raise _unsupported("ILIKE with a letter as its escape character")
    quantified = node.expression
    if isinstance(quantified, exp.Any | exp.All):
        patterns = quantified.this.expressions if isinstance(quantified.this, exp.Tuple) else []
        if not patterns:
            raise _unsupported("LIKE ANY/ALL without a list of patterns")
        joined: type[exp.Or | exp.And] = exp.Or if isinstance(quantified, exp.Any) else exp.And
        parts = [exp.Paren(this=_like_one(node, node.this, p, char, lower)) for p in patterns]
        result: exp.Expr = parts[0]
        for part in parts[1:]:
            result = joined(this=result, expression=part)
        return exp.Paren(this=result)
    return _like_one(node, node.this, quantified, char, lower)


_LIKE_ERROR = (
    "'[INVALID_FORMAT.ESC_IN_THE_MIDDLE or ESC_AT_THE_END] The format is invalid: ''' || _p || "
    "'''. The escape character ''' || _char || ''' may only precede _, % or itself.'"
)


def _like_one(
    node: exp.Like | exp.ILike, subject: exp.Expr, pattern: exp.Expr, char: str, lower: bool
) -> exp.Expr:
    like = node.__class__(
        this=subject.copy(), expression=pattern.copy(), negate=node.args.get("negate")
    )
    matched = exp.Escape(this=like, expression=exp.Literal.string(char))
    text = literal_text(pattern)
    if text is not None:
        error = _like_pattern_error(text.lower() if lower else text, char)
        if error is not None:
            raise InvalidInputError(Failure.JOB_SQL_INVALID, error)
        # No escape character in it: DuckDB's LIKE without ESCAPE means the same and keeps its
        # prefix/contains fast paths (with ESCAPE a filter took 35-70% longer, measured)
        return matched if char in text or char in text.lower() else like
    if isinstance(pattern, exp.Null):
        return matched
    # Not a literal: Spark fails the query on a row whose pattern is malformed; so does this.
    quoted = char if char.isalnum() else "\\" + char
    checked = call("lower", pattern.copy()) if lower else pattern.copy()
    return template(
        f"CASE WHEN _s IS NOT NULL AND NOT regexp_full_match(_p, _valid) "
        f"THEN error({_LIKE_ERROR}) ELSE _matched END",
        s=subject.copy(),
        p=checked,
        valid=exp.Literal.string(f"(?s)([^{quoted}]|{quoted}[_%{quoted}])*"),
        char=exp.Literal.string(char),
        matched=matched,
    )


def _like_pattern_error(pattern: str, char: str) -> str | None:
    """Spark's error for a LIKE pattern (StringUtils.escapeLikeRegex), None if it is valid."""
    index = 0
    while index < len(pattern):
        if pattern[index] != char:
            index += 1
            continue
        if index + 1 == len(pattern):
            return (
                f"[INVALID_FORMAT.ESC_AT_THE_END] The format is invalid: '{pattern}'. "
                "The escape character is not allowed to end with."
            )
        following = pattern[index + 1]
        if following not in ("_", "%", char):
            return (
                f"[INVALID_FORMAT.ESC_IN_THE_MIDDLE] The format is invalid: '{pattern}'. "
                f"The escape character is not allowed to precede '{following}'."
            )
        index += 2
    return None


def _substring(node: exp.Substring) -> exp.Expr:
    start = node.args.get("start")
    length = node.args.get("length")
    first = literal_int(start)
    size = literal_int(length) if length is not None else _INT_MAX
    if first is not None and first > 0 and size is not None and size >= 0:
        return node  # DuckDB's own definition agrees
    if first == 0 and size is not None and size >= 0:
        node.set("start", exp.Literal.number(1))
        return node
    if start is None:
        return node
    return call(
        "tidemill_substr",
        node.this,
        start,
        length if length is not None else exp.Literal.number(_INT_MAX),
    )


def _pad(node: exp.Pad) -> exp.Expr:
    fill = node.args.get("fill_pattern")
    width = literal_int(node.expression)
    text = literal_text(fill) if fill is not None else " "
    if text and width is not None and width >= 0:
        return node
    name = "tidemill_lpad" if node.args.get("is_left") else "tidemill_rpad"
    return call(
        name, node.this, node.expression, fill if fill is not None else exp.Literal.string(" ")
    )


def _split(node: exp.RegexpSplit) -> exp.Expr:
    limit = node.args.get("limit")
    pattern = node.expression
    if limit is None and literal_text(pattern) is not None:
        return node
    return call(
        "tidemill_split", node.this, pattern, limit if limit is not None else exp.Literal.number(-1)
    )


def _not_negative(length: exp.Expr) -> exp.Expr:
    value = literal_int(length)
    if value is not None:
        return exp.Literal.number(max(value, 0))
    return template("CASE WHEN _n < 0 THEN 0 ELSE _n END", n=length)


def _format(pattern: exp.Expr, args: list[exp.Expr]) -> exp.Expr:
    """Java's format → DuckDB's printf; each argument printed `null` when NULL, as Java does."""
    text = literal_text(pattern)
    if text is None:
        raise _unsupported("format_string/printf with a format that is not a string literal")
    pieces: list[str] = []
    values: list[exp.Expr] = []
    position = 0
    index = 0
    for match in _CONVERSION.finditer(text):
        pieces.append(text[position : match.start()].replace("%", "%%"))
        position = match.end()
        explicit, flags, width, precision, conversion = match.groups()
        if conversion == "%":
            pieces.append("%%")
            continue
        if conversion == "n":
            pieces.append("\n")
            continue
        if conversion not in "sSdxXofeEc" or explicit or "," in flags or "(" in flags:
            raise _unsupported(f"format_string/printf conversion {match.group(0)!r}")
        if index >= len(args):
            raise _unsupported("format_string/printf with fewer arguments than conversions")
        arg = args[index]
        index += 1
        outer_flags = "-" if "-" in flags else ""
        pieces.append(f"%{outer_flags}{width or ''}s")
        if conversion in "sS":
            inner: exp.Expr = exp.cast(arg, exp.DataType.build("VARCHAR"))
            if precision:
                inner = call("left", inner, exp.Literal.number(int(precision[1:])))
            if conversion == "S":
                inner = exp.Upper(this=inner)
        else:
            spec = f"%{flags.replace('-', '')}{precision or ''}{conversion}"
            inner = call("printf", exp.Literal.string(spec), arg)
        values.append(exp.Coalesce(this=inner, expressions=[exp.Literal.string("null")]))
    pieces.append(text[position:].replace("%", "%%"))
    return call("printf", exp.Literal.string("".join(pieces)), *values)


def _sha2(node: exp.SHA2) -> exp.Expr:
    bits = literal_int(node.args.get("length")) if node.args.get("length") else 256
    if bits in (0, 256):
        return call("sha256", node.this)
    if bits in (224, 384, 512):
        raise _unsupported(f"sha2 with {bits} bits")
    if bits is None:
        raise _unsupported("sha2 with a bit length that is not a literal")
    return exp.cast(exp.Null(), exp.DataType.build("VARCHAR"))  # Spark: NULL for other lengths


def _elt(node: exp.Elt) -> exp.Expr:
    index = node.this
    return exp.Case(
        ifs=[
            exp.If(this=exp.EQ(this=index.copy(), expression=exp.Literal.number(i + 1)), true=v)
            for i, v in enumerate(node.expressions)
        ]
    )

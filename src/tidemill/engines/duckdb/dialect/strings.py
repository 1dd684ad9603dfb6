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

Refused by name (no DuckDB equivalent with Spark's answer): soundex, crc32, conv, hash,
xxhash64, sha2 with 224/384/512 bits.
"""

from __future__ import annotations

import re

from sqlglot import exp

from tidemill.engines.duckdb.dialect._nodes import (
    bottom_up,
    call,
    function_name,
    literal_int,
    literal_text,
    template,
)
from tidemill.engines.duckdb.dialect.context import Context

_INT_MAX = 2147483647

MACROS: tuple[str, ...] = (
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


def _unsupported(construct: str) -> Exception:
    from tidemill.engines.duckdb.dialect.translate import unsupported

    return unsupported(construct)


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

"""The first JSON value of a text as Spark's Jackson parser reads it, as strict JSON for DuckDB.

Spark parses JSON with Jackson, streaming: it reads the first value and ignores what follows
(`{"a": 1} xyz` is `{"a": 1}`), and its reader features differ from DuckDB's (yyjson):

* get_json_object, json_tuple, json_array_length, json_object_keys (JsonExpressions.scala's
  shared factory, `LENIENT`): single-quoted strings and names, raw control characters inside
  strings; no NaN/Infinity, no trailing commas, no leading zeros (DuckDB accepts the first two);
* from_json (JSONOptions defaults, `FROM_JSON`): single quotes and NaN, Infinity, +Infinity,
  -Infinity as numbers; no raw control characters; a name written twice in an object gives its
  last value (DuckDB's json_extract gives the first).

`first_value` is the slow path of the `json_values` macros, called only for text DuckDB rejects
or might read differently; it answers the value in strict JSON (numbers as written; NaN and
Infinity spelled as DuckDB reads them), or None where Jackson fails (Spark: NULL).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

LENIENT = 0
FROM_JSON = 1

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NON_NUMERIC = {"NaN": "NaN", "Infinity": "Infinity", "+Infinity": "Infinity",
                "-Infinity": "-Infinity"}  # fmt: skip
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_WHITESPACE = " \t\n\r"


class _Malformed(Exception):
    pass


class _NonNumeric(str):
    """NaN or ±Infinity read as a number (from_json): DuckDB reads the bare word as a DOUBLE;
    copied as text (a STRING field), Jackson's generator writes it quoted."""


class _Reader:
    def __init__(self, text: str, mode: int) -> None:
        self.text = text
        self.at = 0
        self.control_chars = mode == LENIENT
        self.non_numeric = mode == FROM_JSON
        self.last_wins = mode == FROM_JSON

    def skip(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in _WHITESPACE:
            self.at += 1

    def peek(self) -> str:
        self.skip()
        if self.at >= len(self.text):
            raise _Malformed("end of input")
        return self.text[self.at]

    def value(self) -> Any:
        """A parsed value: a dict (an object, as (name, value) pairs), a list, or JSON text."""
        char = self.peek()
        if char == "{":
            return self.object()
        if char == "[":
            return self.array()
        if char in "\"'":
            return json.dumps(self.string(), ensure_ascii=False)
        for word in ("true", "false", "null"):
            if self.text.startswith(word, self.at):
                self.at += len(word)
                return word
        if self.non_numeric:
            for word, spelled in _NON_NUMERIC.items():
                if self.text.startswith(word, self.at):
                    self.at += len(word)
                    return _NonNumeric(spelled)
        match = _NUMBER.match(self.text, self.at)
        if match is None:
            raise _Malformed(f"unexpected {char!r}")
        self.at = match.end()
        if self.at < len(self.text) and self.text[self.at] in ".eE0123456789":
            raise _Malformed("malformed number")
        return match.group(0)

    def object(self) -> dict[str, Any]:
        self.at += 1
        pairs: list[tuple[str, Any]] = []
        if self.peek() == "}":
            self.at += 1
            return {"pairs": pairs}
        while True:
            if self.peek() not in "\"'":
                raise _Malformed("a field name must be quoted")
            name = self.string()
            if self.peek() != ":":
                raise _Malformed("':' expected")
            self.at += 1
            pairs.append((name, self.value()))
            char = self.peek()
            self.at += 1
            if char == "}":
                return {"pairs": pairs}
            if char != ",":
                raise _Malformed("',' or '}' expected")

    def array(self) -> list[Any]:
        self.at += 1
        items: list[Any] = []
        if self.peek() == "]":
            self.at += 1
            return items
        while True:
            items.append(self.value())
            char = self.peek()
            self.at += 1
            if char == "]":
                return items
            if char != ",":
                raise _Malformed("',' or ']' expected")

    def string(self) -> str:
        quote = self.text[self.at]
        self.at += 1
        out: list[str] = []
        while True:
            if self.at >= len(self.text):
                raise _Malformed("unterminated string")
            char = self.text[self.at]
            self.at += 1
            if char == quote:
                return "".join(out)
            if char == "\\":
                if self.at >= len(self.text):
                    raise _Malformed("unterminated string")
                escaped = self.text[self.at]
                self.at += 1
                if escaped == "u":
                    digits = self.text[self.at : self.at + 4]
                    if not re.fullmatch(r"[0-9a-fA-F]{4}", digits):
                        raise _Malformed("bad \\u escape")
                    out.append(chr(int(digits, 16)))
                    self.at += 4
                elif escaped in _ESCAPES:
                    out.append(_ESCAPES[escaped])
                elif escaped == "'" and quote == "'":
                    out.append("'")
                else:
                    raise _Malformed(f"bad escape \\{escaped}")
            elif ord(char) < 0x20 and not self.control_chars:
                raise _Malformed("raw control character")
            else:
                out.append(char)


def first_value(text: str, mode: int, shape: str) -> str | None:
    """The first JSON value of `text` read as Spark's Jackson (`LENIENT` or `FROM_JSON` reader
    features), as strict JSON text; None if Jackson fails before that value ends.

    `shape` (JSON, from `shape_of`; '' for none) is how from_json reads the value: an object
    read as a struct or map keeps the last value of a name written twice; a value read as
    text (a STRING field) is copied as Jackson's generator writes it (every pair kept)."""
    reader = _Reader(text, mode)
    try:
        value = reader.value()
        return _written(value, _shape(shape) if shape else None)
    except (_Malformed, RecursionError, ValueError):
        return None


def python_value(text: str, mode: int) -> Any:
    """The first JSON value of `text` read as `first_value` reads it, as Python values (objects
    as dicts keeping a repeated name's last value, NaN and ±Infinity as floats); raises
    ValueError where Jackson fails."""
    try:
        return _python(_Reader(text, mode).value())
    except (_Malformed, RecursionError) as exc:
        raise ValueError(str(exc)) from exc


def _python(value: Any) -> Any:
    if isinstance(value, dict):
        return {name: _python(item) for name, item in value["pairs"]}
    if isinstance(value, list):
        return [_python(item) for item in value]
    if isinstance(value, _NonNumeric):
        return float(str(value))
    return json.loads(value)


def shape_of(kind: Any) -> Any:
    """The shape `first_value` takes for a from_json type given as nested tuples:
    ("struct", {name: kind}), ("map", kind), ("array", kind), ("text", None) for a STRING,
    ("scalar", None) for any other type."""
    tag, inner = kind
    if tag in ("text", "scalar"):
        return tag
    if tag == "struct":
        return {"struct": {name: shape_of(k) for name, k in inner.items()}}
    return {tag: shape_of(inner)}


def _shape(text: str) -> Any:
    return json.loads(text)


def _written(value: Any, shape: Any) -> str:
    """`value` (parsed) as strict JSON text, read with `shape` (None: copied as text)."""
    if shape == "text":
        if isinstance(value, _NonNumeric):  # the field's text is Jackson's `"NaN"`, quotes too
            return json.dumps(json.dumps(str(value)))
        shape = None
    if isinstance(value, dict):
        pairs = value["pairs"]
        fields = shape.get("struct") if isinstance(shape, dict) else None
        if isinstance(shape, dict) and ("struct" in shape or "map" in shape):
            last: dict[str, Any] = {}
            for name, item in pairs:
                last.pop(name, None)
                last[name] = item
            pairs = list(last.items())
        items = []
        for name, item in pairs:
            if fields is not None:
                inner = fields.get(name)
            elif isinstance(shape, dict) and "map" in shape:
                inner = shape["map"]
            else:
                inner = None
            items.append(f"{json.dumps(name, ensure_ascii=False)}:{_written(item, inner)}")
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        element = shape.get("array") if isinstance(shape, dict) else None
        return "[" + ",".join(_written(item, element) for item in value) + "]"
    if isinstance(value, _NonNumeric) and shape != "scalar":
        return json.dumps(str(value))
    return str(value)


# name, function, parameter types, return type (DuckDB); see translate.register_functions.
FUNCTIONS: tuple[tuple[str, Callable[..., Any], tuple[str, ...], str], ...] = (
    ("tidemill_json_first", first_value, ("VARCHAR", "INTEGER", "VARCHAR"), "VARCHAR"),
)

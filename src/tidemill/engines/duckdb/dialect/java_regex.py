"""Java regular expressions that RE2 cannot run, run by Python's `re` with java.util.regex's rules.

DuckDB's regex functions use RE2, which has no lookaround, backreferences, atomic groups or
possessive quantifiers; Spark (java.util.regex) has all of them, and so has Python's `re` (3.11).
The `regex` pass sends a literal pattern here only when RE2 cannot take it; the pattern is
translated once, at create (`python_pattern`), and the DuckDB functions of `FUNCTIONS` (Python
scalar functions, about 1 µs a row) apply it with Java's matching loop:

* `java_matches`: Matcher.find() repeated — after an empty match the next search starts one
  character later (Python's `finditer` may instead take a longer match at the same place);
* regexp_replace's replacement is Java's (`$n`, `${name}`, `\\x` for a literal x), and a
  position starts an opaque, anchoring region (Spark's RegExpReplace: `m.region(pos - 1, len)`);
  a position past the end leaves the text as it is (position 1 always replaces, even in '');
* split is String.split(regex, limit) with Spark's limit (`<= 0`: no limit, trailing empty
  strings kept): no empty first part for an empty match at the start, the text itself when
  nothing matches.

Translation (Java → Python): `\\Q...\\E` quoted text, named groups `(?<n>` and `\\k<n>`,
`\\z`/`\\Z`, Java's `$` and `.` line terminators (`\\r\\n \\r \\n \\u0085 \\u2028 \\u2029` unless
`(?s)`/`(?m)`),
`\\h \\H \\v \\V \\R \\e \\x{h}`, POSIX `\\p{Alpha}`-style classes (ASCII, as Java's) and `\\p{L}`;
`\\d \\w \\s` and case-insensitivity are ASCII-only, as Java's defaults (the ASCII flag).
Refused by name (E18209): class union/intersection (`[a[b]]`, `&&`), `\\G`, `\\X`, `\\b{g}`,
other `\\p{...}` classes, Java inline flags Python lacks (`(?d)`, `(?u)`, `(?U)`), and anything
else Python's `re` will not compile. Known corner: Java 17's `\\b` counts any Unicode letter or
digit as a word character, this `\\b` only ASCII ones.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

_TERMINATOR = "\\n\\r\\x85\\u2028\\u2029"
_END = f"(?=(?:\\r\\n|[{_TERMINATOR}])?\\Z)"
_ESCAPES = {
    "z": "\\Z",
    "Z": _END,
    "h": "[ \\t\\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000]",
    "H": "[^ \\t\\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000]",
    "v": "[\\n\\x0b\\f\\r\\x85\\u2028\\u2029]",
    "V": "[^\\n\\x0b\\f\\r\\x85\\u2028\\u2029]",
    "R": "(?:\\r\\n|[\\n\\x0b\\f\\r\\x85\\u2028\\u2029])",
    "e": "\\x1b",
}
# Inside a character class: the same sets without their brackets.
_CLASS_ESCAPES = {
    "h": " \\t\\xa0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000",
    "v": "\\n\\x0b\\f\\r\\x85\\u2028\\u2029",
    "e": "\\x1b",
}
# java.util.regex's POSIX classes (US-ASCII only, its default) and \p{L}.
_PROPERTIES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}
_UNICODE_LETTER = "(?u:[^\\W\\d_])"
_PROPERTY = re.compile(r"\\([pP])(?:\{(\^?)([A-Za-z_]+)\}|([A-Za-z]))")
_REFUSED_ESCAPES = {"G": "\\G", "X": "\\X"}
_INLINE_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?[:)]")


def _refuse(construct: str) -> Exception:
    from tidemill.engines.duckdb.dialect.translate import unsupported

    return unsupported(construct)


def python_pattern(java: str) -> str:
    """`java` (java.util.regex syntax) as a Python `re` pattern meaning the same, to be compiled
    with `re.ASCII`. Raises the E18209 refusal naming what cannot be translated."""
    flags = "".join(on for on, _ in _INLINE_FLAGS.findall(java))
    for flag in ("d", "u", "U", "c"):
        if flag in flags:
            raise _refuse(f"Java regex inline flag (?{flag})")
    dotall, multiline = "s" in flags, "m" in flags
    out: list[str] = []
    index = 0
    while index < len(java):
        char = java[index]
        if char == "\\":
            piece, index = _escape(java, index, in_class=False)
            out.append(piece)
        elif char == "[":
            piece, index = _char_class(java, index)
            out.append(piece)
        elif (
            char == "("
            and java.startswith("(?<", index)
            and java[index + 3 : index + 4]
            not in (
                "=",
                "!",
            )
        ):
            out.append("(?P<")
            index += 3
        elif char == "." and not dotall:
            out.append(f"[^{_TERMINATOR}]")
            index += 1
        elif char == "$" and not multiline:
            out.append(_END)
            index += 1
        else:
            out.append(char)
            index += 1
    text = "".join(out)
    try:
        re.compile(text, re.ASCII)
    except (re.error, OverflowError) as exc:
        raise _refuse(f"Java regex {java!r} ({exc})") from exc
    return text


def _escape(java: str, index: int, *, in_class: bool) -> tuple[str, int]:
    """The escape at `java[index]` (a backslash) as Python's, and the index after it."""
    if index + 1 >= len(java):
        raise _refuse(f"Java regex {java!r} (a trailing backslash)")
    letter = java[index + 1]
    if letter == "Q":
        end = java.find("\\E", index + 2)
        quoted = java[index + 2 :] if end < 0 else java[index + 2 : end]
        if in_class:
            raise _refuse("Java regex \\Q...\\E inside a character class")
        return re.escape(quoted), len(java) if end < 0 else end + 2
    if letter in _REFUSED_ESCAPES:
        raise _refuse(f"Java regex {_REFUSED_ESCAPES[letter]}")
    if letter == "b" and java.startswith("{g}", index + 2):
        raise _refuse("Java regex \\b{g}")
    if letter in "pP":
        return _property(java, index, in_class=in_class)
    if letter == "k" and java.startswith("<", index + 2):
        end = java.find(">", index + 3)
        if end < 0:
            raise _refuse(f"Java regex {java!r} (an unclosed \\k<name>)")
        return f"(?P={java[index + 3 : end]})", end + 1
    if letter == "x" and java.startswith("{", index + 2):
        end = java.find("}", index + 3)
        if end < 0:
            raise _refuse(f"Java regex {java!r} (an unclosed \\x{{...}})")
        return f"\\U{int(java[index + 3 : end], 16):08x}", end + 1
    if letter == "0":
        digits = re.match(r"[0-7]{1,3}", java[index + 2 :])
        if digits is None:
            raise _refuse(f"Java regex {java!r} (\\0 without octal digits)")
        return f"\\x{int(digits.group(0), 8):02x}", index + 2 + digits.end()
    if letter == "c" and index + 2 < len(java):
        return f"\\x{ord(java[index + 2]) ^ 64:02x}", index + 3
    table = _CLASS_ESCAPES if in_class else _ESCAPES
    if letter in table:
        return table[letter], index + 2
    if in_class and letter in "HVRzZ":
        raise _refuse(f"Java regex \\{letter} inside a character class")
    return java[index : index + 2], index + 2


def _property(java: str, index: int, *, in_class: bool) -> tuple[str, int]:
    match = _PROPERTY.match(java, index)
    if match is None:
        raise _refuse(f"Java regex {java!r} (a malformed \\p{{...}})")
    negated = (match.group(1) == "P") != bool(match.group(2))
    name = match.group(3) or match.group(4)
    name = name[2:] if name.startswith("Is") and name[2:] in _PROPERTIES else name
    if name in _PROPERTIES:
        body = _PROPERTIES[name]
        if in_class:
            if negated:
                raise _refuse("Java regex \\P{...} inside a character class")
            return body, match.end()
        return f"[{'^' if negated else ''}{body}]", match.end()
    if name in ("L", "IsL", "IsAlphabetic", "IsLetter") and not in_class:
        return ("(?u:[\\W\\d_])" if negated else _UNICODE_LETTER), match.end()
    raise _refuse(f"Java regex class \\{match.group(1)}{{{name}}}")


def _char_class(java: str, index: int) -> tuple[str, int]:
    """The class opening at `java[index]` as Python's, and the index after its `]`."""
    out = ["["]
    position = index + 1
    if java.startswith("^", position):
        out.append("^")
        position += 1
    if java.startswith("]", position):  # a leading ] is a literal
        out.append("\\]")
        position += 1
    while position < len(java):
        char = java[position]
        if char == "\\":
            piece, position = _escape(java, position, in_class=True)
            out.append(piece)
            continue
        if char == "]":
            out.append("]")
            return "".join(out), position + 1
        if char == "[":
            raise _refuse("Java regex character class union ([a[bc]])")
        if java.startswith("&&", position):
            raise _refuse("Java regex character class intersection (&&)")
        out.append(
            "\\" + char if char in "-|~&" and java[position + 1 : position + 2] == char else char
        )
        position += 1
    raise _refuse(f"Java regex {java!r} (an unclosed character class)")


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


def java_matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """The matches Java's Matcher.find() gives one after another over `text`."""
    position = 0
    while position <= len(text):
        match = pattern.search(text, position)
        if match is None:
            return
        yield match
        position = match.end() + (1 if match.end() == match.start() else 0)


def rlike(text: str, pattern: str) -> bool:
    """Spark's rlike: some part of `text` matches."""
    return _compiled(pattern).search(text) is not None


def extract(text: str, pattern: str, group: int) -> str:
    """regexp_extract: the group of the first match; '' when nothing (or not the group) matched."""
    match = _compiled(pattern).search(text)
    return "" if match is None else match.group(group) or ""


def extract_all(text: str, pattern: str, group: int) -> list[str]:
    """regexp_extract_all: the group of every match ('' where the group did not take part)."""
    return [m.group(group) or "" for m in java_matches(_compiled(pattern), text)]


def count(text: str, pattern: str) -> int:
    """regexp_count: the number of matches."""
    return sum(1 for _ in java_matches(_compiled(pattern), text))


def substr(text: str, pattern: str) -> str | None:
    """regexp_substr: the first match, NULL when none or when it is empty."""
    match = _compiled(pattern).search(text)
    return match.group(0) or None if match is not None else None


def instr(text: str, pattern: str, group: int) -> int:
    """regexp_instr: the 1-based start of the first match's group, 0 when nothing matched."""
    match = _compiled(pattern).search(text)
    return 0 if match is None else match.start(group) + 1


def replace(text: str, pattern: str, replacement: str, position: int) -> str:
    """regexp_replace from the 1-based `position` with Java's replacement syntax."""
    if position != 1 and position - 1 >= len(text):
        return text
    compiled = _compiled(pattern)
    build = _replacement(replacement, compiled.groups, tuple(compiled.groupindex))
    head, body = text[: position - 1], text[position - 1 :]
    out = [head]
    last = 0
    for match in java_matches(compiled, body):
        out.append(body[last : match.start()])
        out.append(build(match))
        last = match.end()
    out.append(body[last:])
    return "".join(out)


@functools.lru_cache(maxsize=256)
def _replacement(java: str, groups: int, names: tuple[str, ...]) -> Callable[[Any], str]:
    """Java's Matcher.appendReplacement syntax as a function of a match; ValueError where Java
    throws (a `$` not followed by a group, a trailing backslash)."""
    parts: list[tuple[bool, str | int]] = []  # (is a group, literal text or group)
    index = 0
    while index < len(java):
        char = java[index]
        if char == "\\":
            if index + 1 >= len(java):
                raise ValueError("character to be escaped is missing")
            parts.append((False, java[index + 1]))
            index += 2
        elif char == "$":
            if java.startswith("{", index + 1):
                end = java.find("}", index + 2)
                name = java[index + 2 : end]
                if end < 0 or name not in names:
                    raise ValueError(f"no group with name {{{name}}}")
                parts.append((True, name))
                index = end + 1
                continue
            digits = re.match(r"\d+", java[index + 1 :])
            if digits is None:
                raise ValueError("Illegal group reference")
            # Java takes the first digit, then more while they still name an existing group.
            text = digits.group(0)
            number, used = int(text[0]), 1
            while used < len(text) and int(text[: used + 1]) <= groups:
                number, used = int(text[: used + 1]), used + 1
            if number > groups:
                raise ValueError(f"No group {number}")
            parts.append((True, number))
            index += 1 + used
        else:
            parts.append((False, char))
            index += 1

    def build(match: Any) -> str:
        return "".join(
            (match.group(part) or "") if is_group else str(part) for is_group, part in parts
        )

    return build


def split(text: str, pattern: str, limit: int) -> list[str]:
    """Spark's split: Java's String.split(regex, limit), a limit <= 0 meaning none."""
    compiled = _compiled(pattern)
    parts: list[str] = []
    index = 0
    for match in java_matches(compiled, text):
        if limit > 0 and len(parts) >= limit - 1:
            break
        if index == 0 and match.start() == 0 and match.end() == 0:
            continue  # no empty first part for an empty match at the start
        parts.append(text[index : match.start()])
        index = match.end()
    if index == 0:
        return [text]
    parts.append(text[index:])
    return parts


# name, function, parameter types, return type (DuckDB), registered by translate.register.
FUNCTIONS: tuple[tuple[str, Callable[..., Any], tuple[str, ...], str], ...] = (
    ("tidemill_re_like", rlike, ("VARCHAR", "VARCHAR"), "BOOLEAN"),
    ("tidemill_re_extract", extract, ("VARCHAR", "VARCHAR", "BIGINT"), "VARCHAR"),
    ("tidemill_re_extract_all", extract_all, ("VARCHAR", "VARCHAR", "BIGINT"), "VARCHAR[]"),
    ("tidemill_re_count", count, ("VARCHAR", "VARCHAR"), "INTEGER"),
    ("tidemill_re_substr", substr, ("VARCHAR", "VARCHAR"), "VARCHAR"),
    ("tidemill_re_instr", instr, ("VARCHAR", "VARCHAR", "BIGINT"), "INTEGER"),
    ("tidemill_re_replace", replace, ("VARCHAR", "VARCHAR", "VARCHAR", "BIGINT"), "VARCHAR"),
    ("tidemill_re_split", split, ("VARCHAR", "VARCHAR", "BIGINT"), "VARCHAR[]"),
)

"""Java regular expressions (Spark) run by RE2 (DuckDB), fault kinds 6 and 12.

Spark compiles patterns with java.util.regex; DuckDB with RE2. A literal pattern is rewritten
where the two spell the same thing differently: named groups `(?<name>...)` become
`(?P<name>...)`, `\\Q...\\E` quoting becomes escaped text, and regexp_replace's `$1`/`${name}`
group references become RE2's `\\1`/`\\g<name>`-free form (`\\1`; named references are refused).
Lookarounds RE2 can do without are rewritten (see `_without_lookaround`): `^(?=X)`/`^(?!X)`
starting an rlike pattern; a positive lookahead ending, or lookbehind starting, the pattern of
rlike or of regexp_extract of a group. Any other literal pattern RE2 cannot run — lookaheads
`(?=`/`(?!` and lookbehinds `(?<=`/`(?<!`, backreferences `\\1`/`\\k<n>`, atomic groups `(?>` and
possessive quantifiers (`*+`, `++`, `?+`), and regexp_replace patterns that can match '' (Java
and RE2 place empty matches differently) — runs on Python's `re` with Java's rules instead
(`java_regex`, about 1 µs a row; what even that cannot translate is refused by name).
A pattern that is not a literal is passed to RE2 as it is.

Also Spark's `regexp(s, re)` and `regexp_like` are `rlike`; regexp_extract's group defaults to 1.
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
from tidemill.engines.duckdb.dialect.java_regex import python_pattern

MACROS: tuple[str, ...] = ()

_UNSUPPORTED = (
    (re.compile(r"\(\?<?[=!]"), "Java regex lookaround ((?=, (?!, (?<=, (?<!)"),
    (re.compile(r"\(\?>"), "Java regex atomic groups ((?>...))"),
    (re.compile(r"(?<!\\)(?:\\\\)*\\[1-9]"), "Java regex backreferences (\\1)"),
    (re.compile(r"(?<!\\)(?:\\\\)*\\k<"), "Java regex named backreferences (\\k<name>)"),
    (
        re.compile(r"(?:(?<![\\(])[*+?]|(?<!\\)\{\d+(?:,\d*)?\})\+"),
        "Java regex possessive quantifiers (*+, ++, ?+)",
    ),
)
_NAMED_GROUP = re.compile(r"(?<!\\)\(\?<([A-Za-z][A-Za-z0-9]*)>")
_QUOTED = re.compile(r"\\Q(.*?)(?:\\E|$)", re.DOTALL)

_PATTERN_ARG: dict[type[exp.Expr], str] = {
    exp.RegexpLike: "expression",
    exp.RegexpExtract: "expression",
    exp.RegexpExtractAll: "expression",
    exp.RegexpReplace: "expression",
    exp.RegexpSplit: "expression",
    exp.RegexpCount: "expression",
    exp.RegexpSubstr: "expression",
    exp.RegexpInstr: "expression",
    exp.RegexpILike: "expression",
}


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with its literal Java patterns made RE2's (see the module docstring)."""
    return bottom_up(query, _rewrite_node)


def _rewrite_node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Anonymous) and function_name(node) == "regexp":
        subject, pattern = node.expressions
        node = exp.RegexpLike(this=subject, expression=pattern)
    key = _PATTERN_ARG.get(type(node))
    if key is None:
        return node
    pattern = node.args.get(key)
    text = literal_text(pattern)
    if text is not None and _UNSUPPORTED[0][0].search(text):
        rewritten = _without_lookaround(node, text)
        if rewritten is not None:
            return rewritten
    if text is not None and (
        any(pattern.search(text) for pattern, _ in _UNSUPPORTED)
        or (isinstance(node, exp.RegexpReplace) and _matches_empty(text))
    ):
        python = _python_call(node, text)
        if python is not None:
            return python
    if text is not None:
        node.set(key, exp.Literal.string(re2_pattern(text)))
    if isinstance(node, exp.RegexpLike) and text is not None:
        node.set(key, exp.Literal.string(_java_end(re2_pattern(text))))
    if isinstance(node, exp.RegexpSubstr):  # Spark: NULL when nothing matches
        return template(
            "CASE WHEN regexp_matches(_s, _re) THEN regexp_extract(_s, _re) END",
            s=node.this, re=node.expression,
        )  # fmt: skip
    if isinstance(node, exp.RegexpReplace):
        if text is not None and _matches_empty(text):
            raise unsupported_construct("regexp_replace with a pattern that matches ''")
        replacement = literal_text(node.args.get("replacement"))
        if replacement is not None:
            node.set("replacement", exp.Literal.string(re2_replacement(replacement)))
    return node


def _python_call(node: exp.Expr, java: str) -> exp.Expr | None:
    """`node` as a call of the `java_regex` function doing its work; None for other nodes."""
    pattern = exp.Literal.string(python_pattern(java))
    subject = node.this
    one, zero = exp.Literal.number(1), exp.Literal.number(0)
    if isinstance(node, exp.RegexpLike):
        return call("tidemill_re_like", subject, pattern)
    if isinstance(node, exp.RegexpExtract):
        return call("tidemill_re_extract", subject, pattern, node.args.get("group") or one)
    if isinstance(node, exp.RegexpExtractAll):
        return call("tidemill_re_extract_all", subject, pattern, node.args.get("group") or one)
    if isinstance(node, exp.RegexpReplace):
        replacement = node.args.get("replacement") or exp.Literal.string("")
        position = node.args.get("position") or one
        return call("tidemill_re_replace", subject, pattern, replacement, position)
    if isinstance(node, exp.RegexpSplit):
        limit = node.args.get("limit") or exp.Literal.number(-1)
        return call("tidemill_re_split", subject, pattern, limit)
    if isinstance(node, exp.RegexpCount):
        return call("tidemill_re_count", subject, pattern)
    if isinstance(node, exp.RegexpSubstr):
        return call("tidemill_re_substr", subject, pattern)
    if isinstance(node, exp.RegexpInstr):  # Spark's third argument is the group
        return call("tidemill_re_instr", subject, pattern, node.args.get("position") or zero)
    return None


def _without_lookaround(node: exp.Expr, java: str) -> exp.Expr | None:
    """The lookarounds RE2 can do without, rewritten; None for any other use.

    In rlike, `^(?=X)Y` / `^(?!X)Y` is `^X` matched (or not) and `^Y` matched; in rlike and
    regexp_extract of a group >= 1, a positive lookahead ending the pattern `Y(?=X)` and a
    positive lookbehind starting it `(?<=X)Y` may consume X (`Y(?:X)`, `(?:X)Y`): the same rows
    match and the groups hold the same text.
    """
    is_like = isinstance(node, exp.RegexpLike)
    group = literal_int(node.args.get("group")) if isinstance(node, exp.RegexpExtract) else None
    if not is_like and not (group is not None and group >= 1):
        return None
    if is_like and java.startswith(("^(?=", "^(?!")):
        end = _group_end(java, 1)
        if end is None:
            return None
        head, rest = java[4:end], java[end + 1 :]
        if _UNSUPPORTED[0][0].search(head + rest):
            return None
        test = template(
            "regexp_matches(_s, _head)", s=node.this, head=exp.Literal.string(f"^(?:{head})")
        )
        if java[3] == "!":
            test = exp.Not(this=test)
        tail = template(
            "regexp_matches(_s, _rest)",
            s=node.this,
            rest=exp.Literal.string(_java_end(re2_pattern(f"^(?:{rest})"))),
        )
        return exp.Paren(this=exp.And(this=test, expression=tail))
    if java.startswith("(?<="):
        end = _group_end(java, 0)
        if end is not None and not _UNSUPPORTED[0][0].search(java[end + 1 :]):
            node.set("expression", exp.Literal.string(re2_pattern("(?:" + java[4:])))
            return node
    if java.endswith(")"):
        start = java.rfind("(?=")
        if (
            start > 0
            and _group_end(java, start) == len(java) - 1
            and not _UNSUPPORTED[0][0].search(java[:start] + java[start + 3 : -1])
        ):
            node.set("expression", exp.Literal.string(
                    re2_pattern(java[:start] + "(?:" + java[start + 3 :])))  # fmt: skip
            return node
    return None


def _group_end(pattern: str, start: int) -> int | None:
    """The index of the `)` closing the group opened at `pattern[start]`."""
    depth = 0
    in_class = False
    index = start
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def unsupported_construct(construct: str) -> Exception:
    from tidemill.engines.duckdb.dialect.translate import unsupported

    return unsupported(construct)


def _matches_empty(java: str) -> bool:
    """Whether the pattern can match '' (Java and RE2 then replace at different places)."""
    try:
        return any(m.start() == m.end() for m in re.finditer(java, "ab"))
    except re.error:
        return False


def _java_end(pattern: str) -> str:
    """Java's `$` (no MULTILINE flag) also matches before a line terminator ending the text."""
    if "(?m" in pattern or "$" not in pattern:
        return pattern
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        if char == "$" and not in_class:
            out.append("(?:\\r\\n|[\\n\\r\\x{85}\\x{2028}\\x{2029}])?\\z")
        else:
            out.append(char)
        index += 1
    return "".join(out)


def re2_pattern(java: str) -> str:
    """A Java regex as RE2 spells it; refuses (E18209) what RE2 cannot run."""
    from tidemill.engines.duckdb.dialect.translate import unsupported

    for pattern, construct in _UNSUPPORTED:
        if pattern.search(java):
            raise unsupported(construct)
    text = _QUOTED.sub(lambda m: re.escape(m.group(1)), java)
    return _NAMED_GROUP.sub(r"(?P<\1>", text)


def re2_replacement(java: str) -> str:
    """regexp_replace's Java replacement (`$1`, `\\$`) as RE2's (`\\1`, `$`)."""
    from tidemill.engines.duckdb.dialect.translate import unsupported

    out: list[str] = []
    index = 0
    while index < len(java):
        char = java[index]
        if char == "\\" and index + 1 < len(java):
            literal = java[index + 1]
            out.append("\\\\" if literal == "\\" else literal)
            index += 2
        elif char == "$":
            match = re.match(r"\$(\d+)", java[index:])
            if match is None:
                raise unsupported("regexp_replace named group references (${name})")
            out.append("\\" + match.group(1))
            index += match.end()
        else:
            out.append(char)
            index += 1
    return "".join(out)

"""Java regular expressions (Spark) run by RE2 (DuckDB), fault kinds 6 and 12.

Spark compiles patterns with java.util.regex; DuckDB with RE2. A literal pattern is rewritten
where the two spell the same thing differently: named groups `(?<name>...)` become
`(?P<name>...)`, `\\Q...\\E` quoting becomes escaped text, and regexp_replace's `$1`/`${name}`
group references become RE2's `\\1`/`\\g<name>`-free form (`\\1`; named references are refused).
What RE2 cannot run at all is refused at create, by name: lookahead `(?=`/`(?!`, lookbehind
`(?<=`/`(?<!`, backreferences `\\1` in a pattern, atomic groups `(?>` and possessive quantifiers
(`*+`, `++`, `?+`). Decision: no Python UDF fallback (DuckDB's Python functions need numpy,
which Tidemill does not depend on; see docs/decisions.md, "Spark SQL functions").
A pattern that is not a literal is passed to RE2 as it is.

Also Spark's `regexp(s, re)` and `regexp_like` are `rlike`; regexp_extract's group defaults to 1.
"""

from __future__ import annotations

import re

from sqlglot import exp

from tidemill.engines.dialect._nodes import bottom_up, function_name, literal_text, template
from tidemill.engines.dialect.context import Context

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


def unsupported_construct(construct: str) -> Exception:
    from tidemill.engines.dialect.translate import unsupported

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
    from tidemill.engines.dialect.translate import unsupported

    for pattern, construct in _UNSUPPORTED:
        if pattern.search(java):
            raise unsupported(construct)
    text = _QUOTED.sub(lambda m: re.escape(m.group(1)), java)
    return _NAMED_GROUP.sub(r"(?P<\1>", text)


def re2_replacement(java: str) -> str:
    """regexp_replace's Java replacement (`$1`, `\\$`) as RE2's (`\\1`, `$`)."""
    from tidemill.engines.dialect.translate import unsupported

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

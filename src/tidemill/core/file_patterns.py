"""Which files a path pattern selects (spec §4.3, D-4), for every source that lists by prefix.

A pattern holding '*' is a glob matched against the whole name (`fnmatch`: '*' also crosses
'/', and '?' and '[...]' apply); any other pattern is a plain prefix, whatever it holds.
kodo matches keys; hdfs matches paths the same way.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable


def listing_prefix(pattern: str) -> str:
    """The prefix to list for `pattern`: a prefix itself; of a glob, the text before its
    first wildcard ('*', '?' or '[')."""
    if "*" not in pattern:
        return pattern
    cut = min(i for i in (pattern.find(c) for c in "*?[") if i >= 0)
    return pattern[:cut]


def selects(pattern: str, name: str) -> bool:
    """Whether `pattern` (a glob if it holds '*', else a prefix) selects `name`."""
    if "*" in pattern:
        return fnmatch.fnmatchcase(name, pattern)
    return name.startswith(pattern)


def covering_prefixes(patterns: Iterable[str]) -> list[str]:
    """The fewest prefixes whose listings hold every name `patterns` can select, sorted: each
    pattern's listing prefix, less those inside another ("a/b/" inside "a/")."""
    prefixes = sorted({listing_prefix(p) for p in patterns})
    return [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]

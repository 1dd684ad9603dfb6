"""Reading request bodies and manifests from JSON or YAML files (`-f FILE`, `-` for stdin)."""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
    """YAML as JSON bodies need it: YAML 1.2's booleans only (PyYAML's 1.1 reading turns `on`,
    `off`, `yes`, `no` into booleans, so a notify target's `on: [failed]` would arrive as
    `true`), no implicit timestamps (`2025-01-01` stays the text written: JSON has no
    dates), and each member named once in a mapping (YAML 1.2 §3.2.1.1; PyYAML kept the last
    silently, so a pasted second `spec:` dropped the first)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base` overrides on purpose
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in lines:
                    raise yaml.constructor.ConstructorError(
                        None, None,
                        f"member {key!r} is written twice (lines {lines[key]} and {line})",
                        key_node.start_mark,
                    )  # fmt: skip
                lines[key] = line
            except TypeError:  # an unhashable key: SafeLoader refuses it itself
                continue
        return super().construct_mapping(node, deep)


_BOOL = "tag:yaml.org,2002:bool"
_DROPPED = (_BOOL, "tag:yaml.org,2002:timestamp")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class FileError(Exception):
    """A file is missing or does not parse; the message names it."""


MAX_DEPTH = 100  # objects and arrays nested in one another (the server takes 32: E18007)
MAX_VALUES = 1_000_000  # values in one file once its YAML aliases are expanded
_PLAIN = (str, int, float, bool, type(None))
_YAML_ONLY = {bytes: "binary (!!binary)", set: "set (!!set)", date: "date (!!timestamp)",
              datetime: "date (!!timestamp)"}  # fmt: skip


def json_values(found: list[Any], path: str) -> None:
    """FileError unless every document is a value JSON can carry: objects, arrays, text,
    numbers, booleans and null, nested at most MAX_DEPTH deep and at most MAX_VALUES values
    with aliases expanded. YAML's `!!binary`, `!!set` and `!!timestamp`, an alias inside its
    own anchor, and a file of aliases of aliases (a few KB standing for 10^9 values) are what
    JSON cannot send or the CLI could not walk."""
    sizes: dict[int, int] = {}  # expanded values under each object or array already counted
    total = 0
    for doc in found:
        total += _size(doc, path, sizes)
        if total > MAX_VALUES:
            raise FileError(_too_many(path))


def _size(root: Any, path: str, sizes: dict[int, int]) -> int:
    # Post-order walk without recursion: (value, depth, children done).
    open_ids: set[int] = set()
    stack: list[tuple[Any, int, bool]] = [(root, 1, False)]
    while stack:
        value, depth, done = stack.pop()
        if isinstance(value, _PLAIN):
            continue
        if not isinstance(value, dict | list | tuple):
            kind = next((t for c, t in _YAML_ONLY.items() if isinstance(value, c)), None)
            raise FileError(
                f"{path} holds a {kind or type(value).__name__} value, which JSON cannot "
                "carry: write it as text"
            )
        key = id(value)
        children = list(value.values()) if isinstance(value, dict) else list(value)
        if done:
            open_ids.discard(key)
            size = 1 + sum(sizes.get(id(c), 1) for c in children)
            sizes[key] = size
            if size > MAX_VALUES:
                raise FileError(_too_many(path))
            continue
        if key in sizes:
            continue
        if key in open_ids:
            raise FileError(f"{path} holds an alias inside its own anchor (a value holding "
                            "itself), which JSON cannot carry")  # fmt: skip
        if depth > MAX_DEPTH:
            raise FileError(f"{path} nests objects and arrays more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            bad = next((k for k in value if not isinstance(k, _PLAIN)), None)
            if bad is not None:
                raise FileError(f"{path} holds a member name {bad!r} that is not text")
        open_ids.add(key)
        stack.append((value, depth, True))
        stack.extend((c, depth + 1, False) for c in children)
    return sizes.get(id(root), 1)


def _too_many(path: str) -> str:
    return (
        f"{path} stands for more than {MAX_VALUES} values once its YAML aliases are expanded:"
        " write the values out or use fewer aliases of aliases"
    )


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose members are named once (RFC 8259 §4: they SHOULD be)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"member {key!r} is written twice in one object")
        found[key] = value
    return found


def read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise FileError(f"cannot read {path}: {exc}") from None


def documents(path: str, text: str | None = None) -> list[Any]:
    """The documents of a JSON file (one) or a YAML file (several, split by `---`)."""
    text = read_text(path) if text is None else text
    try:
        if path.endswith(".json"):
            found = [json.loads(text, object_pairs_hook=_unique_members)]
        else:
            found = [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except (ValueError, yaml.YAMLError) as exc:
        raise FileError(
            f"{path} is not valid {'JSON' if path.endswith('.json') else 'YAML'}: {exc}"
        ) from None
    except RecursionError:  # the parsers recurse per level of nesting
        raise FileError(f"{path} nests objects and arrays too deep to read") from None
    json_values(found, path)
    return found


def body(path: str) -> dict[str, Any]:
    """The one JSON object in `path`: the request body as the API takes it."""
    found = documents(path)
    if len(found) != 1 or not isinstance(found[0], dict):
        raise FileError(f"{path} must hold exactly one JSON or YAML object (the request body)")
    return found[0]

"""Reading request bodies and manifests from JSON or YAML files (`-f FILE`, `-` for stdin)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
    """YAML as JSON bodies need it: YAML 1.2's booleans only (PyYAML's 1.1 reading turns `on`,
    `off`, `yes`, `no` into booleans, so a notify target's `on: [failed]` would arrive as
    `true`), and no implicit timestamps (`2025-01-01` stays the text written: JSON has no
    dates)."""


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
            return [json.loads(text)]
        return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    except (ValueError, yaml.YAMLError) as exc:
        raise FileError(
            f"{path} is not valid {'JSON' if path.endswith('.json') else 'YAML'}: {exc}"
        ) from None


def body(path: str) -> dict[str, Any]:
    """The one JSON object in `path`: the request body as the API takes it."""
    found = documents(path)
    if len(found) != 1 or not isinstance(found[0], dict):
        raise FileError(f"{path} must hold exactly one JSON or YAML object (the request body)")
    return found[0]

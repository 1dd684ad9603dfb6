"""Name rules of spec §3.1: which strings may name which resources."""

from __future__ import annotations

import re

from tidemill.errors import Failure, InvalidInputError

RESOURCE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,127}")
TABLE_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,127}")
PARAM_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,63}")
BUCKET_NAME = re.compile(r"[a-zA-Z0-9-]{4,63}")

_RULE = "1-128 letters, digits or underscores, not starting with a digit"


def is_resource_name(name: str) -> bool:
    return RESOURCE_NAME.fullmatch(name) is not None


def check_name(name: str, failure: Failure, what: str) -> str:
    """`name` if it is a valid resource name (datasource, job, export, variable, workflow...)."""
    if not is_resource_name(name):
        raise InvalidInputError(failure, f"invalid {what} name {name!r}: use {_RULE}")
    return name

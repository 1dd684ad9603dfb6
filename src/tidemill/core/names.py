"""Name rules of spec §3.1: which strings may name which resources."""

from __future__ import annotations

import re

from tidemill.errors import Failure, InvalidInputError

RESOURCE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,127}")
TABLE_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,127}")
PARAM_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,63}")
BUCKET_NAME = re.compile(r"[a-zA-Z0-9-]{4,63}")
# Tidemill's own rule (accounts are not in the wire contract): an account name is one path
# segment (kodo/<account>/) and, joined to a target name as `<account>-<name>`, still a valid
# OpenSearch index, InfluxDB database, SQL schema and file name (docs/decisions.md, Tenancy).
ACCOUNT_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")

_RULE = "1-128 letters, digits or underscores, not starting with a digit"


def check_account_name(name: str) -> str:
    """`name` if it may name an account: 1-63 lowercase letters, digits or '_', a letter first."""
    if not ACCOUNT_NAME.fullmatch(name):
        raise InvalidInputError(
            Failure.REQ_MALFORMED,
            f"invalid account name {name!r}: use 1-63 lowercase letters, digits or underscores, "
            "starting with a letter",
        )
    return name


def scoped_target(account: str, name: str) -> str:
    """The physical name of an account's report database, logdb index or tsdb database:
    `<account>-<name>`. '-' is in no account or target name, so no two accounts share one."""
    return f"{check_account_name(account)}-{name}"


def is_resource_name(name: str) -> bool:
    return RESOURCE_NAME.fullmatch(name) is not None


def check_name(name: str, failure: Failure, what: str) -> str:
    """`name` if it is a valid resource name (datasource, job, export, variable, workflow...)."""
    if not is_resource_name(name):
        raise InvalidInputError(failure, f"invalid {what} name {name!r}: use {_RULE}")
    return name

"""Typed reads of members of a decoded JSON object, following the wire rules of spec §1.4.

`null` counts as absent, unknown members are ignored by never being read, and a member of the
wrong JSON type is REQ_MALFORMED (E18007). Rules about *values* belong to the callers.
"""

from __future__ import annotations

import re
from typing import Any

from tidemill.errors import Failure, InvalidInputError, malformed

JSONObject = dict[str, Any]

# The widest integer any numeric field takes: the Go SDK's int64, and what SQLite and
# PostgreSQL BIGINT columns hold. Each field narrows it to its own documented range.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,19}")

_TYPE_NAMES = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    list: "an array",
    dict: "an object",
}


def _typed(obj: JSONObject, key: str, kind: type, where: str) -> Any:
    value = obj.get(key)
    if value is None:
        return None
    # bool is an int subclass in Python; JSON keeps them apart, and so do we.
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise malformed(f"{where}{key} must be {_TYPE_NAMES[kind]}")
    return value


def opt_str(obj: JSONObject, key: str, where: str = "") -> str | None:
    value: str | None = _typed(obj, key, str, where)
    return value


def opt_bool(obj: JSONObject, key: str, where: str = "") -> bool | None:
    value: bool | None = _typed(obj, key, bool, where)
    return value


def opt_int(obj: JSONObject, key: str, where: str = "") -> int | None:
    """An optional integer (2.0 counts as 2); beyond 64 bits is REQ_MALFORMED."""
    value = obj.get(key)
    # An integral float such as 2.0 is still an integer to a JSON client.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result: int | None = _typed({key: value}, key, int, where)
    if result is not None and not INT64_MIN <= result <= INT64_MAX:
        raise malformed(f"{where}{key} is outside the 64-bit integer range")
    return result


def int_text(text: str, low: int = INT64_MIN, high: int = INT64_MAX) -> int | None:
    """The integer written in ASCII digits (an optional leading '-') if it lies in
    `low`..`high`, else None. Other digits (`'²'`, `'٣'`), signs, spaces and 64-bit overflow
    are all None, so a caller answers them with its own error code."""
    if not _INTEGER_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def int_in(value: int | None, low: int, high: int, what: str, failure: Failure) -> int | None:
    """`value` (None passes) unless it lies outside `low`..`high`, which raises `failure`."""
    if value is not None and not low <= value <= high:
        raise InvalidInputError(failure, f"{what} is {value}: it must be between {low} and {high}")
    return value


def opt_obj(obj: JSONObject, key: str, where: str = "") -> JSONObject | None:
    value: JSONObject | None = _typed(obj, key, dict, where)
    return value


def opt_list(obj: JSONObject, key: str, where: str = "") -> list[Any] | None:
    value: list[Any] | None = _typed(obj, key, list, where)
    return value


def opt_str_list(obj: JSONObject, key: str, where: str = "") -> list[str] | None:
    items = opt_list(obj, key, where)
    if items is None:
        return None
    if not all(isinstance(item, str) for item in items):
        raise malformed(f"{where}{key} must be an array of strings")
    return items


def obj_list(obj: JSONObject, key: str, where: str = "") -> list[JSONObject] | None:
    """An optional array whose every element must be an object."""
    items = opt_list(obj, key, where)
    if items is None:
        return None
    if not all(isinstance(item, dict) for item in items):
        raise malformed(f"{where}{key} must be an array of objects")
    return items


def str_map(obj: JSONObject, key: str, where: str = "") -> dict[str, str] | None:
    """An optional object whose every value must be a string."""
    value = opt_obj(obj, key, where)
    if value is None:
        return None
    if not all(isinstance(v, str) for v in value.values()):
        raise malformed(f"{where}{key} must map names to strings")
    return value


def req_str(obj: JSONObject, key: str, failure: Failure, where: str = "") -> str:
    """A required non-empty string; absent or empty raises `failure`."""
    value = opt_str(obj, key, where)
    if not value:
        raise InvalidInputError(failure, f"{where}{key} is required")
    return value


def req_obj(obj: JSONObject, key: str, where: str = "") -> JSONObject:
    """A required object; absent is REQ_MALFORMED (a missing structural member)."""
    value = opt_obj(obj, key, where)
    if value is None:
        raise malformed(f"{where}{key} is required and must be an object")
    return value


def check_length(value: str, limit: int, what: str) -> None:
    """REQ_TOO_LONG (E18008) when `value` is longer than `limit` characters."""
    if len(value) > limit:
        raise InvalidInputError(
            Failure.REQ_TOO_LONG, f"{what} is {len(value)} characters long; the limit is {limit}"
        )


def strip_nulls(value: Any) -> Any:
    """The JSON value with `null` object members dropped, recursively (spec D-9 echo rule)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value

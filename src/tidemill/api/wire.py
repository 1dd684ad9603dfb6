"""Pandora wire conventions (§1.4, §1.5): tolerant JSON bodies, exact headers, request ids."""

from __future__ import annotations

import base64
import itertools
import json
import math
import os
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

from tidemill.errors import Failure, InvalidInputError, malformed

JSON_TYPE = "application/json"
# Limits every request body is held to before any service reads it (docs/decisions.md).
MAX_JSON_DEPTH = 32  # objects and arrays nested in one another, the body itself being 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # what the Go SDK's int64 and our databases hold


# A random per-process prefix and a counter: unique without a urandom call per request, which
# costs ~0.1 ms on some virtual machines.
_PREFIX = os.urandom(6)
_COUNTER = itertools.count(int.from_bytes(os.urandom(3), "big"))


def new_reqid() -> str:
    """16 URL-safe base64 characters, in the style of Qiniu request ids."""
    serial = next(_COUNTER) % (1 << 48)
    return base64.urlsafe_b64encode(_PREFIX + serial.to_bytes(6, "big")).decode()


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_body(raw: bytes, *, required: bool, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """The JSON object in `raw`, whatever the Content-Type said (§1.4 item 1).

    An empty body is REQ_EMPTY when the endpoint needs one, else `{}` (§1.4 item 3). Before any
    service sees it, the whole value is checked once (REQ_MALFORMED, E18007): no object or array
    nested deeper than `max_depth`, no integer outside the signed 64-bit range, no number that
    is not finite, and no string or member name holding a lone UTF-16 surrogate (`"\\ud800"`),
    which no database or client could store or read back as UTF-8.
    """
    if not raw.strip():
        if required:
            raise InvalidInputError(
                Failure.REQ_EMPTY, "the request body is empty; send a JSON object"
            )
        return {}
    try:
        value = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise malformed(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise malformed("the request body must be a JSON object")
    check_json_value(value, max_depth)
    return value


def check_json_value(value: Any, max_depth: int) -> None:
    """REQ_MALFORMED unless `value` is nested at most `max_depth` deep and holds only 64-bit
    integers, finite numbers and strings that are valid Unicode (no lone surrogates)."""
    pending: list[tuple[Any, int, str]] = [(value, 1, "the body")]
    while pending:
        item, depth, where = pending.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise malformed(
                    f"{where} nests objects and arrays more than {max_depth} levels deep"
                )
            if isinstance(item, dict):
                for key, member in item.items():
                    _check_text(key, f"a member name in {where}")
                    pending.append((member, depth + 1, _member(where, key)))
            else:
                pending.extend(
                    (member, depth + 1, f"{where}[{i}]") for i, member in enumerate(item)
                )
        elif isinstance(item, str):
            _check_text(item, where)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                raise malformed(
                    f"{where} is outside the 64-bit integer range ({INT64_MIN} to {INT64_MAX})"
                )
        elif isinstance(item, float) and not math.isfinite(item):
            raise malformed(f"{where} is too large a number")


def _member(where: str, key: str) -> str:
    name = key if len(key) <= 40 and key.isidentifier() else "..."
    return name if where == "the body" else f"{where}.{name}"


def _check_text(text: str, where: str) -> None:
    try:
        text.encode()
    except UnicodeEncodeError:
        raise malformed(
            f"{where} holds a lone UTF-16 surrogate (an unpaired \\uD800-\\uDFFF escape); "
            "send valid Unicode text"
        ) from None


def _encode(data: Any, separators: tuple[str, str] = (",", ":")) -> bytes:
    """UTF-8 JSON; text stored before surrogates were refused is sent \\u-escaped instead."""
    try:
        return json.dumps(data, ensure_ascii=False, separators=separators).encode()
    except UnicodeEncodeError:
        return json.dumps(data, separators=separators).encode()


def encode_json(data: Any) -> bytes:
    """The body of a JSON answer (compact, UTF-8)."""
    return _encode(data)


def json_response(data: Any, reqid: str) -> Response:
    return JSONBody(_encode(data), reqid)


def json_body_response(body: bytes, reqid: str) -> Response:
    """200 with `body`, JSON already encoded."""
    return JSONBody(body, reqid)


def empty_response(reqid: str) -> Response:
    """200 with an empty body: the SDK passes nil and never reads it (§1.5)."""
    return JSONBody(b"", reqid)


def error_response(status: HTTPStatus, text: str, reqid: str) -> Response:
    body = _encode({"error": text}, separators=(", ", ": "))
    return JSONBody(body, reqid, int(status))


_JSON_TYPE = JSON_TYPE.encode()


class JSONBody(Response):
    """A JSON answer: `body` (encoded) with the headers every answer of the API has, in the
    order Starlette's `Response(body, status, headers={"Content-Type": ..., "X-Reqid": ...})`
    gives them (Content-Type, X-Reqid, Content-Length), built directly: Starlette's general
    header handling was ~3% of a GET (docs/performance.md)."""

    def __init__(self, body: bytes, reqid: str, status: int = 200) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"content-type", _JSON_TYPE),
            (b"x-reqid", reqid.encode("latin-1")),
            (b"content-length", str(len(body)).encode("latin-1")),
        ]

"""Signing a call and reading its answer (spec §1.5, §2): the parts both clients share.

Signing reuses the server's own pure `tidemill.core.signing`, so the client signs exactly what
the server verifies: `METHOD\\n\\nContent-Type\\nDate\\n` + the X-Qiniu headers + the decoded
path (the query is not signed; §2.4 accepts the path alone).
"""

from __future__ import annotations

import json
from email.utils import formatdate
from typing import TypeVar
from urllib.parse import unquote

from pydantic import ValidationError

from tidemill.client._calls import Call
from tidemill.client.errors import UnexpectedAnswer, from_response
from tidemill.core.signing import SignedRequest, candidates, sign

T = TypeVar("T")
JSON_TYPE = "application/json"
USER_AGENT = "tidemill-client"


def check_endpoint(endpoint: str) -> str:
    """The endpoint without a trailing `/`; it must start with http:// or https:// (§1.2)."""
    if not endpoint.startswith(("http://", "https://")):
        raise ValueError(f"endpoint {endpoint!r} must start with http:// or https://")
    return endpoint.rstrip("/")


def signed_headers(
    access_key: str, secret_key: str, call: Call[T], now: float | None = None
) -> tuple[dict[str, str], bytes | None]:
    """The headers (Date, Content-Type, Authorization) and the body bytes of `call`."""
    headers = {"Date": formatdate(now, usegmt=True), "User-Agent": USER_AGENT}
    content = None
    if call.body is not None:
        content = json.dumps(call.body, ensure_ascii=False).encode()
        headers["Content-Type"] = JSON_TYPE
    request = SignedRequest(
        call.method, unquote(call.path), [], {k.lower(): v for k, v in headers.items()}
    )
    headers["Authorization"] = f"Pandora {access_key}:{sign(secret_key, candidates(request)[0])}"
    return headers, content


def answer(call: Call[T], status: int, body: bytes, reqid: str) -> T:
    """The parsed 200 answer of `call`; any other status raises the matching ApiError, a 200
    body the call cannot read UnexpectedAnswer."""
    if status != 200:
        raise from_response(status, body, reqid)
    try:
        return call.parse(body)
    except (ValueError, TypeError, AttributeError, ValidationError) as exc:
        shown = body[:200].decode(errors="replace")
        raise UnexpectedAnswer(
            f"{call.method} {call.path} answered 200 with a body that is not the API's "
            f"({type(exc).__name__}; body begins {shown!r})",
            status,
            reqid,
        ) from exc

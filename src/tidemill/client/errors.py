"""The client's errors: one tree, each carrying the Pandora code and message (spec §1.5, §1.6).

`ApiError` is what a non-200 answer becomes: `code` is the `E18202`-style code that starts the
`error` member (`""` when the answer had none, as `401 {"error": "bad token"}`), `message` the
text after it, `status` the HTTP status and `reqid` the `X-Reqid` header. The subclass follows
the HTTP status, so callers can catch `NotFoundError` without knowing every code.
"""

from __future__ import annotations

import json
import re

_CODE = re.compile(r"^(E\d{4,5}):\s*")


class TidemillClientError(Exception):
    """Everything the client raises on purpose."""


class TransportError(TidemillClientError):
    """The server could not be reached, or the connection broke (httpx's error is the cause)."""


class UnexpectedAnswer(TidemillClientError):
    """A 200 answer whose body is not what the call's API section promises (not JSON, not the
    documented object): e.g. a proxy's page in front of the server. `status`, `reqid` kept."""

    def __init__(self, message: str, status: int, reqid: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reqid = reqid


class WaitTimeout(TidemillClientError):
    """`wait` gave up: the batch had not ended within the timeout (the last state is kept)."""

    def __init__(self, message: str, last: object) -> None:
        super().__init__(message)
        self.last = last


class ApiError(TidemillClientError):
    """A non-200 answer: HTTP `status`, Pandora `code` (may be empty), `message`, `reqid`."""

    def __init__(self, status: int, code: str, message: str, reqid: str = "") -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.status = status
        self.code = code
        self.message = message
        self.reqid = reqid


class InvalidRequestError(ApiError):
    """400, 411, 413, 415: the request or one of its fields was refused."""


class AuthenticationError(ApiError):
    """401: the keys are wrong, or the clocks differ by more than 15 minutes."""


class PermissionDeniedError(ApiError):
    """403."""


class NotFoundError(ApiError):
    """404: the resource (or the route) does not exist."""


class ConflictError(ApiError):
    """409: the resource exists already, or its state forbids the change."""


class ServerError(ApiError):
    """5xx (501 for what the server does not implement)."""


_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
}


def error_class(status: int) -> type[ApiError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return InvalidRequestError if status >= 400 else ApiError


def split_code(text: str) -> tuple[str, str]:
    """`"E18202: job does not exist"` → `("E18202", "job does not exist")`; no code → `""`."""
    match = _CODE.match(text)
    if match is None:
        return "", text
    return match.group(1), text[match.end() :]


def from_response(status: int, body: bytes, reqid: str) -> ApiError:
    """The ApiError for a non-200 answer; a body that is not `{"error": str}` is the message."""
    text = body.decode(errors="replace").strip()
    try:
        decoded = json.loads(text) if text else {}
    except ValueError:
        decoded = None
    if isinstance(decoded, dict) and isinstance(decoded.get("error"), str):
        text = decoded["error"]
    code, message = split_code(text)
    return error_class(status)(status, code, message or f"HTTP {status}", reqid)


def missing_batch(job: str, run_id: int) -> NotFoundError:
    """What `wait` raises when the history holds no batch `run_id` (the API answers an empty
    page for it, §7.3, so there is no code to carry)."""
    return NotFoundError(404, "", f"job {job!r} has no batch {run_id}")

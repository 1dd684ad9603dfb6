"""POSTing bounded chunks with timeouts and retries with back-off (http, tsdb, logdb exports)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx

from tidemill.errors import BackendError, Failure
from tidemill.exporters.base import HttpOptions

# An answer is read to this size at most: an http export's receiver is the tenant's choice,
# and one answering with an endless body would otherwise fill the worker's memory.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
_DROPPED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


def chunks(lines: Iterable[bytes], limit: int, separator: bytes = b"\n") -> Iterator[bytes]:
    """Lines joined by `separator` into bodies of at most `limit` bytes (a longer line alone)."""
    pending: list[bytes] = []
    size = 0
    for line in lines:
        extra = len(line) + (len(separator) if pending else 0)
        if pending and size + extra > limit:
            yield separator.join(pending)
            pending, size = [], 0
            extra = len(line)
        pending.append(line)
        size += extra
    if pending:
        yield separator.join(pending)


def shown_url(url: str) -> str:
    """`url` without its user info: the operator's credentials in TIDEMILL_LOGDB_URL or
    TIDEMILL_TSDB_URL never reach a batch's message, log or export outcome."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def post(
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: dict[str, str],
    options: HttpOptions,
    *,
    what: str,
    ok: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """POST `body`, retrying failures `options.retries` times with doubling back-off."""
    delay = options.backoff
    problem = ""
    for attempt in range(options.retries + 1):
        if attempt:
            sleep(delay)
            delay *= 2
        try:
            response = _bounded_post(client, url, body, headers)
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            continue
        if response is None:
            problem = f"the answer is larger than {MAX_ANSWER_BYTES} bytes"
            continue
        if ok(response):
            return response
        problem = f"HTTP {response.status_code} {response.text[:200]!r}"
    raise BackendError(
        Failure.INTERNAL,
        f"{shown_url(url)} failed {what} {options.retries + 1} times (last: {problem})",
    )


def _bounded_post(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str]
) -> httpx.Response | None:
    """The answer to a POST, its body decoded and read whole, or None when that body is longer
    than MAX_ANSWER_BYTES (then no more of it is read)."""
    with client.stream("POST", url, content=body, headers=headers) as streamed:
        data = bytearray()
        for part in streamed.iter_bytes():  # decoded: a small gzip body can stand for GBs
            data += part
            if len(data) > MAX_ANSWER_BYTES:
                return None
        kept = [(k, v) for k, v in streamed.headers.items() if k.lower() not in _DROPPED_HEADERS]
        return httpx.Response(
            streamed.status_code, headers=kept, content=bytes(data), request=streamed.request
        )

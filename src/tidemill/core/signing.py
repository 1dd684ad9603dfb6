"""Pandora request signing (spec §2): parse `Authorization`, build the strings to sign, verify.

Pure: the caller supplies the request's parts, the secret key and the current time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

from tidemill.errors import AuthError

QINIU_HEADER_PREFIX = "x-qiniu-"


@dataclass(frozen=True, slots=True)
class Credentials:
    """What `Authorization: Pandora ...` carries; `token` is set for the 3-part token form."""

    access_key: str
    signature: str
    token: str | None = None


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """The parts of an HTTP request that a signature covers."""

    method: str
    path: str  # percent-decoded
    query: Sequence[tuple[str, str]]  # decoded pairs, in arrival order
    headers: Mapping[str, str]  # lower-case names

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def sign(secret_key: str, message: str) -> str:
    """urlsafe-base64 (padded) of HMAC-SHA1(secret_key, message)."""
    mac = _keyed(secret_key).copy()
    mac.update(message.encode())
    return base64.urlsafe_b64encode(mac.digest()).decode()


@lru_cache(maxsize=256)
def _keyed(secret_key: str) -> hmac.HMAC:
    """HMAC-SHA1 with the key absorbed (its padded inner and outer blocks), copied for each
    message: setting up the key was half of a signature's cost (docs/performance.md)."""
    return hmac.new(secret_key.encode(), digestmod=hashlib.sha1)


def parse_authorization(value: str) -> Credentials:
    if not value.startswith("Pandora "):
        raise AuthError("bad token: Authorization must start with 'Pandora '")
    parts = value[len("Pandora ") :].strip().split(":")
    if len(parts) == 2 and all(parts):
        return Credentials(parts[0], parts[1])
    if len(parts) == 3 and all(parts):
        return Credentials(parts[0], parts[1], parts[2])
    raise AuthError("bad token: expected 'Pandora <ak>:<sign>' or 'Pandora <ak>:<sign>:<token>'")


def _qiniu_headers(request: SignedRequest) -> list[tuple[str, str]]:
    return sorted(
        (name, value.strip())
        for name, value in request.headers.items()
        if name.startswith(QINIU_HEADER_PREFIX) and len(name) > len(QINIU_HEADER_PREFIX)
    )


def go_header_string(request: SignedRequest) -> str:
    """The Go SDK's canonical Qiniu headers: each header *preceded* by a newline (§2.2)."""
    return _go_form(_qiniu_headers(request))


def _go_form(qiniu: list[tuple[str, str]]) -> str:
    return "".join(f"\n{name}:{value}" for name, value in qiniu)


def candidates(request: SignedRequest) -> list[str]:
    """Every string-to-sign a compatible client may have signed (§2.4 step 3.4)."""
    headers = request.headers  # lower-case names
    prefix = "{}\n{}\n{}\n{}\n".format(
        request.method.upper(),
        headers.get("content-md5", ""),
        headers.get("content-type", ""),
        headers.get("date", ""),
    )
    qiniu = _qiniu_headers(request)
    go_form = _go_form(qiniu)
    doc_form = "".join(f"{name}:{value}\n" for name, value in qiniu)
    resources = [request.path]
    if request.query:
        query = "&".join(f"{k}={v}" for k, v in sorted(request.query))
        resources.append(f"{request.path}?{query}")
    forms = [go_form] if go_form == doc_form else [go_form, doc_form]
    return [prefix + headers + resource for resource in resources for headers in forms]


def _same(presented: str, expected: str) -> bool:
    # Clients may drop base64 padding; compare padded forms in constant time.
    padded = presented + "=" * (-len(presented) % 4)
    return hmac.compare_digest(padded.encode(), expected.encode())


@lru_cache(maxsize=64)
def _sent_at(date: str) -> datetime:
    """The Date header's instant. Clients send the same text for a second at a time; parsing
    it was ~4% of a signed GET (docs/performance.md). A text that does not parse raises, and
    is not kept."""
    return parsedate_to_datetime(date)


def verify_signature(
    credentials: Credentials, secret_key: str, request: SignedRequest, now: datetime, skew: int
) -> None:
    """Raises AuthError unless the 2-part signature is valid and `Date` is fresh."""
    date = request.header("Date")
    if not date:
        raise AuthError("bad token: the Date header is required")
    try:
        sent = _sent_at(date)
    except (TypeError, ValueError) as exc:
        raise AuthError("bad token: unparsable Date header") from exc
    if sent.tzinfo is None or abs((now - sent).total_seconds()) > skew:
        raise AuthError("bad token: Date is more than 15 minutes from server time")
    if not any(_same(credentials.signature, sign(secret_key, c)) for c in candidates(request)):
        raise AuthError("bad token: signature mismatch")


def _decode_description(encoded: str) -> dict[str, object]:
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        description = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise AuthError("bad token: unreadable token description") from exc
    if not isinstance(description, dict):
        raise AuthError("bad token: unreadable token description")
    return description


def verify_token(
    credentials: Credentials, secret_key: str, request: SignedRequest, now: datetime
) -> None:
    """Raises AuthError unless the 3-part token is valid for this request (§2.4 step 4)."""
    assert credentials.token is not None
    if not _same(credentials.signature, sign(secret_key, credentials.token)):
        raise AuthError("bad token: token signature mismatch")
    description = _decode_description(credentials.token)
    expires = description.get("expires")
    if not isinstance(expires, int) or expires < now.timestamp():
        raise AuthError("bad token: token expired")
    if str(description.get("method", "")).upper() != request.method.upper():
        raise AuthError("bad token: token is for another method")
    resources = {request.path}
    if request.query:
        resources.add(request.path + "?" + "&".join(f"{k}={v}" for k, v in request.query))
    if description.get("resource") not in resources:
        raise AuthError("bad token: token is for another resource")
    for member, header in (("contentType", "Content-Type"), ("contentMD5", "Content-MD5")):
        wanted = description.get(member) or ""
        if wanted and wanted != request.header(header):
            raise AuthError(f"bad token: {header} does not match the token")
    headers = description.get("headers") or ""
    if headers and headers != go_header_string(request):
        raise AuthError("bad token: X-Qiniu headers do not match the token")


def verify(
    credentials: Credentials, secret_key: str, request: SignedRequest, now: datetime, skew: int
) -> None:
    if credentials.token is None:
        verify_signature(credentials, secret_key, request, now, skew)
    else:
        verify_token(credentials, secret_key, request, now)

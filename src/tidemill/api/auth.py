"""Pandora authentication (§2) of a request, run by `api.edge.Edge` before routing (the
spec's check order: auth, then route)."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from tidemill.core.signing import SignedRequest, parse_authorization, verify
from tidemill.errors import AuthError
from tidemill.runtime import Runtime
from tidemill.services import accounts
from tidemill.store.accounts import KeyPair

_NO_SECRET = secrets.token_urlsafe(32)
# The headers `core.signing` reads besides the x-qiniu-* ones (lower case, as ASGI gives them).
_SIGNED = frozenset({b"authorization", b"date", b"content-type", b"content-md5"})


def is_open(path: str) -> bool:
    """Paths answered without a signature: the web console's static files (issue 15)."""
    return path == "/console" or path.startswith("/console/")


class KeyCache:
    """Access keys by AK. Keys are only ever added (by the CLI), so hits never go stale."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._keys: dict[str, KeyPair] = {}

    def known(self, access_key: str) -> KeyPair | None:
        """The key when it is cached (no coroutine, no thread: the common case)."""
        return self._keys.get(access_key)

    async def get(self, access_key: str) -> KeyPair | None:
        found = self._keys.get(access_key)
        if found is None:
            found = await run_in_threadpool(accounts.find_key, self._runtime, access_key)
            if found is not None:
                self._keys[access_key] = found
        return found


class Authenticator:
    """Pandora authentication of a request's scope (§2), with the access keys cached."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.keys = KeyCache(runtime)

    async def account(self, scope: Scope) -> int:
        """The account whose key signed the request; AuthError when none did."""
        # The headers a signature can cover (§2.2), the first of each name; no other is read.
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.lower()
            if name in _SIGNED or name.startswith(b"x-qiniu-"):
                headers.setdefault(name.decode("latin-1"), raw_value.decode("latin-1"))
        credentials = parse_authorization(headers.get("authorization", ""))
        pair = self.keys.known(credentials.access_key) or await self.keys.get(
            credentials.access_key
        )
        raw_query = scope.get("query_string", b"")
        query = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else []
        request = SignedRequest(scope["method"], scope["path"], query, headers)
        settings = self.runtime.settings.api
        # An unknown access key is checked against a secret no client holds, so it fails the
        # same checks, in the same order and with the same text, as a known key with a bad
        # signature: the answer never tells which access keys exist (issue 9, kind 10).
        verify(
            credentials,
            _NO_SECRET if pair is None else pair.secret_key,
            request,
            self.runtime.clock.now(),
            settings.date_skew_seconds,
        )
        if pair is None:  # a signature matched the random secret: never in practice
            raise AuthError("bad token: signature mismatch")
        return pair.account_id

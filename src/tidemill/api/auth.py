"""Pandora authentication (§2) of a request, run by `api.edge.Edge` before routing (the
spec's check order: auth, then route)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from tidemill.core.signing import SignedRequest, parse_authorization, verify
from tidemill.errors import AuthError
from tidemill.runtime import Runtime
from tidemill.services import accounts
from tidemill.store.accounts import KeyPair, find_key_sqlite
from tidemill.store.data_version import DataVersion

_NO_SECRET = secrets.token_urlsafe(32)
# The scope state's member holding the database version read before the request's key.
DATA_VERSION = "data_version"
# The headers `core.signing` reads besides the x-qiniu-* ones (lower case, as ASGI gives them).
_SIGNED = frozenset({b"authorization", b"date", b"content-type", b"content-md5"})


def is_open(path: str) -> bool:
    """Paths answered without a signature: the web console's static files (issue 15)."""
    return path == "/console" or path.startswith("/console/")


# How long a key read is trusted where the database's changes cannot be seen (PostgreSQL, an
# in-memory SQLite): a rotated or deleted key stops working within this many seconds there.
KEY_SECONDS = 1.0


class KeyCache:
    """Access keys by AK, each with the database version (store.data_version) read before it
    was: a key is trusted while that version holds, else read again. A key's secret is replaced
    whenever a runtime starts with the bootstrap keys set (`build_runtime`: an operator
    rotating a secret through the CLI or another node) and a row may be deleted, so a key once
    read is not trusted for ever. Where there is no version (None), a read is trusted for
    KEY_SECONDS. `reader` gives the version's reader (None: there is none): a key is then read
    on its connection, after the version, rather than through the engine's pool."""

    def __init__(
        self, runtime: Runtime, reader: Callable[[], DataVersion | None] = lambda: None
    ) -> None:
        self._runtime = runtime
        self._reader = reader
        self._keys: dict[str, tuple[KeyPair, int | None, float]] = {}

    def known(self, access_key: str, version: int | None) -> KeyPair | None:
        """The key when its cached read still holds at database `version` (no coroutine, no
        thread: the common case)."""
        found = self._keys.get(access_key)
        if found is None:
            return None
        pair, read_at, when = found
        if version is not None:
            return pair if read_at == version else None
        return pair if time.monotonic() - when < KEY_SECONDS else None

    async def get(self, access_key: str, version: int | None) -> KeyPair | None:
        """The key as stored now (`version` read before it); None when there is none."""
        found = self.known(access_key, version)
        if found is not None:
            return found
        when = time.monotonic()
        reader = self._reader() if version is not None else None
        if reader is not None:  # the version's own connection: ~10 µs, no pool checkout
            found = reader.run(lambda connection: find_key_sqlite(connection, access_key))
        elif self._runtime.inline_reads:  # SQLite: ~0.1 ms, cheaper than a thread hop
            found = accounts.find_key(self._runtime, access_key)
        else:
            found = await run_in_threadpool(accounts.find_key, self._runtime, access_key)
        if found is None:
            self._keys.pop(access_key, None)
        else:
            self._keys[access_key] = (found, version, when)
        return found


class Authenticator:
    """Pandora authentication of a request's scope (§2), with the access keys cached."""

    def __init__(
        self,
        runtime: Runtime,
        data_version: Callable[[], int | None] = lambda: None,
        reader: Callable[[], DataVersion | None] = lambda: None,
    ) -> None:
        self.runtime = runtime
        self.keys = KeyCache(runtime, reader)
        self._data_version = data_version

    async def account(self, scope: Scope) -> int:
        """The account whose key signed the request; AuthError when none did. The database
        version read for the key is left in the scope's state as `data_version` (read before
        anything the request reads: `api.deps.cached_answer` uses it)."""
        # The headers a signature can cover (§2.2), the first of each name; no other is read.
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.lower()
            if name in _SIGNED or name.startswith(b"x-qiniu-"):
                headers.setdefault(name.decode("latin-1"), raw_value.decode("latin-1"))
        credentials = parse_authorization(headers.get("authorization", ""))
        version = self._data_version()
        scope.setdefault("state", {})[DATA_VERSION] = version
        pair = self.keys.known(credentials.access_key, version) or await self.keys.get(
            credentials.access_key, version
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

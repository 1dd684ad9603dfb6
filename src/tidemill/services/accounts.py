"""Account and key use cases: the CLI creates keys, the API looks them up."""

from __future__ import annotations

from tidemill.runtime import Runtime
from tidemill.store import accounts
from tidemill.store.accounts import KeyPair


def create_key(rt: Runtime, account: str) -> KeyPair:
    with rt.db.begin() as conn:
        return accounts.create_key(conn, account, rt.clock.now())


def find_key(rt: Runtime, access_key: str) -> KeyPair | None:
    with rt.db.connect() as conn:
        return accounts.find_key(conn, access_key)

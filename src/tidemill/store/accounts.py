"""Accounts, their access keys, and the S3 buckets granted to them."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from tidemill.core.models import AccountScope
from tidemill.errors import Failure, NotFoundError
from tidemill.store.tables import access_keys, accounts, bucket_grants


@dataclass(frozen=True, slots=True)
class KeyPair:
    account: str
    account_id: int
    access_key: str
    secret_key: str


def ensure_account(conn: sa.Connection, name: str, now: datetime) -> int:
    found = conn.execute(sa.select(accounts.c.id).where(accounts.c.name == name)).scalar()
    if found is not None:
        return int(found)
    result = conn.execute(sa.insert(accounts).values(name=name, created_at=now))
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def put_key(
    conn: sa.Connection, account: str, access_key: str, secret_key: str, now: datetime
) -> KeyPair:
    """Store `access_key` for `account` (created if new); an existing key gets the new secret."""
    account_id = ensure_account(conn, account, now)
    conn.execute(sa.delete(access_keys).where(access_keys.c.access_key == access_key))
    conn.execute(
        sa.insert(access_keys).values(
            access_key=access_key, secret_key=secret_key, account_id=account_id, created_at=now
        )
    )
    return KeyPair(account, account_id, access_key, secret_key)


def create_key(conn: sa.Connection, account: str, now: datetime) -> KeyPair:
    """A new random key pair for `account`."""
    access_key = "TM" + secrets.token_hex(15).upper()
    secret_key = secrets.token_urlsafe(30)
    return put_key(conn, account, access_key, secret_key, now)


def find_key(conn: sa.Connection, access_key: str) -> KeyPair | None:
    row = conn.execute(_FIND_KEY, {"access_key": access_key}).first()
    if row is None:
        return None
    return KeyPair(row.name, row.id, access_key, row.secret_key)


def find_key_sqlite(connection: Any, access_key: str) -> KeyPair | None:
    """`find_key` on a `sqlite3` connection of its own (store.data_version's reader: the API
    reads keys on the event loop, and a pool checkout and SQLAlchemy's execution were most of
    the read's cost). The same statement, compiled once for SQLite."""
    row = connection.execute(_find_key_sqlite(), (access_key,)).fetchone()
    if row is None:
        return None
    secret_key, account_id, name = row
    return KeyPair(str(name), int(account_id), access_key, str(secret_key))


@functools.cache
def _find_key_sqlite() -> str:
    """`_FIND_KEY` as SQLite's text (one positional parameter, the access key)."""
    return str(_FIND_KEY.compile(dialect=sqlite.dialect()))


# Built once (a bind parameter): a request whose key is not cached at the database's version
# reads it, i.e. every request after a commit — a trigger's POST after each batch's end.
_FIND_KEY = (
    sa.select(access_keys.c.secret_key, accounts.c.id, accounts.c.name)
    .join(accounts, accounts.c.id == access_keys.c.account_id)
    .where(access_keys.c.access_key == sa.bindparam("access_key"))
)


def account_id(conn: sa.Connection, name: str) -> int:
    """The id of the account called `name`; NotFoundError if there is none."""
    found = conn.execute(sa.select(accounts.c.id).where(accounts.c.name == name)).scalar()
    if found is None:
        raise NotFoundError(
            Failure.REQ_MALFORMED,
            f"no account {name!r}; 'tidemill keys create --account {name}' creates it",
        )
    return int(found)


def scope_of(conn: sa.Connection, account: int) -> AccountScope:
    """The account's name and granted S3 buckets: what its storage view is built from.

    One statement (the account joined to its grants: a row per grant, one with a NULL bucket
    when there is none): planning reads it for every batch (docs/performance.md, "session 7,
    planpath")."""
    rows = conn.execute(_SCOPE, {"account": account}).all()
    if not rows:
        raise NotFoundError(Failure.REQ_MALFORMED, f"no account with id {account}")
    return AccountScope(
        str(rows[0][0]), frozenset(str(bucket) for _, bucket in rows if bucket is not None)
    )


def granted_buckets(conn: sa.Connection, account: int) -> list[str]:
    rows = conn.execute(_GRANTS, {"account": account})
    return [str(bucket) for bucket in rows.scalars()]


# Built once (bind parameters): planning reads the scope for every batch.
_SCOPE = (
    sa.select(accounts.c.name, bucket_grants.c.bucket)
    .select_from(accounts.outerjoin(bucket_grants, bucket_grants.c.account_id == accounts.c.id))
    .where(accounts.c.id == sa.bindparam("account"))
)
_GRANTS = (
    sa.select(bucket_grants.c.bucket)
    .where(bucket_grants.c.account_id == sa.bindparam("account"))
    .order_by(bucket_grants.c.bucket)
)


def grant_bucket(conn: sa.Connection, account: int, bucket: str, now: datetime) -> bool:
    """Grant `bucket` to the account; False if it was granted already."""
    if bucket in granted_buckets(conn, account):
        return False
    conn.execute(sa.insert(bucket_grants).values(account_id=account, bucket=bucket, created_at=now))
    return True


def revoke_bucket(conn: sa.Connection, account: int, bucket: str) -> bool:
    """Take `bucket` back from the account; False if it was not granted."""
    result = conn.execute(
        sa.delete(bucket_grants).where(
            bucket_grants.c.account_id == account, bucket_grants.c.bucket == bucket
        )
    )
    return result.rowcount > 0

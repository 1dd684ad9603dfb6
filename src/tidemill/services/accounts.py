"""Account use cases: the CLI creates keys and grants S3 buckets, the API looks keys up."""

from __future__ import annotations

from tidemill.core.names import BUCKET_NAME, check_account_name
from tidemill.errors import Failure, InvalidInputError
from tidemill.runtime import Runtime
from tidemill.store import accounts
from tidemill.store.accounts import KeyPair


def create_key(rt: Runtime, account: str) -> KeyPair:
    with rt.db.begin() as conn:
        return accounts.create_key(conn, account, rt.clock.now())


def find_key(rt: Runtime, access_key: str) -> KeyPair | None:
    with rt.db.connect() as conn:
        return accounts.find_key(conn, access_key)


def grant_bucket(rt: Runtime, account: str, bucket: str) -> bool:
    """Let `account` use the S3 bucket `bucket`; False if it could already."""
    check_account_name(account)
    _check_bucket(bucket)
    with rt.db.begin() as conn:
        return accounts.grant_bucket(
            conn, accounts.account_id(conn, account), bucket, rt.clock.now()
        )


def revoke_bucket(rt: Runtime, account: str, bucket: str) -> bool:
    """Take `bucket` back from `account` (its next batch can no longer use it)."""
    check_account_name(account)
    with rt.db.begin() as conn:
        return accounts.revoke_bucket(conn, accounts.account_id(conn, account), bucket)


def granted_buckets(rt: Runtime, account: str) -> list[str]:
    check_account_name(account)
    with rt.db.connect() as conn:
        return accounts.granted_buckets(conn, accounts.account_id(conn, account))


def _check_bucket(bucket: str) -> None:
    if not BUCKET_NAME.fullmatch(bucket):
        raise InvalidInputError(
            Failure.REQ_MALFORMED,
            f"invalid bucket name {bucket!r}: use 4-63 letters, digits or '-' (spec §3.1)",
        )

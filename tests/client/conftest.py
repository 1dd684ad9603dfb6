"""Fixtures of the client tests: a fresh account on the shared served server, and a Client."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.client.accounts import Account, new_account
from tests.served import Served
from tidemill.client import Client

_serial = itertools.count(1)


@pytest.fixture
def account(served_api: Served) -> Account:
    return new_account(served_api, f"client{next(_serial)}")


@pytest.fixture
def api(account: Account) -> Iterator[Client]:
    with Client(account.endpoint, account.access_key, account.secret_key, timeout=10) as client:
        yield client

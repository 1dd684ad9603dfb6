"""Fixtures of the CLI tests that talk to a server: a fresh account on the shared served
server, and `tidemill` run in-process (typer's CliRunner) with its endpoint and keys."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tests.client.accounts import Account, new_account
from tests.served import Served
from tidemill.cli import app

_serial = itertools.count(1)
Tidemill = Callable[..., Result]


@pytest.fixture
def account(served_api: Served) -> Account:
    return new_account(served_api, f"cli{next(_serial)}")


@pytest.fixture
def tidemill(account: Account, tmp_path: Path) -> Tidemill:
    """`tidemill(*args, input=None)`: endpoint and keys from the environment, no profile."""
    env = {
        "TIDEMILL_ENDPOINT": account.endpoint,
        "TIDEMILL_ACCESS_KEY": account.access_key,
        "TIDEMILL_SECRET_KEY": account.secret_key,
        "TIDEMILL_CONFIG": str(tmp_path / "no-profile.toml"),
    }

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), env=env, input=input)

    return run


def ok_json(result: Result) -> Any:
    """The command's stdout as JSON, after checking it exited 0."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)

"""The tidemill command, run in-process with typer's CliRunner."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from tidemill.cli import app
from tidemill.config import Settings
from tidemill.core.signing import SignedRequest, parse_authorization, verify
from tidemill.errors import InvalidInputError, NotFoundError
from tidemill.runtime import build_runtime
from tidemill.services.accounts import find_key

runner = CliRunner()


def test_keys_create_prints_a_key_pair_that_the_store_knows(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["keys", "create", "--account", "acme", "--data-dir", str(tmp_path)]
    )

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["account"] == "acme"
    runtime = build_runtime(Settings(data_dir=tmp_path))
    try:
        stored = find_key(runtime, printed["accessKey"])
    finally:
        runtime.close()
    assert stored is not None
    assert stored.account == "acme" and stored.secret_key == printed["secretKey"]


def test_two_keys_of_one_account_share_it(tmp_path: Path) -> None:
    first = json.loads(
        runner.invoke(
            app, ["keys", "create", "--account", "acme", "--data-dir", str(tmp_path)]
        ).stdout
    )
    second = json.loads(
        runner.invoke(
            app, ["keys", "create", "--account", "acme", "--data-dir", str(tmp_path)]
        ).stdout
    )

    runtime = build_runtime(Settings(data_dir=tmp_path))
    try:
        one, two = find_key(runtime, first["accessKey"]), find_key(runtime, second["accessKey"])
    finally:
        runtime.close()
    assert first["accessKey"] != second["accessKey"]
    assert one is not None and two is not None and one.account_id == two.account_id


def test_keys_create_refuses_an_invalid_account_name(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["keys", "create", "--account", "no such", "--data-dir", str(tmp_path)]
    )

    assert result.exit_code != 0


def test_sign_prints_headers_that_verify(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "sign",
            "POST",
            "/v2/jobs/j",
            "--content-type",
            "application/json",
            "--access-key",
            "AK",
            "--secret-key",
            "SK",
        ],
    )

    assert result.exit_code == 0, result.output
    headers = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    request = SignedRequest("POST", "/v2/jobs/j", [], {k.lower(): v for k, v in headers.items()})
    verify(parse_authorization(headers["Authorization"]), "SK", request, datetime.now(UTC), 900)


def test_account_names_must_be_lowercase_path_safe(tmp_path: Path) -> None:
    for bad in ["Acme", "_acme", "9acme", "a-b", "a/b", ".."]:
        result = runner.invoke(
            app, ["keys", "create", "--account", bad, "--data-dir", str(tmp_path)]
        )
        assert isinstance(result.exception, InvalidInputError), (bad, result.output)
        assert "invalid account name" in result.exception.message


def test_buckets_grant_list_and_revoke(tmp_path: Path) -> None:
    def run(*args: str) -> dict[str, object]:
        result = runner.invoke(app, [*args, "--data-dir", str(tmp_path)])
        assert result.exit_code == 0, result.output
        answer: dict[str, object] = json.loads(result.stdout)
        return answer

    run("keys", "create", "--account", "acme")
    run("keys", "create", "--account", "other")
    run("buckets", "grant", "--account", "acme", "--bucket", "web-logs")
    run("buckets", "grant", "--account", "acme", "--bucket", "web-logs")  # idempotent
    run("buckets", "grant", "--account", "acme", "--bucket", "sales-2026")

    assert run("buckets", "list", "--account", "acme")["buckets"] == ["sales-2026", "web-logs"]
    assert run("buckets", "list", "--account", "other")["buckets"] == []
    assert run("buckets", "revoke", "--account", "acme", "--bucket", "web-logs")["revoked"]
    assert not run("buckets", "revoke", "--account", "acme", "--bucket", "web-logs")["revoked"]
    assert run("buckets", "list", "--account", "acme")["buckets"] == ["sales-2026"]


def test_buckets_grant_refuses_unknown_accounts_and_bad_bucket_names(tmp_path: Path) -> None:
    runner.invoke(app, ["keys", "create", "--account", "acme", "--data-dir", str(tmp_path)])
    unknown = runner.invoke(
        app, ["buckets", "grant", "--account", "nobody", "--bucket", "web-logs",
              "--data-dir", str(tmp_path)],
    )  # fmt: skip
    bad = runner.invoke(
        app, ["buckets", "grant", "--account", "acme", "--bucket", "a/b",
              "--data-dir", str(tmp_path)],
    )  # fmt: skip

    assert isinstance(unknown.exception, NotFoundError)  # exit code 3 from tidemill.cli.main
    assert "no account 'nobody'" in unknown.exception.message
    assert isinstance(bad.exception, InvalidInputError)  # exit code 2
    assert "invalid bucket name" in bad.exception.message

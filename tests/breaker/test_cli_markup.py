"""The CLI's tables print the server's data as text: a result value, a job's SQL or a batch's
message holding square brackets (`[/]`, `[bold]`) is shown as written, never read as rich
markup (which dropped `[word]` from the text, or crashed with a MarkupError traceback)."""

from __future__ import annotations

import itertools
from pathlib import Path

from typer.testing import CliRunner, Result

from tests.client.accounts import datasource_body, job_body, new_account
from tests.served import Served
from tidemill.cli import app
from tidemill.client import Client

_serial = itertools.count(1)
VALUE = "a[/]b [bold]c[/bold] [tag]"


def test_brackets_in_results_and_specs_are_printed_as_written(
    served_api: Served, tmp_path: Path
) -> None:
    account = new_account(served_api, f"breaker_markup{next(_serial)}")
    with Client(account.endpoint, account.access_key, account.secret_key, timeout=10) as api:
        api.create_datasource("logs", datasource_body())
        api.create_job("j", job_body(f"select '{VALUE}' as `[/]v` from logs limit 1"))
        api.start_job("j")
        assert api.wait("j", 1, timeout=60).status == "Successful"
    env = {
        "TIDEMILL_ENDPOINT": account.endpoint,
        "TIDEMILL_ACCESS_KEY": account.access_key,
        "TIDEMILL_SECRET_KEY": account.secret_key,
        "TIDEMILL_CONFIG": str(tmp_path / "none.toml"),
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=env)

    result, job = run("result", "j", "1"), run("jobs", "get", "j")

    assert result.exit_code == 0, (result.output, result.exception)
    assert VALUE in result.stdout and "[/]v" in result.stdout, result.stdout
    assert job.exit_code == 0, (job.output, job.exception)
    assert "[tag]" in job.stdout, job.stdout

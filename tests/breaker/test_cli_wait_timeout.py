"""`tidemill jobs start JOB --wait --timeout -5` started the job and then said the batch was
"still Running after -5.0 s" (exit 1), and `--timeout nan` waited without end; a timeout that
is not a finite number of seconds above 0 is now refused (exit 2) before any call — the job is
not started."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tidemill.cli import app


@pytest.mark.parametrize("value", ["-5", "0", "nan", "inf"])
@pytest.mark.parametrize(
    "command", [["jobs", "start", "j", "--wait"], ["batches", "rerun", "j", "1", "--wait"]]
)
def test_a_timeout_that_is_no_wait_is_refused_before_any_call(
    tmp_path: Path, value: str, command: list[str]
) -> None:
    env = {
        "TIDEMILL_ENDPOINT": "http://127.0.0.1:9",  # nothing listens: no call may be made
        "TIDEMILL_ACCESS_KEY": "ak",
        "TIDEMILL_SECRET_KEY": "sk",
        "TIDEMILL_CONFIG": str(tmp_path / "none.toml"),
    }
    found = CliRunner().invoke(app, [*command, "--timeout", value], env=env)
    assert found.exit_code == 2, (found.output, found.exception)
    assert "--timeout" in found.stderr and "seconds above 0" in found.stderr, found.stderr

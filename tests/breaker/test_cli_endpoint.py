"""An endpoint without its scheme (`localhost:8080`), from the environment or a profile, is a
configuration error the CLI names (exit 6), not a ValueError traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tidemill.cli import app
from tidemill.cli._connect import EXIT_CONFIG


def test_an_endpoint_without_a_scheme_is_named(tmp_path: Path) -> None:
    env = {
        "TIDEMILL_ENDPOINT": "localhost:8080",
        "TIDEMILL_ACCESS_KEY": "ak",
        "TIDEMILL_SECRET_KEY": "sk",
        "TIDEMILL_CONFIG": str(tmp_path / "none.toml"),
    }

    found = CliRunner().invoke(app, ["jobs", "list"], env=env)

    assert found.exit_code == EXIT_CONFIG, (found.output, found.exception)
    assert "localhost:8080" in found.stderr and "http://" in found.stderr, found.stderr


def test_an_endpoint_that_is_not_text_in_the_profile_is_named(tmp_path: Path) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text('[default]\nendpoint = 8080\naccess_key = "ak"\nsecret_key = "sk"\n')

    found = CliRunner().invoke(app, ["jobs", "list"], env={"TIDEMILL_CONFIG": str(profile)})

    assert found.exit_code == EXIT_CONFIG, (found.output, found.exception)
    assert "8080" in found.stderr, found.stderr

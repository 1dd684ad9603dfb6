"""The `tidemill` command: serve the API, manage access keys."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tidemill.config import Settings
from tidemill.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TidemillError,
    lookup,
)

# The only exit-code mapping: one code per family of domain error.
EXIT_CODE_BY_ERROR: dict[type[TidemillError], int] = {
    InvalidInputError: 2,
    NotFoundError: 3,
    ConflictError: 4,
    AuthError: 5,
    ConfigError: 6,
}

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)
keys = typer.Typer(no_args_is_help=True, help="Access keys of accounts.")
app.add_typer(keys, name="keys")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (default: TIDEMILL_DATA_DIR or ./data)")
]


def settings_for(**overrides: Any) -> Settings:
    """Settings from the environment, with the command-line options on top."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given)


@keys.command("create")
def keys_create(
    account: Annotated[str, typer.Option("--account", help="Account name (created if new)")],
    data_dir: DataDir = None,
) -> None:
    """Create an access key pair for ACCOUNT and print it as JSON."""
    from tidemill.core.names import check_name
    from tidemill.errors import Failure
    from tidemill.runtime import build_runtime
    from tidemill.services.accounts import create_key

    check_name(account, Failure.REQ_MALFORMED, "account")
    runtime = build_runtime(settings_for(data_dir=data_dir))
    try:
        pair = create_key(runtime, account)
    finally:
        runtime.close()
    typer.echo(json.dumps({"account": pair.account, "accessKey": pair.access_key, "secretKey": pair.secret_key}))


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Run the API server."""
    import uvicorn

    from tidemill.api.app import create_app

    settings = settings_for(data_dir=data_dir, host=host, port=port)
    typer.echo(f"Tidemill listening on http://{settings.host}:{settings.port} (data: {settings.data_dir})")
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="warning",
        access_log=False,
    )  # fmt: skip


def main() -> None:
    try:
        app()
    except TidemillError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        sys.exit(lookup(EXIT_CODE_BY_ERROR, exc, 1))

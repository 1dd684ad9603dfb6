"""The `tidemill` command: serve the API, manage access keys."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tidemill import private_files
from tidemill.config import Settings
from tidemill.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    Failure,
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
buckets = typer.Typer(
    no_args_is_help=True,
    help="S3 buckets granted to accounts (with S3 storage an account uses only these).",
)
app.add_typer(buckets, name="buckets")


def _add_api_commands() -> None:
    """The commands that talk to a server through tidemill.client (cli/resources.py, ...)."""
    from tidemill.cli import apply, batches, resources

    for group in ("datasources", "jobs", "exports", "variables", "workflows", "schemas"):
        sub = getattr(resources, group)
        app.add_typer(sub, name=group)
    app.add_typer(batches.batches, name="batches")
    app.add_typer(batches.commands)
    app.add_typer(apply.commands)


_add_api_commands()

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: TIDEMILL_DATA_DIR or ./data)"),
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
    from tidemill.core.names import check_account_name
    from tidemill.runtime import build_runtime
    from tidemill.services.accounts import create_key

    check_account_name(account)
    runtime = build_runtime(settings_for(data_dir=data_dir))
    try:
        pair = create_key(runtime, account)
    finally:
        runtime.close()
    typer.echo(
        json.dumps(
            {"account": pair.account, "accessKey": pair.access_key, "secretKey": pair.secret_key}
        )
    )


Account = Annotated[str, typer.Option("--account", help="Account name")]
Bucket = Annotated[str, typer.Option("--bucket", help="S3 bucket name")]


@buckets.command("grant")
def buckets_grant(account: Account, bucket: Bucket, data_dir: DataDir = None) -> None:
    """Let ACCOUNT read and write the S3 bucket BUCKET (datasources and kodo exports)."""
    from tidemill.services.accounts import grant_bucket

    _with_runtime(data_dir, lambda rt: grant_bucket(rt, account, bucket))
    typer.echo(json.dumps({"account": account, "bucket": bucket, "granted": True}))


@buckets.command("revoke")
def buckets_revoke(account: Account, bucket: Bucket, data_dir: DataDir = None) -> None:
    """Take BUCKET back from ACCOUNT: its next batches and creates can no longer use it."""
    from tidemill.services.accounts import revoke_bucket

    was = _with_runtime(data_dir, lambda rt: revoke_bucket(rt, account, bucket))
    typer.echo(json.dumps({"account": account, "bucket": bucket, "revoked": bool(was)}))


@buckets.command("list")
def buckets_list(account: Account, data_dir: DataDir = None) -> None:
    """Print the S3 buckets granted to ACCOUNT as JSON."""
    from tidemill.services.accounts import granted_buckets

    found = _with_runtime(data_dir, lambda rt: granted_buckets(rt, account))
    typer.echo(json.dumps({"account": account, "buckets": found}))


def _with_runtime(data_dir: Path | None, action: Any) -> Any:
    from tidemill.runtime import build_runtime

    runtime = build_runtime(settings_for(data_dir=data_dir))
    try:
        return action(runtime)
    finally:
        runtime.close()


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Run the API server."""
    settings = settings_for(data_dir=data_dir, host=host, port=port)
    typer.echo(
        f"Tidemill listening on http://{settings.host}:{settings.port} (data: {settings.data_dir})"
    )
    _serve(settings)


CREDENTIALS_FILE = "demo-credentials.json"


def _demo_credentials(settings: Settings) -> tuple[str, str]:
    """The demo key pair: from the environment, else made once and kept in the data dir."""
    from tidemill.runtime import build_runtime
    from tidemill.services.accounts import create_key

    if settings.access_key and settings.secret_key.get_secret_value():
        return settings.access_key, settings.secret_key.get_secret_value()
    path = settings.data_dir / CREDENTIALS_FILE
    if path.exists():
        saved = json.loads(path.read_text())
        return str(saved["accessKey"]), str(saved["secretKey"])
    runtime = build_runtime(settings)
    try:
        pair = create_key(runtime, "demo")
    finally:
        runtime.close()
    saved = json.dumps({"accessKey": pair.access_key, "secretKey": pair.secret_key})
    if not private_files.write_new(path, saved.encode()):  # 0600 from the start
        return _demo_credentials(settings)  # another start made it first: use that pair
    return pair.access_key, pair.secret_key


@app.command()
def demo(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Start the service on embedded defaults with a demo account, printing how to call it."""
    settings = settings_for(data_dir=data_dir, host=host, port=port)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    access_key, secret_key = _demo_credentials(settings)
    settings = settings_for(
        data_dir=data_dir,
        host=host,
        port=port,
        access_key=access_key,
        secret_key=secret_key,
        account=settings.account if settings.access_key else "demo",
    )
    _install_demo(settings, access_key)
    url = f"http://{settings.host}:{settings.port}"
    dd = settings.data_dir
    typer.echo(
        f"""
Tidemill is starting at {url}
  web console    : {url}/console
  data directory : {settings.data_dir.resolve()}
  access key     : {access_key}
  secret key     : {secret_key}
  account        : {settings.account}
Demo pipeline: datasource cdn_logs (a day of synthetic CDN logs in the account's bucket
demo-cdn-logs, locally {dd}/kodo/{settings.account}/demo-cdn-logs/), job traffic_per_hour
(manual, started now) and busiest_hours, which depends on it.
Try it (in another shell):
  curl -s -H @<(.venv/bin/tidemill sign GET /v2/jobs/busiest_hours/history --data-dir {dd}) \\
       '{url}/v2/jobs/busiest_hours/history'
  curl -s -H @<(.venv/bin/tidemill sign GET /v2/jobs/busiest_hours/history/1/result \\
       --data-dir {dd}) '{url}/v2/jobs/busiest_hours/history/1/result'
"""
    )
    _serve(settings)


def _install_demo(settings: Settings, access_key: str) -> None:
    from tidemill import demo as pipeline
    from tidemill.runtime import build_runtime
    from tidemill.services.accounts import find_key

    runtime = build_runtime(settings)
    try:
        pair = find_key(runtime, access_key)
        assert pair is not None
        pipeline.install(runtime, pair.account_id)
    finally:
        runtime.close()


@app.command("sign")
def sign_request(
    method: Annotated[str, typer.Argument(help="HTTP method, e.g. GET")],
    path: Annotated[str, typer.Argument(help="Request path without the query, e.g. /v2/jobs")],
    content_type: Annotated[
        str, typer.Option("--content-type", help="Content-Type the request will carry")
    ] = "",
    access_key: Annotated[
        str | None, typer.Option("--access-key", envvar="TIDEMILL_ACCESS_KEY")
    ] = None,
    secret_key: Annotated[
        str | None, typer.Option("--secret-key", envvar="TIDEMILL_SECRET_KEY")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Print the Date and Authorization headers for one request (for curl -H @file)."""
    from email.utils import formatdate

    from tidemill.core.signing import SignedRequest, candidates, sign

    if not (access_key and secret_key):
        path_file = settings_for(data_dir=data_dir).data_dir / CREDENTIALS_FILE
        if not path_file.exists():
            raise ConfigError(
                Failure.INTERNAL,
                "no key given: pass --access-key/--secret-key or run 'make run' first",
            )
        saved = json.loads(path_file.read_text())
        access_key, secret_key = saved["accessKey"], saved["secretKey"]
    assert access_key and secret_key
    date = formatdate(usegmt=True)
    headers = {"date": date, "content-type": content_type}
    request = SignedRequest(method.upper(), path, [], headers)
    typer.echo(f"Date: {date}")
    if content_type:
        typer.echo(f"Content-Type: {content_type}")
    typer.echo(f"Authorization: Pandora {access_key}:{sign(secret_key, candidates(request)[0])}")


def _serve(settings: Settings) -> None:
    import uvicorn

    from tidemill.api.app import create_app
    from tidemill.api.http_protocol import CorkedHttpToolsProtocol
    from tidemill.observability.json_logs import log_config

    # JSON lines (TIDEMILL_LOG_FORMAT=json) go to a log system: requests are logged too.
    json_lines = settings.log_format == "json"
    level = "INFO" if json_lines else "WARNING"
    uvicorn.run(
        create_app(settings, warm_workers=True),
        host=settings.host,
        port=settings.port,
        log_config=log_config(settings.log_format, level),
        log_level=level.lower(),
        access_log=json_lines,
        http=CorkedHttpToolsProtocol,  # httptools, one write a response (api/http_protocol.py)
    )


def main() -> None:
    try:
        app()
    except TidemillError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        sys.exit(lookup(EXIT_CODE_BY_ERROR, exc, 1))

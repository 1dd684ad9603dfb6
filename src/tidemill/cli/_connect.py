"""Where the API commands find their server and keys, and the decorator that gives them one.

Each of endpoint, access key and secret key is taken from the first of: the command-line
option (`--endpoint`, `--access-key`, `--secret-key`), the environment (`TIDEMILL_ENDPOINT`,
`TIDEMILL_ACCESS_KEY`, `TIDEMILL_SECRET_KEY`), the profile file. The profile file is TOML at
`$TIDEMILL_CONFIG`, else `$XDG_CONFIG_HOME/tidemill/profile.toml` (`~/.config/...`), one table
per profile (`--profile`, else `TIDEMILL_PROFILE`, else `default`):

    [default]
    endpoint = "http://127.0.0.1:8080"
    access_key = "..."
    secret_key = "..."
"""

from __future__ import annotations

import inspect
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_type_hints

import typer

from tidemill.cli._output import Output
from tidemill.client import (
    ApiError,
    AuthenticationError,
    Client,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    TidemillClientError,
)

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes of the API commands, in line with EXIT_CODE_BY_ERROR of the local commands.
EXIT_BY_API_ERROR: list[tuple[type[ApiError], int]] = [
    (InvalidRequestError, 2),
    (NotFoundError, 3),
    (ConflictError, 4),
    (AuthenticationError, 5),
    (PermissionDeniedError, 5),
]
EXIT_CONFIG = 6


class ConfigMissing(Exception):
    """No endpoint or no key was found anywhere; the message says where to put one."""


@dataclass(frozen=True, slots=True)
class Connection:
    endpoint: str
    access_key: str
    secret_key: str


def profile_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("TIDEMILL_CONFIG"):
        return Path(env["TIDEMILL_CONFIG"])
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "tidemill" / "profile.toml"


def resolve(
    endpoint: str | None,
    access_key: str | None,
    secret_key: str | None,
    profile: str | None,
    environ: dict[str, str] | None = None,
) -> Connection:
    """Option, else environment, else profile file, field by field (ConfigMissing if none, or
    if the endpoint is not an http(s) URL)."""
    env = dict(os.environ) if environ is None else environ
    name = profile or env.get("TIDEMILL_PROFILE") or "default"
    path = profile_path(env)
    saved: dict[str, Any] = {}
    if path.exists():
        try:
            tables = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigMissing(f"{path} is not valid TOML: {exc}") from None
        saved = tables.get(name) or {}
        if not isinstance(saved, dict):
            raise ConfigMissing(f"{path}: [{name}] must be a table")
    elif profile:
        raise ConfigMissing(f"profile {profile!r} asked for, but {path} does not exist")
    found = {}
    for field, option in (("endpoint", endpoint), ("access_key", access_key),
                          ("secret_key", secret_key)):  # fmt: skip
        value = option or env.get(f"TIDEMILL_{field.upper()}") or saved.get(field)
        if not value:
            flag = "--" + field.replace("_", "-")
            raise ConfigMissing(
                f"no {field.replace('_', ' ')}: pass {flag}, set TIDEMILL_{field.upper()}, "
                f"or put {field} = ... under [{name}] in {path}"
            )
        found[field] = str(value)
    if not found["endpoint"].startswith(("http://", "https://")):  # else Client's ValueError
        raise ConfigMissing(
            f"endpoint {found['endpoint']!r} must start with http:// or https://, "
            "e.g. http://127.0.0.1:8080"
        )
    return Connection(**found)


@dataclass
class Api:
    """What an API command is given: a connected client and the chosen output."""

    client: Client
    out: Output


def _option(flag: str, text: str) -> Any:
    return Annotated[str | None, typer.Option(flag, help=text, show_default=False)]


_OPTIONS = [
    ("endpoint", _option("--endpoint", "Server URL, e.g. http://127.0.0.1:8080 (else "
                                       "TIDEMILL_ENDPOINT or the profile)")),
    ("access_key", _option("--access-key", "Access key (else TIDEMILL_ACCESS_KEY or the "
                                           "profile)")),
    ("secret_key", _option("--secret-key", "Secret key (else TIDEMILL_SECRET_KEY or the "
                                           "profile)")),
    ("profile", _option("--profile", "Profile of the profile file (else TIDEMILL_PROFILE or "
                                     "'default')")),
    ("output", Annotated[str, typer.Option("--output", "-o", help="table or json")]),
]  # fmt: skip


def api_command(group: typer.Typer, name: str) -> Callable[[F], F]:
    """Register `fn(api: Api, ...)` as `group name`, adding the connection and output options.

    An ApiError is printed as `Error: <code>: <message>` on stderr and exits non-zero
    (EXIT_BY_API_ERROR); so is a missing configuration (exit 6).
    """

    def register(fn: F) -> F:
        hints = get_type_hints(fn, include_extras=True)
        own = [
            p.replace(annotation=hints[p.name])
            for p in inspect.signature(fn).parameters.values()
            if p.name != "api"
        ]
        added = [
            inspect.Parameter(
                option, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
                default="table" if option == "output" else None,
            )
            for option, kind in _OPTIONS
        ]  # fmt: skip

        def command(**kwargs: Any) -> None:
            given = {option: kwargs.pop(option) for option, _ in _OPTIONS}
            out = Output.named(given.pop("output"))
            try:
                connection = resolve(**given)
            except ConfigMissing as exc:
                out.error(f"Error: {exc}")
                raise typer.Exit(EXIT_CONFIG) from None
            with Client(connection.endpoint, connection.access_key, connection.secret_key) as c:
                try:
                    fn(api=Api(c, out), **kwargs)
                except ApiError as exc:
                    out.error(f"Error: {exc.code}: {exc.message}" if exc.code else f"Error: {exc}")
                    code = next((n for kind, n in EXIT_BY_API_ERROR if isinstance(exc, kind)), 1)
                    raise typer.Exit(code) from None
                except TidemillClientError as exc:
                    out.error(f"Error: {exc}")
                    raise typer.Exit(1) from None

        command.__name__ = fn.__name__
        command.__doc__ = fn.__doc__
        command.__signature__ = inspect.Signature([*own, *added])  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in [*own, *added]}
        group.command(name)(command)
        return fn

    return register

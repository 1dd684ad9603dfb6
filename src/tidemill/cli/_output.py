"""`--output table|json`: how the API commands print what they got."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tidemill.client.models import Model

FORMATS = ("table", "json")


def plain(value: Any) -> Any:
    """A JSON-ready value: models become their wire objects."""
    if isinstance(value, Model):
        return value.wire()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(plain(value), ensure_ascii=False, separators=(",", ":"))


@dataclass
class Output:
    """Prints to stdout as a rich table or as JSON (one document per command)."""

    format: str

    @classmethod
    def named(cls, name: str) -> Output:
        if name not in FORMATS:
            raise typer.BadParameter(f"--output must be table or json, not {name!r}")
        return cls(name)

    @property
    def json(self) -> bool:
        return self.format == "json"

    def console(self) -> Console:
        return Console(file=sys.stdout, width=max(120, Console(file=sys.stdout).width))

    def data(self, value: Any) -> None:
        """Print `value` as indented JSON (the wire objects for models)."""
        typer.echo(json.dumps(plain(value), indent=2, ensure_ascii=False))

    def table(self, rows: Sequence[Any], columns: Sequence[tuple[str, Any]]) -> None:
        """JSON: the rows' wire objects. Table: one column per (title, row → value)."""
        if self.json:
            self.data(list(rows))
            return
        table = Table(show_edge=False, header_style="bold")
        for title, _ in columns:
            table.add_column(title, overflow="fold")
        for row in rows:
            table.add_row(*(Text(cell(get(row))) for _, get in columns))  # data, not markup
        self.console().print(table)

    def record(self, value: Any) -> None:
        """One object: JSON, or a two-column table of its members."""
        if self.json:
            self.data(value)
            return
        table = Table(show_header=False, show_edge=False)
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        for key, member in plain(value).items():
            table.add_row(key, Text(cell(member)))
        self.console().print(table)

    def done(self, message: str, **fields: Any) -> None:
        """An action's outcome: `{"ok": true, ...fields}` in JSON, else `message`."""
        if self.json:
            self.data({"ok": True, **fields})
        else:
            typer.echo(message)

    def error(self, message: str) -> None:
        Console(file=sys.stderr, highlight=False, soft_wrap=True).print(message, markup=False)

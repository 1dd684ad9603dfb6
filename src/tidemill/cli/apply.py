"""`tidemill apply -f DIR_OR_FILE [--prune] [--dry-run]`: make the server match the files.

The plan (tidemill.cli._plan) is printed first, then made change by change; a second apply of
the same files finds every resource unchanged. Documents are YAML (several per file, split by
`---`) or JSON files; a directory is read recursively (`*.yaml`, `*.yml`, `*.json`, in name
order).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tidemill.cli._connect import Api, api_command
from tidemill.cli._files import FileError, documents
from tidemill.cli._plan import Change, Current, Document, ManifestError, document, lines, plan
from tidemill.client import Client

commands = typer.Typer()
SUFFIXES = (".yaml", ".yml", ".json")
EXIT_INVALID = 2


def manifest_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    if path.exists() or str(path) == "-":
        return [path]
    raise FileError(f"{path} does not exist")


def load(path: Path) -> list[Document]:
    """Every document under `path` (FileError, ManifestError)."""
    found: list[Document] = []
    for file in manifest_files(path):
        for number, raw in enumerate(documents(str(file)), start=1):
            found.append(document(raw, f"{file} (document {number})"))
    return found


def current(client: Client) -> Current:
    """What the server holds now, as wire objects (user variables only)."""
    jobs = {j.name: j.wire() for j in client.list_jobs()}
    return Current(
        workflows={w.name: w.wire() for w in client.list_workflows()},
        variables={v.name: v.wire() for v in client.list_variables("user")},
        datasources={d.name: d.wire() for d in client.list_datasources()},
        jobs=jobs,
        exports={(job, e.name): e.wire() for job in jobs for e in client.list_exports(job)},
    )


def make(client: Client, change: Change) -> None:
    """Send the one call `change` stands for."""
    kind, name, body = change.kind, change.name, dict(change.body)
    if kind == "export":
        calls: dict[str, Any] = {
            "create": lambda: client.create_export(change.job, name, body),
            "update": lambda: client.update_export(change.job, name, body),
            "delete": lambda: client.delete_export(change.job, name),
        }
    else:
        calls = {
            "create": lambda: getattr(client, f"create_{kind}")(name, body),
            "update": lambda: getattr(client, f"update_{kind}")(name, body),
            "delete": lambda: getattr(client, f"delete_{kind}")(name),
        }
    calls[change.action]()


@api_command(commands, "apply")
def apply(
    api: Api,
    file: Annotated[
        Path, typer.Option("--file", "-f", help="A manifest file, or a directory of them")
    ],
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete what the files no longer name")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and change nothing")
    ] = False,
) -> None:
    """Create, update (and with --prune delete) resources to match the manifests under FILE."""
    try:
        docs = load(file)
    except (FileError, ManifestError) as exc:
        api.out.error(f"Error: {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    try:
        changes = plan(docs, current(api.client), prune)
    except ManifestError as exc:
        api.out.error(f"Error: {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    blocked = [c for c in changes if c.action == "blocked"]
    todo = [c for c in changes if c.action in ("create", "update", "delete")]
    if not api.out.json:
        for line in lines(changes):
            typer.echo(line)
        typer.echo(_summary(changes))
    applied: list[Change] = []
    if not blocked and not dry_run:
        try:
            for change in todo:
                make(api.client, change)
                applied.append(change)
        finally:
            _report(api, changes, applied, dry_run)
    else:
        _report(api, changes, applied, dry_run)
    if blocked:
        api.out.error(
            "Error: " + "; ".join(f"{c.label}: {', '.join(c.fields)} cannot change in place "
                                  "(delete it, then apply)" for c in blocked)
        )  # fmt: skip
        raise typer.Exit(EXIT_INVALID)


def _summary(changes: list[Change]) -> str:
    count = {a: sum(c.action == a for c in changes) for a in ("create", "update", "delete",
                                                              "unchanged")}  # fmt: skip
    if not any(count[a] for a in ("create", "update", "delete")):
        return f"No changes ({count['unchanged']} unchanged)."
    return (f"{count['create']} to create, {count['update']} to update, "
            f"{count['delete']} to delete, {count['unchanged']} unchanged.")  # fmt: skip


def _report(api: Api, changes: list[Change], applied: list[Change], dry_run: bool) -> None:
    if api.out.json:
        api.out.data({
            "dryRun": dry_run,
            "changes": [c.wire() for c in changes],
            "applied": [c.wire() for c in applied],
        })  # fmt: skip
    elif applied:
        for change in applied:
            typer.echo(f"{change.action}d {change.label}")  # created, updated, deleted

"""Declarative pipelines: what `tidemill apply` must do to make the server match the files.

Pure: it takes the documents and the server's current resources (wire objects) and returns the
changes, in the order they must be made. A document is `{kind, name, job (exports only),
spec}`; `spec` is exactly the create body of the kind (spec §4.1, §6.1, §8.1, §9.1, §10.1).

Comparing a document with the server: both sides are normalised (members that are null, "",
[] or {} dropped; schema entries reduced to key, valtype and required; enumerations the server
takes in any case lower-cased), then each member the
kind can update is compared. A member the server holds but the document leaves out counts as a
change when the kind's update replaces it (a full replacement clears it). Members the server
derives (a job's output `schema` and `workflow`) and extension members the document does not
name are ignored; an extension member the document names matches when the server's value holds
all it says (the server may add defaults; an alert target's secret and url user info match
when the check the server shows beside them was made from the file's values). A kind's
fixed members (a datasource's `type`, `region` and `workflow`, an export's `type`, a
workflow's `region`) cannot change in place: the plan says so and nothing is applied.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tidemill.core.notify import CHECK, SHOWN_SECRET, check_matches, shown_url
from tidemill.core.retries import format_duration, parse_duration
from tidemill.errors import TidemillError

KINDS = ("workflow", "variable", "datasource", "job", "export")  # the order of creation


class ManifestError(Exception):
    """A document is not `{kind, name, job?, spec}` as the kind needs; the message says where."""


@dataclass(frozen=True, slots=True)
class Document:
    kind: str
    name: str
    spec: Mapping[str, Any]
    job: str = ""  # exports only
    source: str = ""  # file and document number, for messages

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.job, self.name)

    @property
    def label(self) -> str:
        return (
            f"{self.kind} {self.job}/{self.name}"
            if self.kind == "export"
            else (f"{self.kind} {self.name}")
        )


# The members compared, per kind: those an update sets, and those fixed at creation.
UPDATABLE = {
    "workflow": ("comment",),
    "variable": ("type", "value", "format"),
    "datasource": ("spec", "schema"),
    "job": ("srcs", "computation", "container", "scheduler", "params"),
    "export": ("spec",),
}
FIXED = {
    "workflow": ("region",),
    "variable": (),
    "datasource": ("type", "region", "workflow"),
    "job": (),
    "export": ("type",),
}
# On top of FIXED, for jobs etc.; `notifyStatus` is what GetJob derives (a read-back has it).
IGNORED = {"name", "schema", "workflow", "noVerifySchema", "notifyStatus"}
# Enumerations the server compares case-insensitively (§1.4 item 8), some stored lower case:
# compared lower-cased on both sides. A path is member names; "[]" steps into each element.
CASELESS = {
    "datasource": (("type",), ("spec", "fileType")),
    "job": (("srcs", "[]", "type"), ("computation", "type"), ("scheduler", "type")),
    "export": (("type",), ("spec", "format"), ("spec", "compression")),
    "variable": (("type",),),
    "workflow": (),
}


def _lowered(value: Any, path: Sequence[str]) -> Any:
    if not path:
        return value.lower() if isinstance(value, str) else value
    step, rest = path[0], path[1:]
    if step == "[]":
        return [_lowered(v, rest) for v in value] if isinstance(value, list) else value
    if isinstance(value, dict) and step in value:
        return {**value, step: _lowered(value[step], rest)}
    return value


def caseless(kind: str, members: dict[str, Any]) -> dict[str, Any]:
    """`members` with the kind's case-insensitive enumerations lower-cased."""
    for path in CASELESS[kind]:
        members = _lowered(members, path)
    return members


def document(raw: Any, source: str) -> Document:
    """One manifest document, checked for shape (ManifestError)."""
    if not isinstance(raw, dict):
        raise ManifestError(f"{source}: a document must be a mapping with kind, name and spec")
    kind, name, spec, job = raw.get("kind"), raw.get("name"), raw.get("spec"), raw.get("job")
    unknown = set(raw) - {"kind", "name", "spec", "job"}
    if kind not in KINDS:
        raise ManifestError(f"{source}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not isinstance(name, str) or not name:
        raise ManifestError(f"{source}: name must be a non-empty string")
    if not isinstance(spec, dict):
        raise ManifestError(f"{source}: spec must be a mapping (the {kind}'s create body)")
    if kind == "export" and (not isinstance(job, str) or not job):
        raise ManifestError(f"{source}: an export needs job: <the job it belongs to>")
    if kind != "export" and job is not None:
        raise ManifestError(f"{source}: only exports have a job member")
    if unknown:
        raise ManifestError(f"{source}: unknown member(s) {', '.join(sorted(unknown))}")
    return Document(kind, name, spec, job or "", source)


def upstreams(spec: Mapping[str, Any]) -> list[str]:
    """The jobs a job's srcs name (type Job, any case); none when srcs is not a list (the
    server then refuses the body with its own message)."""
    srcs = spec.get("srcs") or []
    if not isinstance(srcs, list):
        return []
    return [
        str(s.get("name")) for s in srcs
        if isinstance(s, dict) and str(s.get("type", "")).lower() == "job"
    ]  # fmt: skip


def job_order(jobs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Job names, each after the jobs of `jobs` it reads (by name otherwise); cycles keep
    file order, and the server refuses them."""
    done: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name in visiting:
            return
        visiting.add(name)
        for up in upstreams(jobs[name]):
            if up in jobs:
                visit(up)
        visiting.discard(name)
        done.append(name)

    for name in sorted(jobs):
        visit(name)
    return done


def ordered(docs: Sequence[Document]) -> list[Document]:
    """Documents in the order of creation: workflows, variables, datasources, jobs upstream
    first, exports. Two documents for one resource are a ManifestError."""
    seen: dict[tuple[str, str, str], Document] = {}
    for doc in docs:
        if doc.key in seen:
            raise ManifestError(
                f"{doc.source}: {doc.label} is also defined in {seen[doc.key].source}"
            )
        seen[doc.key] = doc
    by_kind = {
        kind: sorted((d for d in docs if d.kind == kind), key=lambda d: d.key) for kind in KINDS
    }
    jobs = {d.name: d for d in by_kind["job"]}
    by_kind["job"] = [jobs[n] for n in job_order({n: d.spec for n, d in jobs.items()})]
    return [d for kind in KINDS for d in by_kind[kind]]


def normal(value: Any, member: str = "") -> Any:
    """The comparable form: empty members dropped, schema entries as key/valtype/required."""
    if member == "schema" and isinstance(value, list):
        return [
            {"key": f.get("key"), "valtype": f.get("valtype"), "required": bool(f.get("required"))}
            if isinstance(f, dict) else f
            for f in value
        ]  # fmt: skip
    if isinstance(value, dict):
        kept = {k: normal(v, k) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [normal(v) for v in value]
    return value


def desired_members(doc: Document) -> dict[str, Any]:
    """The document's spec, normalised as the server shows it: a job without scheduler that
    reads a job is depend (§6.1.6, D-15); a string variable has no format (§9.1)."""
    spec: dict[str, Any] = normal(dict(doc.spec))
    if doc.kind == "job" and "scheduler" not in spec and upstreams(doc.spec):
        spec["scheduler"] = {"type": "depend"}
    if doc.kind == "variable" and str(spec.get("type", "")).lower() == "string":
        spec.pop("format", None)  # ignored for string variables and stored as "" (§9.1)
    return spec


def covers(want: Any, have: Any) -> bool:
    """Whether the server's extension value `have` holds everything the file's `want` says:
    objects may have more members (the server's defaults, such as retry's backoff), lists match
    element by element (an alert target's secret is compared by `_target_shown` first)."""
    if isinstance(want, dict) and isinstance(have, dict):
        return all(covers(value, have.get(key)) for key, value in want.items())
    if isinstance(want, list) and isinstance(have, list):
        return len(want) == len(have) and all(covers(w, h) for w, h in zip(want, have, strict=True))
    return bool(want == have)


@dataclass(frozen=True, slots=True)
class Change:
    """One step: `action` is create, update, delete, unchanged or blocked (a fixed member
    differs); `fields` the members that differ, with (server, file) values."""

    kind: str
    name: str
    action: str
    job: str = ""
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    body: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return (
            f"{self.kind} {self.job}/{self.name}"
            if self.kind == "export"
            else (f"{self.kind} {self.name}")
        )

    def wire(self) -> dict[str, Any]:
        found: dict[str, Any] = {"kind": self.kind, "name": self.name, "action": self.action}
        if self.job:
            found["job"] = self.job
        if self.fields:
            found["fields"] = {k: {"server": s, "file": f} for k, (s, f) in self.fields.items()}
        return found


def compare(doc: Document, current: Mapping[str, Any]) -> Change:
    """The change that makes the server's `current` wire object match `doc`."""
    have = caseless(doc.kind, normal(dict(current)))
    want = caseless(doc.kind, _secrets_shown(desired_members(doc), have.get("notify")))
    differ: dict[str, tuple[Any, Any]] = {}
    blocked: dict[str, tuple[Any, Any]] = {}
    extensions = [k for k in want if k not in UPDATABLE[doc.kind] and k not in FIXED[doc.kind]
                  and k not in IGNORED]  # fmt: skip
    for member in UPDATABLE[doc.kind]:
        if want.get(member) != have.get(member):
            differ[member] = (have.get(member), want.get(member))
    for member in extensions:
        if not covers(want.get(member), have.get(member)):
            differ[member] = (have.get(member), want.get(member))
    for member in FIXED[doc.kind]:
        if member in want and want.get(member) != have.get(member):
            blocked[member] = (have.get(member), want.get(member))
    if blocked:
        return Change(doc.kind, doc.name, "blocked", doc.job, blocked, doc.spec)
    return Change(doc.kind, doc.name, "update" if differ else "unchanged", doc.job, differ,
                  doc.spec)  # fmt: skip


def _secrets_shown(spec: dict[str, Any], stored: Any = None) -> dict[str, Any]:
    """`spec` with each alert target's secret and url user info as the server shows them
    (`"set"`, `***@`; issue 14), so neither is printed in the diff; a secret (or user info)
    that differs from what the server holds shows as `CHANGED` instead of "set": the server's
    target of the same shown url carries a check of both (`core.notify.secret_check`), which
    the file's values must match. `stored`: the server's `notify` targets. And the durations
    of retry and notify spelt as the server stores them."""
    retry = spec.get("retry")
    if isinstance(retry, dict):
        spec = {**spec, "retry": {k: _duration(v) if k in DURATIONS else v
                                  for k, v in retry.items()}}  # fmt: skip
    targets = spec.get("notify")
    if not isinstance(targets, list):
        return spec
    held = [t for t in stored if isinstance(t, dict)] if isinstance(stored, list) else []
    shown = [_target_shown(t, held) if isinstance(t, dict) else t for t in targets]
    return {**spec, "notify": shown}


DURATIONS = ("backoff", "maxBackoff", "lateAfter")


CHANGED = "(changed)"  # the diff's file side for a secret or url user info the server lacks


def _target_shown(target: dict[str, Any], stored: list[dict[str, Any]]) -> dict[str, Any]:
    """An alert target as GetJob shows it: secret "set" (or CHANGED when it, or the url's user
    info, is not what the server's check says), the url's user info `***`; the file's own
    CHECK (a read-back carries one) left out: the server makes its own."""
    shown = {k: _duration(v) if k in DURATIONS else v for k, v in target.items() if k != CHECK}
    url = shown.get("url")
    if isinstance(url, str):
        shown["url"] = shown_url(url)
    secret = shown.get("secret")
    if secret is not None and secret != SHOWN_SECRET:
        held = next((t for t in stored if t.get("url") == shown.get("url")), {})
        same = isinstance(secret, str) and isinstance(url, str)
        same = same and check_matches(held.get(CHECK), str(secret), str(url))
        shown["secret"] = SHOWN_SECRET if same else CHANGED
    return shown


def _duration(value: Any) -> Any:
    """A duration spelt as the server stores it ("60s" -> "1m", core.retries); else as is."""
    try:
        return format_duration(parse_duration(value, "duration"))
    except TidemillError:
        return value


@dataclass(frozen=True, slots=True)
class Current:
    """The server's resources, as wire objects: by name, exports by (job, name)."""

    workflows: Mapping[str, Mapping[str, Any]]
    variables: Mapping[str, Mapping[str, Any]]
    datasources: Mapping[str, Mapping[str, Any]]
    jobs: Mapping[str, Mapping[str, Any]]
    exports: Mapping[tuple[str, str], Mapping[str, Any]]

    def find(self, doc: Document) -> Mapping[str, Any] | None:
        if doc.kind == "export":
            return self.exports.get((doc.job, doc.name))
        found: Mapping[str, Mapping[str, Any]] = getattr(self, doc.kind + "s")
        return found.get(doc.name)


def plan(docs: Sequence[Document], current: Current, prune: bool = False) -> list[Change]:
    """The changes, in order: creates and updates in dependency order, then (with `prune`)
    deletes of what no document names, in reverse order (exports, downstream jobs first, ...)."""
    changes: list[Change] = []
    check_jobs(docs, current)
    for doc in ordered(docs):
        found = current.find(doc)
        if found is None:
            changes.append(Change(doc.kind, doc.name, "create", doc.job, body=doc.spec))
        else:
            changes.append(compare(doc, found))
    if prune:
        check_prune(docs, current)
        changes += deletions({d.key for d in docs}, current)
    return changes


def check_jobs(docs: Sequence[Document], current: Current) -> None:
    """Refuse (ManifestError), before anything is changed, what no order of calls can make: a
    job reading a job that neither the files nor the server have, and a depend cycle (the
    files' jobs over the server's others; the server refuses both, but only after the
    resources before them were made)."""
    files = {d.name: d for d in docs if d.kind == "job"}
    reads = {name: upstreams(job) for name, job in current.jobs.items()}
    reads.update({name: upstreams(d.spec) for name, d in files.items()})
    for doc in files.values():
        for up in upstreams(doc.spec):
            if up not in reads:
                raise ManifestError(
                    f"{doc.source}: job {doc.name} reads job {up!r}, which neither the files "
                    "nor the server have"
                )
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = " -> ".join([*path[path.index(name) :], name])
            where = files[name].source if name in files else "the server"
            raise ManifestError(f"{where}: jobs read each other in a cycle: {cycle}")
        if name in done:
            return
        for up in reads.get(name, []):
            visit(up, [*path, name])
        done.add(name)

    for name in sorted(files):
        visit(name, [])


def check_prune(docs: Sequence[Document], current: Current) -> None:
    """With --prune, refuse (ManifestError) before anything is changed a plan that would
    delete what a resource of the files still needs: a job or datasource a file's job reads,
    the job a file's export belongs to (the server refuses such a delete, after the deletes
    before it were made)."""
    named = {d.key for d in docs}
    for doc in docs:
        needs: list[tuple[str, str]] = []
        if doc.kind == "job":
            srcs = doc.spec.get("srcs")
            for src in srcs if isinstance(srcs, list) else []:
                kind = str(src.get("type", "")).lower() if isinstance(src, dict) else ""
                if kind in ("job", "datasource"):
                    needs.append((kind, str(src.get("name"))))
        if doc.kind == "export":
            needs.append(("job", doc.job))
        for kind, name in needs:
            on_server = getattr(current, kind + "s")
            if (kind, "", name) not in named and name in on_server:
                raise ManifestError(
                    f"{doc.source}: --prune would delete {kind} {name}, which {doc.label} "
                    "needs: add it to the files, or apply without --prune"
                )


def deletions(named: set[tuple[str, str, str]], current: Current) -> list[Change]:
    gone: list[Change] = []
    for job, name in sorted(current.exports):
        if ("export", job, name) not in named:
            gone.append(Change("export", name, "delete", job))
    for name in reversed(job_order(current.jobs)):
        if ("job", "", name) not in named:
            gone.append(Change("job", name, "delete"))
    for kind, found in (("datasource", current.datasources), ("variable", current.variables),
                        ("workflow", current.workflows)):  # fmt: skip
        gone += [Change(kind, n, "delete") for n in sorted(found) if (kind, "", n) not in named]
    return gone


def brief(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def lines(changes: Iterable[Change]) -> list[str]:
    """The diff as text: `+` create, `~` update (with `-` server and `+` file values per
    member), `-` delete, `!` blocked, `=` unchanged."""
    mark = {"create": "+", "update": "~", "delete": "-", "unchanged": "=", "blocked": "!"}
    out: list[str] = []
    for change in changes:
        out.append(f"{mark[change.action]} {change.label} ({change.action})")
        for member, (server, file) in change.fields.items():
            out.append(f"    - {member}: {brief(server)}")
            out.append(f"    + {member}: {brief(file)}")
    return out

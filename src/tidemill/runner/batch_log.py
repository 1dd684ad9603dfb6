"""The batch log: what one attempt of a batch did, as plain text (issue 15, item 6).

A worker fills a `BatchLog` as the attempt goes — the rendered SQL and the input files with
their sizes when it starts, the engine's figures when the result is committed, each export's
outcome, the error and its causes when it fails — and writes it to `core.naming.log_beside`
(the batch's directory in the warehouse, beside its result): once the attempt has run a
short while (so a killed attempt leaves what it was given; the runner writes that for a worker
that died sooner, `save_given_if_missing`) and once at the end. The API serves it
(`GET /v2/jobs/{job}/history/{runId}/log`); it is deleted with the batch's files.

The text is for the batch's own account: it never shows the server's paths (the data
directory, the warehouse's location, the local path of a file:// input), which `Redactor`
replaces with the names the user knows.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tidemill.core.naming import LOG_UID_LABEL, log_beside
from tidemill.core.plans import BatchPlan, TablePlan
from tidemill.engines.base import Committed
from tidemill.errors import TidemillError
from tidemill.exporters.base import ExportOutcome, Fence
from tidemill.storage.base import Storage

log = logging.getLogger("tidemill.batch_log")

MAX_FILES_LISTED = 200  # per table; the rest are counted
MAX_CAUSE_LINES = 8  # lines of each cause's text
MAX_CAUSES = 4  # causes followed down the chain


@dataclass(frozen=True, slots=True)
class Redactor:
    """Replaces server paths in text with what the user may see.

    `replacements`: (server text, shown instead), longest first, so a file's own path is named
    before the directory holding it.
    """

    replacements: tuple[tuple[str, str], ...]

    @classmethod
    def for_plan(cls, plan: BatchPlan, data_dir: Path, warehouse: str) -> Redactor:
        """The warehouse's URI and local path become `warehouse:`, the data directory
        `<data>`, and each file:// input's path its name (kodo: bucket/key)."""
        pairs: dict[str, str] = {}
        if warehouse:
            root = warehouse.rstrip("/")
            pairs[root] = "warehouse:"
            if root.startswith("file://"):
                pairs[root.removeprefix("file://")] = "warehouse:"
        for table in plan.tables:
            for f in table.files:
                if f.name and f.uri.startswith("file://"):
                    pairs[f.uri] = f.name
                    pairs[f.uri.removeprefix("file://")] = f.name
        data = str(data_dir)
        if data not in ("", "/", "."):
            pairs[data] = "<data>"
        ordered = sorted(pairs.items(), key=lambda pair: len(pair[0]), reverse=True)
        return cls(tuple(ordered))

    def __call__(self, text: str) -> str:
        for server, shown in self.replacements:
            text = text.replace(server, shown)
        return text


@dataclass(slots=True)
class BatchLog:
    """One attempt's log, built section by section; `text()` is what is stored."""

    plan: BatchPlan
    redact: Redactor
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    _clock: float = field(default_factory=time.monotonic)
    _sections: list[tuple[str, list[str]]] = field(default_factory=list)
    _ended: str = ""

    def __post_init__(self) -> None:
        plan = self.plan
        engine = plan.engine + (f" ({plan.engine_reason})" if plan.engine_reason else "")
        head = [
            f"job: {plan.job}",
            f"batch: {plan.run_id} (attempt {plan.attempt})",
            f"{LOG_UID_LABEL}{plan.batch_uid}",  # whose log it is (services.batch_logs checks it)
            f"started: {_stamp(self.started)}",
            f"engine: {engine}",
            f"limits: {plan.limits.threads} threads, {plan.limits.memory} working memory",
            f"time zone: {plan.zone}",
        ]
        if plan.params:
            head.append("params: " + ", ".join(f"{k}={v}" for k, v in sorted(plan.params.items())))
        self._sections.append(("batch", head))
        self._sections.append(("sql (variables rendered)", plan.sql.strip().splitlines()))
        self._sections.append(("inputs", _inputs(plan.tables, self.redact)))
        planned = [f"{e.name} ({e.type})" for e in plan.exports]
        self._sections.append(("exports planned", planned or ["none"]))

    def committed(self, result: Committed, process: Mapping[str, int]) -> None:
        """The engine committed the result: its rows and figures, and the worker's."""
        lines = [f"rows written: {result.rows:,}"]
        lines += [_figure(name, value) for name, value in result.figures.items()]
        lines += [_figure(name, value) for name, value in process.items()]
        if not result.figures:
            lines.append(f"(the {self.plan.engine} engine reports no figures of its own)")
        if result.note:
            lines.append(f"note: {self.redact(result.note)}")
        self._sections.append(("engine", lines))

    def exported(self, outcomes: Sequence[ExportOutcome]) -> None:
        lines = []
        for o in outcomes:
            line = f"{o.name} ({o.type}): {o.status}, {o.rows:,} rows"
            if o.message:
                line += f": {self.redact(o.message)}"
            lines.append(line)
            keys = o.written.get("keys") or o.written.get("files") or ()
            if isinstance(keys, list | tuple) and keys:
                lines.append(f"  wrote {len(keys)} object(s), first: {self.redact(str(keys[0]))}")
        if lines:
            self._sections.append(("exports", lines))

    def failed(self, message: str, error: BaseException | None = None) -> None:
        """The attempt failed with `message` (as the batch's message says); `error` and its
        causes are shown beneath, each with its type and first lines."""
        lines = [f"error: {self.redact(message)}"]
        seen = 0
        cause = _cause_of(error)
        while cause is not None and seen < MAX_CAUSES:
            text = str(cause).strip().splitlines()[:MAX_CAUSE_LINES] or [""]
            lines.append(f"caused by {type(cause).__name__}: {self.redact(text[0])}")
            lines += [f"  {self.redact(t)}" for t in text[1:]]
            seen += 1
            cause = _cause_of(cause)
        self._sections.append(("failure", lines))
        self._ended = "failed"

    def finish(self, process: Mapping[str, int] | None = None) -> None:
        """The attempt is over: how long it took (and the worker's figures on failure)."""
        seconds = time.monotonic() - self._clock
        lines = [
            f"ended: {_stamp(datetime.now(UTC))}",
            f"worker time: {seconds:.3f} s",
            f"outcome: {self._ended or 'succeeded'}",
        ]
        if self._ended and process:
            lines += [_figure(name, value) for name, value in process.items()]
        self._sections.append(("end", lines))

    @property
    def failing(self) -> bool:
        """Whether the attempt failed (`failed` was called): `finish` shows the worker's
        figures only then."""
        return bool(self._ended)

    def reopen(self) -> None:
        """Take back `finish`'s section: the attempt goes on (a publish after it failed)."""
        if self._sections and self._sections[-1][0] == "end":
            self._sections.pop()

    def text(self) -> str:
        parts = []
        for title, lines in self._sections:
            parts.append(f"== {title} ==")
            parts.extend(lines)
            parts.append("")
        return "\n".join(parts)


def save(
    storage: Storage, batch_log: BatchLog, fence: Fence | None = None, *, durable: bool = True
) -> None:
    """Store the log beside the batch's result, only while `fence` holds when given. A log
    that cannot be written never fails the batch: it is reported in the service's log.

    `durable=False` (the log written as the attempt starts, docs/decisions.md "Batch log
    durability"): the write survives a killed worker, not a machine crash, after which the
    attempt is settled and runs again, writing a new log."""
    uri = log_beside(batch_log.plan.result_uri)
    # A name that is not UTF-8 (a local file's, as lone surrogates) is written escaped: it
    # must not kill the worker before the batch can say what is wrong with it.
    data = batch_log.text().encode(errors="backslashreplace")
    try:
        if fence is None:
            storage.put(uri, data, durable=durable)
        else:
            with fence.publishing():
                storage.put(uri, data, durable=durable)
    except TidemillError as exc:
        log.warning("cannot write the log of batch %s/%s: %s", batch_log.plan.job,
                    batch_log.plan.run_id, exc.message)  # fmt: skip


def save_given_if_missing(
    storage: Storage, batch_log: BatchLog, fence: Fence | None = None
) -> bool:
    """Store `batch_log` (what the attempt was given) unless the log beside the result is this
    attempt's already (its uid and attempt lines); whether it was stored. For an attempt whose
    worker ended before writing any log (the worker writes its first log only once the run
    has lasted `FIRST_LOG_AFTER`): the runner calls it, under the lease, before it records the
    outcome. Not synced, as the worker's first log (docs/decisions.md)."""
    plan = batch_log.plan
    uri = log_beside(plan.result_uri)
    ours = f"batch: {plan.run_id} (attempt {plan.attempt})\n{LOG_UID_LABEL}{plan.batch_uid}\n"
    try:
        if ours in storage.read(uri, 0, 4096).decode(errors="replace"):
            return False
    except TidemillError:
        pass  # none yet (or unreadable): written below
    save(storage, batch_log, fence, durable=False)
    return True


# --- the worker process's own figures (Linux: /proc/self) -------------------------------------

_HWM = re.compile(rb"VmHWM:\s+(\d+) kB")


def reset_peak_memory() -> None:
    """Start measuring the process's peak resident memory afresh (Linux clear_refs "5")."""
    with suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def process_figures() -> dict[str, int]:
    """`worker_peak_rss_bytes`: this process's peak resident memory since the last reset."""
    with suppress(OSError), open("/proc/self/status", "rb") as f:
        found = _HWM.search(f.read())
        if found:
            return {"worker_peak_rss_bytes": int(found.group(1)) * 1024}
    return {}


# --- formatting -------------------------------------------------------------------------------


def _inputs(tables: Sequence[TablePlan], redact: Redactor) -> list[str]:
    lines: list[str] = []
    for table in tables:
        if table.result is not None:
            lines.append(f"table {table.table}: an upstream batch's result, {redact(table.result)}")
            continue
        total = sum(f.size for f in table.files)
        kind = table.file_type or "files"
        lines.append(f"table {table.table} ({kind}): {len(table.files)} file(s), {_bytes(total)}")
        for f in table.files[:MAX_FILES_LISTED]:
            compression = f", {f.compression}" if f.compression else ""
            lines.append(f"  {redact(f.name or f.uri)}  {_bytes(f.size)}{compression}")
        if len(table.files) > MAX_FILES_LISTED:
            lines.append(f"  ... and {len(table.files) - MAX_FILES_LISTED} more")
    return lines or ["none"]


def _figure(name: str, value: int | float) -> str:
    label = name.replace("_", " ")
    if name.startswith("bytes_"):
        return f"{label}: {_bytes(int(value))}"
    if name.endswith("_bytes"):
        return f"{label.removesuffix(' bytes')}: {_bytes(int(value))}"
    if name.endswith("_seconds"):
        return f"{label.removesuffix(' seconds')}: {value:.3f} s"
    return f"{label}: {value:,}"


def _bytes(size: int) -> str:
    """`1,234,567 bytes (1.2 MiB)`; small sizes in bytes only."""
    if size < 1024:
        return f"{size:,} bytes"
    scaled, units = size / 1024, ["KiB", "MiB", "GiB", "TiB"]
    while scaled >= 1024 and len(units) > 1:
        scaled, units = scaled / 1024, units[1:]
    return f"{size:,} bytes ({scaled:.1f} {units[0]})"


def _cause_of(error: BaseException | None) -> BaseException | None:
    if error is None:
        return None
    return error.__cause__ or (None if error.__suppress_context__ else error.__context__)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

"""What every exporter gets and gives back: the plan of one export, its context, its outcome."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tidemill.core.names import scoped_target
from tidemill.storage.base import ObjectStore

# Outcome statuses, as stored per (batch, export, attempt).
SUCCESSFUL = "Successful"
FAILED = "Failed"
SKIPPED = "Skipped"  # saveMode ignore found files: counts as successful (§8.9)


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """One export of the job, as it stands when the batch is planned (D-19: current exports).

    `previous` holds what earlier attempts of the same batch wrote (their `written` records),
    so a rerun replaces that output instead of adding to it.
    """

    name: str
    type: str
    spec: Mapping[str, Any]
    manual: bool = False  # the job's scheduler is manual (D-21 naming)
    previous: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class HttpOptions:
    timeout: float = 10.0
    retries: int = 5
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    chunk_bytes: int = 2 * 1024 * 1024  # D-22: the SDK's PandoraMaxBatchSize


@dataclass(frozen=True, slots=True)
class Targets:
    """Where the non-file exports go (D-23), resolved from Settings."""

    tsdb_url: str = ""
    logdb_url: str = ""
    report_url: str = ""  # a SQLAlchemy URL, with {db} for the dbName
    http: HttpOptions = field(default_factory=HttpOptions)
    create_buckets: bool = False  # a kodo export may create its missing bucket (kind 7)


@dataclass(frozen=True, slots=True)
class ExportContext:
    """The committed result of one batch and everything needed to export it."""

    account: int
    tenant: str  # the account's name: report, logdb and tsdb targets are scoped by it
    job: str
    run_id: int
    attempt: int  # the batch's rerun count
    result: Path  # the committed result.parquet
    rows: int
    zone: ZoneInfo
    store: ObjectStore  # the account's buckets only (Storage.for_account)
    targets: Targets
    scratch: Path  # a directory for staging files (removed by the caller)
    threads: int = 1
    memory_limit: str | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())

    def scoped(self, name: str) -> str:
        """The physical name of the account's report dbName, logdb repo or tsdb repo:
        `<account>-<name>` (core.names.scoped_target), so accounts never share one."""
        return scoped_target(self.tenant, name)

    @property
    def batch_key(self) -> str:
        """Names this batch across attempts: `<account>/<job>/<runId>`."""
        return f"{self.account}/{self.job}/{self.run_id}"


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """What happened to one export of one batch attempt."""

    name: str
    type: str
    status: str
    message: str = ""
    rows: int = 0
    written: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == FAILED


class Exporter(Protocol):
    def __call__(self, ctx: ExportContext, plan: ExportPlan) -> ExportOutcome:
        """Write the batch result to the export's target.

        Raise a TidemillError with a message for the user when the export fails; the
        dispatcher records it. Whatever an earlier attempt of this batch wrote (`plan.previous`)
        must be replaced, not added to.
        """
        ...

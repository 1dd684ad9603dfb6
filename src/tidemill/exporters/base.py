"""What every exporter gets and gives back: the plan of one export, its context, its outcome."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tidemill.core.names import scoped_target
from tidemill.core.outbound import AddressPolicy
from tidemill.core.plans import ExportPlan as ExportPlan  # its home is the plan; exporters take it
from tidemill.storage.base import Buckets, Storage

# Outcome statuses, as stored per (batch, export, attempt).
SUCCESSFUL = "Successful"
FAILED = "Failed"
SKIPPED = "Skipped"  # saveMode ignore found files: counts as successful (§8.9)


@dataclass(frozen=True, slots=True)
class HttpOptions:
    timeout: float = 10.0
    retries: int = 5
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    chunk_bytes: int = 2 * 1024 * 1024  # D-22: the SDK's PandoraMaxBatchSize
    policy: AddressPolicy = field(default_factory=AddressPolicy)  # where requests may connect


@dataclass(frozen=True, slots=True)
class Targets:
    """Where the non-file exports go (D-23), resolved from Settings."""

    tsdb_url: str = ""
    logdb_url: str = ""
    report_url: str = ""  # a SQLAlchemy URL, with {db} for the dbName
    http: HttpOptions = field(default_factory=HttpOptions)
    create_buckets: bool = False  # a kodo export may create its missing bucket (kind 7)
    # hdfs:// URIs no hdfs export writes under (the warehouse's, when it is on HDFS: every
    # account's results live there), on any namenode spelling (storage.hdfs_uris.fenced).
    hdfs_fences: tuple[str, ...] = ()


class Fence(Protocol):
    """The lease of the attempt an export belongs to (fencing: a worker whose batch was stopped,
    settled by a restarted service or rerun must not publish anything).

    Every method raises a TidemillError once the lease is lost.
    """

    def note(self, export: str, type_: str, written: Mapping[str, Any]) -> None:
        """Journal, durably, what this attempt is about to publish (before publishing it), so
        it can be undone if the attempt does not succeed."""
        ...

    def publishing(self) -> AbstractContextManager[None]:
        """Hold the lease while the block publishes: nobody can take the batch over until the
        block ends, and the block does not start if the lease is already lost."""
        ...

    def check(self) -> None:
        """For targets that cannot publish atomically (HTTP posts): is the lease still held?"""
        ...


class Unfenced:
    """No lease to check: exports run outside a batch attempt (tests, tools)."""

    def note(self, export: str, type_: str, written: Mapping[str, Any]) -> None:
        return None

    @contextmanager
    def _held(self) -> Iterator[None]:
        yield

    def publishing(self) -> AbstractContextManager[None]:
        return self._held()

    def check(self) -> None:
        return None


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
    store: Buckets  # the account's buckets only (Kodo.for_account)
    files: Storage  # every storage by URI (storage.registry.Storages): hdfs exports write here
    targets: Targets
    scratch: Path  # a directory for staging files (removed by the caller)
    threads: int = 1
    memory_limit: str | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())
    batch_uid: str = ""  # the batch's uid: unique for the life of the installation
    fence: Fence = field(default_factory=Unfenced)
    hdfs_roots: tuple[str, ...] = ()  # TIDEMILL_HDFS__ROOTS: where hdfs exports may write

    def scoped(self, name: str) -> str:
        """The physical name of the account's report dbName, logdb repo or tsdb repo:
        `<account>-<name>` (core.names.scoped_target), so accounts never share one."""
        return scoped_target(self.tenant, name)

    @property
    def batch_key(self) -> str:
        """Names this batch across attempts, and no other batch ever:
        `<account>/<job>/<runId>/<batch uid>` (a re-created job starts at runId 1 again)."""
        key = f"{self.account}/{self.job}/{self.run_id}"
        return f"{key}/{self.batch_uid}" if self.batch_uid else key


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

"""build_runtime(settings): the only place where the service's parts are wired together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tidemill.clock import Clock, SystemClock
from tidemill.config import Settings
from tidemill.observability.metrics import Metrics
from tidemill.sources.registry import Sources, open_sources
from tidemill.storage import open_kodo
from tidemill.storage.base import Buckets, Kodo
from tidemill.storage.registry import Storages, open_storages
from tidemill.store import accounts
from tidemill.store.db import open_database


class BatchRunner(Protocol):
    """What services need of the runner: a nudge, and ending a running batch."""

    def notify(self) -> None: ...

    def cancel(self, account: int, job: str, run_id: int, wait: float = 2.0) -> None: ...


class Nudge(Protocol):
    """A background loop that can be told to look again now."""

    def notify(self) -> None: ...


@dataclass
class Runtime:
    settings: Settings
    db: sa.Engine
    clock: Clock = field(default_factory=SystemClock)
    runner: BatchRunner | None = None
    scheduler: Nudge | None = None

    def notify_runner(self) -> None:
        if self.runner is not None:
            self.runner.notify()

    def cancel_batch(self, account: int, job: str, run_id: int) -> None:
        """End that batch's worker now if this process runs it (its slot records the outcome).

        Call it after storing the batch Cancelling: a batch another node runs (or any batch,
        on a node without a runner) is ended by its owner's runner, which watches for that.
        """
        if self.runner is not None:
            self.runner.cancel(account, job, run_id)

    def notify_scheduler(self) -> None:
        """A schedule was started, stopped or changed, or a batch ended."""
        if self.scheduler is not None:
            self.scheduler.notify()

    @property
    def inline_reads(self) -> bool:
        """Whether reads are cheap enough to run on the event loop (an embedded SQLite)."""
        return self.db.dialect.name == "sqlite"

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    def timestamp(self, moment: object) -> str:
        """RFC 3339 with offset in the configured zone (D-17); '' for no time."""
        if not isinstance(moment, datetime):
            return ""
        return moment.astimezone(self.zone).isoformat(timespec="seconds")

    @cached_property
    def storages(self) -> Storages:
        """Every storage backend (file://, and s3:// when configured), by URI; opened once."""
        return open_storages(self.settings)

    @cached_property
    def kodo(self) -> Kodo:
        """The kodo buckets (local directories or S3), opened once: an S3 client is costly.

        It hands out one account's buckets at a time: use `store_for`.
        """
        return open_kodo(self.settings)

    @cached_property
    def sources(self) -> Sources:
        """The datasource types this installation reads (kodo over `kodo`, hdfs over
        `storages`, fusion where configured), by type."""
        return open_sources(
            self.kodo,
            self.storages,
            self.settings.fusion,
            self.settings.hdfs.roots,
            warehouse=self.settings.warehouse,
        )

    @cached_property
    def metrics(self) -> Metrics:
        """This service's Prometheus metrics (observability.metrics), served at /metrics."""
        return Metrics(job_labels=self.settings.metrics_job_labels)

    def store_for(self, conn: sa.Connection, account: int) -> Buckets:
        """The buckets `account` may use, and no others (docs/decisions.md, "Tenancy")."""
        return self.kodo.for_account(accounts.scope_of(conn, account))

    def close(self) -> None:
        self.db.dispose()


def build_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    runtime = Runtime(settings, open_database(settings.metadata_url), clock or SystemClock())
    secret = settings.secret_key.get_secret_value()
    if settings.access_key and secret:
        with runtime.db.begin() as conn:
            accounts.put_key(
                conn, settings.account, settings.access_key, secret, runtime.clock.now()
            )
    return runtime

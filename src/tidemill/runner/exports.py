"""Exports around a batch: planning them, running them in the worker after the result is
committed, recording their outcomes, and the retention sweep of exported objects."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tidemill.config import Settings, WorkerConfig
from tidemill.core.batches import Batch
from tidemill.core.models import Job, SchedulerMode
from tidemill.errors import TidemillError
from tidemill.exporters import run_exports, undo
from tidemill.exporters.base import (
    SKIPPED,
    ExportContext,
    ExportOutcome,
    ExportPlan,
    Fence,
    HttpOptions,
    Targets,
    Unfenced,
)
from tidemill.storage.base import Buckets, Kodo, Storage
from tidemill.store import accounts, export_outcomes
from tidemill.store import repository as repo

log = logging.getLogger("tidemill.exports")


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a worker answers for a successful query: its row count and the exports' outcomes."""

    rows: int
    outcomes: tuple[ExportOutcome, ...] = ()
    note: str = ""  # the engine's note on the result (bad CDN log lines skipped ...)


def plan_exports(
    conn: sa.Connection, account: int, job: Job, batch: Batch
) -> tuple[ExportPlan, ...]:
    """The job's current exports (D-19), each with what earlier attempts of `batch` wrote.
    A job without exports has nothing to pair an earlier outcome with: their read is skipped
    (one statement less on most batches' path; docs/performance.md, "session 7, planpath")."""
    exports = repo.list_exports(conn, account, job.name)
    if not exports:
        return ()
    earlier: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for outcome in export_outcomes.for_batch(conn, batch.uid):
        if outcome.written:
            earlier[outcome.export_name].append(outcome.written)
    manual = job.mode is SchedulerMode.MANUAL
    return tuple(
        ExportPlan(e.name, e.type, dict(e.spec), manual, tuple(earlier[e.name])) for e in exports
    )


def targets(settings: Settings | WorkerConfig) -> Targets:
    options = settings.exports
    return Targets(
        tsdb_url=settings.tsdb_url,
        logdb_url=settings.logdb_url,
        report_url=settings.report_url_template,
        create_buckets=options.create_buckets,
        hdfs_fences=(settings.warehouse,) if settings.warehouse.startswith("hdfs://") else (),
        http=HttpOptions(
            timeout=options.http_timeout,
            retries=options.http_retries,
            backoff=options.http_backoff,
            chunk_bytes=options.http_chunk_bytes,
            policy=settings.outbound.policy,
        ),
    )


def export_result(
    settings: Settings | WorkerConfig,
    store: Buckets,
    storage: Storage,
    *,
    account: int,
    tenant: str,
    job: str,
    run_id: int,
    attempt: int,
    result_uri: str,
    rows: int,
    time_zone: str,
    threads: int,
    memory_limit: str,
    plans: Sequence[ExportPlan],
    batch_uid: str = "",
    fence: Fence | None = None,
    scratch_dir: str = "",
) -> tuple[ExportOutcome, ...]:
    """Run `plans` over the committed result at `result_uri`, read through `storage` (in the
    worker process); each publishes only while `fence` (the attempt's lease) holds. Temporary
    files go under `scratch_dir` (the system's temporary directory when "")."""
    if not plans:
        return ()
    if scratch_dir:
        Path(scratch_dir).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="exports-", dir=scratch_dir or None))
    try:
        with storage.local_path(result_uri) as result:  # the file itself on a local warehouse
            ctx = ExportContext(
                account=account,
                tenant=tenant,
                job=job,
                run_id=run_id,
                attempt=attempt,
                result=result,
                rows=rows,
                zone=ZoneInfo(time_zone),
                store=store,
                files=storage,
                targets=targets(settings),
                scratch=scratch,
                threads=threads,
                memory_limit=memory_limit,
                batch_uid=batch_uid,
                fence=fence or Unfenced(),
                hdfs_roots=settings.hdfs.roots,
            )
            return tuple(run_exports(ctx, plans))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def batch_key(account: int, batch: Batch) -> export_outcomes.BatchKey:
    return export_outcomes.BatchKey(batch.uid, account, batch.job_name, batch.run_id)


def record_outcomes(
    conn: sa.Connection,
    account: int,
    batch: Batch,
    attempt: int,
    outcomes: Sequence[ExportOutcome],
    now: datetime,
) -> None:
    """Raises StateError when an outcome cannot be stored (a retention past the year 9999)."""
    export_outcomes.record(
        conn,
        batch_key(account, batch),
        [
            export_outcomes.OutcomeRecord(
                o.name, o.type, o.status, o.message, o.rows, dict(o.written), attempt
            )
            for o in outcomes
        ],
        now,
    )


def _written_later(conn: sa.Connection, batch_uid: str, attempt: int) -> set[tuple[str, str]]:
    """(bucket, key) of the kodo objects an attempt of the batch after `attempt` wrote, or is
    writing (its journal), and that were not undone: part keys are fixed by the spec, so a
    rerun or a retry writes the same ones."""
    return {
        (str(o.written.get("bucket", "")), str(key))
        for o in export_outcomes.for_batch(conn, batch_uid)
        if o.attempt > attempt and o.type == "kodo"
        for key in o.written.get("keys", ())
    }


def undo_attempt(
    db: sa.Engine, settings: Settings, storage: Kodo, batch_uid: str, attempt: int,
    now: datetime, files: Storage,
) -> int:  # fmt: skip
    """Remove what attempt `attempt` of a batch that did not succeed published (D: runner
    safety, kind 4); how many exports were undone.

    Call it only after the batch's status says the attempt is over: from then on its worker
    cannot publish (the fence), so nothing appears after the undo. What cannot be removed now
    (the target refuses) is left to the retention sweep; HTTP deliveries cannot be taken back.
    """
    with db.connect() as conn:
        pending = export_outcomes.for_attempt(conn, batch_uid, attempt)
        account = export_outcomes.account_of(conn, batch_uid)
        if account is None:
            return 0
        store = storage.for_account(accounts.scope_of(conn, account))  # as it was written
        kept = _written_later(conn, batch_uid, attempt)
    undone = 0
    for outcome in pending:
        if outcome.status == SKIPPED or not outcome.written:
            continue  # wrote nothing in this attempt
        written = outcome.written
        if outcome.type == "kodo":  # a later attempt's object at the same key is not undone
            bucket = str(written.get("bucket", ""))
            keys = [k for k in written.get("keys", ()) if (bucket, str(k)) not in kept]
            written = {**written, "keys": keys}
        try:
            removed = undo(targets(settings), store, files, outcome.type, written)
        except TidemillError as exc:
            log.warning("cannot undo export %s of batch %s: %s", outcome.export_name, batch_uid,
                        exc.message)  # fmt: skip
            with db.begin() as conn:
                export_outcomes.retry_later(conn, batch_uid, outcome.export_name, attempt, now)
            continue
        message = "removed: the batch did not succeed" if removed else (
            "delivered; cannot be taken back (the batch did not succeed)"
        )  # fmt: skip
        with db.begin() as conn:
            export_outcomes.mark_undone(conn, batch_uid, outcome.export_name, attempt, now, message)
        undone += removed
    return undone


def sweep_expired(db: sa.Engine, storage: Kodo, now: datetime) -> int:
    """Delete the exported objects whose retention ran out (§8.10); how many were deleted.

    Each through its own account's view of the storage, as it was written. A key that a later
    attempt of the same batch wrote again (a rerun, a retry: part keys are fixed by the spec)
    is that attempt's object, deleted at its own expiry, not at the earlier one's.
    """
    deleted = 0
    with db.connect() as conn:
        due = export_outcomes.expired(conn, now)
        scopes = {item.account: accounts.scope_of(conn, item.account) for item in due}
        rewritten = {
            (i.batch_uid, i.attempt): _written_later(conn, i.batch_uid, i.attempt) for i in due
        }
    for item in due:
        bucket = str(item.written.get("bucket", ""))
        store = storage.for_account(scopes[item.account])
        kept = rewritten[(item.batch_uid, item.attempt)]
        try:
            for key in item.written.get("keys", ()):
                if (bucket, str(key)) in kept:
                    continue  # a later attempt's object now: its own expiry deletes it
                store.delete(bucket, str(key))
                deleted += 1
        except TidemillError as exc:
            log.warning("retention: cannot delete %s objects: %s", item.export_name, exc.message)
            continue
        with db.begin() as conn:
            export_outcomes.mark_purged(conn, item, now)
    return deleted

"""The lease of one batch attempt, as its worker checks it before publishing anything.

A batch is claimed by one runner (`batches.owner`) for one attempt (`batches.rerun_count`)
while it is Running. A stop (Cancelling), a restarted service settling it (Failed), or a rerun
(a new attempt) all change that row; from then on this attempt's worker is a zombie and must
not publish. Each publish runs inside a metadata transaction that first re-checks the lease
with a write to the batch row (`store.batches.hold_lease`): until the publish ends, the change
that would take the batch over waits, so "checked, then published" cannot interleave with it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

from tidemill.errors import BackendError, Failure, StateError
from tidemill.store import batches as store
from tidemill.store import export_outcomes

LOST = (
    "this attempt lost its lease (the batch was stopped, settled by a restarted service or "
    "rerun): nothing more is published"
)


class LeaseLostError(StateError):
    def __init__(self) -> None:
        super().__init__(Failure.INTERNAL, LOST)


class LeaseFence:
    """The fence of attempt `attempt` of a batch owned by runner `owner` (exporters' `Fence`)."""

    def __init__(
        self,
        db: sa.Engine,
        batch: export_outcomes.BatchKey,
        owner: str,
        attempt: int,
        *,
        stopping: bool = False,
    ) -> None:
        """`stopping`: the lease also holds while the batch is being stopped (Cancelling, not
        yet recorded): for the runner's log of a worker it ended, never for a worker's publish."""
        self.db = db
        self.batch = batch
        self.owner = owner
        self.attempt = attempt
        self.stopping = stopping

    def _hold(self, conn: sa.Connection) -> None:
        b = self.batch
        if not store.hold_lease(conn, b.account, b.job, b.run_id, self.owner, self.attempt,
                                b.uid, stopping=self.stopping):  # fmt: skip
            raise LeaseLostError()

    def note(self, export: str, type_: str, written: Mapping[str, Any]) -> None:
        with _store_errors(), self.db.begin() as conn:
            self._hold(conn)
            export_outcomes.note(
                conn, self.batch, self.attempt, export, type_, dict(written), datetime.now(UTC)
            )

    @contextmanager
    def _publishing(self) -> Iterator[None]:
        """The lease held on the pool's DBAPI connection, its statement compiled once per
        dialect (`_compiled_hold`): a SQLAlchemy Connection, its transaction and the statement's
        execution cost ~0.1-0.3 ms more of CPU on every batch's path (docs/performance.md,
        "session 7, workerpath"). The same statement, the same transaction: the database
        begins it with the UPDATE (SQLite's implicit BEGIN, PostgreSQL's), and it ends, and so
        the lock on the batch, after the block. Only the fence's own calls are translated: the
        block's errors pass through as they are."""
        errors = _database_errors(self.db)
        with _store_errors(errors):
            raw = self.db.raw_connection()  # checked as any checkout (PostgreSQL's pre-ping)
        try:
            with _store_errors(errors):
                held = self._hold_raw(raw)
            if not held:
                with _store_errors(errors):
                    raw.rollback()
                raise LeaseLostError()
            try:
                yield
            except BaseException:
                raw.rollback()
                raise
            with _store_errors(errors):
                raw.commit()
        finally:
            raw.close()  # back to the pool, which rolls back what is left open

    def _hold_raw(self, raw: Any) -> bool:
        b = self.batch
        compiled = _compiled_hold(self.db.dialect)
        values = compiled.construct_params(
            store.lease_parameters(b.account, b.job, b.run_id, self.owner, self.attempt, b.uid)
        )
        positions = compiled.positiontup
        parameters = tuple(values[name] for name in positions) if positions else values
        cursor = raw.cursor()
        try:
            cursor.execute(compiled.string, parameters)
            return bool(cursor.rowcount)
        finally:
            cursor.close()

    @contextmanager
    def _publishing_stopping(self) -> Iterator[None]:
        # The runner's log of a worker it ended, off the batch's path: through SQLAlchemy (its
        # statement has an expanding IN). The transaction (and so the lock on the batch) ends
        # after the publish.
        conn = self.db.connect()
        try:
            with _store_errors():
                transaction = conn.begin()
                self._hold(conn)
            try:
                yield
            except BaseException:
                transaction.rollback()
                raise
            with _store_errors():
                transaction.commit()
        finally:
            conn.close()

    def publishing(self) -> AbstractContextManager[None]:
        return self._publishing_stopping() if self.stopping else self._publishing()

    def check(self) -> None:
        with _store_errors(), self.db.begin() as conn:
            self._hold(conn)


@functools.cache
def _compiled_hold(dialect: sa.Dialect) -> SQLCompiler:
    """`store.hold_lease_statement` compiled for `dialect`, once."""
    return store.hold_lease_statement().compile(dialect=dialect)


def _database_errors(db: sa.Engine) -> tuple[type[BaseException], ...]:
    """What the DBAPI driver of `db` raises, besides SQLAlchemy's own errors."""
    dbapi = db.dialect.loaded_dbapi
    return (sa.exc.SQLAlchemyError, dbapi.Error)


@contextmanager
def _store_errors(
    errors: tuple[type[BaseException], ...] = (sa.exc.SQLAlchemyError,),
) -> Iterator[None]:
    """The metadata store's errors as a BackendError: nothing is published without the check."""
    try:
        yield
    except errors as exc:
        reason = str(getattr(exc, "orig", None) or exc).split("\n")[0]
        raise BackendError(
            Failure.INTERNAL, f"cannot check this batch's lease, so nothing is published: {reason}"
        ) from exc

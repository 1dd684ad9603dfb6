"""Table definitions of the metadata store and the UTCDateTime column type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Stores UTC; always hands back aware datetimes (SQLite would return naive ones)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAME = sa.String(128)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", NAME, nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

access_keys = sa.Table(
    "access_keys",
    metadata,
    sa.Column("access_key", sa.String(64), primary_key=True),
    sa.Column("secret_key", sa.String(128), nullable=False),
    sa.Column("account_id", sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# S3 buckets an operator granted to an account (`tidemill buckets grant`); see storage.s3.
bucket_grants = sa.Table(
    "bucket_grants",
    metadata,
    sa.Column("account_id", sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("bucket", sa.String(63), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

workflows = sa.Table(
    "workflows",
    metadata,
    sa.Column("account_id", sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("name", NAME, primary_key=True),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

datasources = sa.Table(
    "datasources",
    metadata,
    sa.Column("account_id", sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("name", NAME, primary_key=True),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("schema", sa.JSON, nullable=False),
    sa.Column("workflow", NAME, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("account_id", sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("name", NAME, primary_key=True),
    # The definition as received (spec D-9 echo): srcs, computation, container, scheduler, params.
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),  # crontab | loop | manual | depend
    sa.Column("schema", sa.JSON, nullable=False),  # output schema, spec §6.9
    sa.Column("workflow", NAME, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# One row per src of a job, so "who reads X" is a query rather than a scan of JSON.
job_sources = sa.Table(
    "job_sources",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("job_name", NAME, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("source_type", sa.String(16), nullable=False),  # datasource | job
    sa.Column("source_name", NAME, nullable=False),
    sa.Column("table_name", NAME, nullable=False),
    sa.ForeignKeyConstraint(
        ["account_id", "job_name"], ["jobs.account_id", "jobs.name"], ondelete="CASCADE"
    ),
    sa.Index("ix_job_sources_source", "account_id", "source_type", "source_name"),
)

job_exports = sa.Table(
    "job_exports",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("job_name", NAME, primary_key=True),
    sa.Column("name", NAME, primary_key=True),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.ForeignKeyConstraint(["account_id", "job_name"], ["jobs.account_id", "jobs.name"]),
)

variables = sa.Table(
    "variables",
    metadata,
    sa.Column("account_id", sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("name", NAME, primary_key=True),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("value", sa.String(256), nullable=False),
    sa.Column("format", sa.String(128), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Runs of a job (spec §7). run_id counts per job from 1 and is never reused.
batches = sa.Table(
    "batches",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("job_name", NAME, primary_key=True),
    sa.Column("run_id", sa.Integer, primary_key=True),
    sa.Column("batch_time", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("start_time", UTCDateTime),
    sa.Column("end_time", UTCDateTime),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("rerun_count", sa.Integer, nullable=False),
    sa.Column("result_rows", sa.BigInteger),
    # Which process runs it and until when its claim holds (renewed while it runs).
    sa.Column("owner", sa.String(64)),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("queued_at", UTCDateTime, nullable=False),
    # When a Failed batch is attempted again (its job's retry policy; migration 0008), and
    # how many automatic retries its current run of attempts made.
    sa.Column("retry_at", UTCDateTime),
    sa.Column("retries", sa.Integer, nullable=False, default=0, server_default=sa.text("0")),
    # Names this batch for the life of the installation (migration 0006): runIds restart at 1
    # when a job is deleted and created again, so exports key what they write by this.
    sa.Column("uid", sa.String(32), nullable=False),
    # The backfill that created it (migration 0007); NULL: fresh work, claimed first.
    sa.Column("backfill_id", sa.String(32)),
    # Container units it takes while executing (set at claim), for the per-account quota.
    sa.Column("units", sa.Integer),
    sa.Index("ix_batches_status", "status"),
    sa.Index("ix_batches_uid", "uid", unique=True),
    sa.Index("ix_batches_backfill", "backfill_id", "status", "run_id"),
    sa.Index("ix_batches_retry_at", "retry_at"),
)

# Range backfills of a job (issue 14, migration 0007). state: Running | Canceled | Done.
backfills = sa.Table(
    "backfills",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("account_id", sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("job_name", NAME, nullable=False),
    sa.Column("from_time", UTCDateTime, nullable=False),
    sa.Column("to_time", UTCDateTime, nullable=False),
    sa.Column("reprocess", sa.String(16), nullable=False),  # missing | failed | all
    sa.Column("concurrency", sa.Integer, nullable=False),
    sa.Column("slot_order", sa.String(4), nullable=False),  # asc | desc
    sa.Column("slots", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime),
    sa.Index("ix_backfills_job", "account_id", "job_name"),
    sa.Index("ix_backfills_state", "state"),
)

# Per-job run state: the next run id and whether a crontab/loop schedule is active.
job_states = sa.Table(
    "job_states",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("job_name", NAME, primary_key=True),
    sa.Column("next_run_id", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("start_params", sa.JSON, nullable=False),
    # The schedule (migration 0003). Invariants: an inactive row has no next_fire and does not
    # wait; a waiting loop (its last batch still active) has no next_fire either.
    sa.Column("schedule_kind", sa.String(16)),  # crontab | loop, copied from the job at start
    sa.Column("schedule_expr", sa.Text),  # the crontab or loop expression
    sa.Column("next_fire", UTCDateTime),  # the slot (crontab) or earliest start (loop) due next
    sa.Column("waiting", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("last_run", sa.Integer),  # run id of the batch the schedule fired last
    sa.Column("last_fire", UTCDateTime),  # that batch's slot (its batchTime)
    sa.Index("ix_job_states_next_fire", "next_fire"),
    sa.Index("ix_job_states_waiting", "waiting"),
)

# One row per (batch, export, attempt): what happened and what was written (spec §8, D-19), so
# a rerun can replace an earlier attempt's output, an attempt that did not succeed can be undone
# and the retention sweep can delete it. A worker notes what it is about to publish here first
# (status Publishing); the service replaces the row with the outcome.
export_outcomes = sa.Table(
    "export_outcomes",
    metadata,
    sa.Column("batch_uid", sa.String(32), primary_key=True),  # batches.uid (migration 0006)
    sa.Column("account_id", sa.Integer, nullable=False),
    sa.Column("job_name", NAME, nullable=False),
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("export_name", NAME, primary_key=True),
    sa.Column("attempt", sa.Integer, primary_key=True),  # the batch's rerun count
    sa.Column("type", sa.String(16), nullable=False),
    # Publishing | Successful | Failed | Skipped | Undone
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("written", sa.JSON, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime),  # retention: when the written objects are deleted
    sa.Column("purged_at", UTCDateTime),
    sa.Index("ix_export_outcomes_expires_at", "expires_at"),
)

# Alerts of jobs' `notify` targets (issue 14, migration 0008): one row per (target, event of a
# batch), `dedupe` naming it; delivered by services.notify with retries and back-off.
# status: Pending | Delivered | Failed (attempts exhausted) | Dropped (target gone from the job)
notify_deliveries = sa.Table(
    "notify_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dedupe", sa.String(200), nullable=False, unique=True),
    sa.Column("account_id", sa.Integer, nullable=False),
    sa.Column("job_name", NAME, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("event", sa.String(16), nullable=False),  # failed | succeeded | late
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),  # the JSON body POSTed
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_at", UTCDateTime),  # when it is tried next (while sending: a claim)
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_at", UTCDateTime),  # when it was last tried
    sa.Column("last_error", sa.Text, nullable=False),
    sa.Column("http_status", sa.Integer),
    sa.Index("ix_notify_deliveries_due", "status", "next_at"),
    sa.Index("ix_notify_deliveries_job", "account_id", "job_name"),
)

"""retries and alerts: when a failed batch runs again, and the alerts to deliver

Revision ID: 0008
Revises: 0007

`batches.retry_at` is when a Failed batch is attempted again automatically (its job's `retry`
policy; NULL: not to be retried), stored so that a retry survives a restart; `batches.retries`
counts the automatic retries of its current run of attempts (a manual rerun starts it over).
`notify_deliveries` holds one row per alert to deliver (a job's `notify` target and one event
of one batch): its body, its state (Pending, Delivered, Failed, Dropped), attempts, when it is
next tried and its last outcome. `dedupe` makes an event fire once per target.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("retries", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.create_index("ix_batches_retry_at", ["retry_at"])
    op.create_table(
        "notify_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedupe", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("job_name", sa.String(length=128), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_deliveries")),
        sa.UniqueConstraint("dedupe", name=op.f("uq_notify_deliveries_dedupe")),
    )
    op.create_index("ix_notify_deliveries_due", "notify_deliveries", ["status", "next_at"])
    op.create_index("ix_notify_deliveries_job", "notify_deliveries", ["account_id", "job_name"])


def downgrade() -> None:
    op.drop_index("ix_notify_deliveries_job", table_name="notify_deliveries")
    op.drop_index("ix_notify_deliveries_due", table_name="notify_deliveries")
    op.drop_table("notify_deliveries")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index("ix_batches_retry_at")
        batch_op.drop_column("retries")
        batch_op.drop_column("retry_at")

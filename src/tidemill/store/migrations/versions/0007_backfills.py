"""backfills: range backfills of a job and what the runner's queue order and caps need

Revision ID: 0007
Revises: 0006

`backfills` holds one row per range backfill (issue 14): the job, the range [from, to], what it
reprocesses, how many of its batches may run at once, the order of its slots and its state.
`batches.backfill_id` points a batch at the backfill that created it (NULL: fresh work, fired by
the schedule, a start, a rerun or a depend parent); the runner claims fresh batches before
backfilled ones, and a backfill's batches in run-id order (allocated in the backfill's order).
`batches.units` holds the container units a batch takes while it executes (set when it is
claimed), so the per-account quota of running units is one SUM.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backfills",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("job_name", sa.String(length=128), nullable=False),
        sa.Column("from_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("to_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reprocess", sa.String(length=16), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("slot_order", sa.String(length=4), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_backfills_account_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backfills")),
    )
    op.create_index("ix_backfills_job", "backfills", ["account_id", "job_name"])
    op.create_index("ix_backfills_state", "backfills", ["state"])
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backfill_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("units", sa.Integer(), nullable=True))
        batch_op.create_index("ix_batches_backfill", ["backfill_id", "status", "run_id"])


def downgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index("ix_batches_backfill")
        batch_op.drop_column("units")
        batch_op.drop_column("backfill_id")
    op.drop_index("ix_backfills_state", table_name="backfills")
    op.drop_index("ix_backfills_job", table_name="backfills")
    op.drop_table("backfills")

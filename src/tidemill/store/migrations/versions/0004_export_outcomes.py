"""export outcomes

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_outcomes",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("job_name", sa.String(length=128), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("export_name", sa.String(length=128), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("written", sa.JSON(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "account_id",
            "job_name",
            "run_id",
            "export_name",
            "attempt",
            name=op.f("pk_export_outcomes"),
        ),
    )
    with op.batch_alter_table("export_outcomes", schema=None) as batch_op:
        batch_op.create_index("ix_export_outcomes_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("export_outcomes", schema=None) as batch_op:
        batch_op.drop_index("ix_export_outcomes_expires_at")
    op.drop_table("export_outcomes")

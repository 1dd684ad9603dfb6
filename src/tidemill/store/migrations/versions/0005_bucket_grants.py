"""bucket grants

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bucket_grants",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_bucket_grants_account_id")
        ),
        sa.PrimaryKeyConstraint("account_id", "bucket", name=op.f("pk_bucket_grants")),
    )


def downgrade() -> None:
    op.drop_table("bucket_grants")

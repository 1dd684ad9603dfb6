"""schedule state: the next fire time of every active crontab/loop job

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("schedule_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("schedule_expr", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("next_fire", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("waiting", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("last_run", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_fire", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_job_states_next_fire", ["next_fire"], unique=False)
        batch_op.create_index("ix_job_states_waiting", ["waiting"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_states", schema=None) as batch_op:
        batch_op.drop_index("ix_job_states_waiting")
        batch_op.drop_index("ix_job_states_next_fire")
        batch_op.drop_column("last_fire")
        batch_op.drop_column("last_run")
        batch_op.drop_column("waiting")
        batch_op.drop_column("next_fire")
        batch_op.drop_column("schedule_expr")
        batch_op.drop_column("schedule_kind")

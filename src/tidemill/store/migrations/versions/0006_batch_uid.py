"""batch uid: an identity unique for the life of the installation

Revision ID: 0006
Revises: 0005

`batches.uid` names one batch for good: a job deleted and created again starts at runId 1, and
exports key what they write by the uid, not by (account, job, runId). `export_outcomes` is keyed
by the batch uid (it outlives the job for the retention sweep); outcomes recorded before this
revision keep the uid of their batch, or a fresh one when the batch is gone.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uid", sa.String(length=32), nullable=True))
    conn = op.get_bind()
    keys = conn.execute(sa.text("SELECT account_id, job_name, run_id FROM batches")).all()
    uids: dict[tuple[int, str, int], str] = {}
    for account, job, run_id in keys:
        uids[(account, job, run_id)] = uuid.uuid4().hex
        conn.execute(
            sa.text("UPDATE batches SET uid = :u WHERE account_id = :a AND job_name = :j"
                    " AND run_id = :r"),
            {"u": uids[(account, job, run_id)], "a": account, "j": job, "r": run_id},
        )  # fmt: skip
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.alter_column("uid", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index("ix_batches_uid", ["uid"], unique=True)

    with op.batch_alter_table("export_outcomes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_uid", sa.String(length=32), nullable=True))
    outcomes = conn.execute(
        sa.text("SELECT DISTINCT account_id, job_name, run_id FROM export_outcomes")
    ).all()
    for account, job, run_id in outcomes:
        conn.execute(
            sa.text("UPDATE export_outcomes SET batch_uid = :u WHERE account_id = :a"
                    " AND job_name = :j AND run_id = :r"),
            {"u": uids.get((account, job, run_id)) or uuid.uuid4().hex, "a": account, "j": job,
             "r": run_id},
        )  # fmt: skip
    with op.batch_alter_table("export_outcomes", schema=None, recreate="always") as batch_op:
        batch_op.alter_column("batch_uid", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_constraint("pk_export_outcomes", type_="primary")
        batch_op.create_primary_key("pk_export_outcomes", ["batch_uid", "export_name", "attempt"])


def downgrade() -> None:
    with op.batch_alter_table("export_outcomes", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint("pk_export_outcomes", type_="primary")
        batch_op.create_primary_key(
            "pk_export_outcomes", ["account_id", "job_name", "run_id", "export_name", "attempt"]
        )
        batch_op.drop_column("batch_uid")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_index("ix_batches_uid")
        batch_op.drop_column("uid")

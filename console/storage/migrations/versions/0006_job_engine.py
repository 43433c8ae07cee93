"""The job engine: the job table gains state, steps, checkpoint, lease and retry columns;
a worker table records the running workers.

The job table is rebuilt (it only holds status records): every old row is kept, its WMI
status mapped to a state (0 succeeded, 2 failed, 1 failed as "interrupted": no worker ever
ran those jobs).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_COLUMNS = ("context_id", "package_id", "operation", "status", "progress", "max_progress", "progress_text",
               "error_code", "extended_error_info", "cancel_requested", "created_at", "updated_at")
INTERRUPTED = "interrupted: recorded before the job engine existed; no worker ran it"


def _old_table() -> sa.TableClause:
    return sa.table("job", *(sa.column(c) for c in OLD_COLUMNS))


def _new_job_table() -> None:
    op.create_table('job',
    sa.Column('context_id', sa.String(length=64), nullable=False),
    sa.Column('package_id', sa.String(length=8), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('completed_steps', sa.JSON(), nullable=False),
    sa.Column('checkpoint', sa.JSON(), nullable=True),
    sa.Column('progress', sa.BigInteger(), nullable=False),
    sa.Column('max_progress', sa.BigInteger(), nullable=False),
    sa.Column('progress_text', sa.Text(), nullable=False),
    sa.Column('error_code', sa.BigInteger(), nullable=False),
    sa.Column('extended_error_info', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('queued_by', sa.String(length=255), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('worker_id', sa.String(length=128), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('context_id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_package_id'), ['package_id'], unique=False)
        batch_op.create_index('ix_job_state_queued_at', ['state', 'queued_at'], unique=False)


def upgrade() -> None:
    conn = op.get_bind()
    old = [dict(r._mapping) for r in conn.execute(sa.select(_old_table()))]
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_package_id'))
    op.drop_table('job')
    _new_job_table()
    states = {0: "succeeded", 2: "failed"}
    rows = []
    for r in old:
        state = states.get(r["status"], "failed")
        text = r["extended_error_info"] or ("" if r["status"] in states else INTERRUPTED)
        finished = r["updated_at"] if state != "running" else None
        rows.append({
            "context_id": r["context_id"], "package_id": r["package_id"], "kind": r["operation"], "state": state,
            "step": "", "completed_steps": [], "checkpoint": None, "progress": r["progress"],
            "max_progress": r["max_progress"], "progress_text": r["progress_text"], "error_code": r["error_code"],
            "extended_error_info": text, "attempts": 0, "queued_by": "", "queued_at": r["created_at"],
            "started_at": None, "finished_at": finished, "updated_at": r["updated_at"], "payload": {},
            "cancel_requested": bool(r["cancel_requested"]), "worker_id": None, "heartbeat_at": None,
            "lease_expires_at": None, "next_attempt_at": None,
        })
    if rows:
        table = sa.table("job", *(sa.column(c, sa.JSON() if c in ("completed_steps", "checkpoint", "payload") else None)
                                  for c in rows[0]))
        conn.execute(table.insert(), rows)
    op.create_table('worker',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('user', sa.String(length=255), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker'))
    )
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_heartbeat_at'), ['heartbeat_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('worker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_heartbeat_at'))
    op.drop_table('worker')
    conn = op.get_bind()
    new = sa.table("job", *(sa.column(c) for c in ("context_id", "package_id", "kind", "state", "progress",
                                                    "max_progress", "progress_text", "error_code",
                                                    "extended_error_info", "cancel_requested", "queued_at",
                                                    "updated_at")))
    old = [dict(r._mapping) for r in conn.execute(sa.select(new))]
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_state_queued_at')
        batch_op.drop_index(batch_op.f('ix_job_package_id'))
    op.drop_table('job')
    op.create_table('job',
    sa.Column('context_id', sa.String(length=64), nullable=False),
    sa.Column('package_id', sa.String(length=8), nullable=True),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('max_progress', sa.Integer(), nullable=False),
    sa.Column('progress_text', sa.Text(), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=False),
    sa.Column('extended_error_info', sa.Text(), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('context_id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_package_id'), ['package_id'], unique=False)
    status = {"succeeded": 0, "queued": 1, "running": 1}
    rows = [{"context_id": r["context_id"], "package_id": r["package_id"], "operation": r["kind"],
             "status": status.get(r["state"], 2), "progress": r["progress"], "max_progress": r["max_progress"],
             "progress_text": r["progress_text"], "error_code": r["error_code"],
             "extended_error_info": r["extended_error_info"], "cancel_requested": r["cancel_requested"],
             "created_at": r["queued_at"], "updated_at": r["updated_at"]} for r in old]
    if rows:
        conn.execute(sa.table("job", *(sa.column(c) for c in rows[0])).insert(), rows)

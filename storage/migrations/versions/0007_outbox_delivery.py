"""outbox: messages kept whole for workers, and what settles an unknown outcome

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("thread_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("part_of", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_part_of", ["part_of"], unique=False)
    # Rows of the at-most-once outbox keep no message: a refused one ("failed") was retried by
    # the job that wrote it, so it is removed and the next run writes it again, whole. One
    # left "sending" may have been posted without its key in the metadata: it keeps no
    # attempted_at and is never settled (as before, never sent twice).
    op.execute("DELETE FROM outbox WHERE status = 'failed'")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_part_of")
        for column in (
            "not_before",
            "requested_at",
            "attempted_at",
            "part_of",
            "payload",
            "thread_ts",
            "channel",
        ):
            batch_op.drop_column(column)

"""answers per criterion key, users' Slack locale

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Timeline and authority stay in their debrief columns (the export's contract columns), so
nothing existing moves: every other criterion's answer is a new row in debrief_answers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "debrief_answers",
        sa.Column("debrief_id", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=40), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["debrief_id"],
            ["debriefs.id"],
            name=op.f("fk_debrief_answers_debrief_id_debriefs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("debrief_id", "criterion", name=op.f("pk_debrief_answers")),
    )
    with op.batch_alter_table("slack_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slack_users", schema=None) as batch_op:
        batch_op.drop_column("locale")
    op.drop_table("debrief_answers")

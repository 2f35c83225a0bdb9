"""slack_users: the workspace a user belongs to, and whether a guest or a bot

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slack_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_team_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("is_guest", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("is_bot", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slack_users", schema=None) as batch_op:
        batch_op.drop_column("is_bot")
        batch_op.drop_column("is_guest")
        batch_op.drop_column("home_team_id")

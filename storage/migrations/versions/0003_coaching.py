"""coaching: preferences, sessions, prompts seen

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_preferences",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_user_preferences")),
    )
    op.create_table(
        "sent_prompts",
        sa.Column("team_pk", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.String(length=80), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_pk"],
            ["teams.id"],
            name=op.f("fk_sent_prompts_team_pk_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_pk", "prompt_id", "week", name=op.f("pk_sent_prompts")),
    )
    op.create_table(
        "coaching_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("debrief_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("rep_user_id", sa.String(length=32), nullable=False),
        sa.Column("manager_user_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_coaching_sessions_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["debrief_id"],
            ["debriefs.id"],
            name=op.f("fk_coaching_sessions_debrief_id_debriefs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_sessions")),
    )
    with op.batch_alter_table("coaching_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coaching_sessions_status_starts", ["status", "starts_at"], unique=False
        )

    with op.batch_alter_table("debriefs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("coaching_requested", sa.Boolean(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("debriefs", schema=None) as batch_op:
        batch_op.drop_column("coaching_requested")

    with op.batch_alter_table("coaching_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_coaching_sessions_status_starts")

    op.drop_table("coaching_sessions")
    op.drop_table("sent_prompts")
    op.drop_table("user_preferences")

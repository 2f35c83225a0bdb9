"""teams, outbox, snoozes, post-mortems, workspace settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_status_kind", ["status", "kind"], unique=False)

    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_teams_team_id_name")),
    )
    op.create_table(
        "workspace_settings",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "key", name=op.f("pk_workspace_settings")),
    )
    op.create_table(
        "post_mortems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("rep_user_id", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("main_reason", sa.Text(), nullable=True),
        sa.Column("went_well", sa.Text(), nullable=True),
        sa.Column("improve", sa.Text(), nullable=True),
        sa.Column("delivery_key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_post_mortems_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_mortems")),
        sa.UniqueConstraint("delivery_key", name=op.f("uq_post_mortems_delivery_key")),
    )
    with op.batch_alter_table("post_mortems", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_mortems_deal_id"), ["deal_id"], unique=False)

    op.create_table(
        "team_managers",
        sa.Column("team_pk", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_pk"],
            ["teams.id"],
            name=op.f("fk_team_managers_team_pk_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_pk", "user_id", name=op.f("pk_team_managers")),
    )
    with op.batch_alter_table("team_managers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_managers_team_id"), ["team_id"], unique=False)

    op.create_table(
        "team_members",
        sa.Column("team_pk", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_pk"],
            ["teams.id"],
            name=op.f("fk_team_members_team_pk_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_pk", "user_id", name=op.f("pk_team_members")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_team_members_team_id_user_id")),
    )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snoozed_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("debrief_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("first_call", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("last_call", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("latest_debrief_id", sa.Integer(), nullable=True))
    # Deals recorded before this revision get their summary now.
    op.execute(BACKFILL)


BACKFILL = """
UPDATE deals SET
  debrief_count = (SELECT count(*) FROM debriefs b WHERE b.deal_id = deals.id),
  first_call = (SELECT min(b.call_date) FROM debriefs b WHERE b.deal_id = deals.id),
  last_call = (SELECT max(b.call_date) FROM debriefs b WHERE b.deal_id = deals.id),
  latest_debrief_id = (
    SELECT b.id FROM debriefs b WHERE b.deal_id = deals.id
    ORDER BY b.call_date DESC, b.id DESC LIMIT 1
  )
"""


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_column("latest_debrief_id")
        batch_op.drop_column("last_call")
        batch_op.drop_column("first_call")
        batch_op.drop_column("debrief_count")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("snoozed_until")

    op.drop_table("team_members")
    with op.batch_alter_table("team_managers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_managers_team_id"))

    op.drop_table("team_managers")
    with op.batch_alter_table("post_mortems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_mortems_deal_id"))

    op.drop_table("post_mortems")
    op.drop_table("workspace_settings")
    op.drop_table("teams")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_kind")

    op.drop_table("outbox")

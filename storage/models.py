"""The tables. Every row carries the Slack workspace id (`team_id`) so that one database can
serve several workspaces; every query filters on it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

# Named constraints, so that Alembic migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SLACK_ID = 32  # Slack ids (T…, U…, C…) are far shorter; some margin for enterprise ids.


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Deal(Base):
    """A deal is its name within a workspace; `name_key` is the name folded for matching."""

    __tablename__ = "deals"
    __table_args__ = (
        UniqueConstraint("team_id", "name_key"),
        Index("ix_deals_owner_status", "team_id", "owner_user_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    owner_user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    status: Mapped[str] = mapped_column(String(8), default="open")  # open, won, lost
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    debriefs: Mapped[list[Debrief]] = relationship(back_populates="deal", lazy="raise")


class Debrief(Base):
    """One call, as the rep recorded it. `delivery_key` makes a redelivered request a no-op."""

    __tablename__ = "debriefs"
    __table_args__ = (
        UniqueConstraint("team_id", "delivery_key"),
        # The latest debrief of a deal: latest call date, then the last recorded.
        Index("ix_debriefs_deal_latest", "deal_id", "call_date", "id"),
        # A rep's debriefs in a week.
        Index("ix_debriefs_rep_week", "team_id", "rep_user_id", "call_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    rep_user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    call_date: Mapped[date] = mapped_column(Date)
    timeline_qualified: Mapped[bool | None] = mapped_column(Boolean)
    authority_reached: Mapped[bool | None] = mapped_column(Boolean)
    next_step: Mapped[str | None] = mapped_column(Text)
    next_step_date: Mapped[date | None] = mapped_column(Date)
    went_well: Mapped[str | None] = mapped_column(Text)
    improve: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # modal, message
    delivery_key: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="debriefs", lazy="raise")


class SlackUser(Base):
    """What we cache of a Slack user: their time zone, so dates are the rep's own dates."""

    __tablename__ = "slack_users"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    tz: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

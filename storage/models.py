"""The tables. Every row carries the Slack workspace id (`team_id`) so that one database can
serve several workspaces; every query filters on it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
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
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A summary of the deal's debriefs, kept current in the transaction that saves each one
    # (storage.debriefs.refresh_summary), so the stall snapshot reads one row per deal instead
    # of aggregating every debrief of the workspace.
    debrief_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_call: Mapped[date | None] = mapped_column(Date)
    last_call: Mapped[date | None] = mapped_column(Date)
    latest_debrief_id: Mapped[int | None] = mapped_column(Integer)
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
    coaching_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    source: Mapped[str] = mapped_column(String(16))  # modal, message
    delivery_key: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="debriefs", lazy="raise")


class DebriefAnswer(Base):
    """A debrief's yes or no to one criterion of a qualification framework, by the criterion's
    key. Timeline and authority keep their columns on the debrief (the export's contract
    columns); every other criterion's answer is a row here, kept whatever framework the
    workspace switches to."""

    __tablename__ = "debrief_answers"

    debrief_id: Mapped[int] = mapped_column(
        ForeignKey("debriefs.id", ondelete="CASCADE"), primary_key=True
    )
    criterion: Mapped[str] = mapped_column(String(40), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    answer: Mapped[bool] = mapped_column(Boolean)


class SlackUser(Base):
    """What we cache of a Slack user (from users.info): their time zone, so dates are the
    rep's own dates; their Slack locale, so the bot speaks their language; and whether they are
    one of the workspace's own people: the workspace they belong to, and whether they are a
    guest or a bot. NULL: not asked yet."""

    __tablename__ = "slack_users"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    tz: Mapped[str | None] = mapped_column(String(64))
    home_team_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    is_guest: Mapped[bool | None] = mapped_column(Boolean)
    is_bot: Mapped[bool | None] = mapped_column(Boolean)
    locale: Mapped[str | None] = mapped_column(String(35))  # BCP 47, e.g. "ar-AE"
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Team(Base):
    """A sales team: its managers get the weekly digest; its channel gets coaching nudges."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    name: Mapped[str] = mapped_column(String(80))
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TeamManager(Base):
    __tablename__ = "team_managers"

    team_pk: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID), index=True)


class TeamMember(Base):
    """A rep belongs to at most one team per workspace: moving them is explicit."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    team_pk: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))


class WorkspaceSetting(Base):
    """Per-workspace settings (stall thresholds, the digest's day and hour), as text."""

    __tablename__ = "workspace_settings"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OutboxMessage(Base):
    """One bot message, claimed by its unique key before it is sent, and kept whole (its
    `payload`) so that any process can send it, or send it again, and so that a send whose
    outcome is unknown can be settled by finding the key in the conversation's history.

    status: `pending` (written by a job, waiting for a worker), `sending` (a process took it
    at `attempted_at`; if it died or no answer came, a worker settles it after a grace period
    by reading the conversation: `sent` when the key is there, `pending` again when it is
    not), `sent` (with the message ts), `failed` (Slack or the network refused it before it
    was posted: retried after `not_before`, at most MAX_ATTEMPTS times). A message that
    carries several keys (a grouped reminder) is one row with a payload; the others name it
    in `part_of` and follow its status.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_outbox_status_kind", "status", "kind"),
        Index("ix_outbox_part_of", "part_of"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(SLACK_ID))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str | None] = mapped_column(String(500))
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where to post (a user id for a DM, a channel id), and the thread, when it is a reply.
    channel: Mapped[str | None] = mapped_column(String(SLACK_ID))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # The message as JSON (text, blocks; or a file to upload after the message `after`).
    payload: Mapped[str | None] = mapped_column(Text)
    part_of: Mapped[str | None] = mapped_column(String(255))
    # When a process took it, on the clock its job runs by (the grace period is measured on
    # it), and on the wall clock (Slack's message ts are wall-clock times: the history is
    # read from there on).
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Not to be tried before this wall-clock time (Retry-After, back-off after a failure).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PostMortem(Base):
    """What a rep learned from a deal that was won or lost."""

    __tablename__ = "post_mortems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    rep_user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    outcome: Mapped[str] = mapped_column(String(8))  # won, lost
    main_reason: Mapped[str | None] = mapped_column(Text)
    went_well: Mapped[str | None] = mapped_column(Text)
    improve: Mapped[str | None] = mapped_column(Text)
    delivery_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserPreference(Base):
    """What a person asked of the bot: no reminders until a date (holidays)."""

    __tablename__ = "user_preferences"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    paused_until: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CoachingSession(Base):
    """A rep asked for coaching on a debrief; a manager schedules the session.

    The clock's tick finds sessions about to start (reminders) and sessions just over (a
    prompt to debrief them) from these rows, so nothing is lost when the clock restarts.
    """

    __tablename__ = "coaching_sessions"
    __table_args__ = (Index("ix_coaching_sessions_status_starts", "status", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    debrief_id: Mapped[int] = mapped_column(ForeignKey("debriefs.id", ondelete="CASCADE"))
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    rep_user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    manager_user_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    status: Mapped[str] = mapped_column(String(16))  # requested, scheduled
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SentPrompt(Base):
    """Which coaching prompts a team's channel has seen, so none repeats within six weeks."""

    __tablename__ = "sent_prompts"

    team_pk: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    prompt_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    week: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO week, 2026-W49
    sent_on: Mapped[date] = mapped_column(Date)


class Workspace(Base):
    """A workspace that installed the app through OAuth: when, and when it left.

    `uninstalled_at` is set by `app_uninstalled` (or the revocation of its bot token); the
    clock deletes the workspace's data DATA_RETENTION_DAYS later unless it installs again.
    In single-workspace mode (SLACK_BOT_TOKEN) no row is needed and none is written.
    """

    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# slack_sdk's own tables for its SQLAlchemy installation and OAuth state stores, declared by
# slack_sdk's builders on our metadata so that our Alembic migrations create and check them
# (one schema tool). The token columns are widened to text: they hold Fernet ciphertexts
# (storage/installations.py seals them), a good third longer than the tokens themselves.
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, "slack_bots")
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, "slack_installations"
)
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, "slack_oauth_states"
)
for _table in (SLACK_BOTS, SLACK_INSTALLATIONS):
    for _name in TOKEN_COLUMNS:
        if _name in _table.c:
            _table.c[_name].type = Text()

"""The cache of Slack users' time zones, shared by every process through the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from storage.models import SlackUser, utcnow
from storage.upsert import insert_ignore

USER_TABLE: Table = SlackUser.__table__  # type: ignore[assignment]
TZ_FRESH_FOR = timedelta(days=7)  # people travel; a week-old zone is refreshed


def cached_timezone(session: Session, team_id: str, user_id: str) -> str | None:
    """The user's zone name when it was fetched recently enough, else None."""
    row = session.execute(
        select(SlackUser.tz, SlackUser.fetched_at).where(
            SlackUser.team_id == team_id, SlackUser.user_id == user_id
        )
    ).one_or_none()
    if row is None or row[1] < utcnow() - TZ_FRESH_FOR:
        return None
    tz: str | None = row[0]
    return tz


def remember_timezone(session: Session, team_id: str, user_id: str, tz: str | None) -> None:
    now = utcnow()
    created = insert_ignore(
        session,
        USER_TABLE,
        {"team_id": team_id, "user_id": user_id, "tz": tz, "fetched_at": now},
        ["team_id", "user_id"],
    )
    if created is None:
        user = session.get(SlackUser, (team_id, user_id))
        if user is not None:
            user.tz = tz
            user.fetched_at = now

"""The cache of what Slack's users.info says of a user, shared by every process through the
database: their time zone, their Slack locale (the language the bot speaks to them), and the
workspace they belong to and whether they are a guest or a bot (who may write into the pipeline,
coaching/access.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from storage.models import SlackUser, utcnow
from storage.upsert import insert_ignore

USER_TABLE: Table = SlackUser.__table__  # type: ignore[assignment]
TZ_FRESH_FOR = timedelta(days=7)  # people travel; a week-old zone is refreshed
# A member made a guest (or removed) should lose access within the day, not the week.
ACCESS_FRESH_FOR = timedelta(days=1)


@dataclass(frozen=True)
class CachedUser:
    """A users.info answer as remembered: `tz` None when Slack gave no usable zone; `locale`
    "" when Slack gave none, None in a row remembered before locales were kept."""

    tz: str | None
    home_team_id: str | None
    is_guest: bool
    is_bot: bool
    locale: str | None = ""


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


def cached_user(session: Session, team_id: str, user_id: str) -> CachedUser | None:
    """What users.info said of the user, when asked within ACCESS_FRESH_FOR, else None."""
    row = session.get(SlackUser, (team_id, user_id))
    if row is None or row.is_guest is None or row.fetched_at < utcnow() - ACCESS_FRESH_FOR:
        return None
    return CachedUser(row.tz, row.home_team_id, bool(row.is_guest), bool(row.is_bot), row.locale)


def remember_user(session: Session, team_id: str, user_id: str, user: CachedUser) -> None:
    now = utcnow()
    values = {
        "tz": user.tz,
        "home_team_id": user.home_team_id,
        "is_guest": user.is_guest,
        "is_bot": user.is_bot,
        "locale": user.locale,
        "fetched_at": now,
    }
    row_values = {"team_id": team_id, "user_id": user_id, **values}
    created = insert_ignore(session, USER_TABLE, row_values, ["team_id", "user_id"])
    if created is None:
        row = session.get(SlackUser, (team_id, user_id))
        if row is not None:
            for key, value in values.items():
                setattr(row, key, value)

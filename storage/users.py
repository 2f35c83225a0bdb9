"""The cache of what Slack's users.info says about a person (their time zone and their Slack
locale), shared by every process through the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from storage.models import SlackUser, utcnow
from storage.upsert import insert_ignore

USER_TABLE: Table = SlackUser.__table__  # type: ignore[assignment]
TZ_FRESH_FOR = timedelta(days=7)  # people travel; a week-old zone is refreshed


@dataclass(frozen=True)
class CachedUser:
    tz: str | None
    locale: str | None


def cached_user(session: Session, team_id: str, user_id: str) -> CachedUser | None:
    """What users.info said of the user when it was fetched recently enough, else None. A
    locale of "" means Slack gave none; a row without a locale was fetched before locales were
    kept, and is treated as not fetched, so the user is asked once more."""
    row = session.execute(
        select(SlackUser.tz, SlackUser.locale, SlackUser.fetched_at).where(
            SlackUser.team_id == team_id, SlackUser.user_id == user_id
        )
    ).one_or_none()
    if row is None or row[1] is None or row[2] < utcnow() - TZ_FRESH_FOR:
        return None
    return CachedUser(row[0], row[1])


def cached_timezone(session: Session, team_id: str, user_id: str) -> str | None:
    """The user's zone name when it was fetched recently enough, else None."""
    user = cached_user(session, team_id, user_id)
    return user.tz if user is not None else None


def remember_user(
    session: Session, team_id: str, user_id: str, tz: str | None, locale: str | None
) -> None:
    now = utcnow()
    created = insert_ignore(
        session,
        USER_TABLE,
        {"team_id": team_id, "user_id": user_id, "tz": tz, "locale": locale, "fetched_at": now},
        ["team_id", "user_id"],
    )
    if created is None:
        user = session.get(SlackUser, (team_id, user_id))
        if user is not None:
            user.tz = tz
            user.locale = locale
            user.fetched_at = now


def remember_timezone(session: Session, team_id: str, user_id: str, tz: str | None) -> None:
    """The zone alone, the locale unknown (Slack gave none: "")."""
    remember_user(session, team_id, user_id, tz, "")

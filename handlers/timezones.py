"""What the bot knows of a Slack user, from Slack's `users.info`: their own time zone, so that
"today" and a message's call date are the rep's dates; their Slack locale, so every message
speaks their language; and who they are (the workspace they belong to, guest, bot), so that
only the workspace's own people write into the pipeline.

One users.info answer (with `include_locale`) fills all three, cached in this process
(Deps.users) and in the database. Before an acknowledgement only the caches are read
(`cached_zone`, `cached_locale`, `cached_person`); `fetch_*` and `look_up` may call Slack and
are for code that runs after the acknowledgement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from coaching.access import Person
from handlers.deps import Deps
from storage.db import DatabaseError
from storage.users import CachedUser, cached_timezone, cached_user, remember_user

log = logging.getLogger(__name__)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def person_of(user: dict[str, Any]) -> Person:
    """A users.info `user` object as coaching/access.py sees a person."""
    return Person(
        team_id=str(user.get("team_id") or "") or None,
        guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
        bot=bool(user.get("is_bot")),
    )


@dataclass(frozen=True)
class Lookup:
    """One users.info answer: the zone (None when Slack gave no usable one), the person, the
    Slack locale ("" when none), and whether they administer the workspace (never cached:
    /coach asks afresh each time)."""

    zone: ZoneInfo | None
    person: Person
    admin: bool
    locale: str = ""


def look_up(deps: Deps, client: WebClient, team_id: str, user_id: str) -> Lookup | None:
    """Ask Slack, and remember the answer in both caches; None when Slack refuses."""
    try:
        user = client.users_info(user=user_id, include_locale=True).get("user") or {}
    except SlackApiError as exc:
        log.warning("users.info failed: %s", exc.response.get("error"))
        return None
    tz_name = user.get("tz")
    zone = _zone(tz_name)
    person = person_of(user)
    locale = str(user.get("locale") or "")
    deps.users.put(team_id, user_id, zone=zone or deps.default_zone, person=person, locale=locale)
    remembered = CachedUser(
        tz_name if zone else None, person.team_id, person.guest, person.bot, locale
    )
    try:
        with deps.db.session() as session:
            remember_user(session, team_id, user_id, remembered)
    except DatabaseError:
        log.warning("could not cache a Slack user", exc_info=True)
    admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    return Lookup(zone, person, admin, locale)


def cached_zone(deps: Deps, team_id: str, user_id: str) -> ZoneInfo | None:
    zone = deps.users.get(team_id, user_id).zone
    if zone is not None:
        return zone
    try:
        with deps.db.session() as session:
            zone = _zone(cached_timezone(session, team_id, user_id))
    except DatabaseError:
        log.warning("timezone cache unavailable", exc_info=True)
        return None
    if zone is not None:
        deps.users.put(team_id, user_id, zone=zone)
    return zone


def fetch_zone(deps: Deps, client: WebClient, team_id: str, user_id: str) -> ZoneInfo:
    """The user's zone: cache, then Slack, then the workspace default."""
    zone = cached_zone(deps, team_id, user_id)
    if zone is not None:
        return zone
    found = look_up(deps, client, team_id, user_id)
    return (found.zone if found else None) or deps.default_zone


def cached_locale(deps: Deps, team_id: str, user_id: str) -> str | None:
    """The user's Slack locale ("" when Slack gave none), from the caches only; None when not
    known yet."""
    locale = deps.users.get(team_id, user_id).locale
    if locale is not None:
        return locale
    try:
        with deps.db.session() as session:
            cached = cached_user(session, team_id, user_id)
    except DatabaseError:
        log.warning("user cache unavailable", exc_info=True)
        return None
    if cached is None or cached.locale is None:
        return None  # a row kept before locales were: asked once more
    deps.users.put(team_id, user_id, zone=_zone(cached.tz), locale=cached.locale)
    return cached.locale


def fetch_profile(
    deps: Deps, client: WebClient, team_id: str, user_id: str
) -> tuple[ZoneInfo, str]:
    """The user's zone and Slack locale: caches, then Slack (one users.info call learns
    both), then the workspace's zone and no locale ("")."""
    zone, locale = cached_zone(deps, team_id, user_id), cached_locale(deps, team_id, user_id)
    if zone is not None and locale is not None:
        return zone, locale
    found = look_up(deps, client, team_id, user_id)
    if found is None:
        return zone or deps.default_zone, locale or ""
    return found.zone or zone or deps.default_zone, found.locale


def cached_person(deps: Deps, team_id: str, user_id: str) -> Person | None:
    """Who the user is, from the caches only (for the acknowledgement path); None: unknown."""
    person = deps.users.get(team_id, user_id).person
    if person is not None:
        return person
    try:
        with deps.db.session() as session:
            cached = cached_user(session, team_id, user_id)
    except DatabaseError:
        log.warning("user cache unavailable", exc_info=True)
        return None
    if cached is None:
        return None
    person = Person(cached.home_team_id, cached.is_guest, cached.is_bot)
    deps.users.put(team_id, user_id, zone=_zone(cached.tz), person=person)
    return person


def fetch_person(deps: Deps, client: WebClient, team_id: str, user_id: str) -> Person | None:
    """Who the user is: caches, then Slack; None when Slack could not say."""
    person = cached_person(deps, team_id, user_id)
    if person is not None:
        return person
    found = look_up(deps, client, team_id, user_id)
    return found.person if found else None

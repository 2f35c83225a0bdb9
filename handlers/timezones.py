"""A person's own time zone and Slack locale, so "today" and a message's call date are the
rep's dates, and every message speaks their language.

Both come from one Slack `users.info` call (with `include_locale`) and are cached in the
database. Before an acknowledgement only the cache is read (`cached_zone`, `cached_locale`);
`fetch_zone` and `fetch_profile` may call Slack and are for code that runs after it.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.deps import Deps
from storage.db import DatabaseError
from storage.users import CachedUser, cached_user, remember_user

log = logging.getLogger(__name__)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _from_database(deps: Deps, team_id: str, user_id: str) -> CachedUser | None:
    try:
        with deps.db.session() as session:
            user = cached_user(session, team_id, user_id)
    except DatabaseError:
        log.warning("user cache unavailable", exc_info=True)
        return None
    if user is not None:
        zone = _zone(user.tz)
        if zone is not None:
            deps.zones.put(team_id, user_id, zone)
        if user.locale is not None:
            deps.zones.put_locale(team_id, user_id, user.locale)
    return user


def cached_zone(deps: Deps, team_id: str, user_id: str) -> ZoneInfo | None:
    zone = deps.zones.get(team_id, user_id)
    if zone is not None:
        return zone
    user = _from_database(deps, team_id, user_id)
    return _zone(user.tz) if user is not None else None


def cached_locale(deps: Deps, team_id: str, user_id: str) -> str | None:
    """The user's Slack locale ("" when Slack gave none); None when not known yet."""
    locale = deps.zones.locale(team_id, user_id)
    if locale is not None:
        return locale
    user = _from_database(deps, team_id, user_id)
    return user.locale if user is not None else None


def fetch_profile(
    deps: Deps, client: WebClient, team_id: str, user_id: str
) -> tuple[ZoneInfo, str]:
    """The user's zone and Slack locale: cache, then Slack, then the workspace's zone (and no
    locale, ""). One users.info call learns both."""
    zone, locale = cached_zone(deps, team_id, user_id), cached_locale(deps, team_id, user_id)
    if zone is not None and locale is not None:
        return zone, locale
    try:
        user = client.users_info(user=user_id, include_locale=True).get("user") or {}
    except SlackApiError as exc:
        log.warning("users.info failed: %s", exc.response.get("error"))
        return zone or deps.default_zone, locale or ""
    tz_name = user.get("tz")
    zone = _zone(tz_name)
    locale = str(user.get("locale") or "")
    deps.zones.put(team_id, user_id, zone or deps.default_zone)
    deps.zones.put_locale(team_id, user_id, locale)
    try:
        with deps.db.session() as session:
            remember_user(session, team_id, user_id, tz_name if zone else None, locale)
    except DatabaseError:
        log.warning("could not cache a user's zone and locale", exc_info=True)
    return zone or deps.default_zone, locale


def fetch_zone(deps: Deps, client: WebClient, team_id: str, user_id: str) -> ZoneInfo:
    """The user's zone: cache, then Slack, then the workspace default."""
    return fetch_profile(deps, client, team_id, user_id)[0]

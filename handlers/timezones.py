"""A rep's own time zone, so "today" and a message's call date are the rep's dates.

The zone comes from Slack's `users.info` and is cached in the database. Before an
acknowledgement only the cache is read (`cached_zone`); `fetch_zone` may call Slack and is for
code that runs after the acknowledgement.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.deps import Deps
from storage.db import DatabaseError
from storage.users import cached_timezone, remember_timezone

log = logging.getLogger(__name__)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def cached_zone(deps: Deps, team_id: str, user_id: str) -> ZoneInfo | None:
    zone = deps.zones.get(team_id, user_id)
    if zone is not None:
        return zone
    try:
        with deps.db.session() as session:
            zone = _zone(cached_timezone(session, team_id, user_id))
    except DatabaseError:
        log.warning("timezone cache unavailable", exc_info=True)
        return None
    if zone is not None:
        deps.zones.put(team_id, user_id, zone)
    return zone


def fetch_zone(deps: Deps, client: WebClient, team_id: str, user_id: str) -> ZoneInfo:
    """The user's zone: cache, then Slack, then the workspace default."""
    zone = cached_zone(deps, team_id, user_id)
    if zone is not None:
        return zone
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        log.warning("users.info failed: %s", exc.response.get("error"))
        return deps.default_zone
    tz_name = user.get("tz")
    zone = _zone(tz_name)
    deps.zones.put(team_id, user_id, zone or deps.default_zone)
    try:
        with deps.db.session() as session:
            remember_timezone(session, team_id, user_id, tz_name if zone else None)
    except DatabaseError:
        log.warning("could not cache a timezone", exc_info=True)
    return zone or deps.default_zone

"""Who a message speaks to: the workspace's qualification framework, and each person's
language.

A person's language is their Slack locale's when we speak it (users.info's `locale`, cached
with their time zone: handlers/timezones.py), else the workspace's `language` setting, else
English. A channel reads the workspace's language. The framework is the workspace's
`framework` setting; a stored value that no longer loads (a custom file that was moved or
broken) falls back to the default framework with an error in the log, so one bad file does
not silence the bot.

Before an acknowledgement only caches are read (`cached_language`); `fetch_language` may ask
Slack and is for code that runs after it. A request speaks its actor's language
(`actor_language`, set for the whole request in bot/app.py); a message to someone else is
rendered in theirs (coaching.i18n.in_language).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from coaching.frameworks import Framework, FrameworkError, default_framework, framework_setting
from coaching.i18n import SOURCE_LANGUAGE, language_of_locale, language_setting
from handlers.deps import Deps
from handlers.timezones import cached_locale, fetch_profile
from storage.db import DatabaseError
from storage.workspace_settings import read_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Workspace:
    framework: Framework
    language: str  # for channels, and people whose Slack locale we do not speak


def workspace_from(settings: Mapping[str, str], team_id: str) -> Workspace:
    """The workspace's choices from its settings; a bad stored value falls back to the
    default, with an error in the log."""
    try:
        framework = framework_setting(settings)
    except FrameworkError as error:
        log.error(
            "bad framework setting; using the default", extra={"team": team_id, "error": str(error)}
        )
        framework = default_framework()
    try:
        language = language_setting(settings)
    except ValueError as error:
        log.error(
            "bad language setting; using English", extra={"team": team_id, "error": str(error)}
        )
        language = SOURCE_LANGUAGE
    return Workspace(framework, language)


def workspace_settings(deps: Deps, team_id: str) -> Mapping[str, str]:
    """The workspace's settings as this process knows them (handlers.deps.WorkspaceMemory:
    read again every few seconds); none, so the defaults, when the database cannot be read."""
    known = deps.workspaces.get(team_id)
    if known is not None:
        return known
    try:
        with deps.db.session() as session:
            settings = read_settings(session, team_id)
    except DatabaseError:
        log.warning("workspace settings unavailable; using the defaults", exc_info=True)
        return {}
    deps.workspaces.put(team_id, settings)
    return settings


def read_workspace(deps: Deps, team_id: str) -> Workspace:
    """The workspace's framework and language."""
    return workspace_from(workspace_settings(deps, team_id), team_id)


def language_for(locale: str | None, workspace_language: str) -> str:
    return language_of_locale(locale) or workspace_language


def cached_language(
    deps: Deps, team_id: str, user_id: str, workspace: Workspace | None = None
) -> str:
    """The person's language from what is cached (nothing is asked of Slack)."""
    locale = cached_locale(deps, team_id, user_id)
    spoken = language_of_locale(locale)
    if spoken is not None:
        return spoken
    return (workspace or read_workspace(deps, team_id)).language


def fetch_language(
    deps: Deps, client: WebClient, team_id: str, user_id: str, workspace: Workspace
) -> str:
    """The person's language, asking Slack when it is not cached (after an acknowledgement)."""
    _zone, locale = fetch_profile(deps, client, team_id, user_id)
    return language_for(locale, workspace.language)


def actor_of(body: Mapping[str, Any]) -> tuple[str, str] | None:
    """(workspace, person) of a request from Slack: whoever typed the command, clicked, submitted
    or posted; None when it has none (an event about a bot, say)."""
    team, user = body.get("team"), body.get("user")
    team_id = team.get("id") if isinstance(team, dict) else body.get("team_id")
    user_id = user.get("id") if isinstance(user, dict) else body.get("user_id")
    event = body.get("event")
    if isinstance(event, dict):
        team_id = team_id or event.get("team")
        user_id = event.get("user") if isinstance(event.get("user"), str) else user_id
    if isinstance(team_id, str) and team_id and isinstance(user_id, str) and user_id:
        return team_id, user_id
    return None


def actor_language(deps: Deps, body: Mapping[str, Any]) -> Callable[[], str]:
    """Finds the language of a request's actor when its first sentence is translated."""

    def find() -> str:
        actor = actor_of(body)
        if actor is None:
            team = body.get("team_id") or (body.get("team") or {}).get("id")
            return read_workspace(deps, str(team)).language if team else SOURCE_LANGUAGE
        return cached_language(deps, *actor)

    return find

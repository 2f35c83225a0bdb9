"""Only the workspace's own people write into the pipeline (coaching/access.py says who).

Two checks, so that no Web API call is made before an acknowledgement:

- `only_our_people`, a Bolt middleware in front of every listener, refuses what the payload
  itself shows to come from another workspace (Slack Connect: an event's `user_team` or
  `team`, a payload's `user.team_id`, a command's `team_id`), and anyone the caches already
  know to be a guest or a bot. A command is answered "not available" in its acknowledgement,
  a button or shortcut through its response_url (in the background), an event is dropped.
- After the acknowledgement, `may_use` asks Slack (users.info, cached) when the caches do not
  know the person: the listeners that record or coach call it before they do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient

from coaching.access import Person, guests_allowed, is_outsider, may_contribute
from handlers.audience import workspace_settings
from handlers.deps import Deps
from handlers.timezones import cached_person, fetch_person
from handlers.views.access import not_available

log = logging.getLogger(__name__)


def installing_team(context: BoltContext) -> str | None:
    """The workspace the app is installed in (the bot token's), which requests act on."""
    result = context.authorize_result
    return (result.team_id if result is not None else None) or context.team_id


def actor_team(body: dict[str, Any]) -> str | None:
    """The workspace of whoever sent this request, when the payload says."""
    if body.get("type") == "event_callback":
        event = body.get("event") or {}
        team = event.get("user_team") or event.get("team")
    elif "command" in body:
        team = body.get("team_id")
    else:
        team = (body.get("user") or {}).get("team_id")
    return team if isinstance(team, str) and team else None


def _guests_allowed(deps: Deps, workspace: str) -> bool:
    try:
        return guests_allowed(workspace_settings(deps, workspace))
    except ValueError:  # unreadable: guests stay out
        log.warning("allow_guests unreadable; guests are not allowed", exc_info=True)
        return False


def _verdict(deps: Deps, workspace: str, person: Person | None) -> bool | None:
    """May `person` use the bot? None when nothing is known of them."""
    if person is None:
        return None
    allow = _guests_allowed(deps, workspace) if person.guest else False
    return may_contribute(person, workspace, allow_guests=allow)


def is_allowed(deps: Deps, workspace: str, person: Person) -> bool:
    """May this person, whom Slack has just described, use the bot?"""
    return _verdict(deps, workspace, person) is True


def known_verdict(deps: Deps, workspace: str, user_id: str) -> bool | None:
    """From the caches only, for the acknowledgement path; None when not known yet."""
    return _verdict(deps, workspace, cached_person(deps, workspace, user_id))


def may_use(deps: Deps, client: WebClient, workspace: str, user_id: str) -> bool:
    """After the acknowledgement: may this person record debriefs and read coaching?

    When Slack cannot say (users.info fails), the person passes: the payload already showed
    them to be of this workspace, and a rep's debrief should not be lost to Slack's outage."""
    verdict = _verdict(deps, workspace, fetch_person(deps, client, workspace, user_id))
    return verdict is not False


def tell_not_available(respond: Respond | None) -> None:
    """Say so to the person alone (their request's response_url), when Slack gave one."""
    if respond is not None:
        respond(text=not_available(), response_type="ephemeral", replace_original=False)


def answer_members(
    deps: Deps,
    client: WebClient,
    ack: Ack,
    respond: Respond,
    workspace: str,
    user_id: str,
    answer: Callable[[], str],
) -> None:
    """Answer a command with `answer()` (which may write) only for the workspace's people:
    in the acknowledgement when the caches know them, else once Slack has said who they are."""
    if known_verdict(deps, workspace, user_id):
        ack(text=answer())
        return
    ack()
    if may_use(deps, client, workspace, user_id):
        respond(text=answer(), response_type="ephemeral")
    else:
        tell_not_available(respond)


def _user_id(body: dict[str, Any], context: BoltContext) -> str | None:
    if body.get("type") == "event_callback":
        user = (body.get("event") or {}).get("user")
        return user if isinstance(user, str) else None
    return context.user_id


def _refusal(body: dict[str, Any]) -> BoltResponse:
    """The acknowledgement of a request refused here, by what Slack shows of it."""
    if "command" in body:
        answer = {"response_type": "ephemeral", "text": not_available()}
        return BoltResponse(status=200, body=answer)
    kind = body.get("type")
    if kind == "view_submission":
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        first = next(iter(values), None)
        if first is not None:
            return BoltResponse(
                status=200,
                body={"response_action": "errors", "errors": {first: not_available()}},
            )
    if kind == "block_suggestion":
        return BoltResponse(status=200, body={"options": []})
    return BoltResponse(status=200, body="")


def register(app: App, deps: Deps) -> None:
    @app.middleware
    def only_our_people(
        body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        workspace = installing_team(context)
        if workspace is None:
            return next()
        their_team = actor_team(body)
        refused = is_outsider(their_team, workspace)
        user_id = _user_id(body, context)
        if not refused and user_id and body.get("type") != "event_callback":
            # Events are checked by their listeners after the acknowledgement, and only the
            # few that would record anything; every other request is checked here, from the
            # caches, so that a known guest's click never reaches a listener.
            refused = known_verdict(deps, workspace, user_id) is False
        if not refused:
            return next()
        log.info(
            "refused: not one of the workspace's people",
            extra={"kind": body.get("type") or "command", "team": their_team, "user": user_id},
        )
        respond = context.respond
        if respond is not None and "command" not in body:
            deps.background.submit(
                ("not-available", workspace, user_id), lambda: tell_not_available(respond)
            )
        return _refusal(body)

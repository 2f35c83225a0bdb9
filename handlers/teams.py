"""`/coach team`: the modal that sets up a sales team, for workspace admins and the team's
managers. Whether the person is an admin is asked of Slack once, when the modal opens (after
the acknowledgement), and carried in the view's private_metadata, which Slack keeps server-side:
the submission, which must be answered within 3 seconds, makes no Web API call."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from coaching.debrief import FieldError
from handlers.access import is_allowed, tell_not_available
from handlers.deps import Deps
from handlers.outbox import deliver
from handlers.payloads import view_metadata
from handlers.timezones import look_up
from handlers.views import teams as views
from handlers.views.debrief_messages import Rendered, field_error_text
from storage.db import DatabaseError
from storage.teams import MembersElsewhere, get_team, is_any_manager, set_team, teams_managed_by

log = logging.getLogger(__name__)


def _selected_users(values: dict[str, Any], block: str) -> list[str]:
    users = (values.get(block, {}).get(block) or {}).get("selected_users") or []
    return [u for u in users if isinstance(u, str)]


def register(app: App, deps: Deps) -> None:
    @app.command("/coach")
    def coach_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        words = (command.get("text") or "").split(maxsplit=1)
        if not words or words[0].lower() != "team":
            ack(text=views.coach_help())
            return
        ack()
        team_id, user_id = command["team_id"], command["user_id"]
        name = " ".join(words[1].split()) if len(words) > 1 else ""
        found = look_up(deps, client, team_id, user_id)  # afresh: admin rights may have changed
        if found is not None and not is_allowed(deps, team_id, found.person):
            tell_not_available(respond)
            return
        admin = found.admin if found is not None else False
        with deps.db.session() as session:
            manager = is_any_manager(session, team_id, user_id)
            team = get_team(session, team_id, name) if name else None
            if team is None and not name:
                mine = teams_managed_by(session, team_id, user_id)
                team = mine[0] if mine else None
        if not admin and not manager:
            respond(text=views.not_allowed_to_manage(), response_type="ephemeral")
            return
        client.views_open(
            trigger_id=command["trigger_id"],
            view=views.team_modal(team, team.name if team else name, admin=admin),
        )

    @app.view(views.TEAM_CALLBACK)
    def team_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        values = view.get("state", {}).get("values", {})
        raw_name = (values.get("team_name", {}).get("team_name") or {}).get("value") or ""
        name = " ".join(str(raw_name).split())[: views.MAX_TEAM_NAME]
        if not name:
            ack(response_action="errors", errors={"team_name": views.name_required()})
            return
        admin = bool(view_metadata(view).get("admin"))
        channel = (values.get("channel", {}).get("channel") or {}).get("selected_channel")
        move = bool((values.get("move", {}).get("move") or {}).get("selected_options"))
        try:
            with deps.db.session() as session:
                existing = get_team(session, team_id, name)
                allowed = admin or (existing is not None and user_id in existing.managers)
                if not allowed:
                    ack(
                        response_action="errors",
                        errors={"team_name": views.not_this_teams_manager(name)},
                    )
                    return
                saved = set_team(
                    session,
                    team_id,
                    name,
                    _selected_users(values, "managers"),
                    _selected_users(values, "members"),
                    channel if isinstance(channel, str) else None,
                    move=move,
                )
        except MembersElsewhere as conflict:
            ack(
                response_action="errors",
                errors={"members": views.members_elsewhere(conflict.elsewhere)},
            )
            return
        except DatabaseError:
            log.exception("team not saved")
            ack(
                response_action="errors",
                errors={"team_name": field_error_text(FieldError("team_name", "not_saved"))},
            )
            return
        ack()
        text = views.team_saved(saved)
        deliver(
            deps.db,
            client,
            key=f"team-saved:{team_id}:{view.get('id')}",
            team_id=team_id,
            kind="team-saved",
            recipient=user_id,
            channel=user_id,
            render=lambda: Rendered(text=text, blocks=[]),
            now=deps.now(),
        )

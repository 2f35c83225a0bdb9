"""The team modal (`/coach team`): name, managers, reps, the channel for coaching nudges."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ChannelSelectElement,
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from coaching.i18n import _, isolate, join
from handlers.views.text import escape, mention
from storage.teams import TeamInfo

TEAM_CALLBACK = "coach_team"
MAX_TEAM_NAME = 80


def team_modal(team: TeamInfo | None, name: str, *, admin: bool) -> dict[str, Any]:
    blocks = [
        InputBlock(
            block_id="team_name",
            label=_("Team name"),
            element=PlainTextInputElement(
                action_id="team_name", initial_value=name or None, max_length=MAX_TEAM_NAME
            ),
            hint=_("A team of that name is replaced; a new name creates a team."),
        ),
        InputBlock(
            block_id="managers",
            label=_("Managers (they get the weekly digest)"),
            element=UserMultiSelectElement(
                action_id="managers", initial_users=list(team.managers) if team else None
            ),
        ),
        InputBlock(
            block_id="members",
            label=_("Reps"),
            optional=True,
            element=UserMultiSelectElement(
                action_id="members", initial_users=list(team.members) if team else None
            ),
        ),
        InputBlock(
            block_id="channel",
            label=_("Channel for coaching nudges"),
            optional=True,
            element=ChannelSelectElement(
                action_id="channel", initial_channel=team.channel_id if team else None
            ),
        ),
        InputBlock(
            block_id="move",
            label=_("Reps already in another team"),
            optional=True,
            element=CheckboxesElement(
                action_id="move",
                options=[Option(value="move", text=_("Move them into this team"))],
            ),
        ),
    ]
    view = View(
        type="modal",
        callback_id=TEAM_CALLBACK,
        title=_("Sales team"),
        submit=_("Save"),
        close=_("Cancel"),
        private_metadata=json.dumps({"admin": admin}),
        blocks=blocks,
    )
    result: dict[str, Any] = view.to_dict()
    return result


def coach_help() -> str:
    return _(
        "*/coach team* `[team name]` sets up a sales team: its managers (who get the weekly "
        "digest of stalled deals), its reps and its channel. Workspace admins can create "
        "teams; a team's managers can change it."
    )


def not_allowed_to_manage() -> str:
    return _(
        "Only workspace admins and a team's managers can set up teams. Ask your admin to add "
        "you as a manager with `/coach team`."
    )


def not_this_teams_manager(name: str) -> str:
    return _("Only workspace admins and the managers of {name} can change it.").format(
        name=isolate(escape(name))
    )


def members_elsewhere(elsewhere: dict[str, str]) -> str:
    who = join(
        [
            _("{user} ({team})").format(user=mention(user), team=isolate(escape(team)))
            for user, team in elsewhere.items()
        ]
    )
    return _(
        "Already in another team: {who}. Tick “Move them into this team” to move them."
    ).format(who=who)


def team_saved(team: TeamInfo) -> str:
    return _(
        ":busts_in_silhouette: Team *{name}* saved: {managers} manager(s), {members} rep(s)."
    ).format(
        name=isolate(escape(team.name)), managers=len(team.managers), members=len(team.members)
    )


def name_required() -> str:
    return _("Give the team a name.")

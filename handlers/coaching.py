"""Coaching sessions and reminder controls: a manager schedules a session a rep asked for;
a rep pauses reminders for a week from a reminder's button."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from coaching.i18n import in_language
from handlers.audience import fetch_language, read_workspace
from handlers.deps import Deps
from handlers.outbox import deliver
from handlers.payloads import action_id_value, answer_click, metadata_id, refuse
from handlers.views import coaching as views
from handlers.views.deal_actions import not_allowed
from handlers.views.debrief_messages import Rendered
from storage.coaching import get_session, schedule_session, set_pause
from storage.teams import manages_rep

log = logging.getLogger(__name__)
PAUSE_DAYS = 7


def register(app: App, deps: Deps) -> None:
    @app.action(views.SCHEDULE_ACTION)
    def schedule_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        session_id, item = action_id_value(body), None
        if session_id is not None:
            with deps.db.session() as session:
                item = get_session(session, team_id, session_id)
                if item is not None and not manages_rep(
                    session, team_id, user_id, item.rep_user_id
                ):
                    item = None
        if item is None:
            refuse(client, body, not_allowed())
            return
        client.views_open(
            trigger_id=body["trigger_id"],
            view=views.session_modal(item.deal_name, item.id, item.starts_at),
        )

    @app.view(views.SESSION_CALLBACK)
    def session_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        team_id, manager = body["team"]["id"], body["user"]["id"]
        session_id = metadata_id(view, "session_id")
        if session_id is None:
            ack()
            return
        picked = (
            view.get("state", {}).get("values", {}).get("starts_at", {}).get("starts_at") or {}
        ).get("selected_date_time")
        if not isinstance(picked, int) or picked <= deps.now().timestamp():
            ack(response_action="errors", errors={"starts_at": views.session_in_past()})
            return
        starts_at = datetime.fromtimestamp(picked, UTC)
        with deps.db.session() as session:
            item = get_session(session, team_id, session_id)
            if item is None or not manages_rep(session, team_id, manager, item.rep_user_id):
                ack(response_action="errors", errors={"starts_at": not_allowed()})
                return
            schedule_session(session, team_id, session_id, manager, starts_at)
        ack()
        workspace = read_workspace(deps, team_id)
        for person in (item.rep_user_id, manager):
            language = fetch_language(deps, client, team_id, person, workspace)
            deliver(
                deps.db,
                client,
                key=f"session-scheduled:{team_id}:{session_id}:{picked}:{person}",
                team_id=team_id,
                kind="session-scheduled",
                recipient=person,
                channel=person,
                render=partial(
                    in_language,
                    language,
                    views.session_scheduled,
                    item.deal_name,
                    item.rep_user_id,
                    manager,
                    starts_at,
                ),
                now=deps.now(),
            )

    @app.action(views.PAUSE_WEEK_ACTION)
    def pause_week(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        until = deps.now().astimezone(deps.default_zone).date() + timedelta(days=PAUSE_DAYS)
        with deps.db.session() as session:
            set_pause(session, team_id, user_id, until)
        answer_click(
            deps, client, body, Rendered(text=views.paused(until), blocks=[]), in_thread=False
        )

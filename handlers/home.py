"""The Home tab's listeners: publish it when opened, and its "Debrief a call" button."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context import BoltContext
from slack_sdk import WebClient

from handlers.access import installing_team, may_use
from handlers.debrief_modal import FROM_HOME, open_modal
from handlers.deps import Deps
from handlers.home_tab import publish_home
from handlers.views.access import not_available_home
from handlers.views.debrief_modal import ModalPrefill
from handlers.views.home import HOME_DEBRIEF_ACTION


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        team_id = installing_team(context)
        if event.get("tab") != "home" or not team_id or not event.get("user"):
            return
        if not may_use(deps, client, team_id, event["user"]):
            client.views_publish(user_id=event["user"], view=not_available_home())
            return
        publish_home(deps, client, team_id, event["user"])

    @app.action(HOME_DEBRIEF_ACTION)
    def debrief_from_home(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        open_modal(client, deps, body["trigger_id"], team_id, user_id, ModalPrefill(), FROM_HOME)

"""The Home tab, published fresh each time a person opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context import BoltContext
from slack_sdk import WebClient

from handlers.debrief_modal import open_modal
from handlers.deps import Deps
from handlers.views.debrief_modal import ModalPrefill
from handlers.views.home import HOME_DEBRIEF_ACTION, MAX_DEALS_SHOWN, home_view
from storage.db import DatabaseError
from storage.debriefs import count_rep_open_deals, rep_open_deals

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("tab") != "home" or not context.team_id:
            return
        user_id = event["user"]
        try:
            with deps.db.session() as session:
                deals = rep_open_deals(session, context.team_id, user_id, MAX_DEALS_SHOWN)
                total = count_rep_open_deals(session, context.team_id, user_id)
        except DatabaseError:
            log.warning("home tab not refreshed: database unavailable", exc_info=True)
            return  # the last published Home stays in place
        client.views_publish(user_id=user_id, view=home_view(deals, total))

    @app.action(HOME_DEBRIEF_ACTION)
    def debrief_from_home(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        open_modal(
            client, deps, body["trigger_id"], body["team"]["id"], body["user"]["id"], ModalPrefill()
        )

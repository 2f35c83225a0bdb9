"""The digest's buttons (snooze a week, ask for an update, won, lost) and the rep's answers
to them (debrief the deal, write the post-mortem).

A button's value is a deal id, which anyone can edit in a forged payload: every action checks
that the deal is in the clicker's workspace and that the clicker manages its rep (or, for the
rep's buttons, owns it).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from coaching.gaps import gaps_of
from coaching.i18n import in_language
from handlers.audience import fetch_language, read_workspace
from handlers.debrief_modal import open_modal
from handlers.deps import Deps
from handlers.outbox import Outcome, deliver
from handlers.payloads import action_id_value, answer_click, metadata_id, refuse
from handlers.views import deal_actions as views
from handlers.views.debrief_messages import Rendered
from handlers.views.debrief_modal import ModalPrefill
from handlers.views.digest import ASK_UPDATE_ACTION, LOST_ACTION, SNOOZE_ACTION, WON_ACTION
from storage.deals import DealRef, close, get_deal, record_post_mortem, snooze
from storage.debriefs import latest_answers
from storage.teams import manages_rep

log = logging.getLogger(__name__)
SNOOZE_DAYS = 7


def _reply(deps: Deps, client: WebClient, body: dict[str, Any], message: Rendered) -> None:
    """In the thread of the message whose button was clicked (the digest DM)."""
    answer_click(deps, client, body, message, in_thread=True)


def register(app: App, deps: Deps) -> None:
    def managed_deal(body: dict[str, Any], client: WebClient) -> DealRef | None:
        team_id, user_id, deal_id = body["team"]["id"], body["user"]["id"], action_id_value(body)
        if deal_id is not None:
            with deps.db.session() as session:
                deal = get_deal(session, team_id, deal_id)
                if deal is not None and manages_rep(session, team_id, user_id, deal.owner_user_id):
                    return deal
        refuse(client, body, views.not_allowed())
        return None

    @app.action(SNOOZE_ACTION)
    def snooze_deal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        deal = managed_deal(body, client)
        if deal is None:
            return
        until = deps.now().astimezone(deps.default_zone).date() + timedelta(days=SNOOZE_DAYS)
        with deps.db.session() as session:
            snooze(session, body["team"]["id"], deal.id, until)
        _reply(deps, client, body, views.snoozed(deal.name, until))

    @app.action(ASK_UPDATE_ACTION)
    def ask_for_update(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        deal = managed_deal(body, client)
        if deal is None:
            return
        team_id, manager = body["team"]["id"], body["user"]["id"]
        workspace = read_workspace(deps, team_id)
        with deps.db.session() as session:
            answers = latest_answers(session, team_id, deal.id)
        gaps = gaps_of(answers, workspace.framework) if answers else []
        today = deps.now().astimezone(deps.default_zone).date()
        rep = deal.owner_user_id
        language = fetch_language(deps, client, team_id, rep, workspace)
        outcome = deliver(
            deps.db,
            client,
            key=f"ask-update:{team_id}:{deal.id}:{manager}:{today.isoformat()}",
            team_id=team_id,
            kind="ask-update",
            recipient=deal.owner_user_id,
            channel=deal.owner_user_id,
            render=partial(
                in_language,
                language,
                views.update_request,
                deal.name,
                deal.id,
                manager,
                gaps,
                workspace.framework,
            ),
            now=deps.now(),
        )
        if outcome is Outcome.SKIPPED:
            _reply(
                deps, client, body, views.update_already_requested(deal.name, deal.owner_user_id)
            )
        elif outcome is Outcome.SENT:
            _reply(deps, client, body, views.update_requested(deal.name, deal.owner_user_id))
        else:
            _reply(deps, client, body, views.update_not_sent(deal.owner_user_id))

    def close_deal(body: dict[str, Any], client: WebClient, outcome: str) -> None:
        deal = managed_deal(body, client)
        if deal is None:
            return
        team_id, manager = body["team"]["id"], body["user"]["id"]
        with deps.db.session() as session:
            changed = close(session, team_id, deal.id, outcome)
        if not changed:
            _reply(deps, client, body, views.already_closed(deal.name))
            return
        _reply(deps, client, body, views.closed(deal.name, outcome, deal.owner_user_id))
        language = fetch_language(
            deps, client, team_id, deal.owner_user_id, read_workspace(deps, team_id)
        )
        deliver(
            deps.db,
            client,
            key=f"post-mortem-request:{team_id}:{deal.id}",
            team_id=team_id,
            kind="post-mortem-request",
            recipient=deal.owner_user_id,
            channel=deal.owner_user_id,
            render=partial(
                in_language,
                language,
                views.post_mortem_request,
                deal.name,
                deal.id,
                outcome,
                manager,
            ),
            now=deps.now(),
        )

    @app.action(WON_ACTION)
    def mark_won(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        close_deal(body, client, "won")

    @app.action(LOST_ACTION)
    def mark_lost(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        close_deal(body, client, "lost")

    def owned_deal(body: dict[str, Any], client: WebClient) -> DealRef | None:
        team_id, user_id, deal_id = body["team"]["id"], body["user"]["id"], action_id_value(body)
        if deal_id is not None:
            with deps.db.session() as session:
                deal = get_deal(session, team_id, deal_id)
            if deal is not None and deal.owner_user_id == user_id:
                return deal
        refuse(client, body, views.not_your_deal())
        return None

    @app.action(views.DEBRIEF_DEAL_ACTION)
    def debrief_deal(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond | None
    ) -> None:
        ack()
        deal = owned_deal(body, client)
        if deal is not None:
            open_modal(
                client,
                deps,
                body["trigger_id"],
                body["team"]["id"],
                body["user"]["id"],
                ModalPrefill(deal=deal.name, deal_id=deal.id),
                respond=respond,
            )

    @app.action(views.POST_MORTEM_OPEN_ACTION)
    def open_post_mortem(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        deal = owned_deal(body, client)
        if deal is None or deal.status not in ("won", "lost"):
            return
        client.views_open(
            trigger_id=body["trigger_id"],
            view=views.post_mortem_modal(deal.name, deal.id, deal.status),
        )

    @app.view(views.POST_MORTEM_CALLBACK)
    def post_mortem_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        deal_id = metadata_id(view, "deal_id")
        if deal_id is None:
            ack()
            return
        values = view.get("state", {}).get("values", {})

        def text(block: str) -> str | None:
            value = (values.get(block, {}).get(block) or {}).get("value")
            return value.strip() or None if isinstance(value, str) else None

        with deps.db.session() as session:
            deal = get_deal(session, team_id, deal_id)
            if deal is None or deal.owner_user_id != user_id or deal.status == "open":
                ack(response_action="errors", errors={"main_reason": views.not_your_deal()})
                return
            created = record_post_mortem(
                session,
                team_id,
                deal.id,
                user_id,
                deal.status,
                text("main_reason"),
                text("went_well"),
                text("improve"),
                f"post-mortem:{view.get('id')}",
            )
        ack()
        if created:
            message = views.post_mortem_saved(deal.name)
            deliver(
                deps.db,
                client,
                key=f"post-mortem-saved:{team_id}:{view.get('id')}",
                team_id=team_id,
                kind="post-mortem-saved",
                recipient=user_id,
                channel=user_id,
                render=lambda: message,
                now=deps.now(),
            )

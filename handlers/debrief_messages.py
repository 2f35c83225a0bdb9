"""Post-call messages: "debrief Acme ..." in a DM to the bot or a channel it is in.

Slack delivers an event again when it was not acknowledged in time, under the same or a new
event_id; the debrief's unique key (channel and message ts) makes every repeat a no-op, and a
repeat never answers twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.context import BoltContext
from slack_sdk import WebClient

from coaching.debrief import validate
from coaching.debrief_message import DebriefParseError, is_debrief_message, parse_debrief_message
from coaching.gaps import gaps_of
from handlers.deps import Deps
from handlers.outbox import deliver, metadata
from handlers.timezones import fetch_zone
from handlers.views.debrief_messages import (
    Rendered,
    invalid_entry,
    not_saved,
    parse_failed,
    thread_reply,
)
from storage.db import DatabaseError
from storage.debriefs import Delivery, latest_answers, record_debrief

log = logging.getLogger(__name__)

# Subtypes that are still a person's new message; edits, deletions, joins, bot posts are not.
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}


def _is_retry(request: BoltRequest) -> bool:
    """Slack's Events API retries carry X-Slack-Retry-Num 1, 2, 3. In Socket Mode Bolt copies
    the envelope's retry_attempt into that header, so a first delivery there says "0"."""
    raw = request.headers.get("x-slack-retry-num")
    value = raw[0] if isinstance(raw, list) and raw else raw
    try:
        return int(str(value or "0").strip()) > 0
    except ValueError:
        return True  # not a number Slack sends: treat as a retry, so nothing is answered twice


def _reply_unrecorded(
    client: WebClient, team_id: str, event: dict[str, Any], message: Rendered, kind: str
) -> None:
    """An answer when the database cannot record it (it is what failed): sent as is, with
    its key in the metadata like every message of ours."""
    client.chat_postMessage(
        channel=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        text=message.text,
        blocks=message.blocks,
        metadata=metadata(f"{kind}:{team_id}:{event['channel']}:{event['ts']}"),
    )


def _refuse_once(
    deps: Deps, client: WebClient, team_id: str, event: dict[str, Any], message: Rendered
) -> None:
    """Say in the thread why nothing was recorded, once per message however often Slack
    delivers it (a redelivery may come under a new event_id, without a retry header): the
    outbox key is the message's channel and ts. Without the database, answer anyway."""
    try:
        deliver(
            deps.db,
            client,
            key=f"message-refusal:{team_id}:{event['channel']}:{event['ts']}",
            team_id=team_id,
            kind="message-refusal",
            recipient=str(event.get("user")),
            channel=event["channel"],
            thread_ts=event.get("thread_ts") or event["ts"],
            render=lambda: message,
            now=deps.now(),
        )
    except DatabaseError:
        log.warning("could not claim a refusal reply; answering anyway", exc_info=True)
        _reply_unrecorded(client, team_id, event, message, "message-refusal")


def handle_post_call_message(
    deps: Deps, client: WebClient, team_id: str, event: dict[str, Any], retried: bool
) -> None:
    if event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id"):
        return
    text, user_id = event.get("text") or "", event.get("user")
    if not user_id or not event.get("channel") or not event.get("ts"):
        return
    if not is_debrief_message(text):
        return
    try:
        parsed = parse_debrief_message(text)
    except DebriefParseError as error:
        if not retried:  # the first delivery already answered
            _refuse_once(deps, client, team_id, event, parse_failed(error))
        return
    zone = fetch_zone(deps, client, team_id, user_id)
    posted_on = datetime.fromtimestamp(float(event["ts"]), UTC).astimezone(zone).date()
    today = max(posted_on, deps.now().astimezone(zone).date())
    entry = parsed.as_entry(posted_on)
    errors = validate(entry, today)
    if errors:
        if not retried:
            _refuse_once(deps, client, team_id, event, invalid_entry(errors))
        return
    delivery = Delivery(
        source="message",
        key=f"message:{event['channel']}:{event['ts']}",
        channel_id=event["channel"],
        message_ts=event["ts"],
    )
    try:
        with deps.db.session() as session:
            recorded = record_debrief(session, team_id, user_id, entry, delivery)
            answers = recorded.answers or latest_answers(session, team_id, recorded.deal_id)
    except DatabaseError:
        log.exception("post-call message not saved")
        _reply_unrecorded(client, team_id, event, not_saved(), "message-not-saved")
        return
    # A message delivered again is answered once however often it comes: the outbox key is
    # the message's, so a reply the first delivery could not send is sent now.
    gaps = gaps_of(answers) if answers is not None else []
    reply = thread_reply(entry, recorded.deal_name, gaps, recorded.debrief_id)
    deliver(
        deps.db,
        client,
        key=f"message-reply:{team_id}:{event['channel']}:{event['ts']}",
        team_id=team_id,
        kind="message-reply",
        recipient=user_id,
        channel=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        render=lambda: reply,
        now=deps.now(),
    )


def register(app: App, deps: Deps) -> None:
    @app.event("message")
    def post_call_message(
        event: dict[str, Any], client: WebClient, context: BoltContext, request: BoltRequest
    ) -> None:
        team_id = context.team_id or event.get("team")
        if not team_id:
            return
        handle_post_call_message(deps, client, team_id, event, _is_retry(request))

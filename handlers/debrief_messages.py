"""Post-call messages: "debrief Acme ..." in a DM to the bot or a channel it is in.

Slack delivers an event again when it was not acknowledged in time, under the same or a new
event_id; the debrief's unique key (channel and message ts) makes every repeat a no-op, and a
repeat never answers twice.

Only the workspace's own people are recorded (handlers/access.py). In a channel shared with
another organisation (Slack Connect), the thread only hears that the debrief was recorded:
what was understood, the deal's gaps and the questions go to the rep in a direct message, and
so does any reason it was not recorded.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App, BoltRequest
from slack_bolt.context import BoltContext
from slack_sdk import WebClient

from coaching.debrief import validate
from coaching.debrief_message import DebriefParseError, is_debrief_message, parse_debrief_message
from coaching.frameworks import Framework
from coaching.gaps import gaps_of
from coaching.i18n import use_language
from handlers.access import installing_team, may_use
from handlers.audience import language_for, read_workspace
from handlers.deps import Deps
from handlers.outbox import deliver, metadata
from handlers.timezones import fetch_profile
from handlers.views.debrief_messages import (
    Rendered,
    invalid_entry,
    not_saved,
    parse_failed,
    privately,
    recorded_in_shared_channel,
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
    client: WebClient,
    team_id: str,
    event: dict[str, Any],
    message: Rendered,
    kind: str,
    shared: bool,
) -> None:
    """An answer when the database cannot record it (it is what failed): sent as is, with
    its key in the metadata like every message of ours; in the thread, or to the rep alone
    (saying which message it is about) in a shared channel."""
    key = metadata(f"{kind}:{team_id}:{event['channel']}:{event['ts']}")
    if shared:
        private = privately(message, event["channel"])
        client.chat_postMessage(
            channel=event["user"], text=private.text, blocks=private.blocks, metadata=key
        )
        return
    client.chat_postMessage(
        channel=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        text=message.text,
        blocks=message.blocks,
        metadata=key,
    )


def _refuse_once(
    deps: Deps,
    client: WebClient,
    team_id: str,
    event: dict[str, Any],
    message: Rendered,
    shared: bool,
) -> None:
    """Say why nothing was recorded (in the thread; to the rep alone in a shared channel),
    once per message however often Slack delivers it (a redelivery may come under a new
    event_id, without a retry header): the outbox key is the message's channel and ts.
    Without the database, answer anyway."""
    thread = event.get("thread_ts") or event["ts"]
    try:
        deliver(
            deps.db,
            client,
            key=f"message-refusal:{team_id}:{event['channel']}:{event['ts']}",
            team_id=team_id,
            kind="message-refusal",
            recipient=str(event.get("user")),
            channel=event["user"] if shared else event["channel"],
            thread_ts=None if shared else thread,
            render=lambda: privately(message, event["channel"]) if shared else message,
            now=deps.now(),
        )
    except DatabaseError:
        log.warning("could not claim a refusal reply; answering anyway", exc_info=True)
        _reply_unrecorded(client, team_id, event, message, "message-refusal", shared)


def handle_post_call_message(
    deps: Deps,
    client: WebClient,
    team_id: str,
    event: dict[str, Any],
    retried: bool,
    shared: bool = False,
) -> None:
    """`shared`: the channel is shared with another organisation (Slack Connect)."""
    if event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id"):
        return
    text, user_id = event.get("text") or "", event.get("user")
    if not user_id or not event.get("channel") or not event.get("ts"):
        return
    if not is_debrief_message(text):
        return
    if not may_use(deps, client, team_id, user_id):
        return  # a guest, or an outsider the payload did not show: nothing, not even a reply
    workspace = read_workspace(deps, team_id)
    zone, locale = fetch_profile(deps, client, team_id, user_id)
    with use_language(language_for(locale, workspace.language)):
        _record(deps, client, team_id, event, retried, workspace.framework, zone, shared)


def _record(
    deps: Deps,
    client: WebClient,
    team_id: str,
    event: dict[str, Any],
    retried: bool,
    framework: Framework,
    zone: ZoneInfo,
    shared: bool,
) -> None:
    """Read, validate and store a post-call message, and answer in its thread (the rep alone
    in a shared channel), in the language set by the caller (the poster's)."""
    text, user_id = event.get("text") or "", str(event.get("user"))
    try:
        parsed = parse_debrief_message(text, framework)
    except DebriefParseError as error:
        if not retried:  # the first delivery already answered
            _refuse_once(deps, client, team_id, event, parse_failed(error, framework), shared)
        return
    posted_on = datetime.fromtimestamp(float(event["ts"]), UTC).astimezone(zone).date()
    today = max(posted_on, deps.now().astimezone(zone).date())
    entry = parsed.as_entry(posted_on)
    errors = validate(entry, today)
    if errors:
        if not retried:
            _refuse_once(deps, client, team_id, event, invalid_entry(errors, framework), shared)
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
        _reply_unrecorded(client, team_id, event, not_saved(), "message-not-saved", shared)
        return
    # A message delivered again is answered once however often it comes: the outbox keys are
    # the message's, so a reply the first delivery could not send is sent now. In a shared
    # channel the thread only hears that it was recorded; what was understood goes to the rep.
    gaps = gaps_of(answers, framework) if answers is not None else []
    understood = thread_reply(entry, recorded.deal_name, gaps, recorded.debrief_id, framework)
    about = f"{team_id}:{event['channel']}:{event['ts']}"
    deliver(
        deps.db,
        client,
        key=f"message-reply:{about}",
        team_id=team_id,
        kind="message-reply",
        recipient=user_id,
        channel=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        render=recorded_in_shared_channel if shared else lambda: understood,
        now=deps.now(),
    )
    if shared:
        deliver(
            deps.db,
            client,
            key=f"message-reply-private:{about}",
            team_id=team_id,
            kind="message-reply",
            recipient=user_id,
            channel=user_id,
            render=lambda: privately(understood, event["channel"]),
            now=deps.now(),
        )


def register(app: App, deps: Deps) -> None:
    @app.event("message")
    def post_call_message(
        event: dict[str, Any],
        body: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        request: BoltRequest,
    ) -> None:
        team_id = installing_team(context) or event.get("team")
        if not team_id:
            return
        shared = body.get("is_ext_shared_channel") is True
        handle_post_call_message(deps, client, team_id, event, _is_retry(request), shared)

"""Sending a scheduled message exactly once: claim in the outbox, send, record.

See storage/outbox.py for what each outcome leaves behind. The claim is committed before the
Web API call, and the call is made with the patient client (it waits out a 429's Retry-After
and retries 5xx), so a tick that meets a rate limit delivers late rather than never.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.views.debrief_messages import Rendered
from storage.db import Database, DatabaseError
from storage.outbox import claim, mark_failed, mark_sent

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # sent before, being sent elsewhere, or given up on
    FAILED = "failed"  # not posted; a later tick retries
    UNKNOWN = "unknown"  # the request went out and no answer came: never resent


def _ambiguous(error: BaseException) -> bool:
    """True when Slack may have posted the message although we got no answer."""
    if isinstance(error, URLError):
        error = error.reason if isinstance(error.reason, BaseException) else error
    return isinstance(error, (TimeoutError, socket.timeout))


def deliver(
    db: Database,
    client: WebClient,
    *,
    key: str,
    team_id: str,
    kind: str,
    recipient: str,
    channel: str,
    render: Callable[[], Rendered],
    now: datetime,
    thread_ts: str | None = None,
) -> Outcome:
    """Claim one key, send one message (in `thread_ts`'s thread when given), record it."""
    return deliver_group(
        db,
        client,
        keys=[key],
        team_id=team_id,
        kind=kind,
        recipient=recipient,
        channel=channel,
        render=lambda _claimed: render(),
        now=now,
        thread_ts=thread_ts,
    )


def deliver_group(
    db: Database,
    client: WebClient,
    *,
    keys: list[str],
    team_id: str,
    kind: str,
    recipient: str,
    channel: str,
    render: Callable[[list[str]], Rendered],
    now: datetime,
    thread_ts: str | None = None,
) -> Outcome:
    """Several things due to one person in one message: each keeps its own key (a reminder is
    once per deal and next step), and only the keys claimed now are rendered and sent."""
    with db.session() as session:
        claimed = [k for k in keys if claim(session, k, team_id, kind, recipient, now)]
    if not claimed:
        return Outcome.SKIPPED
    try:
        message = render(claimed)
        response = client.chat_postMessage(  # slack_sdk leaves out a thread_ts of None
            channel=channel, text=message.text, blocks=message.blocks, thread_ts=thread_ts
        )
    except Exception as error:
        if _ambiguous(error):
            log.error("send outcome unknown; not resending", extra={"keys": claimed})
            return Outcome.UNKNOWN
        reason = (
            str(error.response.get("error")) if isinstance(error, SlackApiError) else repr(error)
        )
        log.warning("send failed; a later tick retries", extra={"keys": claimed, "error": reason})
        try:
            with db.session() as session:
                for key in claimed:
                    mark_failed(session, key, reason)
        except DatabaseError:
            log.exception("could not record a failed send", extra={"keys": claimed})
        return Outcome.FAILED
    try:
        with db.session() as session:
            for key in claimed:
                mark_sent(session, key, response.get("channel"), response.get("ts"))
    except DatabaseError:
        # Posted but not recorded: the claims stay, so it is not sent twice.
        log.exception("sent but not recorded", extra={"keys": claimed})
    return Outcome.SENT

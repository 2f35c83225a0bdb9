"""Reading what a button or a modal carries, and answering a click that is not allowed.

A button's value is text anyone can edit in a forged payload, and so is a view's
private_metadata: an id is read as a number or not at all, and the handler then checks that
the clicker may act on it.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.outbox import deliver
from handlers.views.debrief_messages import Rendered

MAX_ID = 2**31 - 1  # row ids are 32-bit integers on SQLite and PostgreSQL alike


def _as_id(raw: str) -> int | None:
    """A plain positive number that fits an id column, or None: a forged "9999…9" is no id
    (the database would refuse the number itself)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def action_id_value(body: dict[str, Any]) -> int | None:
    """The clicked button's value as an id, or None when it is not a plain number."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else {}
    return _as_id(str((first if isinstance(first, dict) else {}).get("value") or ""))


def click_key(body: dict[str, Any]) -> str:
    """What names one click: its trigger_id (else the action's ts), so that the answer to a
    click is sent once."""
    action = (body.get("actions") or [{}])[0]
    return str(body.get("trigger_id") or action.get("action_ts") or "")[:120]


def view_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The JSON object a modal was opened with (its private_metadata); {} when there is none
    or it is not an object."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def metadata_id(view: dict[str, Any], key: str) -> int | None:
    """An id the modal carries under `key`, or None when it is missing or not a number."""
    value = view_metadata(view).get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= MAX_ID else None
    return _as_id(value) if isinstance(value, str) else None


def refuse(client: WebClient, body: dict[str, Any], text: str) -> None:
    """Tell only the clicker, in the conversation of the click, why nothing happened."""
    channel = (body.get("channel") or {}).get("id")
    if channel:
        client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)


def answer_click(
    deps: Deps, client: WebClient, body: dict[str, Any], message: Rendered, *, in_thread: bool
) -> None:
    """Answer a button click in the conversation it came from (in the clicked message's thread
    when `in_thread`), once however often Slack delivers the click: the outbox key is the
    click's own."""
    user_id, team_id = body["user"]["id"], body["team"]["id"]
    channel = (body.get("channel") or {}).get("id") or user_id
    thread = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get(
        "message_ts"
    )
    deliver(
        deps.db,
        client,
        key=f"click-reply:{team_id}:{user_id}:{click_key(body)}",
        team_id=team_id,
        kind="click-reply",
        recipient=user_id,
        channel=channel,
        thread_ts=thread if in_thread and isinstance(thread, str) else None,
        render=lambda: message,
        now=deps.now(),
    )

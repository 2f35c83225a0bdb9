"""Reading what a button or a modal carries, and answering a click that is not allowed.

A button's value is text anyone can edit in a forged payload, and so is a view's
private_metadata: an id is read as a number or not at all, and the handler then checks that
the clicker may act on it.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk import WebClient


def action_id_value(body: dict[str, Any]) -> int | None:
    """The clicked button's value as an id, or None when it is not a plain number."""
    raw = str((body.get("actions") or [{}])[0].get("value") or "")
    return int(raw) if raw.isascii() and raw.isdigit() else None


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
        return value
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


def refuse(client: WebClient, body: dict[str, Any], text: str) -> None:
    """Tell only the clicker, in the conversation of the click, why nothing happened."""
    channel = (body.get("channel") or {}).get("id")
    if channel:
        client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)

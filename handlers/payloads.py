"""Reading what a button carries, and answering a click that is not allowed.

A button's value is text anyone can edit in a forged payload: an id is read as a number or not
at all, and the handler then checks that the clicker may act on it.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient


def action_id_value(body: dict[str, Any]) -> int | None:
    """The clicked button's value as an id, or None when it is not a plain number."""
    raw = str((body.get("actions") or [{}])[0].get("value") or "")
    return int(raw) if raw.isascii() and raw.isdigit() else None


def refuse(client: WebClient, body: dict[str, Any], text: str) -> None:
    """Tell only the clicker, in the conversation of the click, why nothing happened."""
    channel = (body.get("channel") or {}).get("id")
    if channel:
        client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)

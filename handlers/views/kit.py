"""Block Kit as plain dicts, for the views built on every request.

slack_sdk's model classes validate as they build, which costs more CPU than the rest of a
request; the views built on the acknowledgement path (the debrief modal, its confirmation) use
these helpers instead, and the test suite validates everything the app sends with slack_sdk's
models (tests/support/blockkit.py), so the limits are still checked.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def plain(text: str) -> Json:
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> Json:
    return {"type": "mrkdwn", "text": text}


def option(value: str, text: str) -> Json:
    return {"text": plain(text), "value": value}


def section(text: str) -> Json:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> Json:
    return {"type": "context", "elements": [mrkdwn(text)]}


def input_block(
    block_id: str, label: str, element: Json, *, optional: bool = False, hint: str | None = None
) -> Json:
    block: Json = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def button(action_id: str, text: str, value: str | None = None, style: str | None = None) -> Json:
    element: Json = {"type": "button", "action_id": action_id, "text": plain(text)}
    if value is not None:
        element["value"] = value
    if style is not None:
        element["style"] = style
    return element


def actions(block_id: str, *elements: Json) -> Json:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def modal(
    callback_id: str, title: str, submit: str, close: str, metadata: str, blocks: list[Json]
) -> Json:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title),
        "submit": plain(submit),
        "close": plain(close),
        "private_metadata": metadata,
        "blocks": blocks,
    }

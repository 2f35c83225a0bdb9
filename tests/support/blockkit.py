"""Block Kit limits, checked on everything the app sends to the fake Slack.

slack_sdk's models validate most limits (title length, text lengths, option counts) when
`validate_json()` runs; the counts per surface and the total text size are checked here.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 12_000  # Slack refuses messages near 13,000 characters of block text
MAX_MODAL_TITLE = 24
MAX_SECTION_TEXT = 3000


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return (
            found
            + [t for k, v in node.items() if k != "text" for t in _texts(v)]
            + (_texts(node["text"]) if isinstance(node.get("text"), dict) else [])
        )
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def check_blocks(blocks: list[dict[str, Any]], limit: int) -> None:
    assert len(blocks) <= limit, f"{len(blocks)} blocks, limit {limit}"
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, f"unknown block {raw}"
        block.validate_json()
        if raw.get("type") == "section" and isinstance(raw.get("text"), dict):
            assert len(raw["text"]["text"]) <= MAX_SECTION_TEXT


def check_view(view: dict[str, Any]) -> None:
    if isinstance(view, str):
        view = json.loads(view)
    model = View(**view)
    model.validate_json()
    if view.get("type") == "modal":
        title = view["title"]["text"]
        assert len(title) <= MAX_MODAL_TITLE, title
    check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)


def check_message(params: dict[str, Any]) -> None:
    blocks = params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    assert params.get("text"), "a message needs fallback text for notifications"
    check_blocks(blocks, MAX_MESSAGE_BLOCKS)
    total = sum(len(t) for t in _texts(blocks))
    assert total <= MAX_MESSAGE_TEXT, f"{total} characters of text in blocks"


def check_call(method: str, params: dict[str, Any]) -> None:
    if method in ("views.open", "views.update", "views.push", "views.publish"):
        check_view(params["view"])
    elif method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
        check_message(params)

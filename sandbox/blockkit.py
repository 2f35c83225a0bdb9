"""Block Kit's limits, checked the way Slack checks what an app sends.

Slack refuses a message or view that breaks them (`invalid_blocks`, `msg_blocks_too_long`,
`invalid_arguments`) and the person sees nothing. The stand-in answers the same refusals, and
the test suite asserts that the app never earns one. slack_sdk's models validate most limits
(title length, text lengths, option counts) in `validate_json()`; the counts per surface and
the total text size are checked here.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

__all__ = ["MESSAGE_METHODS", "VIEW_METHODS", "problems_in_call"]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 12_000  # Slack refuses messages near 13,000 characters of block text
MAX_MODAL_TITLE = 24
MAX_SECTION_TEXT = 3000

VIEW_METHODS = ("views.open", "views.update", "views.push", "views.publish")
MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral")


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


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _block_problems(blocks: Any, limit: int) -> list[str]:
    if blocks in (None, ""):
        return []
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks, no more than {limit} are allowed")
    for index, raw in enumerate(blocks):
        where = f"[json-pointer:/blocks/{index}]"
        if not isinstance(raw, dict):
            problems.append(f"a block must be an object {where}")
            continue
        try:
            block = Block.parse(raw)
            if block is None:
                problems.append(f"unknown block type {raw.get('type')!r} {where}")
                continue
            block.validate_json()
        except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
            problems.append(f"{exc} {where}")
            continue
        text = raw.get("text")
        long_text = isinstance(text, dict) and len(str(text.get("text", ""))) > MAX_SECTION_TEXT
        if raw.get("type") == "section" and long_text:
            problems.append(f"section text over {MAX_SECTION_TEXT} characters {where}")
    return problems


def _view_problems(view: Any) -> list[str]:
    view = _decoded(view)
    if not isinstance(view, dict):
        return ["view must be an object"]
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
        return [str(exc)]
    problems = []
    if view.get("type") == "modal":
        title = (view.get("title") or {}).get("text", "")
        if len(title) > MAX_MODAL_TITLE:
            problems.append(f"modal title over {MAX_MODAL_TITLE} characters: {title!r}")
    return problems + _block_problems(view.get("blocks", []), MAX_VIEW_BLOCKS)


def _message_problems(params: dict[str, Any]) -> list[str]:
    blocks = _decoded(params.get("blocks")) or []
    problems = _block_problems(blocks, MAX_MESSAGE_BLOCKS)
    total = sum(len(t) for t in _texts(blocks))
    if total > MAX_MESSAGE_TEXT:
        problems.append(f"msg_blocks_too_long: {total} characters of text in blocks")
    return problems


def problems_in_call(
    method: str, params: dict[str, Any], *, need_fallback: bool = False
) -> list[str]:
    """What Slack would refuse in this call; [] when it would take it.

    `need_fallback` also asks for the top-level `text` that notifications and screen readers
    use: Slack only warns about its absence, and the test suite holds the app to it.
    """
    if method in VIEW_METHODS:
        return _view_problems(params.get("view"))
    if method in MESSAGE_METHODS:
        problems = _message_problems(params)
        if need_fallback and not params.get("text"):
            problems.append("a message needs fallback text for notifications")
        return problems
    return []

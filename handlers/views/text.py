"""Helpers for putting user-typed text into Slack messages safely."""

from __future__ import annotations


def escape(text: str) -> str:
    """Slack's three control characters; anything else a rep typed is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Shorten a label to fit a Block Kit limit, with an ellipsis so the cut is visible."""
    return text if len(text) <= limit else text[: limit - 1] + "…"

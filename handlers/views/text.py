"""Helpers for putting user-typed text into Slack messages safely, and laid out right when the
sentence around it reads right to left."""

from __future__ import annotations

from datetime import date

from coaching.i18n import isolate


def escape(text: str) -> str:
    """Slack's three control characters; anything else a rep typed is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_clipped(text: str, limit: int) -> str:
    """`escape(text)` in at most `limit` characters: escaping can make a rep's text up to five
    times longer (each `<` is `&lt;`), and Block Kit counts what is sent. A cut never splits
    an escape, and ends with an ellipsis so it is visible."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    kept: list[str] = []
    length = 0
    for char in text:
        piece = escape(char)
        if length + len(piece) > limit - 1:
            break
        kept.append(piece)
        length += len(piece)
    return "".join(kept) + "…"


def clip(text: str, limit: int) -> str:
    """Shorten a label to fit a Block Kit limit, with an ellipsis so the cut is visible."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mention(user_id: str) -> str:
    """A person, as Slack shows them (their name), laid out on its own in a right-to-left
    sentence (coaching.i18n.isolate)."""
    return isolate(f"<@{user_id}>")


def day(value: date) -> str:
    """A date as YYYY-MM-DD. In a right-to-left sentence its digits would count as Arabic
    numbers and its parts come out in the wrong order (29-11-2026): isolated, it reads as
    written."""
    return isolate(value.isoformat())

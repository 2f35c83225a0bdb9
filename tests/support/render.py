"""Block Kit as the text a person reads, one line per piece, for golden files that a reviewer
can read (and a translator can check) without a Slack client.

Each block becomes a line tagged with its type; the texts inside it follow as Slack shows
them, mrkdwn left as written. Invisible characters that matter for right-to-left text (the
Unicode isolates and marks) are spelled out, so a golden file shows where they are.
"""

from __future__ import annotations

from typing import Any

_VISIBLE = {
    "\u2066": "⟨LRI⟩",
    "\u2067": "⟨RLI⟩",
    "\u2068": "⟨FSI⟩",
    "\u2069": "⟨PDI⟩",
    "\u200e": "⟨LRM⟩",
    "\u200f": "⟨RLM⟩",
    "\u061c": "⟨ALM⟩",
}


def visible(text: str) -> str:
    for char, name in _VISIBLE.items():
        text = text.replace(char, name)
    return text


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return str(obj or "")


def _element(element: dict[str, Any]) -> str:
    kind = element.get("type", "")
    if kind == "button":
        style = f":{element['style']}" if element.get("style") else ""
        return f"[button{style}] {_text(element.get('text'))}"
    if kind in ("radio_buttons", "static_select", "checkboxes"):
        options = " | ".join(_text(o.get("text")) for o in element.get("options", []))
        chosen = element.get("initial_option") or element.get("initial_options")
        picked = ""
        if isinstance(chosen, dict):
            picked = f" (chosen: {_text(chosen.get('text'))})"
        elif isinstance(chosen, list) and chosen:
            picked = f" (chosen: {', '.join(_text(o.get('text')) for o in chosen)})"
        return f"[{kind}] {options}{picked}"
    if kind in ("mrkdwn", "plain_text"):
        return _text(element)
    if kind == "external_select":
        initial = element.get("initial_option")
        shown = f" (chosen: {_text(initial.get('text'))})" if initial else ""
        return f"[external_select] {_text(element.get('placeholder'))}{shown}"
    if kind == "plain_text_input":
        value = element.get("initial_value")
        return f"[text input] {value}" if value else "[text input]"
    if kind == "datepicker":
        return f"[date] {element.get('initial_date', '')}".rstrip()
    return f"[{kind}]"


def block_lines(blocks: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type", "")
        if kind == "header":
            lines.append(f"# {_text(block.get('text'))}")
        elif kind == "section":
            lines.append(f"[section] {_text(block.get('text'))}")
            if block.get("accessory"):
                lines.append(f"  {_element(block['accessory'])}")
        elif kind == "context":
            lines.append("[context] " + " / ".join(_element(e) for e in block["elements"]))
        elif kind == "actions":
            lines.append("[actions] " + " ".join(_element(e) for e in block["elements"]))
        elif kind == "divider":
            lines.append("----")
        elif kind == "input":
            optional = " (optional)" if block.get("optional") else ""
            lines.append(f"[input {block.get('block_id')}] {_text(block.get('label'))}{optional}")
            lines.append(f"  {_element(block['element'])}")
            if block.get("hint"):
                lines.append(f"  hint: {_text(block['hint'])}")
        else:
            lines.append(f"[{kind}]")
    return lines


def rendered_text(blocks: list[dict[str, Any]], fallback: str | None = None) -> str:
    """The golden form of a message or view's blocks (and its notification text)."""
    lines = [] if fallback is None else [f"notification: {fallback}", ""]
    lines += block_lines(blocks)
    return visible("\n".join(lines)) + "\n"


def view_text(view: dict[str, Any]) -> str:
    head = []
    for key in ("title", "submit", "close"):
        if view.get(key):
            head.append(f"{key}: {_text(view[key])}")
    return visible("\n".join(head) + "\n\n") + rendered_text(view["blocks"])

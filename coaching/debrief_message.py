"""Parse the post-call messages reps post in Slack into a structured debrief.

Reps record how a call went by typing a short, loosely formatted Slack message::

    debrief Acme Corp
    timeline: yes
    authority: n
    next step: demo on Friday
    next step date: 2024-05-10
    went well: they loved the pricing page
    improve: ask about budget earlier
    anything else becomes notes

This module is the one place that turns such free text into a typed
``ParsedDebrief``, or into a ``DebriefParseError`` whose ``code``, ``field`` and
``value`` let the Slack layer answer with a precise, friendly correction. It is
pure standard-library Python (no Slack, no database) so the rules of the
product contract can be tested in isolation. It only *parses* dates: checking
them against today or against each other is another module's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from coaching.debrief import DebriefInput

# First non-empty line: the word "debrief" (any case, a whole word), an
# optional ":" / "-" / en dash / em dash, then the deal name.
_HEADER = re.compile(
    r"debrief(?:\s*[:\-\u2013\u2014]|(?=\s)|$)(?P<deal>.*)",
    re.IGNORECASE,
)

# Field keys in their canonical spelling; "_" in a key accepts any run of
# spaces, tabs, "_" or "-" (so "next step", "next_step", "next-step").
_FIELDS = (
    "call_date",
    "timeline",
    "authority",
    "next_step_date",
    "next_step",
    "went_well",
    "improve",
)
_KEY_SEPARATOR = r"[ \t_-]+"
_FIELD_LINE = re.compile(
    r"\s*(?P<key>"
    + "|".join(field.replace("_", _KEY_SEPARATOR) for field in _FIELDS)
    + r")\s*:(?P<value>.*)",
    re.IGNORECASE,
)

_YES = frozenset({"yes", "y"})
_NO = frozenset({"no", "n"})
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ParsedDebrief:
    """A debrief as the rep typed it; ``None`` means "not given"."""

    deal: str
    call_date: date | None
    timeline_qualified: bool | None
    authority_reached: bool | None
    next_step: str | None
    next_step_date: date | None
    went_well: str | None
    improve: str | None
    notes: str | None

    def as_entry(self, posted_on: date) -> DebriefInput:
        """The debrief to validate and store; a call date not given is the posting day."""
        return DebriefInput(
            deal=self.deal,
            call_date=self.call_date or posted_on,
            timeline_qualified=self.timeline_qualified,
            authority_reached=self.authority_reached,
            next_step=self.next_step,
            next_step_date=self.next_step_date,
            went_well=self.went_well,
            improve=self.improve,
            notes=self.notes,
        )


class DebriefParseError(ValueError):
    """Why a message could not be read as a debrief.

    ``code`` is one of "not_a_debrief", "no_deal", "bad_yes_no", "bad_date",
    "duplicate_field"; ``field`` is the field it concerns (one of "deal",
    "call_date", "timeline", "authority", "next_step", "next_step_date",
    "went_well", "improve") or None; ``value`` is the offending text or None.
    """

    def __init__(self, code: str, field: str | None = None, value: str | None = None) -> None:
        super().__init__(_describe_error(code, field, value))
        self.code = code
        self.field = field
        self.value = value


def _describe_error(code: str, field: str | None, value: str | None) -> str:
    details = [code]
    if field is not None:
        details.append(f"field={field}")
    if value is not None:
        details.append(f"value={value!r}")
    return " ".join(details)


# Slack turns a web address or e-mail typed in a message into <https://acme.io|acme.io>
# (a literal < or > is always sent escaped, so a bare < starts markup).
_AUTO_LINK = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>")


def slack_text_as_typed(text: str) -> str:
    """What the person typed, from a message's text as Slack sends it: auto-links back to the
    text that was linked ("acme.io", not "<http://acme.io|acme.io>"), then Slack's ``&lt;``
    ``&gt;`` ``&amp;`` escapes undone (``&amp;`` last). Mentions stay as Slack writes them."""
    text = _AUTO_LINK.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def is_debrief_message(text: str) -> bool:
    """True when the first non-empty line starts with the word "debrief"."""
    split = _split_header(text)
    return split is not None and _deal_from_header(split[0]) is not None


def parse_debrief_message(text: str) -> ParsedDebrief:
    """Parse a post-call message; raise ``DebriefParseError`` when it is invalid."""
    split = _split_header(text)
    deal = None if split is None else _deal_from_header(split[0])
    if split is None or deal is None:
        raise DebriefParseError("not_a_debrief")
    if not deal:
        raise DebriefParseError("no_deal", "deal")
    fields, note_lines = _collect_lines(split[1])
    return _build(deal, fields, _join_notes(note_lines))


def _split_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _split_header(text: str) -> tuple[str, list[str]] | None:
    """Return (first non-empty line, the lines after it), or None if all blank."""
    lines = _split_lines(text)
    for index, line in enumerate(lines):
        if line.strip():
            return line.strip(), lines[index + 1 :]
    return None


def _deal_from_header(header: str) -> str | None:
    """The deal name ("" when missing), or None when this is not a debrief header."""
    match = _HEADER.fullmatch(header)
    if match is None:
        return None
    return slack_text_as_typed(match.group("deal")).strip()


def _canonical_key(key: str) -> str:
    return re.sub(_KEY_SEPARATOR, "_", key.lower())


def _collect_lines(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split body lines into {field: stripped value} and note lines, in order."""
    fields: dict[str, str] = {}
    notes: list[str] = []
    for line in lines:
        match = _FIELD_LINE.fullmatch(line)
        if match is None:
            notes.append(slack_text_as_typed(line))
            continue
        field = _canonical_key(match.group("key"))
        value = slack_text_as_typed(match.group("value")).strip()
        if field in fields:
            raise DebriefParseError("duplicate_field", field, value)
        fields[field] = value
    return fields, notes


def _join_notes(lines: list[str]) -> str | None:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end]) or None


def _build(deal: str, fields: dict[str, str], notes: str | None) -> ParsedDebrief:
    return ParsedDebrief(
        deal=deal,
        call_date=_parse_date("call_date", fields.get("call_date", "")),
        timeline_qualified=_parse_yes_no("timeline", fields.get("timeline", "")),
        authority_reached=_parse_yes_no("authority", fields.get("authority", "")),
        next_step=fields.get("next_step") or None,
        next_step_date=_parse_date("next_step_date", fields.get("next_step_date", "")),
        went_well=fields.get("went_well") or None,
        improve=fields.get("improve") or None,
        notes=notes,
    )


def _parse_yes_no(field: str, value: str) -> bool | None:
    """yes/no/y/n in any case with an optional trailing "."; "" means not given."""
    if not value:
        return None
    word = value.lower().removesuffix(".").rstrip()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise DebriefParseError("bad_yes_no", field, value)


def _parse_date(field: str, value: str) -> date | None:
    """Exactly YYYY-MM-DD (ASCII digits, a real calendar day); "" means not given."""
    if not value:
        return None
    if _ISO_DATE.fullmatch(value) is None:
        raise DebriefParseError("bad_date", field, value)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DebriefParseError("bad_date", field, value) from None

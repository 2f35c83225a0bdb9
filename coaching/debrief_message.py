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

The field names are the workspace's qualification framework's keywords (the default
framework's are `timeline` and `authority`) and the built-in ones (coaching.message_words), in
English and in Arabic whatever the rep's language: ``ملخص Acme`` then ``الجدول الزمني: نعم``
is the same debrief, and a date may be typed in Eastern Arabic digits.

This module is the one place that turns such free text into a typed
``ParsedDebrief``, or into a ``DebriefParseError`` whose ``code``, ``field`` and
``value`` let the Slack layer answer with a precise, friendly correction. It is
pure standard-library Python (no Slack, no database) so the rules of the
product contract can be tested in isolation. It only *parses* dates: checking
them against today or against each other is another module's job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache

from coaching.answers import NO_ANSWERS, split_answers
from coaching.debrief import DebriefInput
from coaching.frameworks import Framework, default_framework
from coaching.message_words import (
    BIDI_CONTROLS,
    FIELD_WORDS,
    HEADER_WORDS,
    NO_WORDS,
    YES_WORDS,
    ascii_digits,
    fold,
    without_bidi_controls,
)

# Arabic short vowels and tatweel, which a rep may or may not type inside the keyword.
_MARKS = "[\u064b-\u0652\u0670\u0640]*"
# First non-empty line: the word "debrief" or "ملخص" (any case, a whole word), an
# optional ":" / "-" / en dash / em dash, then the deal name.
_HEADER = re.compile(
    "(?:"
    + "|".join(_MARKS.join(re.escape(char) for char in word) for word in HEADER_WORDS)
    + r")(?:\s*[:\-\u2013\u2014]|(?=\s)|$)(?P<deal>.*)",
    re.IGNORECASE,
)

# A field line is "<key>: <value>": the key is whatever comes before the first colon, spaces
# around it ignored; between its words any run of spaces, tabs, "_" or "-" (so "next step",
# "next_step", "next-step"), but none at its ends ("- timeline: yes" is a note).
_KEY_EDGE = re.compile(r"^[_-]|[_-]$")
_KEY_INSIDE = re.compile(r"[^\s]*(?:[ \t_-]+[^\s]*)*")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BUILT_IN = ("call_date", "next_step_date", "next_step", "went_well", "improve")


@dataclass(frozen=True)
class _Vocabulary:
    keys: dict[str, str]  # folded field name -> field (built-in) or criterion key
    criteria: tuple[str, ...]  # the framework's criterion keys, in order
    yes: frozenset[str]
    no: frozenset[str]


@cache
def _vocabulary(framework: Framework) -> _Vocabulary:
    keys: dict[str, str] = {}
    for field_name in _BUILT_IN:
        for words in FIELD_WORDS[field_name].values():
            keys.update({fold(word): field_name for word in words})
    for criterion in framework.criteria:
        keys.update({fold(word): criterion.key for word in criterion.all_keywords})
    yes = frozenset(fold(w) for words in YES_WORDS.values() for w in words)
    no = frozenset(fold(w) for words in NO_WORDS.values() for w in words)
    return _Vocabulary(keys, framework.keys, yes, no)


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
    criteria: Mapping[str, bool] = NO_ANSWERS  # the framework's other criteria, by key

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
            criteria=self.criteria,
        )


class DebriefParseError(ValueError):
    """Why a message could not be read as a debrief.

    ``code`` is one of "not_a_debrief", "no_deal", "bad_yes_no", "bad_date",
    "duplicate_field"; ``field`` is the field it concerns (one of "deal",
    "call_date", "next_step", "next_step_date", "went_well", "improve", or a
    criterion's key such as "timeline") or None; ``value`` is the offending text or None.
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
    """True when the first non-empty line starts with the word "debrief" (or "ملخص")."""
    split = _split_header(text)
    return split is not None and _deal_from_header(split[0]) is not None


def parse_debrief_message(text: str, framework: Framework | None = None) -> ParsedDebrief:
    """Parse a post-call message with the framework's keywords (the default framework's when
    none is given); raise ``DebriefParseError`` when it is invalid."""
    split = _split_header(text)
    deal = None if split is None else _deal_from_header(split[0])
    if split is None or deal is None:
        raise DebriefParseError("not_a_debrief")
    if not deal:
        raise DebriefParseError("no_deal", "deal")
    words = _vocabulary(framework or default_framework())
    fields, note_lines = _collect_lines(split[1], words)
    return _build(deal, fields, _join_notes(note_lines), words)


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
    """The deal name ("" when missing), or None when this is not a debrief header. Invisible
    direction marks before the keyword, or around the name, are not part of it."""
    match = _HEADER.fullmatch(header.lstrip(BIDI_CONTROLS))
    if match is None:
        return None
    return slack_text_as_typed(match.group("deal")).strip().strip(BIDI_CONTROLS).strip()


def _field_of(line: str, words: _Vocabulary) -> tuple[str, str] | None:
    """(field, raw value) when the line is "<known key>: <value>", else None."""
    head, colon, value = line.partition(":")
    key = without_bidi_controls(head).strip()
    if not colon or not key or _KEY_EDGE.search(key) or not _KEY_INSIDE.fullmatch(key):
        return None
    field = words.keys.get(fold(key))
    return None if field is None else (field, value)


def _collect_lines(lines: list[str], words: _Vocabulary) -> tuple[dict[str, str], list[str]]:
    """Split body lines into {field: stripped value} and note lines, in order."""
    fields: dict[str, str] = {}
    notes: list[str] = []
    for line in lines:
        found = _field_of(line, words)
        if found is None:
            notes.append(slack_text_as_typed(line))
            continue
        field = found[0]
        value = slack_text_as_typed(found[1]).strip()
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


def _build(
    deal: str, fields: dict[str, str], notes: str | None, words: _Vocabulary
) -> ParsedDebrief:
    call_date = _parse_date("call_date", fields.get("call_date", ""))
    answers = {key: _parse_yes_no(key, fields.get(key, ""), words) for key in words.criteria}
    timeline, authority, others = split_answers(answers)
    return ParsedDebrief(
        deal=deal,
        call_date=call_date,
        timeline_qualified=timeline,
        authority_reached=authority,
        next_step=fields.get("next_step") or None,
        next_step_date=_parse_date("next_step_date", fields.get("next_step_date", "")),
        went_well=fields.get("went_well") or None,
        improve=fields.get("improve") or None,
        notes=notes,
        criteria=others,
    )


def _parse_yes_no(field: str, value: str, words: _Vocabulary) -> bool | None:
    """yes/no/y/n (نعم/لا) in any case with an optional trailing "."; "" means not given."""
    if not value:
        return None
    word = fold(value).removesuffix(".").rstrip()
    if word in words.yes:
        return True
    if word in words.no:
        return False
    raise DebriefParseError("bad_yes_no", field, value)


def _parse_date(field: str, value: str) -> date | None:
    """Exactly YYYY-MM-DD (ASCII or Eastern Arabic digits, a real calendar day); "" means not
    given."""
    if not value:
        return None
    typed = ascii_digits(without_bidi_controls(value))
    if _ISO_DATE.fullmatch(typed) is None:
        raise DebriefParseError("bad_date", field, value)
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise DebriefParseError("bad_date", field, value) from None

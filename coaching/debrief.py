"""What a debrief is, and the rules its answers must follow whichever way it was recorded.

The modal and the post-call message both end here, so a rep gets the same verdict on the same
input whether they typed it into a form or a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from coaching.answers import NO_ANSWERS

# Limits on what a rep can type. Deal names must fit Slack's option value (150 characters)
# with a prefix; long texts must fit one section block (3000 characters) when shown back.
MAX_DEAL_NAME = 100
MAX_NEXT_STEP = 500
MAX_LONG_TEXT = 2500

FIELDS = (
    "deal",
    "call_date",
    "timeline",
    "authority",
    "next_step",
    "next_step_date",
    "went_well",
    "improve",
    "notes",
)


@dataclass(frozen=True)
class DebriefInput:
    """A debrief as entered, before it is stored."""

    deal: str
    call_date: date
    timeline_qualified: bool | None = None
    authority_reached: bool | None = None
    next_step: str | None = None
    next_step_date: date | None = None
    went_well: str | None = None
    improve: str | None = None
    notes: str | None = None
    coaching_requested: bool = False
    # Answers to the criteria other than timeline and authority, by key (coaching.answers).
    criteria: Mapping[str, bool] = NO_ANSWERS


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; `code` is looked up in the message catalog by the views."""

    field: str
    code: str
    limit: int = 0


def normalise_deal_name(name: str) -> str:
    """The deal's display name: spaces collapsed, as typed otherwise."""
    return " ".join(name.split())


def deal_key(name: str) -> str:
    """Deals match case- and space-insensitively: "acme  corp " is "Acme Corp"."""
    return " ".join(name.split()).casefold()


def _too_long(value: str | None, limit: int) -> bool:
    return value is not None and len(value) > limit


def validate(entry: DebriefInput, today: date) -> list[FieldError]:
    """Every problem with the entry, in the order the fields appear; empty when it can be saved."""
    errors: list[FieldError] = []
    name = normalise_deal_name(entry.deal)
    if not name:
        errors.append(FieldError("deal", "required"))
    elif len(name) > MAX_DEAL_NAME:
        errors.append(FieldError("deal", "too_long", MAX_DEAL_NAME))
    if entry.call_date > today:
        errors.append(FieldError("call_date", "in_future"))
    if _too_long(entry.next_step, MAX_NEXT_STEP):
        errors.append(FieldError("next_step", "too_long", MAX_NEXT_STEP))
    if entry.next_step_date is not None and entry.next_step_date < entry.call_date:
        errors.append(FieldError("next_step_date", "before_call"))
    for field_name in ("went_well", "improve", "notes"):
        if _too_long(getattr(entry, field_name), MAX_LONG_TEXT):
            errors.append(FieldError(field_name, "too_long", MAX_LONG_TEXT))
    return errors

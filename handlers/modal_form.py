"""Reading the debrief modal's submitted state into a domain entry.

Slack sends `view.state.values[block_id][action_id]`; what a rep left empty is simply absent or
null. Anything malformed becomes a FieldError on its block instead of an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from coaching.answers import split_answers
from coaching.debrief import DebriefInput, FieldError
from coaching.frameworks import Framework, default_framework
from handlers.views.debrief_modal import DEAL_PREFIX, NEW_DEAL_PREFIX


@dataclass(frozen=True)
class DealChoice:
    """Either an existing deal picked from the list, or a name to match or create."""

    deal_id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class SubmittedForm:
    choice: DealChoice
    entry: DebriefInput  # `deal` holds the typed name; the handler resolves a picked deal
    errors: list[FieldError]


def _element(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    block = values.get(block_id)
    if not isinstance(block, dict) or not block:
        return {}
    element = block.get(block_id) or next(iter(block.values()))
    return element if isinstance(element, dict) else {}


def _selected(element: dict[str, Any]) -> str | None:
    option = element.get("selected_option")
    if isinstance(option, dict) and isinstance(option.get("value"), str):
        value: str = option["value"]
        return value
    return None


def _text(values: dict[str, Any], block_id: str) -> str | None:
    value = _element(values, block_id).get("value")
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _date(values: dict[str, Any], block_id: str, errors: list[FieldError]) -> date | None:
    raw = _element(values, block_id).get("selected_date")
    if not raw:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        errors.append(FieldError(block_id, "bad_value"))
        return None


def _yes_no(values: dict[str, Any], block_id: str, errors: list[FieldError]) -> bool | None:
    value = _selected(_element(values, block_id))
    if value is None:
        return None
    if value not in ("yes", "no"):
        errors.append(FieldError(block_id, "bad_value"))
        return None
    return value == "yes"


def _checked(values: dict[str, Any], block_id: str) -> bool:
    selected = _element(values, block_id).get("selected_options") or []
    return any(isinstance(o, dict) and o.get("value") == "yes" for o in selected)


def _deal(values: dict[str, Any], errors: list[FieldError]) -> DealChoice:
    element = _element(values, "deal")
    selected = _selected(element)
    if selected is None:  # a plain text input, should the picker ever be swapped for one
        return DealChoice(name=str(element.get("value") or ""))
    if selected.startswith(NEW_DEAL_PREFIX):
        return DealChoice(name=selected[len(NEW_DEAL_PREFIX) :])
    if selected.startswith(DEAL_PREFIX) and selected[len(DEAL_PREFIX) :].isdigit():
        return DealChoice(deal_id=int(selected[len(DEAL_PREFIX) :]))
    errors.append(FieldError("deal", "unknown_deal"))
    return DealChoice()


def read_form(
    values: dict[str, Any], today: date, framework: Framework | None = None
) -> SubmittedForm:
    """The entry as submitted, with the answers to the framework's questions (a block per
    criterion, its id the criterion's key); `today` stands in for a call date the form did not
    carry."""
    errors: list[FieldError] = []
    choice = _deal(values, errors)
    call_date = _date(values, "call_date", errors)
    answers = {key: _yes_no(values, key, errors) for key in (framework or default_framework()).keys}
    timeline, authority, others = split_answers(answers)
    entry = DebriefInput(
        deal=choice.name,
        call_date=call_date or today,
        timeline_qualified=timeline,
        authority_reached=authority,
        next_step=_text(values, "next_step"),
        next_step_date=_date(values, "next_step_date", errors),
        went_well=_text(values, "went_well"),
        improve=_text(values, "improve"),
        notes=_text(values, "notes"),
        coaching_requested=_checked(values, "coaching"),
        criteria=others,
    )
    return SubmittedForm(choice, entry, errors)

"""The debrief modal: the same form for a new debrief, a prefilled one and a correction.

Block ids are fixed by the interface contract (acceptance tests and integrations read them);
each input's action_id repeats its block_id so that state is `values[block][block]`. The
questions are the workspace framework's, each block's id its criterion's key (so `timeline`
and `authority` keep theirs). Built as plain dicts (handlers/views/kit.py): it is on every
/debrief's path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from coaching.answers import NO_ANSWERS, answer
from coaching.debrief import MAX_DEAL_NAME, MAX_LONG_TEXT, MAX_NEXT_STEP
from coaching.frameworks import Framework, default_framework
from coaching.i18n import _
from handlers.views import criteria as words
from handlers.views.kit import Json, context, input_block, modal, option, plain
from handlers.views.text import clip

CALLBACK_ID = "debrief"
NEW_DEAL_PREFIX = "new:"
DEAL_PREFIX = "deal:"
OPTION_TEXT_LIMIT = 75


@dataclass(frozen=True)
class ModalPrefill:
    """What the modal starts with. Empty by default; a correction carries the debrief id."""

    deal: str | None = None
    deal_id: int | None = None
    call_date: date | None = None
    timeline_qualified: bool | None = None
    authority_reached: bool | None = None
    next_step: str | None = None
    next_step_date: date | None = None
    went_well: str | None = None
    improve: str | None = None
    notes: str | None = None
    coaching_requested: bool = False
    debrief_id: int | None = None
    criteria: Mapping[str, bool] = NO_ANSWERS  # the other criteria's answers, by key


def new_deal_option(name: str) -> Json:
    label = _("Create new deal: {name}").format(name=name)
    return option(NEW_DEAL_PREFIX + name, clip(label, OPTION_TEXT_LIMIT))


def deal_option(deal_id: int, name: str) -> Json:
    return option(f"{DEAL_PREFIX}{deal_id}", clip(name, OPTION_TEXT_LIMIT))


def deal_options(typed: str, deals: list[tuple[int, str]], typed_is_existing: bool) -> list[Json]:
    """Options for the deal picker: the rep's matching deals, then "create new" for the text."""
    options = [deal_option(deal_id, name) for deal_id, name in deals]
    name = " ".join(typed.split())
    if name and not typed_is_existing and len(name) <= MAX_DEAL_NAME:
        options.append(new_deal_option(name))
    return options[:100]


def _yes_no(block_id: str, label: str, yes: str, no: str, value: bool | None) -> Json:
    options = [option("yes", yes), option("no", no)]
    element: Json = {"type": "radio_buttons", "action_id": block_id, "options": options}
    if value is not None:
        element["initial_option"] = options[0 if value else 1]
    return input_block(block_id, label, element)


def _text(
    block_id: str,
    label: str,
    value: str | None,
    limit: int,
    *,
    multiline: bool = False,
    optional: bool = True,
    placeholder: str | None = None,
) -> Json:
    element: Json = {
        "type": "plain_text_input",
        "action_id": block_id,
        "multiline": multiline,
        "max_length": limit,
    }
    if value:
        element["initial_value"] = value
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return input_block(block_id, label, element, optional=optional)


def _date(block_id: str, label: str, value: date | None, *, optional: bool) -> Json:
    element: Json = {"type": "datepicker", "action_id": block_id}
    if value:
        element["initial_date"] = value.isoformat()
    return input_block(block_id, label, element, optional=optional)


def _coaching(requested: bool) -> Json:
    choice = option("yes", _("I'd like coaching on this deal"))
    element: Json = {"type": "checkboxes", "action_id": "coaching", "options": [choice]}
    if requested:
        element["initial_options"] = [choice]
    return input_block(
        "coaching",
        _("Coaching"),
        element,
        optional=True,
        hint=_("Your manager gets this debrief and can schedule a session with you."),
    )


def _deal_initial(prefill: ModalPrefill) -> Json | None:
    if prefill.deal_id is not None and prefill.deal:
        return deal_option(prefill.deal_id, prefill.deal)
    if prefill.deal:
        name = clip(" ".join(prefill.deal.split()), MAX_DEAL_NAME)
        return option(NEW_DEAL_PREFIX + name, clip(name, OPTION_TEXT_LIMIT))
    return None


def debrief_modal(
    prefill: ModalPrefill,
    today: date,
    private_metadata: dict[str, Any],
    framework: Framework | None = None,
) -> Json:
    """The modal as `views.open` wants it, asking the framework's questions (the default
    framework's when none is given)."""
    framework = framework or default_framework()
    correcting = prefill.debrief_id is not None
    deal: Json = {
        "type": "external_select",
        "action_id": "deal",
        "placeholder": plain(_("Acme Corp")),
        "min_query_length": 0,
    }
    initial = _deal_initial(prefill)
    if initial is not None:
        deal["initial_option"] = initial
    blocks = [
        input_block(
            "deal",
            _("Deal or account"),
            deal,
            hint=_("Start typing: pick one of your deals, or create a new one."),
        ),
        _date("call_date", _("When was the call?"), prefill.call_date or today, optional=False),
        *(
            _yes_no(
                c.key,
                words.question(c),
                words.yes_option(c),
                words.no_option(c),
                answer(prefill, c.key),
            )
            for c in framework.criteria
        ),
        _text(
            "next_step",
            _("Agreed next step"),
            prefill.next_step,
            MAX_NEXT_STEP,
            optional=False,
            placeholder=_("Demo for the CFO"),
        ),
        _date("next_step_date", _("Next step due on"), prefill.next_step_date, optional=True),
        _text("went_well", _("What went well"), prefill.went_well, MAX_LONG_TEXT, multiline=True),
        _text("improve", _("What to improve"), prefill.improve, MAX_LONG_TEXT, multiline=True),
        _text("notes", _("Other notes"), prefill.notes, MAX_LONG_TEXT, multiline=True),
        _coaching(prefill.coaching_requested),
        context(
            _("A call moves a deal when it {moves}.").format(
                moves=words.what_moves_a_deal(framework)
            )
        ),
    ]
    return modal(
        CALLBACK_ID,
        _("Correct debrief") if correcting else _("Debrief a call"),
        _("Save"),
        _("Cancel"),
        json.dumps(private_metadata, separators=(",", ":")),
        blocks,
    )

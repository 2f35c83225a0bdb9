"""Messages and the modal behind the digest's buttons: snooze, ask for an update, won or lost,
and the rep's post-mortem."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from coaching.debrief import MAX_LONG_TEXT
from coaching.frameworks import Framework, default_framework
from coaching.i18n import _, isolate
from handlers.views import criteria as words
from handlers.views.debrief_messages import Rendered
from handlers.views.text import day, escape, mention

DEBRIEF_DEAL_ACTION = "debrief_deal"
POST_MORTEM_OPEN_ACTION = "post_mortem_open"
POST_MORTEM_CALLBACK = "post_mortem"


def _section(text: str) -> Rendered:
    return Rendered(text=text, blocks=[SectionBlock(text=MarkdownTextObject(text=text)).to_dict()])


def _deal(name: str) -> str:
    return isolate(escape(name))


def snoozed(deal: str, until: date) -> Rendered:
    return _section(
        _(":zzz: *{deal}* is snoozed until {until}: it stays out of digests until then.").format(
            deal=_deal(deal), until=day(until)
        )
    )


def update_requested(deal: str, rep: str) -> Rendered:
    return _section(
        _(":speech_balloon: Asked {rep} for an update on *{deal}*.").format(
            rep=mention(rep), deal=_deal(deal)
        )
    )


def update_not_sent(rep: str) -> Rendered:
    return _section(
        _(
            ":warning: Slack did not take the message to {rep} just now; try again in a minute."
        ).format(rep=mention(rep))
    )


def update_already_requested(deal: str, rep: str) -> Rendered:
    return _section(
        _("You already asked {rep} about *{deal}* today.").format(
            rep=mention(rep), deal=_deal(deal)
        )
    )


def update_request(
    deal: str,
    deal_id: int,
    manager: str,
    gaps: Sequence[str],
    framework: Framework | None = None,
) -> Rendered:
    """The DM a rep gets when their manager asks for an update from the digest."""
    question = (
        words.gap_question(framework or default_framework(), gaps[0])
        if gaps
        else _("What has changed since your last call, and what is the next step?")
    )
    text = _(
        "{manager} asked for an update on *{deal}*. Worth answering on your next call: “{question}”"
    ).format(manager=mention(manager), deal=_deal(deal), question=question)
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            elements=[
                ButtonElement(
                    action_id=DEBRIEF_DEAL_ACTION,
                    text=_("Debrief a call"),
                    value=str(deal_id),
                    style="primary",
                )
            ]
        ),
    ]
    return Rendered(text=text, blocks=[b.to_dict() for b in blocks])


def closed(deal: str, outcome: str, rep: str) -> Rendered:
    if outcome == "won":
        text = _(":trophy: Marked *{deal}* as won. {rep} is asked for a short post-mortem.")
    else:
        text = _(":x: Marked *{deal}* as lost. {rep} is asked for a short post-mortem.")
    return _section(text.format(deal=_deal(deal), rep=mention(rep)))


def already_closed(deal: str) -> Rendered:
    return _section(_("*{deal}* was already closed.").format(deal=_deal(deal)))


def post_mortem_request(deal: str, deal_id: int, outcome: str, manager: str) -> Rendered:
    if outcome == "won":
        text = _(
            "{manager} marked *{deal}* as won. Congratulations! Two minutes on what made "
            "the difference will help the whole team."
        )
    else:
        text = _("{manager} marked *{deal}* as lost. Two minutes on why will help the next deal.")
    text = text.format(manager=mention(manager), deal=_deal(deal))
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            elements=[
                ButtonElement(
                    action_id=POST_MORTEM_OPEN_ACTION,
                    text=_("Write the post-mortem"),
                    value=str(deal_id),
                )
            ]
        ),
    ]
    return Rendered(text=text, blocks=[b.to_dict() for b in blocks])


def post_mortem_saved(deal: str) -> Rendered:
    return _section(
        _(":white_check_mark: Thanks: your post-mortem for *{deal}* is saved.").format(
            deal=_deal(deal)
        )
    )


def not_allowed() -> str:
    return _("Only the managers of this deal's rep can do that.")


def not_your_deal() -> str:
    return _("Only the rep who owns this deal can write its post-mortem.")


def post_mortem_modal(deal: str, deal_id: int, outcome: str) -> dict[str, Any]:
    title = _("Deal won") if outcome == "won" else _("Deal lost")
    reason_label = (
        _("What made the difference?") if outcome == "won" else _("Main reason it was lost")
    )
    view = View(
        type="modal",
        callback_id=POST_MORTEM_CALLBACK,
        title=title,
        submit=_("Save"),
        close=_("Cancel"),
        private_metadata=json.dumps({"deal_id": deal_id, "outcome": outcome}),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{_deal(deal)}*")),
            InputBlock(
                block_id="main_reason",
                label=reason_label,
                element=PlainTextInputElement(action_id="main_reason", max_length=500),
            ),
            InputBlock(
                block_id="went_well",
                label=_("What went well"),
                optional=True,
                element=PlainTextInputElement(
                    action_id="went_well", multiline=True, max_length=MAX_LONG_TEXT
                ),
            ),
            InputBlock(
                block_id="improve",
                label=_("What to improve"),
                optional=True,
                element=PlainTextInputElement(
                    action_id="improve", multiline=True, max_length=MAX_LONG_TEXT
                ),
            ),
        ],
    )
    result: dict[str, Any] = view.to_dict()
    return result

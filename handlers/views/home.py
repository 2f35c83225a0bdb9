"""The Home tab: a rep's own open deals, each with its gaps and next step."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from coaching.gaps import ADVICE, gaps_of
from coaching.i18n import _, ngettext
from handlers.views.text import escape
from storage.debriefs import OpenDeal

HOME_DEBRIEF_ACTION = "home_debrief"
MAX_DEALS_SHOWN = 40  # two blocks a deal, within the Home tab's 100 blocks


def _deal_block(deal: OpenDeal) -> SectionBlock:
    gaps = gaps_of(deal.answers)
    gap_text = ", ".join(_(ADVICE[gap].label) for gap in gaps) if gaps else _("no gaps")
    lines = [
        f"*{escape(deal.name)}*",
        _("Last call {date}; gaps: {gaps}").format(date=deal.last_call.isoformat(), gaps=gap_text),
    ]
    if deal.answers.next_step:
        due = (
            deal.answers.next_step_date.isoformat() if deal.answers.next_step_date else _("no date")
        )
        lines.append(
            _("Next step: {step} ({due})").format(step=escape(deal.answers.next_step), due=due)
        )
    return SectionBlock(text=MarkdownTextObject(text="\n".join(lines)))


def home_view(deals: list[OpenDeal], total: int) -> dict[str, Any]:
    blocks: list[Block] = [
        HeaderBlock(text=_("Your open deals")),
        ActionsBlock(
            block_id="home_actions",
            elements=[
                ButtonElement(
                    action_id=HOME_DEBRIEF_ACTION, text=_("Debrief a call"), style="primary"
                )
            ],
        ),
        DividerBlock(),
    ]
    if not deals:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=_(
                        "No open deals yet. After your next call, press *Debrief a call* or "
                        "type `/debrief` and the deal's name."
                    )
                )
            )
        )
    for deal in deals[:MAX_DEALS_SHOWN]:
        blocks.append(_deal_block(deal))
    if total > min(len(deals), MAX_DEALS_SHOWN):
        shown = min(len(deals), MAX_DEALS_SHOWN)
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=ngettext(
                            "Showing your {shown} most recent deals of {total}.",
                            "Showing your {shown} most recent deals of {total}.",
                            total,
                        ).format(shown=shown, total=total)
                    )
                ]
            )
        )
    result: dict[str, Any] = View(type="home", blocks=blocks).to_dict()
    return result

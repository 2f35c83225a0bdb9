"""The weekly digest a manager reads: which deals are stuck, why, and what to ask the rep.

Slack refuses a message over 50 blocks or about 13,000 characters of block text, so the
deals that fit get their own section and buttons (the most urgent first: timeline and
authority gaps lead), the next ones a line each, and any beyond that a count with a pointer to
the export. Nothing is dropped without saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from coaching.i18n import _, ngettext
from coaching.stalls import ADVICE, REASON_ORDER, Reason, StalledDeal
from handlers.views.debrief_messages import Rendered
from handlers.views.text import clip, escape

SNOOZE_ACTION = "digest_snooze"
ASK_UPDATE_ACTION = "digest_ask_update"
WON_ACTION = "digest_won"
LOST_ACTION = "digest_lost"

MAX_BLOCKS = 50
TEXT_BUDGET = 11_000  # characters of block text, under Slack's refusal point near 13,000
SECTION_LIMIT = 2900
DETAILED_DEALS = 15  # deals with their own section and buttons, across the whole digest


@dataclass(frozen=True)
class TeamDigest:
    name: str
    open_deals: int
    stalled: list[StalledDeal] = field(default_factory=list)


def reason_words(stalled: StalledDeal) -> str:
    """Each reason with its number of days, e.g. "Gone quiet (quiet for 16 days)"."""
    parts = []
    for stall in stalled.stalls:
        advice = ADVICE[stall.reason]
        singular, plural = advice.detail
        detail = ngettext(singular, plural, stall.days).format(days=stall.days)
        parts.append(_("{label} ({detail})").format(label=_(advice.label), detail=detail))
    return "; ".join(parts)


def _last_debrief(stalled: StalledDeal) -> str:
    days = stalled.days_since_last_call
    return ngettext("last debrief {days} day ago", "last debrief {days} days ago", days).format(
        days=days
    )


def _deal_text(stalled: StalledDeal) -> str:
    deal = stalled.deal
    question = _(ADVICE[stalled.stalls[0].reason].question)
    return "\n".join(
        [
            _("*{deal}* · <@{rep}> · {last}").format(
                deal=escape(deal.name), rep=deal.rep_user_id, last=_last_debrief(stalled)
            ),
            reason_words(stalled),
            _("_Ask:_ {question}").format(question=question),
        ]
    )


def _deal_line(stalled: StalledDeal) -> str:
    return _("• *{deal}* · <@{rep}> · {reasons}").format(
        deal=escape(stalled.deal.name), rep=stalled.deal.rep_user_id, reasons=reason_words(stalled)
    )


def _buttons(stalled: StalledDeal) -> ActionsBlock:
    value = str(stalled.deal.deal_id)
    return ActionsBlock(
        block_id=f"deal_{value}",
        elements=[
            ButtonElement(action_id=SNOOZE_ACTION, text=_("Snooze a week"), value=value),
            ButtonElement(action_id=ASK_UPDATE_ACTION, text=_("Ask for an update"), value=value),
            ButtonElement(action_id=WON_ACTION, text=_("Won"), value=value, style="primary"),
            ButtonElement(action_id=LOST_ACTION, text=_("Lost"), value=value, style="danger"),
        ],
    )


def summary_line(open_deals: int, stalled: list[StalledDeal]) -> str:
    if not stalled:
        return ngettext(
            ":white_check_mark: All {open} open deal is moving: nothing stalled this week.",
            ":white_check_mark: All {open} open deals are moving: nothing stalled this week.",
            open_deals,
        ).format(open=open_deals)
    lacking = sum(1 for s in stalled if s.lacks_qualification)
    stuck = ngettext(
        "{stuck} of {open} open deals is stuck",
        "{stuck} of {open} open deals are stuck",
        len(stalled),
    ).format(stuck=len(stalled), open=open_deals)
    why = ngettext(
        "{lacking} of them lacks a qualified timeline or decision authority.",
        "{lacking} of them lack a qualified timeline or decision authority.",
        lacking,
    ).format(lacking=lacking)
    return _("{stuck}; {why}").format(stuck=stuck, why=why)


class _Budget:
    """Counts blocks and characters as they are added, so the message always fits."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.chars = 0
        self.detailed = 0

    def fits(self, blocks: int, chars: int) -> bool:
        # Room is kept for the closing "and N more" line.
        return (
            len(self.blocks) + blocks <= MAX_BLOCKS - 1 and self.chars + chars <= TEXT_BUDGET - 300
        )

    def add(self, block: Block, chars: int) -> None:
        self.blocks.append(block)
        self.chars += chars


def _primary(stalled: StalledDeal) -> Reason:
    return stalled.stalls[0].reason


def weekly_digest(week: str, teams: list[TeamDigest]) -> Rendered:
    """One message for a manager, grouped by team when they manage several."""
    total_open = sum(t.open_deals for t in teams)
    everything = [s for t in teams for s in t.stalled]
    title = _("Weekly deal review, {week}").format(week=week)
    budget = _Budget()
    budget.add(HeaderBlock(text=clip(title, 150)), len(title))
    summary = summary_line(total_open, everything)
    budget.add(SectionBlock(text=MarkdownTextObject(text=summary)), len(summary))
    left_out = 0
    for team in teams:
        if len(teams) > 1:
            heading = _("*Team {name}*: {summary}").format(
                name=escape(team.name), summary=summary_line(team.open_deals, team.stalled)
            )
            if budget.fits(1, len(heading)):
                budget.add(SectionBlock(text=MarkdownTextObject(text=heading)), len(heading))
        for reason in REASON_ORDER:
            group = [s for s in team.stalled if _primary(s) is reason]
            if not group:
                continue
            heading = _("*{label}* ({count})").format(
                label=_(ADVICE[reason].label), count=len(group)
            )
            if not budget.fits(1, len(heading)):
                left_out += len(group)
                continue
            budget.add(ContextBlock(elements=[MarkdownTextObject(text=heading)]), len(heading))
            lines: list[str] = []
            for stalled in group:
                text = _deal_text(stalled)
                if budget.detailed < DETAILED_DEALS and budget.fits(2, len(text) + 60):
                    budget.add(SectionBlock(text=MarkdownTextObject(text=text)), len(text))
                    budget.add(_buttons(stalled), 60)
                    budget.detailed += 1
                    continue
                line = _deal_line(stalled)
                pending = sum(len(item) + 1 for item in lines)
                if pending + len(line) > SECTION_LIMIT or not budget.fits(2, pending + len(line)):
                    if lines:
                        chunk = "\n".join(lines)
                        budget.add(SectionBlock(text=MarkdownTextObject(text=chunk)), len(chunk))
                        lines = []
                    if not budget.fits(2, len(line)):
                        left_out += 1
                        continue
                lines.append(line)
            if lines:
                chunk = "\n".join(lines)
                budget.add(SectionBlock(text=MarkdownTextObject(text=chunk)), len(chunk))
    if left_out:
        more = ngettext(
            "…and {count} more stalled deal not shown here: run "
            "`python -m bot export debriefs` for the full record.",
            "…and {count} more stalled deals not shown here: run "
            "`python -m bot export debriefs` for the full record.",
            left_out,
        ).format(count=left_out)
        budget.blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    blocks: list[dict[str, Any]] = [block.to_dict() for block in budget.blocks]
    return Rendered(text=f"{title}: {summary}", blocks=blocks)


@dataclass(frozen=True)
class ChartTexts:
    title: str
    y_label: str
    no_calls: str
    filename: str


def chart_texts(teams: list[str], week: str) -> ChartTexts:
    """The words drawn on the weekly chart, and its file's name."""
    return ChartTexts(
        title=_("Effective calls, last 8 weeks: {teams}").format(teams=", ".join(teams)),
        y_label=_("Share of debriefed calls"),
        no_calls=_("no calls"),
        filename=f"effective-calls-{week}.png",
    )

"""The weekly digest a manager reads: which deals are stuck, why, and what to ask the rep.

Slack refuses a message over 50 blocks or about 13,000 characters of block text, so the
deals that fit get their own section and buttons (the most urgent first, across all teams:
timeline and authority gaps lead), the next ones a line each, and any beyond that are counted.
Nothing is dropped without saying so. Reasons are named in the workspace framework's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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

from coaching.frameworks import Framework, default_framework
from coaching.i18n import SOURCE_LANGUAGE, _, in_language, is_rtl, isolate, join, ngettext
from coaching.stalls import StalledDeal, reason_order
from handlers.views import criteria as words
from handlers.views.debrief_messages import Rendered
from handlers.views.text import clip, escape, mention

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


def reason_words(stalled: StalledDeal, framework: Framework | None = None) -> str:
    """Each reason with its number of days, e.g. "Gone quiet (quiet for 16 days)"."""
    framework = framework or default_framework()
    parts = []
    for stall in stalled.stalls:
        singular, plural = words.reason_detail(stall.reason)
        detail = ngettext(singular, plural, stall.days).format(days=stall.days)
        label = words.reason_label(framework, stall.reason)
        parts.append(_("{label} ({detail})").format(label=label, detail=detail))
    text = parts[0] if parts else ""
    for part in parts[1:]:
        # A list pattern, as CLDR's are: reasons are separated more strongly than a comma.
        text = _("{reasons}; {reason}").format(reasons=text, reason=part)
    return text


def _last_debrief(stalled: StalledDeal) -> str:
    days = stalled.days_since_last_call
    if days <= 0:  # today, or after the job's --as-of: a digest never says "-2 days ago"
        return _("last debrief today")
    return ngettext("last debrief {days} day ago", "last debrief {days} days ago", days).format(
        days=days
    )


def _deal_text(stalled: StalledDeal, framework: Framework) -> str:
    deal = stalled.deal
    question = words.reason_question(framework, stalled.stalls[0].reason)
    return "\n".join(
        [
            _("*{deal}* · {rep} · {last}").format(
                deal=isolate(escape(deal.name)),
                rep=mention(deal.rep_user_id),
                last=_last_debrief(stalled),
            ),
            reason_words(stalled, framework),
            _("_Ask:_ {question}").format(question=question),
        ]
    )


def _deal_line(stalled: StalledDeal, framework: Framework) -> str:
    return _("• *{deal}* · {rep} · {reasons}").format(
        deal=isolate(escape(stalled.deal.name)),
        rep=mention(stalled.deal.rep_user_id),
        reasons=reason_words(stalled, framework),
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


def summary_line(
    open_deals: int, stalled: list[StalledDeal], framework: Framework | None = None
) -> str:
    if not open_deals and not stalled:
        return _(":white_check_mark: No open deals.")
    if not stalled:
        return ngettext(
            ":white_check_mark: The {open} open deal is moving: nothing stalled this week.",
            ":white_check_mark: All {open} open deals are moving: nothing stalled this week.",
            open_deals,
        ).format(open=open_deals)
    stuck = ngettext(
        "{stuck} stuck of {open} open deal", "{stuck} stuck of {open} open deals", open_deals
    ).format(stuck=len(stalled), open=open_deals)
    lacking = sum(1 for s in stalled if s.lacks_qualification)
    if not lacking:
        return _("{stuck}.").format(stuck=stuck)
    why = ngettext(
        "{lacking} of them lacks {qualification}.",
        "{lacking} of them lack {qualification}.",
        lacking,
    ).format(
        lacking=lacking,
        qualification=words.what_qualifies((framework or default_framework()).gating),
    )
    return _("{stuck}; {why}").format(stuck=stuck, why=why)


def _primary(stalled: StalledDeal) -> str:
    return stalled.stalls[0].reason


@dataclass
class _Group:
    """One team's deals stuck for one (primary) reason, and which of them are shown."""

    team: int
    reason: str
    deals: list[StalledDeal]
    framework: Framework
    detailed: list[StalledDeal] = field(default_factory=list)
    lines: list[list[str]] = field(default_factory=list)  # deal lines, packed into sections

    @property
    def shown(self) -> int:
        return len(self.detailed) + sum(len(section) for section in self.lines)

    def heading(self) -> str:
        return _("*{label}* ({count})").format(
            label=words.reason_label(self.framework, self.reason), count=len(self.deals)
        )


class _Budget:
    """Blocks and characters spent so far; room is kept for the closing "and N more" line."""

    def __init__(self, blocks: int, chars: int) -> None:
        self.blocks, self.chars = blocks, chars

    def take(self, blocks: int, chars: int) -> bool:
        if self.blocks + blocks > MAX_BLOCKS - 1 or self.chars + chars > TEXT_BUDGET - 300:
            return False
        self.blocks += blocks
        self.chars += chars
        return True


def _choose(
    teams: list[TeamDigest], team_headings: list[str], budget: _Budget, framework: Framework
) -> list[_Group]:
    """Decide which deals the message shows, most urgent first across every team (timeline
    and authority gaps lead), whatever team they are in: the first DETAILED_DEALS get a
    section and buttons, the next a line each, until the message is full. A heading is only
    spent when a deal under it fits too."""
    groups = [
        _Group(index, reason, [s for s in team.stalled if _primary(s) == reason], framework)
        for reason in reason_order(framework)
        for index, team in enumerate(teams)
    ]
    groups = [group for group in groups if group.deals]
    team_headed: set[int] = set()
    detailed = 0
    for group in groups:
        for stalled in group.deals:
            headings = [group.heading()] if not group.shown else []
            if len(teams) > 1 and group.team not in team_headed:
                headings.append(team_headings[group.team])
            head_chars = sum(len(h) for h in headings)
            if detailed < DETAILED_DEALS and not group.lines:
                text = _deal_text(stalled, framework)
                if budget.take(len(headings) + 2, head_chars + len(text) + 60):
                    group.detailed.append(stalled)
                    detailed += 1
                    team_headed.add(group.team)
                    continue
            line = _deal_line(stalled, framework)
            last = group.lines[-1] if group.lines else None
            if last is not None and sum(len(x) + 1 for x in last) + len(line) <= SECTION_LIMIT:
                if budget.take(len(headings), head_chars + len(line) + 1):
                    last.append(line)
                    team_headed.add(group.team)
            elif budget.take(len(headings) + 1, head_chars + len(line)):
                group.lines.append([line])
                team_headed.add(group.team)
    return groups


def _team_heading(team: TeamDigest, framework: Framework) -> str:
    return _("*Team {name}*: {summary}").format(
        name=isolate(escape(team.name)),
        summary=summary_line(team.open_deals, team.stalled, framework),
    )


def weekly_digest(
    week: str, teams: list[TeamDigest], framework: Framework | None = None
) -> Rendered:
    """One message for a manager, grouped by team when they manage several, in the words of
    the workspace's framework (the default framework's when none is given)."""
    framework = framework or default_framework()
    total_open = sum(t.open_deals for t in teams)
    everything = [s for t in teams for s in t.stalled]
    title = _("Weekly deal review, {week}").format(week=isolate(week))
    summary = summary_line(total_open, everything, framework)
    blocks: list[Block] = [
        HeaderBlock(text=clip(title, 150)),
        SectionBlock(text=MarkdownTextObject(text=summary)),
    ]
    team_headings = [_team_heading(team, framework) for team in teams]
    budget = _Budget(len(blocks), len(title) + len(summary))
    groups = _choose(teams, team_headings, budget, framework)
    # Then, room permitting, one line for each team with nothing stalled.
    all_clear = {
        index
        for index, team in enumerate(teams)
        if len(teams) > 1 and not team.stalled and budget.take(1, len(team_headings[index]))
    }
    for index in range(len(teams)):
        mine = [g for g in groups if g.team == index and g.shown]
        if len(teams) > 1 and (mine or index in all_clear):
            blocks.append(SectionBlock(text=MarkdownTextObject(text=team_headings[index])))
        for group in mine:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text=group.heading())]))
            for stalled in group.detailed:
                text = _deal_text(stalled, framework)
                blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))
                blocks.append(_buttons(stalled))
            for section in group.lines:
                blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(section))))
    left_out = len(everything) - sum(g.shown for g in groups)
    if left_out:
        more = ngettext(
            "…and {count} more stalled deal not listed here; the team board on Deal Coach's "
            "Home tab counts them by reason.",
            "…and {count} more stalled deals not listed here; the team board on Deal Coach's "
            "Home tab counts them by reason.",
            left_out,
        ).format(count=left_out)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    rendered: list[dict[str, Any]] = [block.to_dict() for block in blocks]
    notification = _("{title}: {summary}").format(title=title, summary=summary)
    return Rendered(text=notification, blocks=rendered)


@dataclass(frozen=True)
class ChartTexts:
    title: str  # the file's title in Slack, which lays out any language
    y_label: str
    no_calls: str
    filename: str
    drawn_title: str  # the title drawn on the picture


def chart_texts(teams: list[str], week: str) -> ChartTexts:
    """The words of the weekly chart, and its file's name. The picture's own words stay in
    English for a right-to-left language: the drawing library neither joins Arabic letters
    nor orders right-to-left text, so they would come out unreadable; Slack shows the file's
    title, in the reader's language, above it."""
    title = _("Effective calls, last 8 weeks: {teams}").format(
        teams=join([isolate(team) for team in teams])
    )
    if is_rtl():
        drawn = in_language(SOURCE_LANGUAGE, chart_texts, teams, week)
        return replace(drawn, title=title)
    return ChartTexts(
        title=title,
        y_label=_("Share of debriefed calls"),
        no_calls=_("no calls"),
        filename=f"effective-calls-{week}.png",
        drawn_title=title,
    )

"""The Home tab: a rep's own open deals and week; for a manager, the team board first.

Slack allows 100 blocks in a Home tab, so every list here is capped and says what it left
out: a manager of fifty reps with ten thousand deals gets the same shape as one with three.
Gaps, stall reasons and shares follow the workspace's framework.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
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

from coaching.frameworks import Framework, default_framework
from coaching.gaps import gaps_of
from coaching.i18n import _, isolate, join, ngettext
from coaching.metrics import (
    DEFINITIONS,
    Qualification,
    StallCauses,
    WeekFigures,
)
from coaching.stalls import DealSnapshot, StalledDeal, reason_order
from handlers.views import criteria as words
from handlers.views.digest import reason_words
from handlers.views.text import clip, day, escape, escape_clipped, mention
from storage.debriefs import OpenDeal

HOME_DEBRIEF_ACTION = "home_debrief"
MAX_DEALS_SHOWN = 30  # a rep's own deals, one block each
TREND_WEEKS = 7  # this week and the six before it
STALLED_PER_REASON = 5
TEAM_DEALS_SHOWN = 40  # a manager's open deals that are not stuck, a line each
TEAM_DEALS_PER_SECTION = 12  # lines per section, so a long list stays easy to scan
SECTION_CHARS = 2900  # Block Kit allows 3000 characters in a section's text
REPS_PER_SECTION = 12
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class RepWeeks:
    rep: str
    weeks: list[WeekFigures]  # oldest first, this week last


@dataclass(frozen=True)
class ManagerBoard:
    teams: list[str]
    open_deals: int
    stalled: list[StalledDeal]
    others: list[DealSnapshot]  # open deals not stuck, the most recently called first (capped)
    reps: list[RepWeeks]
    causes: StallCauses
    qualification: Qualification
    cadence: float | None


@dataclass(frozen=True)
class HomeData:
    deals: list[OpenDeal]
    total_deals: int
    mine: RepWeeks
    board: ManagerBoard | None
    framework: Framework | None = None  # the workspace's; the default framework when None


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_CHARS)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SECTION_CHARS))])


def _packed(lines: list[str], per_section: int) -> list[Block]:
    """Lines packed into as few sections as fit: at most `per_section` lines, and within
    Block Kit's characters, per section; no line is split."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        if chunk and (len(chunk) == per_section or size + 1 + len(line) > SECTION_CHARS):
            blocks.append(_section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + (1 if size else 0)
    if chunk:
        blocks.append(_section("\n".join(chunk)))
    return blocks


def trend(weeks: list[WeekFigures]) -> str:
    """One character a week: the effective share as a bar; a dot for a week without calls."""
    return "".join(
        "·" if w.share is None else SPARKS[min(len(SPARKS) - 1, int(w.share * len(SPARKS)))]
        for w in weeks
    )


def _week_line(weeks: list[WeekFigures]) -> str:
    now = weeks[-1]
    return _("{effective} of {calls} calls effective this week · last {n} weeks {trend}").format(
        effective=now.effective, calls=now.calls, n=len(weeks), trend=isolate(trend(weeks))
    )


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def _deal_block(deal: OpenDeal, framework: Framework) -> SectionBlock:
    gaps = gaps_of(deal.answers, framework)
    gap_text = join([words.gap_label(framework, gap) for gap in gaps]) if gaps else _("no gaps")
    lines = [
        _("*{deal}*").format(deal=isolate(escape(deal.name))),
        _("Last call {date}; gaps: {gaps}").format(date=day(deal.last_call), gaps=gap_text),
    ]
    if deal.answers.next_step:
        due = day(deal.answers.next_step_date) if deal.answers.next_step_date else _("no date")
        lines.append(
            _("Next step: {step} ({due})").format(
                step=isolate(escape(deal.answers.next_step)), due=due
            )
        )
    return _section("\n".join(lines))


def _shares(board: ManagerBoard, framework: Framework) -> list[str]:
    """Each criterion's share of open deals answered yes, a line each."""
    counts = board.qualification.answered
    return [
        _("{answered}: {share} of open deals").format(
            answered=words.answered(c), share=_percent(counts.get(c.key, 0), board.open_deals)
        )
        for c in framework.criteria
    ]


def _board(board: ManagerBoard, framework: Framework) -> list[Block]:
    teams = join([isolate(team) for team in board.teams])
    stuck = _("{stuck} of {open} open deals are stuck.").format(
        stuck=len(board.stalled), open=board.open_deals
    )
    blocks: list[Block] = [
        HeaderBlock(text=clip(_("Team board: {teams}").format(teams=teams), 150)),
        _section("\n".join([stuck, *_shares(board, framework)])),
    ]
    primary = Counter(s.stalls[0].reason for s in board.stalled)
    for reason in reason_order(framework):
        group = [s for s in board.stalled if s.stalls[0].reason == reason]
        if not group:
            continue
        lines = [
            _("*{label}*: {count}").format(
                label=words.reason_label(framework, reason), count=primary[reason]
            )
        ]
        for stalled in group[:STALLED_PER_REASON]:
            lines.append(
                _("• *{deal}* · {rep} · {reasons}").format(
                    deal=isolate(escape(stalled.deal.name)),
                    rep=mention(stalled.deal.rep_user_id),
                    reasons=reason_words(stalled, framework),
                )
            )
        if len(group) > STALLED_PER_REASON:
            lines.append(
                _("…and {count} more in the weekly digest and the export.").format(
                    count=len(group) - STALLED_PER_REASON
                )
            )
        blocks.append(_section("\n".join(lines)))
    blocks += _other_deals(board)
    blocks.append(_section(_("*Each rep's effectiveness*")))
    for start in range(0, len(board.reps), REPS_PER_SECTION):
        chunk = board.reps[start : start + REPS_PER_SECTION]
        lines = [
            _("{rep} · {week}").format(rep=mention(r.rep), week=_week_line(r.weeks)) for r in chunk
        ]
        blocks.append(_section("\n".join(lines)))
    blocks.append(_section(_causes(board.causes, board.cadence, framework)))
    definitions = [
        _(DEFINITIONS["effective"]).format(moves=words.what_moves_a_deal(framework)),
        *(_(DEFINITIONS[k]) for k in ("qualified", "slipped", "cadence")),
    ]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=d) for d in definitions]))
    return blocks


def _team_deal_line(deal: DealSnapshot) -> str:
    """One open deal in a line: the deal, its rep, its last call, its next step."""
    if deal.next_step:
        due = day(deal.next_step_date) if deal.next_step_date else _("no date")
        step = _("next step: {step} ({due})").format(
            step=isolate(escape_clipped(deal.next_step, 100)), due=due
        )
    else:
        step = _("no next step")
    return _("• *{deal}* · {rep} · last call {date} · {step}").format(
        deal=isolate(escape_clipped(deal.name, 100)),
        rep=mention(deal.rep_user_id),
        date=day(deal.last_call),
        step=step,
    )


def _other_deals(board: ManagerBoard) -> list[Block]:
    """The open deals that are not stuck, after the stuck ones: a line each, packed into a
    few sections, the most recently called first."""
    total = board.open_deals - len(board.stalled)
    if total <= 0:
        return []
    heading = (
        _("*Other open deals*: {count}") if board.stalled else _("*Open deals*: {count}")
    ).format(count=total)
    lines = [heading] + [_team_deal_line(deal) for deal in board.others]
    if total > len(board.others):
        lines.append(
            _(
                "…and {count} more with older calls; the debrief export "
                "(`python -m bot export debriefs`) has every deal."
            ).format(count=total - len(board.others))
        )
    return _packed(lines, TEAM_DEALS_PER_SECTION)


def _causes(causes: StallCauses, cadence: float | None, framework: Framework) -> str:
    lines = [_("*What stalls your deals*")]
    if causes.slipped == 0:
        lines.append(_("No deal has slipped yet: nothing to compare."))
    else:
        lines.append(
            _(
                "Of {slipped} deals that slipped, {lacking} ({share}) lacked {qualification}; "
                "of {moving} that kept moving, {moving_lacking} ({moving_share}) did."
            ).format(
                qualification=words.what_qualifies(framework.gating),
                slipped=causes.slipped,
                lacking=causes.slipped_lacking,
                share=_percent(causes.slipped_lacking, causes.slipped),
                moving=causes.moving,
                moving_lacking=causes.moving_lacking,
                moving_share=_percent(causes.moving_lacking, causes.moving),
            )
        )
        if causes.ratio is not None:
            lines.append(
                _("Deals that slipped were {ratio:.1f} times as likely to lack them.").format(
                    ratio=causes.ratio
                )
            )
    if cadence is not None:
        lines.append(_("Median days between debriefs of a deal: {days:.0f}.").format(days=cadence))
    return "\n".join(lines)


def _rep(data: HomeData) -> list[Block]:
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
        _section(_("*Your week*: {line}").format(line=_week_line(data.mine.weeks))),
        DividerBlock(),
    ]
    if not data.deals:
        blocks.append(
            _section(
                _(
                    "No open deals yet. After your next call, press *Debrief a call* or "
                    "type `/debrief` and the deal's name."
                )
            )
        )
    framework = data.framework or default_framework()
    blocks += [_deal_block(deal, framework) for deal in data.deals]
    shown = len(data.deals)
    if data.total_deals > shown:
        blocks.append(
            _context(
                ngettext(
                    "Showing your {shown} most recent deals of {total}.",
                    "Showing your {shown} most recent deals of {total}.",
                    data.total_deals,
                ).format(shown=shown, total=data.total_deals)
            )
        )
    return blocks


def home_view(data: HomeData) -> dict[str, Any]:
    blocks: list[Block] = []
    if data.board is not None:
        blocks += _board(data.board, data.framework or default_framework())
        blocks.append(DividerBlock())
    own = _rep(data)
    room = 100 - len(blocks)
    if len(own) > room:  # a manager's own deals give way to the board, with a count
        own = [*own[: room - 1], _context(_("More of your deals are in `/debrief`'s picker."))]
    blocks += own
    result: dict[str, Any] = View(type="home", blocks=blocks).to_dict()
    return result

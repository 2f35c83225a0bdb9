"""Coaching messages: the team channel's weekly nudge, reps' reminders, coaching sessions.

A nudge is read by a whole channel, so it is built from aggregates and library prompts only:
no deal, no note, no rep named.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DateTimePickerElement,
    InputBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from coaching.frameworks import Framework, default_framework
from coaching.gaps import N_
from coaching.i18n import _, isolate, join, ngettext
from coaching.nudges import WINDOW_DAYS, TeamCallStats
from coaching.prompts import Prompt
from handlers.views import criteria as words
from handlers.views.deal_actions import DEBRIEF_DEAL_ACTION
from handlers.views.debrief_messages import Rendered
from handlers.views.text import clip, day, escape, mention

PAUSE_WEEK_ACTION = "reminders_pause_week"
SCHEDULE_ACTION = "coaching_schedule"
SESSION_CALLBACK = "coaching_session"
MAX_REMINDER_BUTTONS = 10

# What a nudge works on; a criterion's own words come from its framework (the default
# framework's are kept here so the message catalog has them too).
GAP_TITLES = {
    "timeline": N_("qualifying the buying timeline"),
    "authority": N_("reaching the decision authority"),
    "next_step": N_("securing a dated next step"),
    "discovery": N_("running a sharp discovery conversation"),
    "review": N_("learning from won and lost deals"),
}


def _blocks(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def team_figures(stats: TeamCallStats, framework: Framework | None = None) -> str:
    framework = framework or default_framework()
    figures = [words.done(c, stats.answered(c.key)) for c in framework.criteria]
    figures.append(_("{count} set a dated next step").format(count=stats.dated_next_step))
    return ngettext(
        "In the last {days} days the team debriefed {calls} call: {figures}.",
        "In the last {days} days the team debriefed {calls} calls: {figures}.",
        stats.calls,
    ).format(days=WINDOW_DAYS, calls=stats.calls, figures=join(figures))


def focus_of(gap: str, framework: Framework | None = None) -> str:
    """What a team practises this week: a criterion of the framework, or a skill."""
    criterion = (framework or default_framework()).criterion(gap)
    return words.focus(criterion) if criterion else _(GAP_TITLES[gap])


def nudge(
    team: str,
    gap: str,
    stats: TeamCallStats,
    prompts: list[Prompt],
    framework: Framework | None = None,
) -> Rendered:
    """The weekly nudge in a team's channel: figures, the focus, and prompts to practise."""
    framework = framework or default_framework()
    headline = _(":dart: This week's focus for *{team}*: {focus}.").format(
        team=isolate(escape(team)), focus=focus_of(gap, framework)
    )
    lines = [
        _("• *{text}*\n   _{why}_").format(text=escape(p.text), why=escape(p.why)) for p in prompts
    ]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=headline)),
        SectionBlock(text=MarkdownTextObject(text=team_figures(stats, framework))),
    ]
    if lines:
        practise = _("Try these on your calls this week:\n{prompts}").format(
            prompts="\n".join(lines)
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=practise)))
    moves = _("A call moves a deal when it {moves}. Debrief yours with `/debrief`.").format(
        moves=words.what_moves_a_deal(framework)
    )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=moves)]))
    return Rendered(text=headline, blocks=_blocks(blocks))


def no_debriefs_for_nudge(team: str, channel: str) -> Rendered:
    """To a team's managers instead of a nudge nobody's calls could inform."""
    text = _(
        "No one in *{team}* debriefed a call in the last {days} days, so I did not post this "
        "week's coaching nudge in {channel}. A reminder at your next team meeting that "
        "`/debrief` takes under a minute may help."
    ).format(team=isolate(escape(team)), days=WINDOW_DAYS, channel=isolate(f"<#{channel}>"))
    return Rendered(text=text, blocks=_blocks([SectionBlock(text=MarkdownTextObject(text=text))]))


@dataclass(frozen=True)
class DueStep:
    deal_id: int
    deal: str
    next_step: str | None
    due: date


def reminders(steps: list[DueStep]) -> Rendered:
    """One DM for every next step that has passed: debrief each, or pause reminders."""
    headline = ngettext(
        ":alarm_clock: A next step you agreed has passed. How did it go?",
        ":alarm_clock: {count} next steps you agreed have passed. How did they go?",
        len(steps),
    ).format(count=len(steps))
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=headline))]
    listed: list[str] = []
    for index, step in enumerate(steps):
        line = _("*{deal}*: {step} (due {due})").format(
            deal=isolate(escape(step.deal)),
            step=isolate(escape(step.next_step)) if step.next_step else _("next step"),
            due=day(step.due),
        )
        if index < MAX_REMINDER_BUTTONS:
            blocks.append(
                SectionBlock(
                    text=MarkdownTextObject(text=clip(line, 2900)),
                    accessory=ButtonElement(
                        action_id=DEBRIEF_DEAL_ACTION,
                        text=_("Debrief"),
                        value=str(step.deal_id),
                    ),
                )
            )
        else:
            listed.append("• " + clip(line, 300))
    if listed:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip("\n".join(listed), 2900))))
    blocks.append(
        ActionsBlock(
            block_id="reminder_actions",
            elements=[
                ButtonElement(action_id=PAUSE_WEEK_ACTION, text=_("Pause reminders for a week"))
            ],
        )
    )
    return Rendered(text=headline, blocks=_blocks(blocks))


def paused(until: date) -> str:
    return _(
        ":palm_tree: Reminders paused until {until} (inclusive). `/debrief resume` turns them "
        "back on."
    ).format(until=day(until))


def resumed() -> str:
    return _(":bell: Reminders are back on.")


def pause_usage() -> str:
    return _(
        "Use `/debrief pause until YYYY-MM-DD` (a date from today to a year ahead), or "
        "`/debrief resume`."
    )


def coaching_request(
    rep: str, deal: str, session_id: int, summary_blocks: list[dict[str, Any]]
) -> Rendered:
    text = _(":raising_hand: {rep} would like coaching on *{deal}*.").format(
        rep=mention(rep), deal=isolate(escape(deal))
    )
    blocks = [SectionBlock(text=MarkdownTextObject(text=text)).to_dict(), *summary_blocks[:20]]
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(
                    action_id=SCHEDULE_ACTION,
                    text=_("Schedule a session"),
                    value=str(session_id),
                    style="primary",
                )
            ]
        ).to_dict()
    )
    return Rendered(text=text, blocks=blocks)


def no_manager_for_coaching() -> str:
    return _(
        "You asked for coaching, but you are not in a team with a manager yet: ask your admin "
        "to add you with `/coach team`."
    )


def session_modal(deal: str, session_id: int, suggested: datetime | None) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=SESSION_CALLBACK,
        title=_("Coaching session"),
        submit=_("Schedule"),
        close=_("Cancel"),
        private_metadata=json.dumps({"session_id": session_id}),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{isolate(escape(deal))}*")),
            InputBlock(
                block_id="starts_at",
                label=_("When"),
                element=DateTimePickerElement(
                    action_id="starts_at",
                    initial_date_time=int(suggested.timestamp()) if suggested else None,
                ),
            ),
        ],
    )
    result: dict[str, Any] = view.to_dict()
    return result


def _when(moment: datetime) -> str:
    """Slack shows this in each reader's own time zone; the fallback is UTC."""
    return "<!date^{ts}^{{date_short_pretty}} at {{time}}|{fallback}>".format(
        ts=int(moment.timestamp()), fallback=moment.strftime("%Y-%m-%d %H:%M UTC")
    )


def session_scheduled(deal: str, rep: str, manager: str, starts_at: datetime) -> Rendered:
    text = _(
        ":calendar: Coaching session on *{deal}* with {rep} and {manager}: {when}. "
        "I will remind you both 15 minutes before."
    ).format(
        deal=isolate(escape(deal)),
        rep=mention(rep),
        manager=mention(manager),
        when=isolate(_when(starts_at)),
    )
    return Rendered(text=text, blocks=_blocks([SectionBlock(text=MarkdownTextObject(text=text))]))


def session_reminder(deal: str, other: str, starts_at: datetime) -> Rendered:
    text = _(":hourglass: Coaching session on *{deal}* with {other} starts {when}.").format(
        deal=isolate(escape(deal)), other=mention(other), when=isolate(_when(starts_at))
    )
    return Rendered(text=text, blocks=_blocks([SectionBlock(text=MarkdownTextObject(text=text))]))


def session_debrief_prompt(deal: str, deal_id: int) -> Rendered:
    text = _(
        ":memo: How did the coaching session on *{deal}* go? Debrief it while it is fresh: what "
        "will you do differently on the next call?"
    ).format(deal=isolate(escape(deal)))
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            elements=[
                ButtonElement(action_id=DEBRIEF_DEAL_ACTION, text=_("Debrief"), value=str(deal_id))
            ]
        ),
    ]
    return Rendered(text=text, blocks=_blocks(blocks))


def session_in_past() -> str:
    return _("Pick a time in the future.")

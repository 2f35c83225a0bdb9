"""What a rep reads after recording a debrief: the confirmation DM, the threaded reply to a
post-call message, the format help, and the words for each input problem."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from coaching.debrief import DebriefInput, FieldError
from coaching.debrief_message import DebriefParseError
from coaching.gaps import ADVICE, N_, Gap
from coaching.i18n import _, ngettext
from handlers.views.kit import Json, actions, button, context, section
from handlers.views.text import escape_clipped

EDIT_ACTION = "debrief_edit"
FIELD_LABELS = {
    "deal": N_("Deal"),
    "call_date": N_("Call date"),
    "timeline": N_("Timeline"),
    "authority": N_("Authority"),
    "next_step": N_("Next step"),
    "next_step_date": N_("Next step date"),
    "went_well": N_("Went well"),
    "improve": N_("Improve"),
    "notes": N_("Notes"),
}


@dataclass(frozen=True)
class Rendered:
    """A message: `text` is the notification and screen-reader fallback for `blocks`."""

    text: str
    blocks: list[dict[str, Any]]


def _yes_no(value: bool | None) -> str:
    if value is None:
        return _("not answered")
    return _("yes") if value else _("no")


def _date(value: date | None) -> str:
    return value.isoformat() if value else _("none")


def field_error_text(error: FieldError) -> str:
    """One input problem, in words, for `response_action: errors` or a threaded reply."""
    if error.code == "required":
        return _("Name the deal or account.")
    if error.code == "too_long":
        return _("Keep this to {limit} characters or fewer.").format(limit=error.limit)
    if error.code == "in_future":
        return _("The call date cannot be after today.")
    if error.code == "before_call":
        return _("The next step cannot be due before the call took place.")
    if error.code == "unknown_deal":
        return _("That deal is not one of yours any more: pick it again or type its name.")
    if error.code == "not_saved":
        return _("Could not save, try again in a moment.")
    if error.code == "not_yours":
        return _("This debrief can only be corrected by the rep who recorded it.")
    if error.code == "message_recorded":
        return _(
            "This message is already recorded as a debrief: use Correct it in its thread to "
            "change that one."
        )
    return _("This value cannot be used.")


# What a section shows of a rep's text, escaped, so that each section stays within Block Kit's
# 3000 characters: the summary holds the deal and the next step with six short labels.
SHOWN_DEAL = 300
SHOWN_NEXT_STEP = 1500
SHOWN_LONG_TEXT = 2800
SHOWN_BAD_VALUE = 200


def recorded_blocks(entry: DebriefInput, deal: str) -> list[Json]:
    """The debrief field by field, as the rep entered it (very long text shortened, visibly)."""
    summary = "\n".join(
        [
            _("*Deal:* {deal}").format(deal=escape_clipped(deal, SHOWN_DEAL)),
            _("*Call date:* {date}").format(date=entry.call_date.isoformat()),
            _("*Timeline qualified:* {answer}").format(answer=_yes_no(entry.timeline_qualified)),
            _("*Decision authority reached:* {answer}").format(
                answer=_yes_no(entry.authority_reached)
            ),
            _("*Next step:* {step}").format(
                step=escape_clipped(entry.next_step or _("none"), SHOWN_NEXT_STEP)
            ),
            _("*Next step date:* {date}").format(date=_date(entry.next_step_date)),
        ]
    )
    blocks = [section(summary)]
    for title, value in (
        (_("*What went well*"), entry.went_well),
        (_("*What to improve*"), entry.improve),
        (_("*Notes*"), entry.notes),
    ):
        if value:
            blocks.append(section(f"{title}\n{escape_clipped(value, SHOWN_LONG_TEXT)}"))
    return blocks


def gap_blocks(gaps: list[Gap]) -> list[Json]:
    """Each gap the deal has now, with the question to ask on the next call."""
    if not gaps:
        return [
            context(
                _(
                    ":white_check_mark: No gaps: timeline qualified, decision authority "
                    "reached and a dated next step."
                )
            )
        ]
    intro = ngettext(
        "This deal has {count} gap. Ask on your next call:",
        "This deal has {count} gaps. Ask on your next call:",
        len(gaps),
    ).format(count=len(gaps))
    lines = [intro]
    for gap in gaps:
        advice = ADVICE[gap]
        lines.append(
            _("• *{label}*: “{question}”").format(
                label=_(advice.label), question=_(advice.question)
            )
        )
    return [section("\n".join(lines))]


def confirmation(entry: DebriefInput, deal: str, gaps: list[Gap], *, corrected: bool) -> Rendered:
    """The DM a rep gets once a debrief is saved from the modal."""
    if corrected:
        headline = _(":pencil2: Debrief corrected for *{deal}*.").format(
            deal=escape_clipped(deal, SHOWN_DEAL)
        )
    else:
        headline = _(":white_check_mark: Debrief saved for *{deal}*.").format(
            deal=escape_clipped(deal, SHOWN_DEAL)
        )
    blocks = [section(headline), *recorded_blocks(entry, deal), *gap_blocks(gaps)]
    return Rendered(text=headline, blocks=blocks)


def thread_reply(entry: DebriefInput, deal: str, gaps: list[Gap], debrief_id: int) -> Rendered:
    """The answer in a post-call message's thread: what was understood, and a way to fix it."""
    headline = _(
        ":white_check_mark: Recorded a debrief for *{deal}*. Here is what I understood:"
    ).format(deal=escape_clipped(deal, SHOWN_DEAL))
    blocks = [
        section(headline),
        *recorded_blocks(entry, deal),
        *gap_blocks(gaps),
        actions("debrief_actions", button(EDIT_ACTION, _("Correct it"), str(debrief_id))),
    ]
    return Rendered(text=headline, blocks=blocks)


def recorded_in_shared_channel() -> Rendered:
    """The whole answer in a channel shared with another organisation: that it was recorded.
    What was understood, the deal's gaps and the questions go to the rep alone."""
    text = _(":white_check_mark: Recorded.")
    return Rendered(text=text, blocks=[section(text)])


def privately(message: Rendered, channel: str) -> Rendered:
    """`message`, sent to the rep directly instead of in the channel of their message."""
    about = _("About your message in <#{channel}>:").format(channel=channel)
    return Rendered(text=message.text, blocks=[context(about), *message.blocks])


def message_format() -> str:
    """The expected format of a post-call message, as a code block."""
    return _(
        "```debrief Acme Corp\n"
        "timeline: yes\n"
        "authority: no\n"
        "next step: demo for the CFO\n"
        "next step date: 2026-12-15\n"
        "went well: they shared their budget\n"
        "improve: ask who else decides\n"
        "call date: 2026-12-01```"
    )


def _parse_problem(error: DebriefParseError) -> str:
    field = _(FIELD_LABELS.get(error.field or "", "")) if error.field else ""
    value = escape_clipped(error.value or "", SHOWN_BAD_VALUE)
    if error.code == "no_deal":
        return _("The first line needs the deal name after `debrief`.")
    if error.code == "bad_yes_no":
        return _("*{field}* takes `yes` or `no`, not “{value}”.").format(field=field, value=value)
    if error.code == "bad_date":
        return _("*{field}* takes a date as YYYY-MM-DD, not “{value}”.").format(
            field=field, value=value
        )
    if error.code == "duplicate_field":
        return _("*{field}* is given twice; keep one.").format(field=field)
    return _("I could not read this message.")


def not_recorded(problems: list[str]) -> Rendered:
    """Why a post-call message was not recorded (nothing was saved), and the format."""
    headline = _(":warning: I did not record this debrief:")
    body = "\n".join([headline, *(f"• {problem}" for problem in problems)])
    help_text = _("Fix the message and post it again, in this form:") + "\n" + message_format()
    return Rendered(text=headline, blocks=[section(body), section(help_text)])


def parse_failed(error: DebriefParseError) -> Rendered:
    return not_recorded([_parse_problem(error)])


def invalid_entry(errors: list[FieldError]) -> Rendered:
    problems = [
        _("*{field}*: {problem}").format(
            field=_(FIELD_LABELS.get(error.field, error.field)), problem=field_error_text(error)
        )
        for error in errors
    ]
    return not_recorded(problems)


def not_saved() -> Rendered:
    text = _(":warning: I could not save this debrief just now. Post it again in a minute.")
    return Rendered(text=text, blocks=[section(text)])


def command_help() -> str:
    """`/debrief help`: what the command and the post-call message do."""
    return (
        _(
            "*/debrief* `[deal name]` opens a form to record a sales call: the deal, whether the "
            "buying timeline is qualified, whether you reached the decision authority, the next "
            "step and its date, what went well and what to improve.\n"
            "You can also send me a message (or post in a channel I am in) like this:\n"
        )
        + message_format()
    )

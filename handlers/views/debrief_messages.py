"""What a rep reads after recording a debrief: the confirmation DM, the threaded reply to a
post-call message, the format help, and the words for each input problem. The workspace's
framework decides which questions are shown back and which gaps are named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from coaching.answers import answer
from coaching.debrief import DebriefInput, FieldError
from coaching.debrief_message import DebriefParseError
from coaching.frameworks import Framework, default_framework
from coaching.gaps import N_
from coaching.i18n import _, current_language, isolate, join, ngettext
from coaching.message_words import FIELD_WORDS, HEADER_WORDS, NO_WORDS, YES_WORDS
from handlers.views import criteria as words
from handlers.views.kit import Json, actions, button, context, section
from handlers.views.text import day, escape_clipped

EDIT_ACTION = "debrief_edit"
# Labels of the built-in fields (and the default framework's criteria, whose words the
# framework file gives: kept here so the message catalog has them too).
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


def field_label(field: str, framework: Framework | None = None) -> str:
    """A field's short name: a built-in field's, or the criterion's label."""
    criterion = (framework or default_framework()).criterion(field)
    if criterion is not None:
        return words.label(criterion)
    return _(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def _date(value: date | None) -> str:
    return day(value) if value else _("none")


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


def recorded_blocks(
    entry: DebriefInput, deal: str, framework: Framework | None = None
) -> list[Json]:
    """The debrief field by field, as the rep entered it (very long text shortened, visibly):
    the framework's questions in its order."""
    framework = framework or default_framework()
    step = isolate(escape_clipped(entry.next_step, SHOWN_NEXT_STEP)) if entry.next_step else None
    summary = "\n".join(
        [
            _("*Deal:* {deal}").format(deal=isolate(escape_clipped(deal, SHOWN_DEAL))),
            _("*Call date:* {date}").format(date=day(entry.call_date)),
            *(
                _("*{label}:* {answer}").format(
                    label=words.answered(c), answer=_yes_no(answer(entry, c.key))
                )
                for c in framework.criteria
            ),
            _("*Next step:* {step}").format(step=step or _("none")),
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


def gap_blocks(gaps: Sequence[str], framework: Framework | None = None) -> list[Json]:
    """Each gap the deal has now (criterion keys, and `next_step`), with the question to ask
    on the next call."""
    framework = framework or default_framework()
    if not gaps:
        return [
            context(
                _(":white_check_mark: No gaps: every question answered yes, and a dated next step.")
            )
        ]
    intro = ngettext(
        "This deal has {count} gap. Ask on your next call:",
        "This deal has {count} gaps. Ask on your next call:",
        len(gaps),
    ).format(count=len(gaps))
    lines = [intro]
    for gap in gaps:
        lines.append(
            _("• *{label}*: “{question}”").format(
                label=words.gap_label(framework, gap), question=words.gap_question(framework, gap)
            )
        )
    return [section("\n".join(lines))]


def confirmation(
    entry: DebriefInput,
    deal: str,
    gaps: Sequence[str],
    *,
    corrected: bool,
    framework: Framework | None = None,
) -> Rendered:
    """The DM a rep gets once a debrief is saved from the modal."""
    name = isolate(escape_clipped(deal, SHOWN_DEAL))
    if corrected:
        headline = _(":pencil2: Debrief corrected for *{deal}*.").format(deal=name)
    else:
        headline = _(":white_check_mark: Debrief saved for *{deal}*.").format(deal=name)
    blocks = [
        section(headline),
        *recorded_blocks(entry, deal, framework),
        *gap_blocks(gaps, framework),
    ]
    return Rendered(text=headline, blocks=blocks)


def thread_reply(
    entry: DebriefInput,
    deal: str,
    gaps: Sequence[str],
    debrief_id: int,
    framework: Framework | None = None,
) -> Rendered:
    """The answer in a post-call message's thread: what was understood, and a way to fix it."""
    headline = _(
        ":white_check_mark: Recorded a debrief for *{deal}*. Here is what I understood:"
    ).format(deal=isolate(escape_clipped(deal, SHOWN_DEAL)))
    blocks = [
        section(headline),
        *recorded_blocks(entry, deal, framework),
        *gap_blocks(gaps, framework),
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


def _word(by_language: dict[str, tuple[str, ...]]) -> str:
    return (by_language.get(current_language()) or by_language["en"])[0]


def message_format(framework: Framework | None = None) -> str:
    """An example post-call message in the reader's language, as a code block: the message's
    own syntax (keyword, then "field: value" lines), with the framework's criteria answered
    yes, no, yes... and sample values from the catalog."""
    framework = framework or default_framework()
    language = current_language()
    header = HEADER_WORDS[1] if language == "ar" else HEADER_WORDS[0]
    yes, no = _word(YES_WORDS), _word(NO_WORDS)
    sample_deal = _("Acme Corp")  # a value in the message's syntax, not part of a sentence
    lines = [f"{header} {sample_deal}"]
    for index, criterion in enumerate(framework.criteria):
        keyword = _word(dict(criterion.keywords))
        lines.append(f"{keyword}: {no if index % 2 else yes}")
    samples = [
        ("next_step", _("demo for the CFO")),
        ("next_step_date", "2026-12-15"),
        ("went_well", _("they shared their budget")),
        ("improve", _("ask who else decides")),
        ("call_date", "2026-12-01"),
    ]
    lines += [f"{_word(FIELD_WORDS[field])}: {value}" for field, value in samples]
    return "```" + "\n".join(lines) + "```"


def _parse_problem(error: DebriefParseError, framework: Framework | None = None) -> str:
    field = field_label(error.field, framework) if error.field else ""
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


def not_recorded(problems: list[str], framework: Framework | None = None) -> Rendered:
    """Why a post-call message was not recorded (nothing was saved), and the format."""
    headline = _(":warning: I did not record this debrief:")
    body = "\n".join([headline, *(f"• {problem}" for problem in problems)])
    help_text = _("Fix the message and post it again, in this form:\n{example}").format(
        example=message_format(framework)
    )
    return Rendered(text=headline, blocks=[section(body), section(help_text)])


def parse_failed(error: DebriefParseError, framework: Framework | None = None) -> Rendered:
    return not_recorded([_parse_problem(error, framework)], framework)


def invalid_entry(errors: list[FieldError], framework: Framework | None = None) -> Rendered:
    problems = [
        _("*{field}*: {problem}").format(
            field=field_label(error.field, framework), problem=field_error_text(error)
        )
        for error in errors
    ]
    return not_recorded(problems, framework)


def not_saved() -> Rendered:
    text = _(":warning: I could not save this debrief just now. Post it again in a minute.")
    return Rendered(text=text, blocks=[section(text)])


def command_help(framework: Framework | None = None) -> str:
    """`/debrief help`: what the command and the post-call message do."""
    framework = framework or default_framework()
    return _(
        "*/debrief* `[deal name]` opens a form to record a sales call: the deal, a yes or no "
        "for each qualification question ({questions}), the next step and its date, what went "
        "well and what to improve.\n"
        "You can also send me a message (or post in a channel I am in) like this:\n{example}"
    ).format(
        questions=join([words.label(c) for c in framework.criteria]),
        example=message_format(framework),
    )

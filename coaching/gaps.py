"""The gaps a deal has after its latest debrief, and the question that closes each.

A gap is a criterion of the workspace's framework not answered yes, in the framework's order
(Deal Coach's own framework: the buying timeline, then the decision authority, since most
deals that miss their expected close never had them), then a missing dated next step. The
framework gives each criterion's words; ADVICE keeps the default framework's in the message
catalog too, so a translator working only on a .po file translates them as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from coaching.answers import NO_ANSWERS, answer
from coaching.frameworks import Framework, default_framework


def N_(message: str) -> str:
    """Marks a string for the message catalog; the views translate it when they render."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a plural message for the catalog, so it is one entry with every plural form of a
    language (Arabic has six); the views pass both to `ngettext` when they render."""
    return singular, plural


class Gap(StrEnum):
    """The default framework's gaps; any other criterion's gap is its key."""

    TIMELINE = "timeline"
    AUTHORITY = "authority"
    NEXT_STEP = "next_step"


@dataclass(frozen=True)
class GapAdvice:
    gap: Gap
    label: str  # catalog msgid: what is missing, in words
    question: str  # catalog msgid: one concrete question for the next call


ADVICE: dict[Gap, GapAdvice] = {
    Gap.TIMELINE: GapAdvice(
        Gap.TIMELINE,
        N_("Buying timeline not qualified"),
        N_(
            "What happens on your side if this is not solved by the end of the quarter, "
            "and what date are you working back from?"
        ),
    ),
    Gap.AUTHORITY: GapAdvice(
        Gap.AUTHORITY,
        N_("Decision authority not reached"),
        N_(
            "Besides you, who signs off on a decision like this, and could we get "
            "20 minutes with them before the next step?"
        ),
    ),
    Gap.NEXT_STEP: GapAdvice(
        Gap.NEXT_STEP,
        N_("No dated next step"),
        N_("Can we put the next step in both our calendars now: which day works for you?"),
    ),
}


@dataclass(frozen=True)
class LatestAnswers:
    """What the latest debrief of a deal says; its answers stand until a later call."""

    timeline_qualified: bool | None
    authority_reached: bool | None
    next_step: str | None
    next_step_date: date | None
    criteria: Mapping[str, bool] = NO_ANSWERS  # the other criteria's answers, by key


def gaps_of(latest: LatestAnswers, framework: Framework | None = None) -> list[str]:
    """The framework's criteria not answered yes, in its order (an unanswered question counts
    as a gap), then `next_step` when no dated next step was agreed. Criterion keys, so the
    default framework's are Gap.TIMELINE and Gap.AUTHORITY."""
    if framework is None:
        framework = default_framework()
    gaps: list[str] = [c.key for c in framework.criteria if answer(latest, c.key) is not True]
    if latest.next_step_date is None:
        gaps.append(Gap.NEXT_STEP)
    return gaps

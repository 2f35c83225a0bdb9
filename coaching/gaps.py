"""The gaps a deal has after its latest debrief, and the question that closes each.

Most deals that miss their expected close never had their buying timeline qualified or their
decision authority reached, so those two gaps always come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


def N_(message: str) -> str:
    """Marks a string for the message catalog; the views translate it when they render."""
    return message


class Gap(StrEnum):
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


def gaps_of(latest: LatestAnswers) -> list[Gap]:
    """Timeline and authority first; an unanswered question counts as a gap."""
    gaps: list[Gap] = []
    if latest.timeline_qualified is not True:
        gaps.append(Gap.TIMELINE)
    if latest.authority_reached is not True:
        gaps.append(Gap.AUTHORITY)
    if latest.next_step_date is None:
        gaps.append(Gap.NEXT_STEP)
    return gaps

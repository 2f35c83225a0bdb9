"""What a team's weekly coaching nudge is about: the gap its own recent calls show most.

A nudge works on aggregates only: how many of the team's debriefed calls qualified the
timeline, reached the decision authority, set a dated next step. It never names a deal or a
rep, so a channel sees a team habit to practise, not someone singled out.
"""

from __future__ import annotations

from dataclasses import dataclass

WINDOW_DAYS = 14  # the calls a nudge looks at
NO_REPEAT_WEEKS = 6  # a prompt the channel saw is not shown again for this long
PROMPTS_PER_NUDGE = 3


@dataclass(frozen=True)
class TeamCallStats:
    """A team's debriefed calls in the window, and how many did each thing that moves a deal."""

    calls: int
    timeline_qualified: int
    authority_reached: int
    dated_next_step: int

    def missing(self, gap: str) -> int:
        done = {
            "timeline": self.timeline_qualified,
            "authority": self.authority_reached,
            "next_step": self.dated_next_step,
        }[gap]
        return self.calls - done


# Ties go to timeline, then authority: they predict a missed close most strongly.
GAP_ORDER = ("timeline", "authority", "next_step")


def most_common_gap(stats: TeamCallStats) -> str:
    """The gap most of the team's calls left open; "discovery" when every call closed all
    three, so there is still a skill to practise."""
    if stats.calls == 0:
        raise ValueError("no calls: there is no gap to coach on")
    gap = max(GAP_ORDER, key=lambda g: (stats.missing(g), -GAP_ORDER.index(g)))
    return gap if stats.missing(gap) > 0 else "discovery"

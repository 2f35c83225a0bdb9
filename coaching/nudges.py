"""What a team's weekly coaching nudge is about: the gap its own recent calls show most.

A nudge works on aggregates only: how many of the team's debriefed calls answered yes to each
of the framework's criteria (qualified the timeline, reached the decision authority) and set a
dated next step. It never names a deal or a rep, so a channel sees a team habit to practise,
not someone singled out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from coaching.answers import NO_COUNTS

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
    criteria: Mapping[str, int] = NO_COUNTS  # calls that said yes to each other criterion

    def answered(self, gap: str) -> int:
        """Calls that closed the gap: said yes to the criterion, or set a dated next step."""
        if gap == "timeline":
            return self.timeline_qualified
        if gap == "authority":
            return self.authority_reached
        if gap == "next_step":
            return self.dated_next_step
        return self.criteria.get(gap, 0)

    def missing(self, gap: str) -> int:
        return self.calls - self.answered(gap)


# The default framework's gaps. Ties go to the first: timeline, then authority, as they
# predict a missed close most strongly (a framework's own order otherwise).
GAP_ORDER = ("timeline", "authority", "next_step")


def gap_order(criteria: Sequence[str]) -> tuple[str, ...]:
    """A framework's criteria in its order, then the dated next step."""
    return (*criteria, "next_step")


def most_common_gap(stats: TeamCallStats, order: Sequence[str] = GAP_ORDER) -> str:
    """The gap most of the team's calls left open, the earliest in `order` on a tie;
    "discovery" when every call closed them all, so there is still a skill to practise."""
    if stats.calls == 0:
        raise ValueError("no calls: there is no gap to coach on")
    gap = max(order, key=lambda g: (stats.missing(g), -order.index(g)))
    return gap if stats.missing(gap) > 0 else "discovery"

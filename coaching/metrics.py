"""Effectiveness, defined once: what counts as a call that moved a deal, and the figures built
on it. Activity (calls debriefed) measures efficiency; effective calls measure effectiveness.

Every definition here is also a sentence (`DEFINITIONS`) shown to users, so the number and the
words can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from coaching.answers import NO_COUNTS, HasAnswers, answer
from coaching.frameworks import Framework, default_framework
from coaching.gaps import N_
from coaching.schedule import iso_week_label
from coaching.stalls import DealSnapshot, Reason, StalledDeal, StallThresholds, find_stalled

# "{moves}" is what moves a deal in the workspace's framework, as the views word it.
DEFINITIONS = {
    "calls": N_("Calls: debriefed sales calls, by the date the call took place."),
    "effective": N_("Effective calls: a call counts as effective when it {moves}."),
    "qualified": N_(
        "Qualified: the share of open deals whose latest debrief answers yes to that question."
    ),
    "cadence": N_("Cadence: the median number of days between two debriefs of the same deal."),
    "slipped": N_(
        "Slipped: deals whose next step is overdue, that have gone quiet, or that were lost; "
        "the others kept moving."
    ),
}


def is_effective(
    timeline_qualified: bool | None, authority_reached: bool | None, next_step_date: date | None
) -> bool:
    """The default framework's effective call."""
    return timeline_qualified is True or authority_reached is True or next_step_date is not None


def is_effective_call(
    answers: HasAnswers, next_step_date: date | None, framework: Framework | None = None
) -> bool:
    """A call moved its deal when it answered yes to a criterion of the framework or set a
    dated next step (storage.metrics counts the same in SQL)."""
    framework = framework or default_framework()
    return next_step_date is not None or any(answer(answers, key) is True for key in framework.keys)


@dataclass(frozen=True)
class WeekFigures:
    week: str  # ISO week label, 2026-W49
    calls: int
    effective: int

    @property
    def share(self) -> float | None:
        return self.effective / self.calls if self.calls else None


def recent_weeks(today: date, count: int) -> list[str]:
    """The ISO week labels of the last `count` weeks, oldest first, this week last."""
    monday = today - timedelta(days=today.weekday())
    return [iso_week_label(monday - timedelta(weeks=back)) for back in range(count - 1, -1, -1)]


def by_week(daily: Iterable[tuple[date, int, int]], weeks: Sequence[str]) -> list[WeekFigures]:
    """Fold (call date, calls, effective) rows into the given weeks; empty weeks are zeros."""
    totals = {week: [0, 0] for week in weeks}
    for day, calls, effective in daily:
        label = iso_week_label(day)
        if label in totals:
            totals[label][0] += calls
            totals[label][1] += effective
    return [WeekFigures(week, totals[week][0], totals[week][1]) for week in weeks]


def median_days_between(call_dates: Mapping[int, Sequence[date]]) -> float | None:
    """The median gap, in days, between consecutive debriefs of the same deal."""
    gaps = [
        (later - earlier).days
        for dates in call_dates.values()
        for earlier, later in zip(sorted(dates), sorted(dates)[1:], strict=False)
    ]
    return float(median(gaps)) if gaps else None


@dataclass(frozen=True)
class Qualification:
    open_deals: int
    timeline_qualified: int
    authority_reached: int
    answered: Mapping[str, int] = NO_COUNTS  # open deals answered yes, per criterion key


def qualification(
    snapshots: Iterable[DealSnapshot], framework: Framework | None = None
) -> Qualification:
    framework = framework or default_framework()
    deals = [s for s in snapshots if s.status == "open"]
    return Qualification(
        len(deals),
        sum(1 for s in deals if s.timeline_qualified is True),
        sum(1 for s in deals if s.authority_reached is True),
        {key: sum(1 for s in deals if answer(s, key) is True) for key in framework.keys},
    )


@dataclass(frozen=True)
class StallCauses:
    """How often the deals that slipped lacked a yes to a gating criterion (a qualified
    timeline, the decision authority), against the deals that kept moving: the team's own
    evidence for what stalls its deals."""

    slipped: int
    slipped_lacking: int
    moving: int
    moving_lacking: int

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def slipped_share(self) -> float | None:
        return self._share(self.slipped_lacking, self.slipped)

    @property
    def moving_share(self) -> float | None:
        return self._share(self.moving_lacking, self.moving)

    @property
    def ratio(self) -> float | None:
        """How many times likelier a slipped deal was to lack qualification."""
        slipped, moving = self.slipped_share, self.moving_share
        if slipped is None or not moving:
            return None
        return slipped / moving


def lacks_qualification(deal: DealSnapshot, framework: Framework | None = None) -> bool:
    """A gating criterion of the framework is not answered yes."""
    gating = (framework or default_framework()).gating
    return any(answer(deal, c.key) is not True for c in gating)


def stall_causes(
    snapshots: Iterable[DealSnapshot],
    today: date,
    thresholds: StallThresholds,
    stalled: Iterable[StalledDeal] | None = None,
    framework: Framework | None = None,
) -> StallCauses:
    """Lost deals, and open ones gone quiet or overdue, have slipped; open deals that did
    neither, and won deals, kept moving. A deal's answers are those of its latest debrief,
    which for a closed deal are the answers it was closed with."""
    deals = list(snapshots)
    if stalled is None:  # the caller may already have the verdicts for these deals
        stalled = find_stalled(deals, today, thresholds, framework)
    stuck = {
        item.deal.deal_id for item in stalled if {Reason.QUIET, Reason.OVERDUE} & set(item.reasons)
    }
    slipped = slipped_lacking = moving = moving_lacking = 0
    for deal in deals:
        went_wrong = deal.status == "lost" or (deal.status == "open" and deal.deal_id in stuck)
        lacking = lacks_qualification(deal, framework)
        if went_wrong:
            slipped += 1
            slipped_lacking += lacking
        else:
            moving += 1
            moving_lacking += lacking
    return StallCauses(slipped, slipped_lacking, moving, moving_lacking)

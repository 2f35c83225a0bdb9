"""The rules that flag a stuck deal, so a manager knows which deals to ask a rep about this week.

A deal stalls in four ways: its buying timeline is still not qualified, its decision authority is
still not reached, it has gone quiet, or its agreed next step is overdue. The first two lead
every list, because deals that never qualified timeline or authority are the ones that miss
their close; the other two only say the deal has stopped moving.

`today` is passed in (the caller works it out in the workspace's time zone), so the same
snapshot gives the same verdict in a test, a digest and a slash command. `find_stalled` runs over
every open deal of a workspace at once, so it keeps to plain loops over date ordinals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from coaching.gaps import N_


class Reason(StrEnum):
    TIMELINE = "timeline"
    AUTHORITY = "authority"
    QUIET = "quiet"
    OVERDUE = "overdue"


# Timeline and authority gaps always lead: they predict a missed close, the others only a pause.
REASON_ORDER: tuple[Reason, ...] = (
    Reason.TIMELINE,
    Reason.AUTHORITY,
    Reason.QUIET,
    Reason.OVERDUE,
)

# The smallest value each threshold accepts: a deal needs at least one debrief and cannot be
# quiet for zero days, but a workspace may drop the grace period or flag a next step on its day.
_MINIMUMS: dict[str, int] = {
    "min_debriefs": 1,
    "grace_days": 0,
    "quiet_days": 1,
    "overdue_days": 0,
}


def _threshold_error(name: str, got: object) -> ValueError:
    return ValueError(f"{name} must be a whole number of at least {_MINIMUMS[name]}, got {got!r}")


@dataclass(frozen=True, slots=True)
class StallThresholds:
    """When each rule fires; a workspace may change them, the defaults suit a weekly review."""

    min_debriefs: int = 2  # debriefs after which unanswered qualification counts as a stall
    grace_days: int = 7  # days after the first call before a single debrief counts as well
    quiet_days: int = 14  # days since the latest call that make a deal quiet
    overdue_days: int = 3  # days past the next step's date that make it overdue

    def __post_init__(self) -> None:
        for name, minimum in _MINIMUMS.items():
            value = getattr(self, name)
            if type(value) is not int or value < minimum:
                raise _threshold_error(name, value)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> StallThresholds:
        """Thresholds from settings text; a missing key keeps its default, other keys are
        ignored, and a value that is not a whole number at or above its minimum raises
        ValueError naming the key."""
        parsed: dict[str, int] = {}
        for name, minimum in _MINIMUMS.items():
            raw = values.get(name)
            if raw is None:
                continue
            text = raw.strip()
            if not (text.isascii() and text.isdigit()):
                raise _threshold_error(name, raw)
            try:
                number = int(text)
            except ValueError:  # more digits than int() converts
                raise _threshold_error(name, raw) from None
            if number < minimum:
                raise _threshold_error(name, raw)
            parsed[name] = number
        return cls(**parsed)


_DEFAULT_THRESHOLDS = StallThresholds()


@dataclass(frozen=True, slots=True)
class DealSnapshot:
    """One deal as the rules see it: its debrief dates and the answers of its latest debrief.

    The latest debrief is the one with the latest call_date (among equals, the last recorded);
    its answers stand until a later call, and the caller puts them here.
    """

    deal_id: int
    name: str
    rep_user_id: str
    status: str  # "open", "won", "lost"
    snoozed_until: date | None
    debrief_count: int
    first_call: date
    last_call: date
    timeline_qualified: bool | None
    authority_reached: bool | None
    next_step: str | None
    next_step_date: date | None


@dataclass(frozen=True, slots=True)
class Stall:
    """One reason a deal is stuck, and how long it has been.

    `days` is days since the first call for TIMELINE and AUTHORITY, days since the latest call
    for QUIET, and days past the next step's date for OVERDUE.
    """

    reason: Reason
    days: int


@dataclass(frozen=True, slots=True)
class StalledDeal:
    deal: DealSnapshot
    stalls: tuple[Stall, ...]  # in REASON_ORDER
    days_since_last_call: int

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return tuple(stall.reason for stall in self.stalls)

    @property
    def lacks_qualification(self) -> bool:
        """Timeline or authority is missing: these deals come first in every list."""
        return any(
            stall.reason is Reason.TIMELINE or stall.reason is Reason.AUTHORITY
            for stall in self.stalls
        )


@dataclass(frozen=True)
class ReasonAdvice:
    reason: Reason
    label: str  # catalog msgid: the reason, in the words a manager reads
    detail: tuple[str, str]  # catalog msgids (singular, plural) with "{days}", from Stall.days
    question: str  # catalog msgid: one question for the manager to ask the rep


ADVICE: dict[Reason, ReasonAdvice] = {
    Reason.TIMELINE: ReasonAdvice(
        Reason.TIMELINE,
        N_("Buying timeline not qualified"),
        (N_("first call {days} day ago"), N_("first call {days} days ago")),
        N_(
            "What date or event on the buyer's side forces a decision, and when will you "
            "ask them about it?"
        ),
    ),
    Reason.AUTHORITY: ReasonAdvice(
        Reason.AUTHORITY,
        N_("Decision authority not reached"),
        (N_("first call {days} day ago"), N_("first call {days} days ago")),
        N_(
            "Who signs off on this purchase, and what is your plan to meet them before "
            "the next call?"
        ),
    ),
    Reason.QUIET: ReasonAdvice(
        Reason.QUIET,
        N_("Gone quiet"),
        (N_("quiet for {days} day"), N_("quiet for {days} days")),
        N_(
            "When did you last hear from the buyer, and what will you send them this week "
            "to restart the conversation?"
        ),
    ),
    Reason.OVERDUE: ReasonAdvice(
        Reason.OVERDUE,
        N_("Next step overdue"),
        (N_("overdue by {days} day"), N_("overdue by {days} days")),
        N_(
            "Did the agreed next step happen, and if not, what new date has the buyer committed to?"
        ),
    ),
}


_TIMELINE = Reason.TIMELINE
_AUTHORITY = Reason.AUTHORITY
_QUIET = Reason.QUIET
_OVERDUE = Reason.OVERDUE


class _Rules:
    """The rules for one `today` and one set of thresholds, as plain ints over date ordinals.

    A Stall is frozen, so deals stalled for the same reason and days share one instance: over a
    whole workspace this saves most of the allocations (and the garbage collector's passes).
    """

    __slots__ = (
        "_authority",
        "_overdue",
        "_quiet",
        "_timeline",
        "grace_days",
        "min_debriefs",
        "overdue_days",
        "quiet_days",
        "today",
    )

    def __init__(self, today: date, thresholds: StallThresholds) -> None:
        self.today = today.toordinal()
        self.min_debriefs = thresholds.min_debriefs
        self.grace_days = thresholds.grace_days
        self.quiet_days = thresholds.quiet_days
        self.overdue_days = thresholds.overdue_days
        self._timeline: dict[int, Stall] = {}
        self._authority: dict[int, Stall] = {}
        self._quiet: dict[int, Stall] = {}
        self._overdue: dict[int, Stall] = {}

    def stalls(self, deal: DealSnapshot) -> tuple[Stall, ...]:
        """Why the deal is stuck, in REASON_ORDER; () when it is not open or is snoozed."""
        if deal.status != "open":
            return ()
        today = self.today
        snoozed_until = deal.snoozed_until
        if snoozed_until is not None and snoozed_until.toordinal() > today:
            return ()
        stalls: list[Stall] = []
        timeline_gap = deal.timeline_qualified is False
        authority_gap = deal.authority_reached is False
        if timeline_gap or authority_gap:
            days = today - deal.first_call.toordinal()
            if deal.debrief_count >= self.min_debriefs or days >= self.grace_days:
                if timeline_gap:
                    made = self._timeline
                    stalls.append(made.get(days) or made.setdefault(days, Stall(_TIMELINE, days)))
                if authority_gap:
                    made = self._authority
                    stalls.append(made.get(days) or made.setdefault(days, Stall(_AUTHORITY, days)))
        days = today - deal.last_call.toordinal()
        if days >= self.quiet_days:
            made = self._quiet
            stalls.append(made.get(days) or made.setdefault(days, Stall(_QUIET, days)))
        next_step_date = deal.next_step_date
        if next_step_date is not None:
            days = today - next_step_date.toordinal()
            if days >= self.overdue_days:
                made = self._overdue
                stalls.append(made.get(days) or made.setdefault(days, Stall(_OVERDUE, days)))
        return tuple(stalls)


def stalls_of(
    deal: DealSnapshot,
    today: date,
    thresholds: StallThresholds = _DEFAULT_THRESHOLDS,
) -> tuple[Stall, ...]:
    """Why the deal is stuck at `today`, in REASON_ORDER; () when it is not open or is snoozed
    past today (a snooze that ends today flags the deal again)."""
    return _Rules(today, thresholds).stalls(deal)


def find_stalled(
    deals: Iterable[DealSnapshot],
    today: date,
    thresholds: StallThresholds = _DEFAULT_THRESHOLDS,
) -> list[StalledDeal]:
    """The stuck deals, most urgent first: deals lacking timeline or authority, then the longest
    since their latest call, then by name (case-insensitively, then by id, so ties are stable)."""
    rules = _Rules(today, thresholds)
    check = rules.stalls
    today_ordinal = rules.today
    unqualified: list[StalledDeal] = []
    qualified: list[StalledDeal] = []
    for deal in deals:
        stalls = check(deal)
        if not stalls:
            continue
        stalled = StalledDeal(deal, stalls, today_ordinal - deal.last_call.toordinal())
        # TIMELINE and AUTHORITY lead REASON_ORDER, so the first stall tells.
        first = stalls[0].reason
        if first is _TIMELINE or first is _AUTHORITY:
            unqualified.append(stalled)
        else:
            qualified.append(stalled)
    return _most_days_first(unqualified) + _most_days_first(qualified)


def _name_then_id(stalled: StalledDeal) -> tuple[str, int]:
    return stalled.deal.name.casefold(), stalled.deal.deal_id


def _most_days_first(group: list[StalledDeal]) -> list[StalledDeal]:
    """Order by days since the latest call (most first), then name, then id.

    Days take a few hundred values at most, so deals are bucketed by them and only each small
    bucket is sorted by name: the time grows linearly with the number of deals, where one sort
    of the whole list grows as n log n.
    """
    buckets: dict[int, list[StalledDeal]] = {}
    for stalled in group:
        days = stalled.days_since_last_call
        bucket = buckets.get(days)
        if bucket is None:
            buckets[days] = [stalled]
        else:
            bucket.append(stalled)
    ordered: list[StalledDeal] = []
    for days in sorted(buckets, reverse=True):
        bucket = buckets[days]
        if len(bucket) > 1:
            bucket.sort(key=_name_then_id)
        ordered.extend(bucket)
    return ordered

"""The rules that flag a stuck deal, so a manager knows which deals to ask a rep about this week.

A deal stalls when the latest debrief answers "no" to a criterion of the workspace's framework
that gates (Deal Coach's own framework: the buying timeline is not qualified, the decision
authority not reached), when it has gone quiet, or when its agreed next step is overdue. The
criteria lead every list, because deals that never qualified are the ones that miss their
close; the other two only say the deal has stopped moving. A criterion's stall waits for the
same grace as today's timeline: the deal has `min_debriefs` debriefs or its first call is
`grace_days` old (the criterion's own thresholds when its framework sets them).

`today` is passed in (the caller works it out in the workspace's time zone), so the same
snapshot gives the same verdict in a test, a digest and a slash command. `find_stalled` runs over
every open deal of a workspace at once, so it keeps to plain loops over date ordinals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from coaching.answers import AUTHORITY, NO_ANSWERS, TIMELINE
from coaching.frameworks import Framework, default_framework
from coaching.gaps import N_, NP_


class Reason(StrEnum):
    """The default framework's reasons and the two every framework has; any other
    criterion's reason is its key."""

    TIMELINE = "timeline"
    AUTHORITY = "authority"
    QUIET = "quiet"
    OVERDUE = "overdue"


# The default framework's order. Criteria always lead: they predict a missed close, the others
# only a pause (`reason_order` gives any framework's).
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
    criteria: Mapping[str, bool] = NO_ANSWERS  # the latest debrief's other answers, by key


@dataclass(frozen=True, slots=True)
class Stall:
    """One reason a deal is stuck, and how long it has been.

    `reason` is a criterion's key (a Reason for timeline and authority), QUIET or OVERDUE.
    `days` is days since the first call for a criterion, days since the latest call for
    QUIET, and days past the next step's date for OVERDUE.
    """

    reason: str
    days: int


@dataclass(frozen=True, slots=True)
class StalledDeal:
    deal: DealSnapshot
    stalls: tuple[Stall, ...]  # in REASON_ORDER
    days_since_last_call: int

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(stall.reason for stall in self.stalls)

    @property
    def lacks_qualification(self) -> bool:
        """A gating criterion is answered no: these deals come first in every list."""
        return any(is_criterion(stall.reason) for stall in self.stalls)


def is_criterion(reason: str) -> bool:
    """True for a criterion's reason, False for QUIET and OVERDUE."""
    return reason != Reason.QUIET and reason != Reason.OVERDUE


def reason_order(framework: Framework | None = None) -> tuple[str, ...]:
    """The framework's gating criteria in its order, then QUIET and OVERDUE."""
    if framework is None:
        return REASON_ORDER
    keys = [_reason(c.key) for c in framework.gating]
    return (*keys, Reason.QUIET, Reason.OVERDUE)


def _reason(key: str) -> str:
    """The default framework's keys as their Reason, so `is Reason.TIMELINE` holds."""
    return Reason.TIMELINE if key == TIMELINE else Reason.AUTHORITY if key == AUTHORITY else key


@dataclass(frozen=True)
class ReasonAdvice:
    reason: Reason
    label: str  # catalog msgid: the reason, in the words a manager reads
    detail: tuple[str, str]  # catalog msgids (singular, plural) with "{days}", from Stall.days
    question: str  # catalog msgid: one question for the manager to ask the rep


# How long a criterion has been unanswered, for any framework's criterion.
CRITERION_DETAIL = NP_("first call {days} day ago", "first call {days} days ago")

# QUIET and OVERDUE in every framework; TIMELINE and AUTHORITY are the default framework's
# words (frameworks/default.yaml), kept here so the message catalog has them too.
ADVICE: dict[Reason, ReasonAdvice] = {
    Reason.TIMELINE: ReasonAdvice(
        Reason.TIMELINE,
        N_("Buying timeline not qualified"),
        CRITERION_DETAIL,
        N_(
            "What date or event on the buyer's side forces a decision, and when will you "
            "ask them about it?"
        ),
    ),
    Reason.AUTHORITY: ReasonAdvice(
        Reason.AUTHORITY,
        N_("Decision authority not reached"),
        CRITERION_DETAIL,
        N_(
            "Who signs off on this purchase, and what is your plan to meet them before "
            "the next call?"
        ),
    ),
    Reason.QUIET: ReasonAdvice(
        Reason.QUIET,
        N_("Gone quiet"),
        NP_("quiet for {days} day", "quiet for {days} days"),
        N_(
            "When did you last hear from the buyer, and what will you send them this week "
            "to restart the conversation?"
        ),
    ),
    Reason.OVERDUE: ReasonAdvice(
        Reason.OVERDUE,
        N_("Next step overdue"),
        NP_("overdue by {days} day", "overdue by {days} days"),
        N_(
            "Did the agreed next step happen, and if not, what new date has the buyer committed to?"
        ),
    ),
}


_QUIET = Reason.QUIET
_OVERDUE = Reason.OVERDUE


class _Rules:
    """The rules for one `today`, one set of thresholds and one framework, as plain ints over
    date ordinals.

    A Stall is frozen, so deals stalled for the same reason and days share one instance: over a
    whole workspace this saves most of the allocations (and the garbage collector's passes).
    """

    __slots__ = ("_gates", "_overdue", "_quiet", "overdue_days", "quiet_days", "today")

    def __init__(
        self, today: date, thresholds: StallThresholds, framework: Framework | None
    ) -> None:
        self.today = today.toordinal()
        self.quiet_days = thresholds.quiet_days
        self.overdue_days = thresholds.overdue_days
        self._quiet: dict[int, Stall] = {}
        self._overdue: dict[int, Stall] = {}
        # (reason, where the answer is, key, min_debriefs, grace_days, stalls made so far) per
        # gating criterion; where: 0 the timeline column, 1 the authority column, 2 `criteria`.
        self._gates: tuple[tuple[str, int, str, int, int, dict[int, Stall]], ...] = tuple(
            (
                _reason(c.key),
                0 if c.key == TIMELINE else 1 if c.key == AUTHORITY else 2,
                c.key,
                thresholds.min_debriefs if c.min_debriefs is None else c.min_debriefs,
                thresholds.grace_days if c.grace_days is None else c.grace_days,
                {},
            )
            for c in (framework or default_framework()).gating
        )

    def stalls(self, deal: DealSnapshot) -> tuple[Stall, ...]:
        """Why the deal is stuck, in the framework's reason order; () when it is not open or is
        snoozed."""
        if deal.status != "open":
            return ()
        today = self.today
        snoozed_until = deal.snoozed_until
        if snoozed_until is not None and snoozed_until.toordinal() > today:
            return ()
        stalls: list[Stall] = []
        since_first: int | None = None  # worked out for the first criterion answered no
        for reason, where, key, min_debriefs, grace_days, made in self._gates:
            if where == 0:
                said = deal.timeline_qualified
            elif where == 1:
                said = deal.authority_reached
            else:
                said = deal.criteria.get(key)
            if said is not False:
                continue
            if since_first is None:
                since_first = today - deal.first_call.toordinal()
            if deal.debrief_count >= min_debriefs or since_first >= grace_days:
                stall = made.get(since_first)
                if stall is None:
                    stall = made[since_first] = Stall(reason, since_first)
                stalls.append(stall)
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
    framework: Framework | None = None,
) -> tuple[Stall, ...]:
    """Why the deal is stuck at `today`, in the framework's reason order (the default
    framework's when none is given); () when it is not open or is snoozed past today (a snooze
    that ends today flags the deal again)."""
    return _Rules(today, thresholds, framework).stalls(deal)


def find_stalled(
    deals: Iterable[DealSnapshot],
    today: date,
    thresholds: StallThresholds = _DEFAULT_THRESHOLDS,
    framework: Framework | None = None,
) -> list[StalledDeal]:
    """The stuck deals, most urgent first: deals with a gating criterion answered no, then the
    longest since their latest call, then by name (case-insensitively, then by id, so ties are
    stable)."""
    rules = _Rules(today, thresholds, framework)
    check = rules.stalls
    today_ordinal = rules.today
    unqualified: list[StalledDeal] = []
    qualified: list[StalledDeal] = []
    for deal in deals:
        stalls = check(deal)
        if not stalls:
            continue
        stalled = StalledDeal(deal, stalls, today_ordinal - deal.last_call.toordinal())
        # Criteria lead the reason order, so the first stall tells.
        first = stalls[0].reason
        if first is not _QUIET and first is not _OVERDUE:
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

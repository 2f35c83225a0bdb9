"""The stall rules at their boundaries, the thresholds a workspace sets, and the digest's order."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from coaching.stalls import (
    ADVICE,
    REASON_ORDER,
    DealSnapshot,
    Reason,
    Stall,
    StalledDeal,
    StallThresholds,
    find_stalled,
    stalls_of,
)

TODAY = date(2026, 11, 30)


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def deal(**changes: object) -> DealSnapshot:
    """A healthy open deal, called today, fully qualified, no next step: no stalls."""
    values: dict[str, object] = {
        "deal_id": 1,
        "name": "Acme",
        "rep_user_id": "U1",
        "status": "open",
        "snoozed_until": None,
        "debrief_count": 1,
        "first_call": TODAY,
        "last_call": TODAY,
        "timeline_qualified": True,
        "authority_reached": True,
        "next_step": None,
        "next_step_date": None,
    }
    values.update(changes)
    return DealSnapshot(**values)  # type: ignore[arg-type]


def reasons(d: DealSnapshot, thresholds: StallThresholds | None = None) -> list[Reason]:
    found = stalls_of(d, TODAY) if thresholds is None else stalls_of(d, TODAY, thresholds)
    return [stall.reason for stall in found]


def test_a_healthy_deal_has_no_stalls() -> None:
    assert stalls_of(deal(), TODAY) == ()


def test_reason_order_puts_qualification_first() -> None:
    assert REASON_ORDER == (Reason.TIMELINE, Reason.AUTHORITY, Reason.QUIET, Reason.OVERDUE)


# --- gone quiet ---------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "flagged"), [(0, False), (13, False), (14, True), (40, True)])
def test_quiet_from_day_14(days: int, flagged: bool) -> None:
    d = deal(first_call=ago(days), last_call=ago(days))
    expected = (Stall(Reason.QUIET, days),) if flagged else ()
    assert stalls_of(d, TODAY) == expected


def test_quiet_counts_from_the_latest_call_not_the_first() -> None:
    assert reasons(deal(first_call=ago(60), last_call=ago(13), debrief_count=3)) == []


# --- next step overdue --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_past", "flagged"), [(-5, False), (0, False), (2, False), (3, True), (10, True)]
)
def test_next_step_overdue_from_3_days(days_past: int, flagged: bool) -> None:
    d = deal(next_step="Send pricing", next_step_date=ago(days_past))
    expected = (Stall(Reason.OVERDUE, days_past),) if flagged else ()
    assert stalls_of(d, TODAY) == expected


# --- timeline and authority ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "reason"),
    [("timeline_qualified", Reason.TIMELINE), ("authority_reached", Reason.AUTHORITY)],
)
@pytest.mark.parametrize(
    ("debriefs", "first_call_days_ago", "flagged"),
    [
        (1, 0, False),
        (1, 6, False),  # one debrief, still in the grace period
        (1, 7, True),  # grace period over
        (2, 0, True),  # two debriefs on the same day
        (5, 3, True),
    ],
)
def test_qualification_needs_two_debriefs_or_a_week(
    field: str, reason: Reason, debriefs: int, first_call_days_ago: int, flagged: bool
) -> None:
    d = deal(
        **{field: False},
        debrief_count=debriefs,
        first_call=ago(first_call_days_ago),
        last_call=TODAY,
    )
    expected = (Stall(reason, first_call_days_ago),) if flagged else ()
    assert stalls_of(d, TODAY) == expected


@pytest.mark.parametrize("answer", [None, True])
@pytest.mark.parametrize("field", ["timeline_qualified", "authority_reached"])
def test_unanswered_or_yes_is_not_a_stall(field: str, answer: bool | None) -> None:
    d = deal(**{field: answer}, debrief_count=9, first_call=ago(30), last_call=TODAY)
    assert reasons(d) == []


def test_every_reason_at_once_in_reason_order() -> None:
    d = deal(
        timeline_qualified=False,
        authority_reached=False,
        debrief_count=3,
        first_call=ago(40),
        last_call=ago(20),
        next_step="Demo",
        next_step_date=ago(5),
    )
    assert stalls_of(d, TODAY) == (
        Stall(Reason.TIMELINE, 40),
        Stall(Reason.AUTHORITY, 40),
        Stall(Reason.QUIET, 20),
        Stall(Reason.OVERDUE, 5),
    )


# --- status and snooze --------------------------------------------------------------------


def _stuck(**changes: object) -> DealSnapshot:
    return deal(
        timeline_qualified=False,
        debrief_count=3,
        first_call=ago(30),
        last_call=ago(30),
        next_step_date=ago(10),
        **changes,
    )


@pytest.mark.parametrize("status", ["won", "lost"])
def test_closed_deals_are_never_flagged(status: str) -> None:
    assert stalls_of(_stuck(status=status), TODAY) == ()
    assert find_stalled([_stuck(status=status)], TODAY) == []


@pytest.mark.parametrize(
    ("snoozed_until", "flagged"),
    [(TODAY + timedelta(days=1), False), (TODAY + timedelta(days=30), False), (TODAY, True)],
)
def test_snooze_hides_the_deal_until_the_day_it_ends(snoozed_until: date, flagged: bool) -> None:
    assert bool(stalls_of(_stuck(snoozed_until=snoozed_until), TODAY)) is flagged


def test_a_past_snooze_no_longer_hides() -> None:
    assert reasons(_stuck(snoozed_until=ago(1))) == [
        Reason.TIMELINE,
        Reason.QUIET,
        Reason.OVERDUE,
    ]


# --- thresholds ---------------------------------------------------------------------------


def test_custom_quiet_days() -> None:
    thresholds = StallThresholds(quiet_days=30)
    assert reasons(deal(first_call=ago(29), last_call=ago(29)), thresholds) == []
    assert reasons(deal(first_call=ago(30), last_call=ago(30)), thresholds) == [Reason.QUIET]


def test_custom_qualification_thresholds() -> None:
    thresholds = StallThresholds(min_debriefs=3, grace_days=0)
    assert reasons(deal(timeline_qualified=False, debrief_count=2), thresholds) == [Reason.TIMELINE]
    strict = StallThresholds(min_debriefs=3, grace_days=14)
    assert reasons(deal(timeline_qualified=False, debrief_count=2), strict) == []
    assert reasons(deal(timeline_qualified=False, debrief_count=3), strict) == [Reason.TIMELINE]


def test_overdue_days_zero_flags_a_next_step_due_today() -> None:
    d = deal(next_step="Call back", next_step_date=TODAY)
    assert stalls_of(d, TODAY, StallThresholds(overdue_days=0)) == (Stall(Reason.OVERDUE, 0),)


def test_from_mapping_reads_every_key() -> None:
    thresholds = StallThresholds.from_mapping(
        {"min_debriefs": "3", "grace_days": "0", "quiet_days": " 30 ", "overdue_days": "0"}
    )
    assert thresholds == StallThresholds(
        min_debriefs=3, grace_days=0, quiet_days=30, overdue_days=0
    )


def test_from_mapping_keeps_defaults_for_missing_keys() -> None:
    assert StallThresholds.from_mapping({}) == StallThresholds()
    assert StallThresholds.from_mapping({"quiet_days": "21"}) == StallThresholds(quiet_days=21)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("quiet_days", "x", "quiet_days must be a whole number of at least 1, got 'x'"),
        ("quiet_days", "0", "quiet_days must be a whole number of at least 1, got '0'"),
        ("min_debriefs", "0", "min_debriefs must be a whole number of at least 1, got '0'"),
        ("grace_days", "-1", "grace_days must be a whole number of at least 0, got '-1'"),
        ("overdue_days", "2.5", "overdue_days must be a whole number of at least 0, got '2.5'"),
        ("overdue_days", "", "overdue_days must be a whole number of at least 0, got ''"),
        ("grace_days", "٣", "grace_days must be a whole number of at least 0, got '٣'"),
    ],
)
def test_from_mapping_rejects_bad_values(key: str, value: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        StallThresholds.from_mapping({key: value})
    assert str(raised.value) == message


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(ValueError, match="quiet_days must be a whole number of at least 1"):
        StallThresholds(quiet_days=0)


# --- find_stalled -------------------------------------------------------------------------


def test_find_stalled_keeps_only_stuck_deals_and_their_details() -> None:
    healthy = deal(deal_id=1, name="Healthy")
    quiet = deal(deal_id=2, name="Quiet", first_call=ago(20), last_call=ago(15))
    assert find_stalled([healthy, quiet], TODAY) == [
        StalledDeal(quiet, (Stall(Reason.QUIET, 15),), 15)
    ]


def test_find_stalled_order() -> None:
    def snapshot(deal_id: int, name: str, last: int, *, unqualified: bool) -> DealSnapshot:
        return deal(
            deal_id=deal_id,
            name=name,
            first_call=ago(max(last, 20)),
            last_call=ago(last),
            debrief_count=2,
            authority_reached=not unqualified,
            next_step="Follow up",
            next_step_date=ago(5),  # every deal is at least overdue
        )

    deals = [
        snapshot(1, "zeta", 1, unqualified=False),
        snapshot(2, "Beta", 30, unqualified=False),
        snapshot(3, "alpha", 1, unqualified=False),
        snapshot(4, "Gamma", 2, unqualified=True),
        snapshot(5, "delta", 2, unqualified=True),
        snapshot(6, "Omega", 25, unqualified=True),
        snapshot(7, "Alpha", 1, unqualified=False),
    ]
    found = find_stalled(reversed(deals), TODAY)
    assert [s.deal.deal_id for s in found] == [6, 5, 4, 2, 3, 7, 1]
    assert [s.lacks_qualification for s in found] == [True] * 3 + [False] * 4
    assert found[0].reasons == (Reason.AUTHORITY, Reason.QUIET, Reason.OVERDUE)
    assert found[0].days_since_last_call == 25
    assert found[-1].reasons == (Reason.OVERDUE,)


def test_find_stalled_uses_the_thresholds() -> None:
    d = deal(first_call=ago(20), last_call=ago(20))
    assert len(find_stalled([d], TODAY)) == 1
    assert find_stalled([d], TODAY, StallThresholds(quiet_days=30)) == []


def test_find_stalled_agrees_with_stalls_of() -> None:
    deals = [
        replace(_stuck(), deal_id=i, last_call=ago(i % 20), snoozed_until=ago(i % 3 - 1))
        for i in range(60)
    ]
    found = {s.deal.deal_id: s.stalls for s in find_stalled(deals, TODAY)}
    expected = {d.deal_id: stalls_of(d, TODAY) for d in deals if stalls_of(d, TODAY)}
    assert found == expected


# --- advice -------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_advice_naming_it(reason: Reason) -> None:
    advice = ADVICE[reason]
    assert advice.reason is reason
    assert reason.value in advice.label.lower()
    for template in advice.detail:
        assert "5" in template.format(days=5)
    assert advice.question.endswith("?")
    assert advice.question.count("?") == 1

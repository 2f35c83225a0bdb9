"""Effectiveness metrics on hand-built cases with known answers."""

from __future__ import annotations

from datetime import date

from coaching.metrics import (
    DEFINITIONS,
    WeekFigures,
    by_week,
    is_effective,
    median_days_between,
    qualification,
    recent_weeks,
    stall_causes,
)
from coaching.stalls import DealSnapshot, StallThresholds

TODAY = date(2026, 11, 30)  # a Monday, ISO week 2026-W49


def deal(
    deal_id: int,
    status: str = "open",
    last: date = TODAY,
    timeline: bool | None = True,
    authority: bool | None = True,
    next_step: date | None = None,
) -> DealSnapshot:
    return DealSnapshot(
        deal_id,
        f"D{deal_id}",
        "U1",
        status,
        None,
        2,
        date(2026, 10, 1),
        last,
        timeline,
        authority,
        None,
        next_step,
    )


def test_an_effective_call_did_one_of_three_things() -> None:
    assert is_effective(True, None, None)
    assert is_effective(None, True, None)
    assert is_effective(False, False, date(2026, 12, 1))
    assert not is_effective(False, None, None)


def test_weeks_and_folding_days_into_them() -> None:
    weeks = recent_weeks(TODAY, 3)
    assert weeks == ["2026-W47", "2026-W48", "2026-W49"]
    daily = [
        (date(2026, 11, 30), 2, 1),  # W49
        (date(2026, 11, 29), 3, 3),  # Sunday: W48
        (date(2026, 11, 23), 1, 0),  # Monday: W48
        (date(2026, 11, 1), 9, 9),  # outside the window
    ]
    assert by_week(daily, weeks) == [
        WeekFigures("2026-W47", 0, 0),
        WeekFigures("2026-W48", 4, 3),
        WeekFigures("2026-W49", 2, 1),
    ]
    assert WeekFigures("x", 4, 3).share == 0.75 and WeekFigures("x", 0, 0).share is None


def test_median_days_between_debriefs() -> None:
    dates = {
        1: [date(2026, 11, 1), date(2026, 11, 4), date(2026, 11, 14)],  # gaps 3, 10
        2: [date(2026, 11, 10), date(2026, 11, 5)],  # unsorted: gap 5
        3: [date(2026, 11, 20)],  # one debrief: no gap
    }
    assert median_days_between(dates) == 5.0
    assert median_days_between({1: [date(2026, 11, 1)]}) is None


def test_qualification_counts_open_deals_only() -> None:
    deals = [deal(1), deal(2, timeline=False), deal(3, authority=None), deal(4, "won")]
    result = qualification(deals)
    assert (result.open_deals, result.timeline_qualified, result.authority_reached) == (3, 2, 2)


def test_stall_causes_compare_slipped_and_moving_deals() -> None:
    deals = [
        deal(1, "lost", timeline=False),  # slipped, lacking
        deal(2, last=date(2026, 11, 1), authority=None),  # quiet 29 days: slipped, lacking
        deal(3, next_step=date(2026, 11, 20)),  # overdue: slipped, qualified
        deal(4, timeline=False),  # moving, lacking (not quiet, not overdue)
        deal(5),  # moving, qualified
        deal(6, "won"),  # moving, qualified
        deal(7),  # moving, qualified
    ]
    causes = stall_causes(deals, TODAY, StallThresholds())
    assert (causes.slipped, causes.slipped_lacking) == (3, 2)
    assert (causes.moving, causes.moving_lacking) == (4, 1)
    assert causes.ratio is not None and round(causes.ratio, 2) == 2.67


def test_every_definition_is_a_sentence() -> None:
    assert set(DEFINITIONS) == {"calls", "effective", "qualified", "cadence", "slipped"}
    assert all(text.endswith(".") for text in DEFINITIONS.values())

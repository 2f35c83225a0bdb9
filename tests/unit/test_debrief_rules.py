"""Validation of a debrief and the gaps after it: the same verdict from the modal and messages."""

from __future__ import annotations

from datetime import date

import pytest

from coaching.debrief import (
    MAX_DEAL_NAME,
    MAX_LONG_TEXT,
    MAX_NEXT_STEP,
    DebriefInput,
    deal_key,
    normalise_deal_name,
    validate,
)
from coaching.gaps import Gap, LatestAnswers, gaps_of

TODAY = date(2026, 11, 30)


def entry(**changes: object) -> DebriefInput:
    values: dict[str, object] = {"deal": "Acme", "call_date": TODAY}
    values.update(changes)
    return DebriefInput(**values)  # type: ignore[arg-type]


def codes(e: DebriefInput) -> list[tuple[str, str]]:
    return [(error.field, error.code) for error in validate(e, TODAY)]


def test_a_plain_entry_is_valid() -> None:
    assert codes(entry()) == []


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_blank_deal(name: str) -> None:
    assert codes(entry(deal=name)) == [("deal", "required")]


def test_limits_are_inclusive() -> None:
    assert codes(entry(deal="x" * MAX_DEAL_NAME)) == []
    assert codes(entry(deal="x" * (MAX_DEAL_NAME + 1))) == [("deal", "too_long")]
    assert codes(entry(next_step="x" * MAX_NEXT_STEP)) == []
    assert codes(entry(next_step="x" * (MAX_NEXT_STEP + 1))) == [("next_step", "too_long")]
    assert codes(entry(notes="x" * (MAX_LONG_TEXT + 1))) == [("notes", "too_long")]


def test_call_date_today_is_fine_tomorrow_is_not() -> None:
    assert codes(entry(call_date=date(2026, 12, 1))) == [("call_date", "in_future")]


def test_next_step_the_same_day_is_fine_the_day_before_is_not() -> None:
    assert codes(entry(next_step_date=TODAY)) == []
    assert codes(entry(next_step_date=date(2026, 11, 29))) == [("next_step_date", "before_call")]


def test_deal_names_fold_case_and_spaces() -> None:
    assert deal_key("  acme   CORP ") == deal_key("Acme Corp")
    assert normalise_deal_name("  Acme   Corp ") == "Acme Corp"
    assert deal_key("Straße") == deal_key("STRASSE")


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (LatestAnswers(True, True, "demo", TODAY), []),
        (LatestAnswers(False, True, "demo", TODAY), [Gap.TIMELINE]),
        (LatestAnswers(None, None, None, None), [Gap.TIMELINE, Gap.AUTHORITY, Gap.NEXT_STEP]),
        (LatestAnswers(True, False, "demo", None), [Gap.AUTHORITY, Gap.NEXT_STEP]),
    ],
)
def test_gaps_timeline_and_authority_first(answers: LatestAnswers, expected: list[Gap]) -> None:
    assert gaps_of(answers) == expected

"""The digest's schedule settings: only moments a digest can actually go out at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coaching.schedule import DigestSchedule, digest_due


def test_defaults_are_monday_nine() -> None:
    schedule = DigestSchedule.from_mapping({})
    assert (schedule.weekday, schedule.hour) == (1, 9)


@pytest.mark.parametrize("day,weekday", [("tue", 2), ("Friday", 5), (" WED ", 3), ("mon", 1)])
def test_a_working_day_by_short_or_full_name(day: str, weekday: int) -> None:
    assert DigestSchedule.from_mapping({"digest_day": day}).weekday == weekday


@pytest.mark.parametrize(
    "values,words",
    [
        ({"digest_day": "sat"}, "working day"),
        ({"digest_day": "Sunday"}, "would never go out"),
        ({"digest_day": "saturday-ish"}, "got 'saturday-ish'"),
        ({"digest_day": "someday"}, "mon, tue, wed, thu, fri"),
        ({"digest_day": "fri", "digest_hour": "19"}, "before work_end_hour (18)"),
        ({"digest_hour": "17", "work_end_hour": "16"}, "before work_end_hour (16)"),
        ({"work_start_hour": "18", "work_end_hour": "9"}, "work_start_hour must be before"),
    ],
)
def test_a_digest_that_could_never_go_out_is_refused(values: dict[str, str], words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        DigestSchedule.from_mapping(values)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"digest_day": "fri", "digest_hour": "17"},
        {"digest_day": "thu", "digest_hour": "6"},
        {"digest_day": "wed", "digest_hour": "12", "work_start_hour": "8", "work_end_hour": "13"},
    ],
)
def test_every_accepted_schedule_sends_each_week(values: dict[str, str]) -> None:
    """Hourly ticks over three weeks: each accepted schedule is due in every one of them."""
    schedule = DigestSchedule.from_mapping(values)
    zone = ZoneInfo("America/New_York")
    start = datetime(2027, 3, 1, tzinfo=UTC)  # a Monday; the clocks change on 2027-03-14
    weeks = {
        week
        for hour in range(21 * 24)
        if (week := digest_due(start + timedelta(hours=hour), zone, schedule)) is not None
    }
    assert weeks == {"2027-W09", "2027-W10", "2027-W11"}

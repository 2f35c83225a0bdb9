"""When scheduled messages are due: the weekly digest's moment, and people's working hours.

Everything here takes an aware `now` and a zone by name, so daylight-saving changes move
nothing: "Monday 09:00 in America/New_York" stays 09:00 local on both sides of a change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class WorkingHours:
    start_hour: int = 9
    end_hour: int = 18
    weekend_off: bool = True

    def contains(self, local: datetime) -> bool:
        if self.weekend_off and local.isoweekday() >= 6:
            return False
        return self.start_hour <= local.hour < self.end_hour


@dataclass(frozen=True)
class DigestSchedule:
    weekday: int = 1  # ISO weekday: 1 is Monday
    hour: int = 9
    hours: WorkingHours = WorkingHours()

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> DigestSchedule:
        """From workspace settings text: digest_day (mon..fri), digest_hour (0-23),
        work_start_hour and work_end_hour. Raises ValueError with a one-line reason.

        A digest waits for its reader's working hours (Monday to Friday), and the week's
        digest must reach them within that week; so its moment must fall on a working day,
        before the working day ends. A Saturday digest, or Friday at 19:00, would never go out.
        """
        raw_day = values.get("digest_day", "mon")
        day_text = raw_day.strip().lower()
        if day_text in WEEKDAY_NAMES:
            day_text = day_text[:3]
        if day_text not in WEEKDAYS:
            raise ValueError(
                f"digest_day must be one of {', '.join(WEEKDAYS[:5])}, got {raw_day.strip()!r}"
            )
        weekday = WEEKDAYS.index(day_text) + 1
        hour = _hour(values, "digest_hour", 9)
        start = _hour(values, "work_start_hour", 9)
        end = _hour(values, "work_end_hour", 18, maximum=24)
        if start >= end:
            raise ValueError("work_start_hour must be before work_end_hour")
        hours = WorkingHours(start, end)
        if hours.weekend_off and weekday >= 6:
            day_name = WEEKDAY_NAMES[weekday - 1].title()
            raise ValueError(
                f"digest_day must be a working day, {', '.join(WEEKDAYS[:5])}: digests wait for "
                f"working hours, so a {day_name} digest would never go out"
            )
        if hour >= end:
            raise ValueError(
                f"digest_hour must be before work_end_hour ({end}), got {hour}: digests wait for "
                "working hours"
            )
        return cls(weekday, hour, hours)


def _hour(values: Mapping[str, str], key: str, default: int, maximum: int = 23) -> int:
    raw = values.get(key)
    if raw is None:
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= maximum:
        raise ValueError(f"{key} must be a whole hour from 0 to {maximum}, got {raw!r}")
    return int(text)


def iso_week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_due(now: datetime, zone: ZoneInfo, schedule: DigestSchedule) -> str | None:
    """The ISO week (e.g. "2026-W49") whose digest is due to someone in `zone` at `now`, or
    None. Due once their local time has passed the configured day and hour of the week, and
    only within their working hours (what comes due outside them waits for the next working
    hour of the same week)."""
    local = now.astimezone(zone)
    year, week, _ = local.isocalendar()
    moment = datetime.combine(
        date.fromisocalendar(year, week, schedule.weekday), time(schedule.hour), tzinfo=zone
    )
    if local < moment or not schedule.hours.contains(local):
        return None
    return f"{year}-W{week:02d}"


DEFAULT_DAILY_CAP = 3


def daily_cap(values: Mapping[str, str]) -> int:
    """Bot messages a person gets in a day at most, digests excluded (`daily_message_cap`)."""
    raw = values.get("daily_message_cap")
    if raw is None:
        return DEFAULT_DAILY_CAP
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 50:
        raise ValueError(f"daily_message_cap must be a whole number from 1 to 50, got {raw!r}")
    return int(text)


def local_midnight(now: datetime, zone: ZoneInfo) -> datetime:
    """The start of `now`'s day where the person is."""
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone)


def workspace_zone(values: Mapping[str, str], default: ZoneInfo) -> ZoneInfo:
    """The workspace's `timezone` setting (a zone name), else `default` (TIMEZONE): the zone of
    its channels, its calendar days, and of people whose Slack profile has none."""
    name = (values.get("timezone") or "").strip()
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"timezone must be a zone name such as Europe/Paris or America/New_York, got {name!r}"
        ) from None

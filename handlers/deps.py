"""What every listener needs from the assembly: the database, the workspace zone, a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from storage.db import Database


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    db: Database
    default_zone: ZoneInfo
    now: Callable[[], datetime] = field(default=_utcnow)

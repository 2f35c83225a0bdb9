"""What every listener needs from the assembly: the database, the workspace zone, a clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from storage.db import Database

MEMORY_TTL_SECONDS = 3600.0
MEMORY_MAX_USERS = 50_000


class ZoneMemory:
    """Zones read in this process, kept an hour: opening a modal or saving a debrief reads no
    database row for a rep seen recently. The database stays the cache shared by processes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._zones: dict[tuple[str, str], tuple[float, ZoneInfo]] = {}

    def get(self, team_id: str, user_id: str) -> ZoneInfo | None:
        entry = self._zones.get((team_id, user_id))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, team_id: str, user_id: str, zone: ZoneInfo) -> None:
        with self._lock:
            if len(self._zones) >= MEMORY_MAX_USERS:
                self._zones.clear()
            self._zones[(team_id, user_id)] = (time.monotonic() + MEMORY_TTL_SECONDS, zone)

    def clear(self) -> None:
        with self._lock:
            self._zones.clear()


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    db: Database
    default_zone: ZoneInfo
    now: Callable[[], datetime] = field(default=_utcnow)
    zones: ZoneMemory = field(default_factory=ZoneMemory)

"""What every listener needs from the assembly: the database, the workspace zone, a clock."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from storage.db import Database

MEMORY_TTL_SECONDS = 3600.0
MEMORY_MAX_USERS = 50_000


class ZoneMemory:
    """Zones and Slack locales read in this process, kept an hour: opening a modal or saving a
    debrief reads no database row for a rep seen recently. The database stays the cache shared
    by processes. A locale of "" means Slack gave none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._zones: dict[tuple[str, str], tuple[float, ZoneInfo]] = {}
        self._locales: dict[tuple[str, str], tuple[float, str]] = {}

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

    def locale(self, team_id: str, user_id: str) -> str | None:
        entry = self._locales.get((team_id, user_id))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put_locale(self, team_id: str, user_id: str, locale: str) -> None:
        with self._lock:
            if len(self._locales) >= MEMORY_MAX_USERS:
                self._locales.clear()
            self._locales[(team_id, user_id)] = (time.monotonic() + MEMORY_TTL_SECONDS, locale)


class Coalescer:
    """Runs background work on one thread, the latest request per key, after a short delay.

    Refreshing someone's Home tab after each debrief costs queries and a Web API call; a rep
    who records three debriefs in a minute needs one refresh, and none of it belongs on the
    threads that acknowledge Slack's requests. Requests for the same key within `delay`
    seconds collapse into one.
    """

    def __init__(self, delay: float = 0.5) -> None:
        self.delay = delay
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending: dict[Hashable, Callable[[], None]] = {}
        self._thread: threading.Thread | None = None
        self._busy = False

    def submit(self, key: Hashable, action: Callable[[], None]) -> None:
        with self._lock:
            self._pending[key] = action
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="coalescer", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.delay)
            with self._lock:
                self._wake.clear()
                actions, self._pending = list(self._pending.values()), {}
                self._busy = True
            for action in actions:
                try:
                    action()
                except Exception:
                    logging.getLogger(__name__).exception("background work failed")
            with self._lock:
                self._busy = False

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until nothing is pending or running (for an orderly stop); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._pending and not self._busy:
                    return True
            time.sleep(0.05)
        return False


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    db: Database
    default_zone: ZoneInfo
    now: Callable[[], datetime] = field(default=_utcnow)
    zones: ZoneMemory = field(default_factory=ZoneMemory)
    background: Coalescer = field(default_factory=Coalescer)

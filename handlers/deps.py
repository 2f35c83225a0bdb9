"""What every listener needs from the assembly: the database, the workspace zone, a clock."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from coaching.access import Person
from storage.db import Database

MEMORY_TTL_SECONDS = 3600.0
MEMORY_MAX_USERS = 50_000
# How long a process trusts the workspace settings it read: `settings set` (run by an operator,
# in a process of its own) reaches every running process within this time.
SETTINGS_TTL_SECONDS = 10.0
MEMORY_MAX_WORKSPACES = 10_000


@dataclass(frozen=True)
class Known:
    """What this process knows of a Slack user: any part may be missing. `locale` is "" when
    Slack gave none."""

    zone: ZoneInfo | None = None
    person: Person | None = None
    locale: str | None = None


class UserMemory:
    """Users seen in this process, kept an hour: their zone and locale (opening a modal or saving
    a debrief reads no database row for a rep seen recently) and who they are (whether they may
    write into the pipeline). The database stays the cache shared by processes
    (storage/users.py)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[tuple[str, str], tuple[float, Known]] = {}

    def get(self, team_id: str, user_id: str) -> Known:
        entry = self._users.get((team_id, user_id))
        if entry is None or entry[0] < time.monotonic():
            return Known()
        return entry[1]

    def put(
        self,
        team_id: str,
        user_id: str,
        *,
        zone: ZoneInfo | None = None,
        person: Person | None = None,
        locale: str | None = None,
    ) -> None:
        """Remember the parts given, keeping the others."""
        with self._lock:
            if len(self._users) >= MEMORY_MAX_USERS:
                self._users.clear()
            known = self.get(team_id, user_id)
            known = Known(
                zone or known.zone,
                person or known.person,
                known.locale if locale is None else locale,
            )
            self._users[(team_id, user_id)] = (time.monotonic() + MEMORY_TTL_SECONDS, known)


class WorkspaceMemory:
    """Each workspace's settings as this process last read them, for SETTINGS_TTL_SECONDS.

    Nearly every request needs them before it is acknowledged (the framework's questions, the
    language), and they change only when an operator runs `settings set`: reading them once
    in a while instead of once per request spares each request a database round trip (and,
    on SQLite, a turn at the write lock)."""

    def __init__(self, ttl: float = SETTINGS_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._settings: dict[str, tuple[float, Mapping[str, str]]] = {}

    def get(self, team_id: str) -> Mapping[str, str] | None:
        entry = self._settings.get(team_id)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, team_id: str, settings: Mapping[str, str]) -> None:
        if len(self._settings) >= MEMORY_MAX_WORKSPACES:
            self._settings.clear()
        self._settings[team_id] = (time.monotonic() + self.ttl, dict(settings))

    def forget(self) -> None:
        """Read every workspace's settings again (a test that changes them mid-way)."""
        self._settings.clear()


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
    users: UserMemory = field(default_factory=UserMemory)
    workspaces: WorkspaceMemory = field(default_factory=WorkspaceMemory)
    background: Coalescer = field(default_factory=Coalescer)
    # Days an uninstalled workspace's data is kept before the clock deletes it.
    data_retention_days: int = 30

"""What every scheduled job shares: its report, and reading a workspace's settings safely."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

# Bot messages that count towards a person's daily cap (the weekly digest does not).
CAPPED_KINDS = (
    "debrief-reminder",
    "session-debrief",
    "nudge-skipped",
    "ask-update",
    "post-mortem-request",
    "coaching-request",
)


@dataclass
class JobReport:
    """What one run did, counted by outcome; printed by `jobs run`."""

    outcomes: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: str, count: int = 1) -> None:
        self.outcomes[outcome] += count

    def summary(self) -> str:
        order = ["sent", "not_due", "skipped", "failed", "unknown"]
        order += sorted(k for k in self.outcomes if k not in order)
        return ", ".join(f"{name} {self.outcomes.get(name, 0)}" for name in order)


def setting(
    parse: Callable[[dict[str, str]], T], values: dict[str, str], default: T, team_id: str
) -> T:
    """A workspace setting parsed by its domain rule; a bad stored value falls back to the
    default with an error in the log, so one typo does not stop every job."""
    try:
        return parse(values)
    except ValueError as error:
        log.error(
            "bad workspace setting; using the default", extra={"team": team_id, "error": str(error)}
        )
        return default

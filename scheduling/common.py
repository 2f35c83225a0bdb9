"""What every scheduled job shares: its report, running it workspace by workspace, and
reading a workspace's settings safely."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.orm import Session

from coaching.schedule import workspace_zone
from handlers.clients import Clients, as_clients
from handlers.outbox import Outcome, message_payload
from handlers.views.debrief_messages import Rendered
from storage.db import Database
from storage.outbox import enqueue
from storage.workspace_settings import read_settings

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from handlers.deps import Deps

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


WorkspaceJob = Callable[["Deps", "WebClient", str, datetime, "JobReport"], None]


def each_workspace(
    deps: Deps,
    clients: WebClient | Clients,
    as_of: datetime,
    workspaces: Callable[[Session], list[str]],
    job: WorkspaceJob,
) -> JobReport:
    """Run `job` for every workspace `workspaces` lists, into one report, each with its own
    client (handlers/clients.py) and its own zone (its `timezone` setting, else TIMEZONE,
    as `deps.default_zone`). A workspace that is not installed is skipped; one whose
    run fails (a revoked token, a rate limit that outlasted the retries, a bug) is logged and
    counted, and the next workspace runs all the same."""
    report = JobReport()
    serving = as_clients(clients)
    with deps.db.session() as session:
        team_ids = workspaces(session)
    for team_id in team_ids:
        try:
            client = serving.client_for(team_id)
            if client is None:
                report.add("not_installed")
                continue
            job(_in_workspace_zone(deps, team_id), client, team_id, as_of, report)
        except Exception:
            log.exception("job failed for a workspace", extra={"team": team_id})
            report.add("workspace_failed")
    return report


def _in_workspace_zone(deps: Deps, team_id: str) -> Deps:
    with deps.db.session() as session:
        values = read_settings(session, team_id)
    zone = setting(
        partial(workspace_zone, default=deps.default_zone), values, deps.default_zone, team_id
    )
    return deps if zone == deps.default_zone else replace(deps, default_zone=zone)


def queue(
    db: Database,
    *,
    keys: list[str],
    team_id: str,
    kind: str,
    recipient: str,
    channel: str,
    render: Callable[[list[str]], Rendered],
    now: datetime,
) -> Outcome:
    """Write a due message to the outbox for the workers: QUEUED, or SKIPPED when its keys
    were written before (sent, being sent, or waiting). Several keys make one message (a
    reminder is once per deal and next step); only those not written before are rendered."""
    with db.session() as session:
        taken = enqueue(
            session,
            keys=keys,
            team_id=team_id,
            kind=kind,
            recipient=recipient,
            channel=channel,
            render=lambda claimed: message_payload(render(claimed)),
            now=now,
        )
    return Outcome.QUEUED if taken else Outcome.SKIPPED

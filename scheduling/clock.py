"""The clock: APScheduler holding only fixed ticks; what is due lives in the database.

APScheduler's own FAQ warns that schedulers sharing a persistent job store run jobs twice or
miss them, so each process keeps its ticks in memory and exactly-once comes from the outbox.
Ticks fall on the quarter hour, coalesce when several were missed, and are still run up to six
hours late (the default grace of one second would silently drop a late tick).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient

from handlers.clients import Clients
from handlers.deps import Deps
from scheduling.common import JobReport
from scheduling.digest import run_weekly_digest
from scheduling.nudges import run_coaching_nudges
from scheduling.reminders import run_debrief_reminders
from scheduling.retention import run_data_retention
from scheduling.sessions import run_coaching_sessions
from scheduling.worker import Worker
from storage.db import DatabaseError

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 6 * 3600


@dataclass(frozen=True)
class JobSpec:
    name: str
    description: str
    run: Callable[[Deps, WebClient | Clients, datetime], JobReport]
    every: str  # cron minute field, in UTC
    hour: str = "*"  # cron hour field, in UTC

    def trigger(self) -> CronTrigger:
        return CronTrigger(minute=self.every, hour=self.hour, timezone=UTC)


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            "weekly-digest",
            "each manager's weekly DM of stalled deals, once due in their time zone",
            run_weekly_digest,
            "*/15",
        ),
        JobSpec(
            "coaching-nudges",
            "each team channel's weekly nudge on the team's most common gap",
            run_coaching_nudges,
            "*/15",
        ),
        JobSpec(
            "debrief-reminders",
            "a DM to reps whose agreed next step has passed, within their working hours",
            run_debrief_reminders,
            "*/15",
        ),
        JobSpec(
            "coaching-sessions",
            "reminders 15 minutes before a coaching session, and a prompt to debrief it",
            run_coaching_sessions,
            "*",
        ),
        JobSpec(
            "data-retention",
            "deletes the data of workspaces uninstalled DATA_RETENTION_DAYS ago",
            run_data_retention,
            "30",
            "3",
        ),
    )
}


# A tick that finds the database gone waits and tries again (about two minutes in all), so a
# database restart costs a late tick, not a lost one; after that the next tick catches up.
DATABASE_WAITS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


def tick(
    spec: JobSpec,
    deps: Deps,
    clients: WebClient | Clients,
    wake: Callable[[], None] | None = None,
    waits: tuple[float, ...] = DATABASE_WAITS,
) -> None:
    """One scheduled run; an error is logged and the next tick tries again. `wake` tells an
    outbox worker in this process that there is something to send."""
    for pause in (*waits, None):
        try:
            report = spec.run(deps, clients, deps.now())
        except DatabaseError as error:
            if pause is None:
                log.exception("job failed: database unavailable", extra={"job": spec.name})
                return
            log.warning(
                "database unavailable; the job waits and tries again",
                extra={"job": spec.name, "seconds": pause, "error": str(error).splitlines()[0]},
            )
            time.sleep(pause)
            continue
        except Exception:
            log.exception("job failed", extra={"job": spec.name})
            return
        log.info("job ran", extra={"job": spec.name, "result": report.summary()})
        if wake is not None and report.outcomes.get("queued"):
            wake()
        return


def run_and_send(
    spec: JobSpec, deps: Deps, clients: WebClient | Clients, as_of: datetime
) -> JobReport:
    """`jobs run`: the job as if the clock read `as_of`, then every due message in the outbox
    sent in this process (and any unsettled one settled), on that same clock, each workspace
    with its own client."""
    report = spec.run(deps, clients, as_of)
    worker = Worker(deps, clients)
    try:
        report.outcomes.update(worker.drain(as_of).outcomes)
    finally:
        worker.close()
    return report


def build_scheduler(
    deps: Deps,
    clients: WebClient | Clients,
    *,
    blocking: bool,
    wake: Callable[[], None] | None = None,
) -> BaseScheduler:
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone=UTC) if blocking else BackgroundScheduler(timezone=UTC)
    )
    for spec in JOBS.values():
        scheduler.add_job(
            tick,
            spec.trigger(),
            args=[spec, deps, clients, wake],
            id=spec.name,
            name=spec.description,
            replace_existing=True,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC),  # catch up at start, then on the quarter hour
        )
    return scheduler


def next_runs(now: datetime) -> list[tuple[str, str, datetime | None]]:
    """Each job with its next run after `now`, as a clock started now would have it."""
    return [
        (spec.name, spec.description, spec.trigger().get_next_fire_time(None, now))
        for spec in JOBS.values()
    ]

"""Digest fan-out: 1,000 managers, three clocks at once, a Web API that answers 429.

A fake Slack Web API on loopback enforces one message per second per channel (429 with
Retry-After) and also answers 429 to the first `--throttled` postMessage calls. Three threads
run the weekly digest job at the same moment against one database, each then draining the
outbox, as three clock processes (each with its worker inside) would. The benchmark prints
how long the fan-out took and checks that every manager got exactly one digest: delivered
once, none twice.

    PYTHONPATH=. .venv/bin/python bench/fanout.py [--managers 1000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from bench.scratch import fresh_postgres, fresh_sqlite, postgres_url
from bot.app import web_client
from bot.settings import load_settings
from handlers.deps import Deps
from sandbox.webapi import SlackStandIn
from scheduling.common import JobReport
from scheduling.digest import run_weekly_digest
from scheduling.worker import Worker
from storage.db import Database
from storage.debriefs import refresh_summary
from storage.models import Deal, Debrief, OutboxMessage, Team, TeamManager, TeamMember

TEAM_ID = "T1"
AS_OF = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def seed(db: Database, managers: int) -> None:
    """One team per manager, two reps each, three stalled deals per rep."""
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        conn.execute(
            insert(Team),
            [
                {
                    "id": m + 1,
                    "team_id": TEAM_ID,
                    "name": f"Team {m}",
                    "created_at": now,
                    "updated_at": now,
                }
                for m in range(managers)
            ],
        )
        conn.execute(
            insert(TeamManager),
            [{"team_pk": m + 1, "team_id": TEAM_ID, "user_id": f"UM{m}"} for m in range(managers)],
        )
        conn.execute(
            insert(TeamMember),
            [
                {"team_pk": m + 1, "team_id": TEAM_ID, "user_id": f"UR{m}x{r}"}
                for m in range(managers)
                for r in range(2)
            ],
        )
        deals, debriefs = [], []
        for m in range(managers):
            for r in range(2):
                for d in range(3):
                    deal_id = len(deals) + 1
                    deals.append(
                        {
                            "id": deal_id,
                            "team_id": TEAM_ID,
                            "name": f"Deal {deal_id}",
                            "name_key": f"deal {deal_id}",
                            "owner_user_id": f"UR{m}x{r}",
                            "status": "open",
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                    debriefs.append(
                        {
                            "team_id": TEAM_ID,
                            "deal_id": deal_id,
                            "rep_user_id": f"UR{m}x{r}",
                            "call_date": date(2026, 11, 1) + timedelta(days=d),
                            "timeline_qualified": d != 0,
                            "authority_reached": d != 1,
                            "source": "modal",
                            "delivery_key": f"seed:{deal_id}",
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
        conn.execute(insert(Deal), deals)
        conn.execute(insert(Debrief), debriefs)
    with db.session() as session:
        for deal_id in range(1, len(deals) + 1):
            refresh_summary(session, deal_id)


def run(db: Database, fake: SlackStandIn, clocks: int, as_of: datetime) -> list[JobReport]:
    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": fake.url, "DATABASE_URL": db.url}
    )
    reports: list[JobReport] = []
    lock = threading.Lock()

    def clock() -> None:
        deps = Deps(db=db, default_zone=ZoneInfo("UTC"), now=lambda: as_of)
        client = web_client(settings, patient=True)
        report = run_weekly_digest(deps, client, as_of)
        # As a `clock` with its worker inside: the job writes the digests to the outbox, the
        # worker sends them. Uploads go unpaced here: Slack's Tier 2 would spread a thousand
        # charts over 50 minutes, and the digests are what is measured.
        worker = Worker(deps, client, upload_gap=0.0)
        try:
            report.outcomes.update(worker.drain(as_of).outcomes)
        finally:
            worker.close()
        with lock:
            reports.append(report)

    threads = [threading.Thread(target=clock) for _ in range(clocks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    return reports


def measure(backend: str, db: Database, managers: int, throttled: int) -> bool:
    seed(db, managers)
    with SlackStandIn() as fake:
        fake.rate_limit_per_channel(1.0)
        fake.fail_next("chat.postMessage", status=429, times=throttled, retry_after=1)
        started = time.perf_counter()
        reports = run(db, fake, clocks=3, as_of=AS_OF)
        first_tick = time.perf_counter() - started
        first = len(fake.calls_to("chat.postMessage"))
        # The next quarter-hour tick retries what Slack refused past the client's retries.
        reports += run(db, fake, clocks=3, as_of=AS_OF + timedelta(minutes=15))
        elapsed = time.perf_counter() - started
        posted = Counter(c.params["channel"] for c in fake.calls_to("chat.postMessage"))
        refused = len(
            [c for c in fake.calls_to("chat.postMessage", include_failed=True) if c.failed]
        )
    with db.session() as session:
        rows = session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        statuses = {str(row[0]): int(row[1]) for row in rows}
    once = len(posted) == managers and set(posted.values()) == {1}
    totals: Counter[str] = Counter()
    for report in reports:
        totals.update(report.outcomes)
    print(
        f"{backend:<11}{managers:>9}{len(posted):>10}{max(posted.values(), default=0):>9}"
        f"{refused:>10}{first:>10}{first_tick:>9.1f}{elapsed:>9.1f}   outbox {statuses}"
        f"   clocks {dict(totals)}"
    )
    return once


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--managers", type=int, default=1000)
    parser.add_argument("--throttled", type=int, default=20, help="429s before any send succeeds")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=postgres_url("fanout"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    print(
        f"cpus {os.cpu_count()}, load {os.getloadavg()[0]:.2f}; 3 clocks at once, "
        f"1 message/s/channel, first {args.throttled} postMessage calls answered 429"
    )
    print(
        f"{'backend':<11}{'managers':>9}{'delivered':>10}{'max/mgr':>9}{'429s':>10}{'seconds':>10}"
    )
    ok = True
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            db = (
                fresh_sqlite(Path(tmp))
                if backend == "sqlite"
                else fresh_postgres(args.postgres_url)
            )
            ok = measure(backend, db, args.managers, args.throttled) and ok
            db.dispose()
    print("every manager got exactly one digest" if ok else "MISSED: a digest lost or doubled")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

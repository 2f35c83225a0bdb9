"""App Home for a manager of 50 reps with 10,000 open deals: our own time to build it.

Seeds a scratch database (bench/seed.py: 10,000 open deals, 10 debriefs each, 200 per rep, so
50 reps) on SQLite and PostgreSQL, makes one team of those reps with one manager, and times
what `publish_home` does before its Web API call: `load_home` (every query) and `home_view`
(building and validating the blocks). Target: under 300 ms. Also times a rep's own Home, and
counts SQL statements (they must not grow with the number of deals).

    PYTHONPATH=. .venv/bin/python bench/home.py [--deals 10000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, select

from bench.scratch import fresh_postgres, fresh_sqlite, postgres_url
from bench.seed import MAIN_TEAM, TODAY, Spec, seed
from handlers.deps import Deps
from handlers.home_tab import load_home
from handlers.views.home import home_view
from storage.db import Database
from storage.models import Deal
from storage.teams import set_team

TARGET_MS = 300.0
RUNS = 7


def measure(db: Database, user: str) -> tuple[list[float], int, int]:
    now = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC).replace(hour=15)
    deps = Deps(db=db, default_zone=ZoneInfo("UTC"), now=lambda: now)
    statements: list[str] = []

    def count(*_args: Any) -> None:
        statements.append("x")

    times, blocks = [], 0
    for _ in range(RUNS):
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        view = home_view(load_home(deps, MAIN_TEAM, user))
        times.append((time.perf_counter() - started) * 1000)
        event.remove(db.engine, "before_cursor_execute", count)
        blocks = len(view["blocks"])
    return times, len(statements), blocks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=postgres_url("home"))
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)
    print(
        f"cpus {os.cpu_count()}, load {os.getloadavg()[0]:.2f}; {args.deals:,} open deals, "
        f"10 debriefs each, 200 per rep; best and median of {RUNS} runs"
    )
    print(
        f"{'backend':<11}{'home of':<10}{'best ms':>9}{'median ms':>11}{'statements':>12}"
        f"{'blocks':>8}"
    )
    ok = True
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            db = (
                fresh_sqlite(Path(tmp))
                if backend == "sqlite"
                else fresh_postgres(args.postgres_url)
            )
            seed(db, Spec(open_deals=args.deals, deals_per_rep=200))
            with db.session() as session:
                reps = sorted(
                    set(
                        session.scalars(select(Deal.owner_user_id).where(Deal.team_id == MAIN_TEAM))
                    )
                )
                set_team(session, MAIN_TEAM, "Everyone", ["U_MANAGER"], reps, None)
            for label, user in (("manager", "U_MANAGER"), ("rep", reps[0])):
                times, statements, blocks = measure(db, user)
                best, middle = min(times), statistics.median(times)
                print(
                    f"{backend:<11}{label:<10}{best:>9.1f}{middle:>11.1f}{statements:>12}"
                    f"{blocks:>8}"
                )
                if label == "manager":
                    ok = ok and middle < TARGET_MS
            db.dispose()
    verdict = "MET" if ok else "MISSED"
    print(
        f"target: a manager's Home of {len(reps)} reps built in under {TARGET_MS:.0f} ms "
        f"(median): {verdict}"
    )
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())

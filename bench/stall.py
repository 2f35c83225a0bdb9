"""Stall detection over a whole workspace: the snapshot query, the rules, and how they scale.

For each backend (a fresh SQLite file; PostgreSQL with schema ``public`` dropped and recreated,
then migrated) and each size N, bench/seed.py writes N open deals of workspace ``T1`` with 10
debriefs each (calls over the last six months before a fixed today, 2026-11-30: some deals
quiet, some with an overdue next step, some fine; timeline and authority answered yes, no or
not at all; a rep per 100 deals), 2% more deals of T1 that are won or lost, and 200 deals of a
second workspace ``T2`` named like T1's. The deals' debrief summary (count, first and last
call, latest debrief) comes from migration 0002's BACKFILL and is checked on 50 deals against
a direct query over their debriefs. Seeding is timed, but is not what this measures.

What is measured, three times for each N (reported as best of 3 and median):

- query: ``with db.session() as s: open_deal_snapshots(s, "T1")`` (session, SQL, row objects);
- rules: ``find_stalled(snapshots, today)``;
- total: both, as the weekly digest and ``/stalled`` run them.

The SQL statements of each run are counted with a ``before_cursor_execute`` listener on
``db.engine``. The query must return exactly T1's N open deals (not T2's, not closed ones), and
both backends must flag the same deals for the same N (they hold the same data).

Targets: 100,000 deals under 2 s in total (best of 3); each 10x step in deals at most 11x the
total time (best of 3; scaling no worse than linear, with 10% for noise); the same number of
statements at every size. Also printed: the scaling of each part, and the time CPython's
garbage collector took during the runs (``gc.callbacks``), which is included in the times.

Run (prints a table; exits 0, or 1 with ``--strict`` when a target is missed)::

    PYTHONPATH=. .venv/bin/python bench/stall.py
    PYTHONPATH=. .venv/bin/python bench/stall.py --backends sqlite --sizes 1000,10000

The default run (both backends, 1,000 to 100,000 deals) takes under a minute on 2 cores, most
of it seeding. Timings are wall-clock in one process, so anything else running on the machine
skews them: the load average is printed before and after. PostgreSQL runs in a scratch database
of its own (``dealcoach_bench_stall``, created when missing), never the test suite's nor another
benchmark's; its schema is dropped at each size.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from bench.scratch import fresh_postgres, fresh_sqlite, postgres_url
from bench.seed import MAIN_TEAM, TODAY, Seeded, Spec, seed, verify
from coaching.stalls import find_stalled
from storage.db import Database
from storage.snapshots import open_deal_snapshots, paused_gc

RUNS = 3
DEBRIEFS_PER_DEAL = 10
TOTAL_TARGET_DEALS = 100_000
TOTAL_TARGET_MS = 2_000.0
STEP_SLACK = 1.1  # a 10x step in deals may take at most 11x the time
VERIFY_SAMPLE = 50


# --------------------------------------------------------------------------- shared


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def server_version(db: Database) -> str:
    with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            return "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar())
        return "SQLite " + str(conn.execute(text("SELECT sqlite_version()")).scalar())


def open_database(backend: str, directory: Path, name: str, postgres_url: str) -> Database:
    """A fresh, migrated, empty scratch database."""
    if backend == "sqlite":
        return fresh_sqlite(directory, name)
    return fresh_postgres(postgres_url)


def discard(db: Database, directory: Path, name: str) -> None:
    """Close the database; a SQLite file (and its WAL) is deleted, it can be large."""
    db.dispose()
    if db.dialect == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            (directory / f"{name}{suffix}").unlink(missing_ok=True)


def say(line: str) -> None:
    print(line, flush=True)


# --------------------------------------------------------------------------- part 1: stalls


@dataclass
class StallResult:
    backend: str
    deals: int  # T1's open deals
    debriefs: int  # theirs
    seeded: Seeded
    query_ms: list[float] = field(default_factory=list)
    rules_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)  # per run
    gc_ms: list[float] = field(default_factory=list)  # per run: time in CPython's collector
    gc_query_ms: list[float] = field(default_factory=list)  # per run: of which in the query
    gc_full: list[int] = field(default_factory=list)  # per run: full (generation 2) collections
    sql: list[str] = field(default_factory=list)  # the statements of the last run
    snapshots: int = 0
    stalled: int = 0
    stalled_ids: frozenset[int] = frozenset()
    problems: list[str] = field(default_factory=list)

    @property
    def without_gc(self) -> list[float]:
        """Each run's total less the time the garbage collector took in it."""
        return [total - gc_ms for total, gc_ms in zip(self.total_ms, self.gc_ms, strict=True)]

    @staticmethod
    def best(values: list[float]) -> float:
        return min(values)

    @staticmethod
    def median(values: list[float]) -> float:
        return statistics.median(values)


class GcWatch:
    """Counts CPython's garbage collections (``gc.callbacks``) and the time they take."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        if info["generation"] == 2:
            self.full += 1


def measure_stalls(db: Database, result: StallResult, runs: int) -> None:
    """Time the snapshot query and the rules ``runs`` times, counting the SQL of each run."""
    executed: list[str] = []

    def count(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        executed.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(runs):
            gc.collect()  # each run starts from the same heap, not the last run's garbage
            executed.clear()
            watch = GcWatch()
            gc.callbacks.append(watch)
            started = time.perf_counter()
            with paused_gc():  # as the digest job runs them (scheduling.digest.workspace_stalls)
                with db.session() as session:
                    snapshots = open_deal_snapshots(session, MAIN_TEAM)
                queried = time.perf_counter()
                gc_in_query = watch.seconds
                stalled = find_stalled(snapshots, TODAY)
                finished = time.perf_counter()
            gc.callbacks.remove(watch)
            result.query_ms.append((queried - started) * 1000)
            result.rules_ms.append((finished - queried) * 1000)
            result.total_ms.append((finished - started) * 1000)
            result.statements.append(len(executed))
            result.gc_ms.append(watch.seconds * 1000)
            result.gc_query_ms.append(gc_in_query * 1000)
            result.gc_full.append(watch.full)
            result.sql = list(executed)
            result.snapshots = len(snapshots)
            result.stalled = len(stalled)
            result.stalled_ids = frozenset(s.deal.deal_id for s in stalled)
            snapshot_ids = {s.deal_id for s in snapshots}
            del snapshots, stalled
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    if result.snapshots != result.deals:
        result.problems.append(f"{result.snapshots} snapshots for {result.deals} open deals")
    if snapshot_ids != set(result.seeded.main_open_ids):
        result.problems.append("the snapshots are not exactly T1's open deals")
    if len(set(result.statements)) != 1:
        result.problems.append(f"statements differ between runs: {result.statements}")


def stall_case(backend: str, size: int, args: argparse.Namespace, directory: Path) -> StallResult:
    name = f"stall-{size}.db"
    db = open_database(backend, directory, name, args.postgres_url)
    try:
        spec = Spec(open_deals=size, debriefs_per_deal=DEBRIEFS_PER_DEAL)
        seeded = seed(db, spec, progress=lambda line: say(f"  {backend:<11}{size:>8,}: {line}"))
        result = StallResult(backend, size, size * DEBRIEFS_PER_DEAL, seeded)
        result.problems.extend(verify(db, seeded, VERIFY_SAMPLE))
        say(
            f"  {backend:<11}{size:>8,}: seeded in {seeded.seconds:.1f} s, summary of "
            f"{VERIFY_SAMPLE} deals {'verified' if not result.problems else 'WRONG'}"
        )
        measure_stalls(db, result, args.runs)
        return result
    finally:
        discard(db, directory, name)


def abridged(statement: str) -> str:
    """One line; a long select list is shown as its number of columns."""
    flat = " ".join(statement.split())
    head, found, rest = flat.partition(" FROM ")
    if found and head.startswith("SELECT ") and len(head) > 60:
        flat = f"SELECT <{head.count(',') + 1} columns> FROM {rest}"
    return flat if len(flat) <= 200 else flat[:197] + "..."


def _cell(values: list[float]) -> str:
    return f"{StallResult.best(values):8.1f} /{StallResult.median(values):8.1f}"


def print_stall_table(results: list[StallResult]) -> None:
    header = (
        f"{'backend':<11}{'deals':>8}{'debriefs':>10}{'seed s':>8}"
        f"{'query ms':>19}{'rules ms':>19}{'total ms':>19}{'stmts':>7}{'stalled':>9}"
    )
    print(f"{'':<37}{'(each ms column: best of 3 / median)':^57}".rstrip())
    print(header)
    print("-" * len(header))
    for r in results:
        statements = "/".join(str(n) for n in sorted(set(r.statements)))
        print(
            f"{r.backend:<11}{r.deals:>8,}{r.debriefs:>10,}{r.seeded.seconds:>8.1f}"
            f"  {_cell(r.query_ms)}  {_cell(r.rules_ms)}  {_cell(r.total_ms)}"
            f"{statements:>7}{r.stalled:>9,}"
        )


def report_stalls(results: list[StallResult], backends: list[str]) -> bool:
    """Print the scaling, the checks and the targets; True when every target is met."""
    met = True
    print("\nscaling (best of 3; limit = 1.1 x the step in deals)")
    steps: list[tuple[str, StallResult, StallResult]] = []
    for backend in backends:
        mine = sorted((r for r in results if r.backend == backend), key=lambda r: r.deals)
        for small, large in pairwise(mine):
            steps.append((backend, small, large))
            ratio = min(large.total_ms) / min(small.total_ms)
            print(
                f"  {backend:<11}total({large.deals:,})/total({small.deals:,}) = {ratio:5.2f}x"
                f"   query {min(large.query_ms) / min(small.query_ms):5.2f}x,"
                f" rules {min(large.rules_ms) / min(small.rules_ms):5.2f}x;"
                f" total less GC time {min(large.without_gc) / min(small.without_gc):5.2f}x"
            )
    top = max((r.deals for r in results), default=0)
    for r in (r for r in results if r.deals == top):
        query, total = min(r.query_ms), min(r.total_ms)
        print(
            f"  {r.backend:<11}at {r.deals:,} deals the query is {query / total:4.0%} of the "
            f"total, the rules {min(r.rules_ms) / total:4.0%}"
        )

    print("\nCPython's garbage collector during a run (median run; included in the times above)")
    for r in results:
        gc_ms, total = statistics.median(r.gc_ms), statistics.median(r.total_ms)
        in_query = statistics.median(r.gc_query_ms)
        print(
            f"  {r.backend:<11}{r.deals:>8,}: {statistics.median(r.gc_full):3.0f} full "
            f"collections, {gc_ms:6.1f} ms ({gc_ms / total:4.0%} of the total; "
            f"{in_query:.1f} ms in the query, {gc_ms - in_query:.1f} ms in the rules)"
        )

    print("\nSQL of one snapshot+rules run (largest size)")
    for backend in backends:
        mine = [r for r in results if r.backend == backend]
        if mine:
            for statement in max(mine, key=lambda r: r.deals).sql:
                print(f"  {backend:<11}{abridged(statement)}")

    # Checks on the data: not targets, but a figure over wrong data means nothing.
    problems = [f"{r.backend} {r.deals:,}: {p}" for r in results for p in r.problems]
    for size in sorted({r.deals for r in results}):
        flagged = {r.backend: r.stalled_ids for r in results if r.deals == size}
        if len(set(flagged.values())) > 1:
            per_backend = ", ".join(f"{b} {len(ids):,}" for b, ids in flagged.items())
            problems.append(f"{size:,}: the backends flag different deals ({per_backend})")
    print(f"\ndata checks: {'ok' if not problems else f'{len(problems)} FAILED'}")
    for problem in problems[:20]:
        print(f"  {problem}")
    met = met and not problems

    print("\ntargets")
    checked = False
    for backend in backends:
        mine = [r for r in results if r.backend == backend]
        if not mine:
            continue
        checked = True
        target = [r for r in mine if r.deals == TOTAL_TARGET_DEALS]
        if target:
            best, median = min(target[0].total_ms), statistics.median(target[0].total_ms)
            ok = best < TOTAL_TARGET_MS
            met = met and ok
            print(
                f"  {backend:<11}{TOTAL_TARGET_DEALS:,} deals total {best:7.1f} ms "
                f"(median {median:.1f}) < {TOTAL_TARGET_MS:.0f} ms: {'MET' if ok else 'MISSED'}"
            )
        else:
            met = False
            print(f"  {backend:<11}{TOTAL_TARGET_DEALS:,} deals: not measured")
        mine_steps = [(small, large) for b, small, large in steps if b == backend]
        if not mine_steps:
            met = False
            print(f"  {backend:<11}scaling: not measured (one size only)")
        for small, large in mine_steps:
            limit = STEP_SLACK * large.deals / small.deals
            ratio = min(large.total_ms) / min(small.total_ms)
            ok = ratio <= limit
            met = met and ok
            print(
                f"  {backend:<11}{small.deals:,} -> {large.deals:,} deals: {ratio:5.2f}x "
                f"<= {limit:.1f}x: {'MET' if ok else 'MISSED'}"
            )
        counts = sorted({n for r in mine for n in r.statements})
        ok = len(counts) == 1
        met = met and ok
        shown = "/".join(str(n) for n in counts)
        print(f"  {backend:<11}statements at every size: {shown}: {'MET' if ok else 'MISSED'}")
    if not checked:
        print("  not measured (no backend ran)")
    return met and checked


def stall_part(args: argparse.Namespace, directory: Path) -> bool:
    """Part 1: seed, measure, print; True when every target is met."""
    say(
        f"{DEBRIEFS_PER_DEAL} debriefs per deal, today {TODAY}, "
        f"{args.runs} runs per size; T1 also holds 2% won/lost deals, T2 200 deals"
    )
    results: list[StallResult] = []
    measured: list[str] = []
    for backend in args.backends:
        try:
            db = open_database(backend, directory, "probe.db", args.postgres_url)
            say(f"{backend}: {server_version(db)}")
            discard(db, directory, "probe.db")
        except Exception as exc:  # e.g. PostgreSQL not running: say so, measure the rest
            say(f"{backend}: skipped ({type(exc).__name__}: {str(exc).splitlines()[0]})")
            continue
        measured.append(backend)
        for size in args.sizes:
            results.append(stall_case(backend, size, args, directory))
    print()
    print_stall_table(results)
    return report_stalls(results, measured)


# Each part is a function (args, scratch directory) -> every target met; main runs them in
# order. Part 2, "digest fan-out", is to be appended here.
PARTS: list[tuple[str, Callable[[argparse.Namespace, Path], bool]]] = [
    ("stall detection", stall_part),
]


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="open deals of each run, comma-separated (default 1000,10000,100000)",
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=postgres_url("stall"))
    parser.add_argument("--runs", type=int, default=RUNS, help=f"per size (default {RUNS})")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed (or not measured)"
    )
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    try:
        args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes takes whole numbers, e.g. 1000,10000,100000")
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if not args.sizes or args.sizes[0] < 1 or args.runs < 1:
        parser.error("--sizes must be at least 1 deal each, --runs at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"machine: {platform.platform()}, os.cpu_count()={os.cpu_count()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"load average {load_average()}\n",
        flush=True,
    )
    started = time.perf_counter()
    met = True
    with tempfile.TemporaryDirectory(prefix="dealcoach-bench-") as tmp:
        for n, (title, part) in enumerate(PARTS, start=1):
            say(f"{'=' * 20} part {n}: {title}")
            met = part(args, Path(tmp)) and met
            print()
    print(f"(ran in {time.perf_counter() - started:.0f} s; load average now {load_average()})")
    if not met and args.strict:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

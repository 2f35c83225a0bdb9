"""Acknowledgement latency as Slack sees it: from sending a signed request to the HTTP answer.

Our real app, started exactly as operators start it (``python -m bot serve --http
--no-scheduler``, with its JSON request log), and a BARE Bolt app (``bench/bare_app.py``:
``/debrief`` acks then opens a minimal modal; the ``debrief`` submission saves one row in the
same database before it acks and sends one DM after: the least the contract asks) each run in
a process of their own behind the same waitress set-up, against one
SlackStandIn in this process. For each backend (a fresh SQLite file; PostgreSQL with schema
``public`` dropped and recreated, then migrated) and each concurrency, ``--requests`` requests
alternate ``/debrief Acme <i>`` commands with modal submissions (unique view ids, deal
``new:Deal <i>``, so each one inserts a row), sent by that many client threads.

Each request is built and signed before its run starts (Slack's signing is Slack's work, not
the app's), then sent on a new connection as raw bytes; latency is ``time.perf_counter``
around that exchange only. A short warm-up is not measured. The Web API calls the listeners
make after acknowledging (views.open, the DM) are awaited after each run, as a sanity check,
outside the latency but inside the server CPU figure: each app's CPU time (all its threads)
over the run and its follow-up work, divided by the requests, which is what sets how many
requests a core can take.

Why separate processes: a server in the benchmark's own process shares one interpreter lock
with 32 client threads and the fake Slack, and the figures then measure that contention as
much as the app. Slack's side is not in our process in production.

Targets: at 32 clients, our p99 under 300 ms, and our p99 at most 1.25x the bare app's.

Run (prints a table; exits 0, or 1 with ``--strict`` when a target is missed)::

    PYTHONPATH=. .venv/bin/python bench/ack.py
    PYTHONPATH=. .venv/bin/python bench/ack.py --backends sqlite --concurrency 32 \
        --requests 200

The machine's other work skews the figures (two cores are shared by the clients, the fake
Slack, PostgreSQL and the app), so the load average is printed before and after.
PostgreSQL runs in a scratch database of its own (``dealcoach_bench_ack``, created when
missing), never the test suite's, so tests and the benchmark can run at the same time.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from sqlalchemy import text

from bench.scratch import DEFAULT_POSTGRES_URL, fresh_postgres, fresh_sqlite
from bot.server import SERVER_THREADS
from sandbox.payloads import (
    FORM,
    SlackRequests,
    datepicker,
    external_select,
    plain,
    radio,
    sign,
)
from sandbox.webapi import SlackStandIn
from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
TEAM_ID = "T0001"
WARMUP_REQUESTS = 20
P99_TARGET_MS = 300.0
RATIO_TARGET = 1.25
TARGET_CONCURRENCY = 32
DRAIN_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 30.0
START_TIMEOUT_S = 60.0
# The app runs on the real clock: a call yesterday (UTC) is in the past in every zone.
CALL_DATE = datetime.now(UTC).date() - timedelta(days=1)


# --------------------------------------------------------------------------- requests


def form(deal_value: str) -> dict[str, Any]:
    """A valid debrief modal state (as tests/integration/test_debrief_modal.py's ``form``)."""
    return {
        "deal": {"deal": external_select(deal_value, deal_value.split(":", 1)[-1])},
        "call_date": {"call_date": datepicker(CALL_DATE.isoformat())},
        "timeline": {"timeline": radio("no")},
        "authority": {"authority": radio("yes")},
        "next_step": {"next_step": plain("Demo for the CFO")},
        "next_step_date": {"next_step_date": datepicker(day_after(CALL_DATE, 4))},
        "went_well": {"went_well": plain(None)},
        "improve": {"improve": plain(None)},
        "notes": {"notes": plain(None)},
    }


def day_after(day: date, days: int) -> str:
    return (day + timedelta(days=days)).isoformat()


@dataclass
class Sample:
    kind: str  # "command" or "submission"
    ms: float
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Prepared:
    """One request as bytes on the wire, signed when built."""

    kind: str
    raw: bytes


def prepare(slack: SlackRequests, port: int, index: int, tag: str) -> Prepared:
    if index % 2 == 0:
        kind, body = "command", urlencode(slack.command_body("/debrief", f"Acme {index}"))
    else:
        payload = slack.view_submission_payload(
            "debrief", form(f"new:Deal {index}"), view_id=f"V{tag}{index:07d}"
        )
        kind, body = "submission", urlencode({"payload": json.dumps(payload)})
    data = body.encode()
    headers = {
        "Host": f"127.0.0.1:{port}",
        "Content-Type": FORM,
        "Content-Length": str(len(data)),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "Connection": "close",
        **sign(SIGNING_SECRET, body),
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return Prepared(kind, f"POST /slack/events HTTP/1.1\r\n{head}\r\n".encode() + data)


def exchange(port: int, raw: bytes) -> tuple[int, bytes]:
    """Send one request on a new connection; the status and body once the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT_S) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split(b" ", 2)
    return (int(status_line[1]) if len(status_line) > 1 else 0), body


def send_one(target: Target, prepared: Prepared) -> Sample:
    kind = prepared.kind
    started = time.perf_counter()
    try:
        status, body = exchange(target.server.port, prepared.raw)
    except OSError as exc:  # timeout, reset: counted as a failure, no latency recorded
        return Sample(kind, math.nan, False, f"{type(exc).__name__}: {exc}")
    ms = (time.perf_counter() - started) * 1000
    if status != 200:
        return Sample(kind, ms, False, f"HTTP {status}: {body[:160]!r}")
    if target.check_errors and kind == "submission" and b"response_action" in body:
        return Sample(kind, ms, False, f"refused: {body[:160]!r}")
    return Sample(kind, ms, True)


def run_load(target: Target, count: int, concurrency: int, tag: str) -> list[Sample]:
    """``count`` requests from ``concurrency`` threads, each taking the next one in turn."""
    first = target.take(count)
    port = target.server.port
    prepared = [prepare(target.slack, port, first + k, tag) for k in range(count)]
    lock = threading.Lock()
    cursor = [0]
    samples: list[Sample] = []

    def worker() -> None:
        mine: list[Sample] = []
        while True:
            with lock:
                k = cursor[0]
                if k >= count:
                    break
                cursor[0] += 1
            mine.append(send_one(target, prepared[k]))
        with lock:
            samples.extend(mine)

    threads = [
        threading.Thread(target=worker, name=f"client-{n}", daemon=True) for n in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    limit = time.monotonic() + count * REQUEST_TIMEOUT_S + 30
    for thread in threads:
        thread.join(timeout=max(0.0, limit - time.monotonic()))
    return samples


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    """An app in a process of its own, serving HTTP on ``port``."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    log: IO[bytes]

    def cpu_seconds(self) -> float:
        """User plus system CPU of every thread so far (Linux's /proc; NaN elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 15) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Server:
    """Start ``argv --port N`` and wait until it accepts connections."""
    port = free_port()
    log_path = logs / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [*argv, "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    server = Server(name, process, port, log_path, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    tail = server.log_tail()
    server.close()
    raise RuntimeError(f"{name} did not start:\n{tail}")


def child_env(fake: SlackStandIn, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.url,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **settings,
    )
    return env


@dataclass
class Target:
    """One served app: ours or bare."""

    name: str
    server: Server
    slack: SlackRequests
    check_errors: bool  # ours: a submission answered with response_action=errors is a failure
    next_index: int = 0  # request numbers never repeat, so view ids and deal names are unique

    def take(self, count: int) -> int:
        start = self.next_index
        self.next_index += count
        return start


def _target(name: str, server: Server, fake: SlackStandIn, check_errors: bool) -> Target:
    url = f"http://127.0.0.1:{server.port}/slack/events"
    slack = SlackRequests(url, SIGNING_SECRET, team_id=TEAM_ID, response_url_base=fake.hooks_url)
    return Target(name, server, slack, check_errors)


def ours(db_url: str, fake: SlackStandIn, logs: Path) -> Target:
    """Our app as operators run it, without the scheduler (a clock process's job)."""
    env = child_env(fake, DATABASE_URL=db_url, TIMEZONE="UTC")
    argv = [sys.executable, "-m", "bot", "serve", "--http", "--no-scheduler"]
    return _target("ours", start_server("ours", argv, env, logs), fake, True)


def bare(db_url: str, fake: SlackStandIn, logs: Path) -> Target:
    argv = [sys.executable, "-m", "bench.bare_app"]
    env = child_env(fake, DATABASE_URL=db_url)
    return _target("bare", start_server("bare", argv, env, logs), fake, False)


# --------------------------------------------------------------------------- databases


def server_version(db: Database) -> str:
    with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            return str(conn.execute(text("SHOW server_version")).scalar())
        return str(conn.execute(text("SELECT sqlite_version()")).scalar())


# --------------------------------------------------------------------------- statistics


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 200 values is the 198th smallest)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Result:
    backend: str
    concurrency: int
    app: str
    samples: list[Sample]
    sent: int
    wall_s: float  # the measured run, from the first request sent to the last answer
    drain_s: float  # then until the listeners' Web API calls had all reached the fake
    cpu_ms: float  # the app's CPU per request over the run and its follow-up work
    sanity: list[str] = field(default_factory=list)

    def latencies(self, kind: str | None = None) -> list[float]:
        return [
            s.ms for s in self.samples if not math.isnan(s.ms) and (kind is None or s.kind == kind)
        ]

    def p(self, fraction: float, kind: str | None = None) -> float:
        return percentile(self.latencies(kind), fraction)

    @property
    def worst(self) -> float:
        return max(self.latencies(), default=math.nan)

    @property
    def failures(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]


# --------------------------------------------------------------------------- one scenario


def drain(fake: SlackStandIn, target: Target, samples: list[Sample]) -> tuple[float, list[str]]:
    """Wait for the Web API calls listeners make after acknowledging; not part of latency."""
    problems: list[str] = []
    expected = {
        "views.open": sum(1 for s in samples if s.ok and s.kind == "command"),
        # both apps confirm each saved submission by DM
        "chat.postMessage": sum(1 for s in samples if s.ok and s.kind == "submission"),
    }
    started = time.perf_counter()
    for method, count in expected.items():
        remaining = max(0.1, DRAIN_TIMEOUT_S - (time.perf_counter() - started))
        try:
            fake.wait_for(method, count=count, timeout=remaining)
        except AssertionError:
            got = len(fake.calls_to(method))
            problems.append(f"{method}: {got}/{count} seen within {DRAIN_TIMEOUT_S:.0f}s")
    failed = [c for c in fake.calls if c.failed]
    if failed:
        problems.append(f"{len(failed)} failed Web API calls, e.g. {failed[0].method}")
    return time.perf_counter() - started, problems


def scenario(
    fake: SlackStandIn, target: Target, backend: str, concurrency: int, requests: int
) -> Result:
    tag = f"{backend[0].upper()}{target.name[0].upper()}{concurrency}x"
    warmup = run_load(target, WARMUP_REQUESTS, min(concurrency, 8), tag + "W")
    drain(fake, target, warmup)  # let its background calls finish; they are not checked
    time.sleep(1.0)  # and the Home refresh that follows a burst of debriefs
    fake.reset()
    cpu_before = target.server.cpu_seconds()
    started = time.perf_counter()
    samples = run_load(target, requests, concurrency, tag)
    wall_s = time.perf_counter() - started
    drain_s, problems = drain(fake, target, samples)
    time.sleep(1.0)
    cpu_ms = (target.server.cpu_seconds() - cpu_before) * 1000 / requests
    fake.reset()
    result = Result(
        backend, concurrency, target.name, samples, requests, wall_s, drain_s, cpu_ms, problems
    )
    if len(samples) != requests:
        result.sanity.append(f"only {len(samples)}/{requests} requests completed")
    if result.failures:
        result.sanity.append(f"server log ends:\n{target.server.log_tail()}")
    return result


# --------------------------------------------------------------------------- report


def fmt(ms: float) -> str:
    return "   n/a" if math.isnan(ms) else f"{ms:6.1f}"


def print_table(results: list[Result]) -> None:
    header = (
        f"{'backend':<11}{'clients':>7}  {'app':<5}{'requests':>9}{'fail':>6}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>8}{'drain ms':>10}{'CPU ms/req':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.backend:<11}{r.concurrency:>7}  {r.app:<5}{len(r.samples):>9}"
            f"{len(r.failures):>6}   {fmt(r.p(0.50))}   {fmt(r.p(0.99))}   {fmt(r.worst)}"
            f"{len(r.samples) / r.wall_s:>8.0f}{r.drain_s * 1000:>10.0f}{r.cpu_ms:>12.2f}"
        )


def find(results: list[Result], backend: str, concurrency: int, app: str) -> Result | None:
    for r in results:
        if (r.backend, r.concurrency, r.app) == (backend, concurrency, app):
            return r
    return None


def report(results: list[Result], backends: list[str], levels: list[int]) -> bool:
    """Print ratios, the per-kind split, failures and the targets; True when all targets met."""
    print("\nours_p99 / bare_p99")
    for backend in backends:
        for level in levels:
            mine, theirs = (
                find(results, backend, level, "ours"),
                find(results, backend, level, "bare"),
            )
            if mine is None or theirs is None:
                continue
            ratio = mine.p(0.99) / theirs.p(0.99)
            print(f"  {backend:<11}{level:>3} clients: {ratio:5.2f}x")

    if any(r.concurrency == TARGET_CONCURRENCY for r in results):
        print(f"\nours at {TARGET_CONCURRENCY} clients, by kind (bare alongside)")
    for backend in backends:
        for app in ("ours", "bare"):
            r = find(results, backend, TARGET_CONCURRENCY, app)
            if r is None:
                continue
            print(
                f"  {backend:<11}{app:<5} commands p50 {fmt(r.p(0.5, 'command'))} "
                f"p99 {fmt(r.p(0.99, 'command'))} ms | submissions p50 "
                f"{fmt(r.p(0.5, 'submission'))} p99 {fmt(r.p(0.99, 'submission'))} ms"
            )

    failures = [(r, s) for r in results for s in r.failures]
    sanity = [(r, line) for r in results for line in r.sanity]
    print(f"\nfailed requests: {len(failures)}")
    for r, s in failures[:20]:
        print(f"  {r.backend}/{r.concurrency}/{r.app} {s.kind}: {s.detail}")
    print(f"sanity (Web API calls after the acks): {'ok' if not sanity else len(sanity)}")
    for r, line in sanity:
        print(f"  {r.backend}/{r.concurrency}/{r.app}: {line}")

    met = True
    print(f"\ntargets at {TARGET_CONCURRENCY} clients")
    checked = False
    for backend in backends:
        mine = find(results, backend, TARGET_CONCURRENCY, "ours")
        theirs = find(results, backend, TARGET_CONCURRENCY, "bare")
        if mine is None or theirs is None:
            continue
        checked = True
        p99, ratio = mine.p(0.99), mine.p(0.99) / theirs.p(0.99)
        ok_abs, ok_ratio = p99 < P99_TARGET_MS, ratio <= RATIO_TARGET
        met = met and ok_abs and ok_ratio and not mine.failures
        print(
            f"  {backend:<11}ours p99 {p99:6.1f} ms < {P99_TARGET_MS:.0f} ms: "
            f"{'MET' if ok_abs else 'MISSED'}; "
            f"ours/bare {ratio:4.2f}x <= {RATIO_TARGET}x: {'MET' if ok_ratio else 'MISSED'}"
        )
    if not checked:
        print(f"  not measured (no run at {TARGET_CONCURRENCY} clients)")
    return met and checked


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=400, help="per scenario (default 400)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed (or not measured)"
    )
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if args.requests < 2 or any(not 1 <= c <= 256 for c in args.concurrency):
        parser.error("--requests must be >= 2 and each concurrency between 1 and 256")
    return args


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    print(
        f"machine: {platform.platform()}, os.cpu_count()={os.cpu_count()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"load average {load_average()}"
    )
    print(
        f"each app in its own process, waitress threads={SERVER_THREADS}, "
        f"{args.requests} requests per scenario "
        f"(half /debrief, half submissions), warm-up {WARMUP_REQUESTS}\n"
    )
    results: list[Result] = []
    measured: list[str] = []
    started = time.perf_counter()
    with SlackStandIn() as fake, tempfile.TemporaryDirectory(prefix="dealcoach-bench-") as tmp:
        for backend in args.backends:
            try:
                db = (
                    fresh_sqlite(Path(tmp))
                    if backend == "sqlite"
                    else fresh_postgres(args.postgres_url)
                )
            except Exception as exc:  # e.g. PostgreSQL not running: say so, measure the rest
                print(f"{backend}: skipped ({type(exc).__name__}: {str(exc).splitlines()[0]})")
                continue
            print(f"{backend}: {server_version(db)}", flush=True)
            db.dispose()
            measured.append(backend)
            targets = [ours(db.url, fake, Path(tmp)), bare(db.url, fake, Path(tmp))]
            try:
                for n, level in enumerate(args.concurrency):
                    # alternate which app goes first, so neither always runs on a warmer machine
                    for target in targets if n % 2 == 0 else targets[::-1]:
                        results.append(scenario(fake, target, backend, level, args.requests))
            finally:
                for target in targets:
                    target.server.close()
    print(
        f"\n(measured in {time.perf_counter() - started:.0f} s; "
        f"load average now {load_average()})\n"
    )
    order = {"ours": 0, "bare": 1}
    results.sort(key=lambda r: (measured.index(r.backend), r.concurrency, order[r.app]))
    print_table(results)
    met = report(results, measured, args.concurrency)
    if not met and args.strict:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

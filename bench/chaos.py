"""Chaos: kill processes at random moments and check that nothing is lost and nothing is sent
twice. PostgreSQL, loopback only, bounded in time.

Runs 2 `web` processes (`serve --http --no-scheduler`; submissions alternate between them),
2 `clock`s (`clock --no-worker --as-of` a Monday 09:30 UTC, so the weekly digest is due
whatever day the bench runs), 2 `worker`s, and the Slack stand-in in a process of its own
(bench/chaos_slack.py: one message per second per channel, random 429 and 500 answers, a slow
mode, and a few chat.postMessage answers lost after posting).

The app serves one workspace per bot token (multi-workspace OAuth is a later issue), so the 10
workspaces are 10 team ids: signed requests carry them, the seeded teams and deals carry them
in the database, and every outbox row carries its own; the stand-in answers every workspace
with one token, as the app's one token would be used for all of them.

While `--submissions` debrief submissions go in (8 client threads; a submission whose answer
is lost, or that was answered "could not save", is submitted again with the same view id, as
a person would press Save again) and the clocks write the week's digest for `--managers`
managers, it SIGKILLs one web, one clock and one worker at random moments and restarts each,
and restarts PostgreSQL once (`pg_ctlcluster --skip-systemctl-redirect VERSION main restart`;
`--no-postgres-restart` leaves it alone). Then it waits for every message to be settled and
reports: submissions acknowledged as saved vs debriefs stored, debriefs stored twice, digests
per manager, messages lost and sent twice (confirmations and digests, read back from the
stand-in by the outbox key each carries in its metadata), the longest wait of a digest, and
the outbox's throughput with 1 worker and with 2.

    PYTHONPATH=. .venv/bin/python bench/chaos.py             # the full run, about 4 minutes
    PYTHONPATH=. .venv/bin/python bench/chaos.py --short     # the test suite's: small, no restart

Exit status 0 when every figure holds (or always with --short, whose figures are not judged).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from sqlalchemy import func, insert, select, text

from bench.scratch import fresh_postgres, postgres_url
from sandbox.payloads import FORM, SlackRequests, datepicker, external_select, plain, radio, sign
from storage.db import Database
from storage.models import Deal, Debrief, OutboxMessage, Team, TeamManager, TeamMember

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "chaos-signing-secret"
BOT_TOKEN = "xoxb-chaos-token"
AS_OF = "2026-11-30T09:30:00+00:00"  # a Monday, within working hours in UTC
START_TIMEOUT = 60.0
CLIENTS = 8
CALL_DATE = datetime.now(UTC).date() - timedelta(days=1)


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    logs: Path
    port: int | None = None
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None
    starts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self.starts += 1
        self.log = (self.logs / f"{self.name}.{self.starts}.log").open("wb")
        argv = [*self.argv, "--port", str(self.port)] if self.port else self.argv
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.log is not None:
            self.log.close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_http(port: int, path: str = "/healthz", timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # answering (a 503 while PostgreSQL restarts is still an answer)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


def start_fake(args: argparse.Namespace, logs: Path) -> tuple[subprocess.Popen[bytes], str]:
    argv = [
        sys.executable,
        "-m",
        "bench.chaos_slack",
        f"--p429={args.p429}",
        f"--p500={args.p500}",
        f"--slow={args.slow}",
        f"--lose={args.lose}",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=(logs / "slack.log").open("wb")
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if not line.startswith("url "):
        raise RuntimeError(f"the Slack stand-in did not start: {line!r}")
    return process, line.split(" ", 1)[1]


def fake_get(api_url: str, path: str) -> Any:
    base = api_url.rsplit("/api/", 1)[0]
    with urllib.request.urlopen(base + path, timeout=30) as answer:
        return json.loads(answer.read())


# --------------------------------------------------------------------------- data


def seed(db: Database, workspaces: int, managers: int) -> list[tuple[str, str]]:
    """Per workspace, managers/workspaces teams of one manager and two reps, each rep with
    two deals that have stalled. Returns (workspace, manager) for every manager."""
    now = datetime.now(UTC)
    per = managers // workspaces
    teams, team_managers, members, deals, debriefs = [], [], [], [], []
    everyone: list[tuple[str, str]] = []
    for w in range(workspaces):
        team_id = f"T{w:02d}CHAOS"
        for m in range(per):
            pk = len(teams) + 1
            manager = f"UM{w:02d}X{m:04d}"
            everyone.append((team_id, manager))
            teams.append(
                {
                    "id": pk,
                    "team_id": team_id,
                    "name": f"Team {m}",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            team_managers.append({"team_pk": pk, "team_id": team_id, "user_id": manager})
            for r in range(2):
                rep = f"UR{w:02d}X{m:04d}R{r}"
                members.append({"team_pk": pk, "team_id": team_id, "user_id": rep})
                for d in range(2):
                    deal_id = len(deals) + 1
                    deals.append(
                        {
                            "id": deal_id,
                            "team_id": team_id,
                            "name": f"Deal {deal_id}",
                            "name_key": f"deal {deal_id}",
                            "owner_user_id": rep,
                            "status": "open",
                            "debrief_count": 1,
                            "first_call": date(2026, 10, 1),
                            "last_call": date(2026, 10, 1),
                            "latest_debrief_id": deal_id,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                    debriefs.append(
                        {
                            "id": deal_id,
                            "team_id": team_id,
                            "deal_id": deal_id,
                            "rep_user_id": rep,
                            "call_date": date(2026, 10, 1),
                            "timeline_qualified": d == 0,
                            "authority_reached": d == 1,
                            "source": "modal",
                            "delivery_key": f"seed:{deal_id}",
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
    with db.engine.begin() as conn:
        for table, rows in (
            (Team, teams),
            (TeamManager, team_managers),
            (TeamMember, members),
            (Deal, deals),
            (Debrief, debriefs),
        ):
            conn.execute(insert(table), rows)
        for table in ("teams", "deals", "debriefs"):
            conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    return everyone


def form(deal: str) -> dict[str, Any]:
    return {
        "deal": {"deal": external_select(f"new:{deal}", deal)},
        "call_date": {"call_date": datepicker(CALL_DATE.isoformat())},
        "timeline": {"timeline": radio("no")},
        "authority": {"authority": radio("yes")},
        "next_step": {"next_step": plain("Demo for the CFO")},
        "next_step_date": {"next_step_date": datepicker((CALL_DATE + timedelta(4)).isoformat())},
        "went_well": {"went_well": plain(None)},
        "improve": {"improve": plain(None)},
        "notes": {"notes": plain(None)},
    }


# --------------------------------------------------------------------------- submissions


@dataclass
class Submissions:
    acked: dict[str, str] = field(default_factory=dict)  # view id -> workspace
    unacked: list[str] = field(default_factory=list)
    retries: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def submit_all(
    webs: list[Proc],
    count: int,
    workspaces: int,
    result: Submissions,
    stop: threading.Event,
    seconds: float,
) -> None:
    """`count` submissions spread evenly over about `seconds`, so that the kills land among
    them."""
    cursor = [0]
    turn = [0]
    begun = time.monotonic()

    def one(n: int) -> None:
        team_id = f"T{n % workspaces:02d}CHAOS"
        rep = f"UR{n % workspaces:02d}X{(n // workspaces) % 50:04d}R{n % 2}"
        slack = SlackRequests("http://127.0.0.1:1", SIGNING_SECRET, team_id=team_id)
        view_id = f"VCHAOS{n:07d}"
        payload = slack.view_submission_payload(
            "debrief", form(f"Chaos deal {n}"), user_id=rep, view_id=view_id
        )
        body = urlencode({"payload": json.dumps(payload)})
        for _attempt in range(60):
            if stop.is_set():
                break
            with result.lock:
                turn[0] += 1
                web = webs[turn[0] % len(webs)]
            headers = {"Content-Type": FORM, **sign(SIGNING_SECRET, body)}
            request = urllib.request.Request(
                f"http://127.0.0.1:{web.port}/slack/events", body.encode(), headers
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    status, text_ = answer.status, answer.read().decode()
            except urllib.error.HTTPError as error:
                status, text_ = error.code, ""
            except OSError:
                status, text_ = 0, ""
            if status == 200 and "response_action" not in text_:
                with result.lock:
                    result.acked[view_id] = team_id
                return
            with result.lock:
                result.retries[
                    "lost answer"
                    if status == 0
                    else f"HTTP {status}"
                    if status != 200
                    else "could not save"
                ] += 1
            time.sleep(0.3 + random.random() * 0.5)
        with result.lock:
            result.unacked.append(view_id)

    def client() -> None:
        while not stop.is_set():
            with result.lock:
                n = cursor[0]
                cursor[0] += 1
            if n >= count:
                return
            time.sleep(max(0.0, begun + n * seconds / count - time.monotonic()))
            one(n)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --------------------------------------------------------------------------- the run


def supervise(procs: list[Proc], events: list[str], started: float, stop: threading.Event) -> None:
    """What a platform does: a process that exits by itself (a web started while PostgreSQL
    was restarting refuses to start) is started again a second later."""
    while not stop.wait(1.0):
        for proc in procs:
            with proc.lock:
                if proc.process is not None and proc.process.poll() is not None:
                    code = proc.process.returncode
                    proc.start()
                    events.append(
                        f"{time.monotonic() - started:6.1f}s  {proc.name} exited ({code}); "
                        "started again"
                    )


def pg_restart(events: list[str], started: float) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    t = time.monotonic() - started
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    events.append(f"{t:6.1f}s  PostgreSQL restarted ({time.monotonic() - started - t:.1f}s)")


def outbox_state(db: Database) -> Counter[str]:
    with db.session() as session:
        rows = session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.kind != "digest-chart")
            .group_by(OutboxMessage.status)
        )
        return Counter({str(s): int(c) for s, c in rows})


def settled(db: Database) -> bool:
    state = outbox_state(db)
    return state["pending"] == 0 and state["sending"] == 0 and state["failed"] == 0


def chaos(args: argparse.Namespace) -> dict[str, Any]:
    logs = Path(tempfile.mkdtemp(prefix="dealcoach-chaos-"))
    db = fresh_postgres(args.postgres_url)
    managers = seed(db, args.workspaces, args.managers)
    fake, api_url = start_fake(args, logs)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        DATABASE_URL=db.url,
        TIMEZONE="UTC",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    py = [sys.executable, "-m", "bot"]
    webs = [
        Proc(f"web{i}", [*py, "serve", "--http", "--no-scheduler"], env, logs, free_port())
        for i in range(2)
    ]
    clocks = [
        Proc(f"clock{i}", [*py, "clock", "--no-worker", "--as-of", AS_OF], env, logs)
        for i in range(2)
    ]
    workers = [Proc(f"worker{i}", [*py, "worker", "--lanes", "8"], env, logs) for i in range(2)]
    everything = [*webs, *clocks, *workers]
    events: list[str] = []
    result = Submissions()
    stop = threading.Event()
    started = time.monotonic()
    try:
        for web in webs:
            web.start()
        for web in webs:
            wait_http(web.port or 0)
        for proc in [*workers, *clocks]:
            proc.start()
        clock_started = time.time()
        events.append(f"{time.monotonic() - started:6.1f}s  all processes up")
        submitter = threading.Thread(
            target=submit_all,
            args=(webs, args.submissions, args.workspaces, result, stop, args.chaos_window),
        )
        submitter.start()
        supervisor = threading.Thread(
            target=supervise, args=(everything, events, started, stop), daemon=True
        )
        supervisor.start()
        # The chaos: one kill of each sort at a random moment, restarted a moment later; and
        # PostgreSQL restarted once.
        rng = random.Random(args.seed)
        plan = [
            (rng.uniform(3, args.chaos_window), "kill", group) for group in (webs, clocks, workers)
        ]
        if args.postgres_restart:
            plan.append((rng.uniform(5, args.chaos_window), "postgres", []))
        for at, what, group in sorted(plan, key=lambda p: p[0]):
            time.sleep(max(0.0, started + at - time.monotonic()))
            if what == "postgres":
                pg_restart(events, started)
                continue
            victim = rng.choice(group)
            with victim.lock:
                victim.kill()
                events.append(f"{time.monotonic() - started:6.1f}s  SIGKILL {victim.name}")
                time.sleep(rng.uniform(1.0, 3.0))
                victim.start()
            events.append(f"{time.monotonic() - started:6.1f}s  restarted {victim.name}")
        submitter.join(timeout=max(1.0, args.deadline - (time.monotonic() - started)))
        stop.set()
        submitter.join(timeout=15)
        events.append(f"{time.monotonic() - started:6.1f}s  submissions done")
        # Wait for every message to be settled (a lost answer takes the 2-minute grace).
        while time.monotonic() - started < args.deadline:
            if settled(db) and len(digest_keys(api_url)) >= len(managers):
                break
            time.sleep(2.0)
        events.append(f"{time.monotonic() - started:6.1f}s  outbox settled: {settled(db)}")
        figures = measure(db, api_url, managers, result, clock_started)
        figures["events"] = events
        figures["outbox"] = dict(outbox_state(db))
        figures["fake"] = fake_get(api_url, "/_chaos/counts")
        # Throughput: the same outbox drained by 1 worker, then by 2 (the clocks stopped).
        stop.set()
        for proc in clocks:
            proc.stop()
        figures["throughput"] = {
            n: throughput(db, workers, n, args.throughput_messages, api_url) for n in (1, 2)
        }
        figures["seconds"] = time.monotonic() - started
        figures["logs"] = str(logs)
        return figures
    finally:
        stop.set()
        for proc in everything:
            proc.stop()
        fake.terminate()
        fake.wait(timeout=10)
        db.dispose()


def digest_keys(api_url: str) -> list[str]:
    return [
        m["key"]
        for m in fake_get(api_url, "/_chaos/messages")
        if (m["key"] or "").startswith("weekly-digest:")
    ]


def measure(
    db: Database,
    api_url: str,
    managers: list[tuple[str, str]],
    result: Submissions,
    clock_started: float,
) -> dict[str, Any]:
    posted = fake_get(api_url, "/_chaos/messages")
    by_key = Counter(m["key"] for m in posted if m["key"])
    with db.session() as session:
        stored = Counter(
            session.scalars(select(Debrief.delivery_key).where(Debrief.delivery_key.like("view:%")))
        )
    acked = set(result.acked)
    expected_confirmations = {
        f"debrief-confirmation:{team}:{view}" for view, team in result.acked.items()
    }
    expected_digests = {f"weekly-digest:{team}:{m}:2026-W49" for team, m in managers}
    expected = expected_confirmations | expected_digests
    digest_ts = [float(m["ts"]) for m in posted if (m["key"] or "").startswith("weekly-digest:")]
    per_manager = Counter(k for k in by_key.elements() if k in expected_digests)
    return {
        "acknowledged": len(acked),
        "unacknowledged": len(result.unacked),
        "stored": sum(stored.values()),
        "stored_acked": len({k.removeprefix("view:") for k in stored} & acked),
        "stored_twice": sum(1 for c in stored.values() if c > 1),
        "retries": dict(result.retries),
        "digests_exactly_once": sum(1 for k in expected_digests if per_manager[k] == 1),
        "managers": len(expected_digests),
        "confirmations_exactly_once": sum(1 for k in expected_confirmations if by_key[k] == 1),
        "lost": sorted(k for k in expected if by_key[k] == 0),
        "twice": sorted(k for k, c in by_key.items() if c > 1),
        "charts": sum(1 for m in posted if m["file"]),
        "longest_digest_wait": max(digest_ts, default=clock_started) - clock_started,
        "median_digest_wait": sorted(digest_ts)[len(digest_ts) // 2] - clock_started
        if digest_ts
        else 0.0,
    }


def throughput(db: Database, workers: list[Proc], n: int, count: int, api_url: str) -> float:
    """Messages a second with `n` workers: they are started and left idle a moment, then
    `count` messages (to as many conversations, across the workspaces) are written at once;
    the clock stops when the last one is recorded as sent."""
    for proc in workers:
        proc.stop()
    fake_get(api_url, "/_chaos/set?p429=0&p500=0&lose=0")
    for proc in workers[:n]:
        proc.start()
    time.sleep(3.0)  # up and polling
    now = datetime.now(UTC)
    started = time.monotonic()
    with db.engine.begin() as conn:
        conn.execute(
            insert(OutboxMessage),
            [
                {
                    "key": f"bench:{n}:{i}",
                    "team_id": f"T{i % 10:02d}CHAOS",
                    "kind": "bench",
                    "recipient": f"UB{n}X{i:05d}",
                    "channel": f"UB{n}X{i:05d}",
                    "status": "pending",
                    "attempts": 0,
                    "claimed_at": now,
                    "payload": json.dumps({"text": f"throughput {i}", "blocks": []}),
                }
                for i in range(count)
            ],
        )
    deadline = started + 120
    while time.monotonic() < deadline:
        with db.session() as session:
            left = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.key.like(f"bench:{n}:%"), OutboxMessage.status != "sent")
            )
        if not left:
            break
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    for proc in workers[:n]:
        proc.stop()
    return count / elapsed


def report(figures: dict[str, Any], args: argparse.Namespace) -> bool:
    print("events:")
    for line in figures["events"]:
        print("  " + line)
    print(f"fake Slack answers: {figures['fake']}")
    print(f"submission retries (by why): {figures['retries']}")
    rows = [
        ("submissions acknowledged as saved", figures["acknowledged"]),
        ("  of them stored", figures["stored_acked"]),
        ("debriefs stored (from the submissions)", figures["stored"]),
        ("debriefs stored twice", figures["stored_twice"]),
        ("submissions never acknowledged", figures["unacknowledged"]),
        (
            "managers with exactly 1 digest",
            f"{figures['digests_exactly_once']} of {figures['managers']}",
        ),
        (
            "confirmations sent exactly once",
            f"{figures['confirmations_exactly_once']} of {figures['acknowledged']}",
        ),
        ("messages lost", len(figures["lost"])),
        ("messages sent twice", len(figures["twice"])),
        ("longest digest wait (s)", f"{figures['longest_digest_wait']:.1f}"),
        ("median digest wait (s)", f"{figures['median_digest_wait']:.1f}"),
        ("charts attached (Tier 2 paced)", figures["charts"]),
        ("throughput, 1 worker (msg/s)", f"{figures['throughput'][1]:.1f}"),
        ("throughput, 2 workers (msg/s)", f"{figures['throughput'][2]:.1f}"),
        ("run time (s)", f"{figures['seconds']:.0f}"),
    ]
    print()
    for name, value in rows:
        print(f"| {name:<42} | {value!s:>12} |")
    if figures["lost"]:
        print("lost, e.g.:", figures["lost"][:5])
    if figures["twice"]:
        print("twice, e.g.:", figures["twice"][:5])
    print(f"outbox at the end (messages): {figures['outbox']}; logs in {figures['logs']}")
    return (
        figures["stored"] == figures["acknowledged"] == figures["stored_acked"]
        and figures["stored_twice"] == 0
        and figures["digests_exactly_once"] == figures["managers"]
        and figures["confirmations_exactly_once"] == figures["acknowledged"]
        and not figures["lost"]
        and not figures["twice"]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--short", action="store_true", help="the test suite's small run")
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--managers", type=int, default=1000)
    parser.add_argument("--workspaces", type=int, default=10)
    parser.add_argument("--p429", type=float, default=0.02)
    parser.add_argument("--p500", type=float, default=0.02)
    parser.add_argument("--slow", type=float, default=0.02)
    parser.add_argument("--lose", type=int, default=5, help="postMessage answers to lose")
    parser.add_argument("--chaos-window", type=float, default=50.0)
    parser.add_argument("--deadline", type=float, default=240.0)
    parser.add_argument("--throughput-messages", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-postgres-restart", dest="postgres_restart", action="store_false")
    parser.add_argument("--postgres-url", default=postgres_url("chaos"))
    args = parser.parse_args(argv)
    if args.short:
        args.submissions, args.managers, args.workspaces = 60, 40, 2
        args.lose, args.chaos_window, args.deadline = 0, 8.0, 60.0
        args.throughput_messages, args.postgres_restart = 40, False
    print(
        f"chaos: {args.submissions} submissions, {args.managers} managers in "
        f"{args.workspaces} workspaces; 2 web, 2 clock, 2 worker; 429 {args.p429:.0%}, "
        f"500 {args.p500:.0%}, answers slowed {args.slow * 1000:.0f} ms, {args.lose} lost; "
        f"PostgreSQL restart: {'yes' if args.postgres_restart else 'no'}",
        flush=True,
    )
    figures = chaos(args)
    ok = report(figures, args)
    print("every figure holds" if ok else "MISSED: a figure does not hold")
    return 0 if ok or args.short else 1


if __name__ == "__main__":
    sys.exit(main())

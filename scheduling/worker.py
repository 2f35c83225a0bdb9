"""The worker: drains the outbox the jobs write, in any number of processes.

Each pass first settles what was left `sending` past the grace period (handlers.outbox.settle),
then takes due messages in small batches (storage.outbox.claim_batch: `FOR UPDATE SKIP LOCKED`
on PostgreSQL, so workers on several machines never take the same row). A batch is split by
workspace and each workspace's messages go out in order on a lane (a thread) of its own; a
workspace already on a lane is left out of the next batch, so a slow or rate-limited workspace
holds up its own lane only. On a lane, messages to one conversation keep about a second apart
(Slack allows about one message per second per channel) and file uploads a few seconds
(Tier 2); a 429's Retry-After is waited out a few times, then the message is put back with
that delay.

Each row is sent with its own workspace's client (handlers/clients.py: SLACK_BOT_TOKEN's, or
the workspace's installation), never another's: a row whose workspace has no client (not
installed, uninstalled, revoked) is put back untouched for a while and counted `not_installed`,
and a stale one of such a workspace stays unsettled until it has a client again.

A lost database is waited for with growing pauses, never a restart: `run` goes on when it is
back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from slack_sdk import WebClient

from handlers.clients import Clients, as_clients
from handlers.deps import Deps
from handlers.outbox import GRACE, IN_FLIGHT, UPLOAD_STARTED, Outcome, send_row, sender, settle
from scheduling.charts import WeekShare, effective_share_chart
from scheduling.common import JobReport
from storage.db import DatabaseError
from storage.outbox import (
    MAX_ATTEMPTS,
    OutboxRow,
    claim_batch,
    lease_stale,
    mark_failed,
    mark_sent,
    note_unsettled,
    release,
    sent_message,
    status_of,
)

log = logging.getLogger(__name__)

BATCH = 10
FILE_BATCH = 2  # uploads go a few seconds apart: take few at a time
SETTLE_EVERY = 10.0  # seconds: a long pass also settles what went stale meanwhile
LANES = 4
CHANNEL_GAP = 1.0  # seconds between two messages to one conversation
UPLOAD_GAP = 3.0  # seconds between two file uploads in one workspace (Tier 2: 20 a minute)
RATE_LIMIT_WAITS = 3
POLL_SECONDS = 1.0
MAX_PAUSE = 30.0
FOLLOW_UP_DELAY = timedelta(seconds=30)
PARENT_WAIT = 15.0  # seconds an upload waits for the message it follows, before putting back
NOT_INSTALLED_DELAY = timedelta(minutes=5)  # a workspace with no client is asked again then
CLIENT_SECONDS = 60.0  # how long a workspace's client is reused before it is asked for again
NOT_INSTALLED = "workspace not installed"  # the note of a row waiting for its workspace


class Pacer:
    """Keeps calls to one conversation (or one workspace's uploads) apart, across lanes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[tuple[str, str], float] = {}

    def wait(self, team_id: str, what: str, gap: float) -> None:
        if gap <= 0:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get((team_id, what), 0.0))
            self._next[(team_id, what)] = start + gap
            if len(self._next) > 100_000:
                self._next = {k: v for k, v in self._next.items() if v > now}
        if start > now:
            time.sleep(start - now)


class Senders:
    """Each workspace's client for sending (`clients.client_for`, wrapped by `sender`: no blind
    retries), kept a minute so a lane does not read the installation for every message, and
    asked again after that (a token rotated, an app uninstalled). None: nothing may be sent
    to that workspace."""

    def __init__(self, clients: Clients, *, rate_limit_waits: int) -> None:
        self.clients = clients
        self.rate_limit_waits = rate_limit_waits
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, WebClient | None]] = {}

    def for_team(self, team_id: str) -> WebClient | None:
        with self._lock:
            cached = self._cache.get(team_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        client = self.clients.client_for(team_id)
        wrapped = (
            sender(client, rate_limit_waits=self.rate_limit_waits) if client is not None else None
        )
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[team_id] = (time.monotonic() + CLIENT_SECONDS, wrapped)
        return wrapped


class Worker:
    def __init__(
        self,
        deps: Deps,
        clients: WebClient | Clients,
        *,
        lanes: int = LANES,
        batch: int = BATCH,
        channel_gap: float = CHANNEL_GAP,
        upload_gap: float = UPLOAD_GAP,
    ) -> None:
        self.deps = deps
        self.senders = Senders(as_clients(clients), rate_limit_waits=RATE_LIMIT_WAITS)
        self.lanes = lanes
        self.batch = batch
        self.channel_gap = channel_gap
        self.upload_gap = upload_gap
        self.pacer = Pacer()
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="outbox-lane")
        self._file_pool = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="upload-lane")
        self._report_lock = threading.Lock()

    # ------------------------------------------------------------------ one pass

    def drain(self, now: datetime | None = None) -> JobReport:
        """Settle the stale, then send everything due at `now` (the job's clock); returns
        what became of each message. Messages and uploads have lanes of their own, so the
        slow pace of uploads (Tier 2) never holds up a message."""
        fixed = now

        def clock() -> datetime:  # a live pass moves on with time; `jobs run` keeps its as-of
            return fixed if fixed is not None else self.deps.now()

        report = JobReport()
        self._settle_stale(clock(), report)
        settled_at = time.monotonic()
        busy: dict[Future[None], tuple[str, bool]] = {}
        while True:
            claimed = 0
            for files, batch in ((False, self.batch), (True, FILE_BATCH)):
                lanes = [team for team, f in busy.values() if f == files]
                if len(lanes) >= self.lanes:
                    continue
                now = clock()
                with self.deps.db.session() as session:
                    rows = claim_batch(
                        session, now=now, limit=batch, files=files, skip_teams=sorted(lanes)
                    )
                claimed += len(rows)
                by_team: dict[str, list[OutboxRow]] = defaultdict(list)
                for row in rows:
                    by_team[row.team_id].append(row)
                for team_id, team_rows in by_team.items():
                    pool = self._file_pool if files else self._pool
                    busy[pool.submit(self._lane, team_rows, now, report)] = (team_id, files)
            if not busy:
                return report
            if time.monotonic() - settled_at > SETTLE_EVERY:  # a long pass settles as it goes
                self._settle_stale(clock(), report)
                settled_at = time.monotonic()
            if not claimed or all(
                sum(1 for _, f in busy.values() if f == files) >= self.lanes
                for files in (False, True)
            ):
                done, _ = wait(list(busy), return_when=FIRST_COMPLETED, timeout=SETTLE_EVERY)
                for future in done:
                    busy.pop(future)
                    future.result()

    def _settle_stale(self, now: datetime, report: JobReport) -> None:
        while True:
            with self.deps.db.session() as session:  # not what this process is sending now
                row = lease_stale(session, now=now, grace=GRACE, busy=IN_FLIGHT)
            if row is None:
                return
            client, missing = self._client_for(row.team_id)
            if client is None:  # settled with its own workspace's client, or not at all
                with self.deps.db.session() as session:
                    note_unsettled(session, row.key, NOT_INSTALLED)
                self._add(report, missing)
                continue
            outcome = settle(self.deps.db, client, row, now)
            self._add(report, f"settled_{outcome.value}")

    def _client_for(self, team_id: str) -> tuple[WebClient | None, str]:
        """The workspace's client; or None and why: `not_installed`, or `workspace_failed`
        (a token refresh that failed, a bug: that workspace waits, the others go on)."""
        try:
            client = self.senders.for_team(team_id)
        except DatabaseError:
            raise
        except Exception:
            log.exception("no client for a workspace", extra={"team": team_id})
            return None, "workspace_failed"
        return client, "not_installed"

    def _add(self, report: JobReport, outcome: str, count: int = 1) -> None:
        with self._report_lock:
            report.add(outcome, count)

    def _lane(self, rows: list[OutboxRow], now: datetime, report: JobReport) -> None:
        """One workspace's rows, in order, with that workspace's client."""
        if not rows:
            return
        client, missing = self._client_for(rows[0].team_id)
        if client is None:
            # Put back untouched (no attempt counted) and looked at again later; never sent
            # with another workspace's token.
            with self.deps.db.session() as session:
                for row in rows:
                    release(session, row.key, now + NOT_INSTALLED_DELAY, NOT_INSTALLED)
            self._add(report, missing, len(rows))
            if missing == "not_installed":
                log.warning(
                    "workspace not installed: its messages wait",
                    extra={"team": rows[0].team_id, "messages": len(rows)},
                )
            return
        for row in rows:
            if self._stop.is_set():  # stopping: what was taken and not started goes back
                with self.deps.db.session() as session:
                    release(session, row.key, None, "worker stopped before sending")
                continue
            try:
                outcome = self._send(client, row, now)
            except DatabaseError:
                # What is left of the lane stays `sending` and is settled after the grace
                # period; the pass stops here, the loop in `run` waits for the database.
                log.exception("database lost while sending", extra={"key": row.key})
                raise
            except Exception:
                log.exception(
                    "send crashed; settled from the history later", extra={"key": row.key}
                )
                outcome = Outcome.UNKNOWN
            label = outcome.value if "file" not in row.payload else f"file_{outcome.value}"
            self._add(report, label)

    def _send(self, client: WebClient, row: OutboxRow, now: datetime) -> Outcome:
        if "file" in row.payload:
            return self._upload(client, row, now)
        self.pacer.wait(row.team_id, row.channel, self.channel_gap)
        return send_row(self.deps.db, client, row, now)

    # ------------------------------------------------------------------ the digest's chart

    def _upload(self, client: WebClient, row: OutboxRow, now: datetime) -> Outcome:
        """The chart in the thread of the message it follows; one attempt, since an upload
        carries no metadata to look for afterwards."""
        after = str(row.payload.get("after") or "")
        db = self.deps.db
        waited = 0.0
        while True:  # the message it follows may be on its way on another lane: wait a little
            with db.session() as session:
                # The status first: under PostgreSQL's read committed, each statement sees the
                # latest commit, and a `sent` mark landing between a read of where the message
                # went (none yet) and one of its status (sent) looked like a message sent to
                # nowhere, and the chart was given up. Its place is written with its status.
                parent = status_of(session, after)
                where = sent_message(session, after)
            if where is not None or parent is None or parent[0] not in ("pending", "sending"):
                break
            if waited >= PARENT_WAIT or self._stop.is_set():
                break
            time.sleep(0.2)
            waited += 0.2
        if where is None:
            # Sent with no place known (settled from a DM's history), or given up on.
            given_up = (
                parent is None
                or parent[0] == "sent"
                or (parent[0] == "failed" and parent[1] >= MAX_ATTEMPTS)
            )
            with db.session() as session:
                if given_up:
                    mark_failed(
                        session, row.key, "the message it follows was not sent", None, final=True
                    )
                else:
                    release(session, row.key, now + FOLLOW_UP_DELAY, "waits for " + after)
            return Outcome.SKIPPED if given_up else Outcome.DEFERRED
        self.pacer.wait(row.team_id, "files", self.upload_gap)
        channel, ts = where
        with db.session() as session:  # from here on it may have left: never tried again
            note_unsettled(session, row.key, UPLOAD_STARTED)
        try:
            chart = row.payload["file"]
            png = effective_share_chart(
                str(chart["team"]),
                [WeekShare(str(w), int(c), int(e)) for w, c, e in chart["weeks"]],
                str(chart.get("drawn_title") or chart["title"]),
                str(chart["y_label"]),
                str(chart["no_calls"]),
            )
            client.files_upload_v2(
                channel=channel,
                thread_ts=ts,
                content=png,
                filename=str(chart["filename"]),
                title=str(chart["title"]),
            )
        except Exception as error:
            log.warning("chart not attached", extra={"key": row.key, "error": repr(error)})
            with db.session() as session:
                mark_failed(session, row.key, repr(error), None, final=True)
            return Outcome.FAILED
        with db.session() as session:
            mark_sent(session, row.key, channel, ts)
        return Outcome.SENT

    # ------------------------------------------------------------------ as a process

    def run(self, stop: threading.Event, poll: float = POLL_SECONDS) -> None:
        """Drain, wait for new work (or `wake`), drain again, until `stop` is set; then what
        was taken and not yet sent is put back for others."""
        self._stop = stop
        pause = 0.5
        while not stop.is_set():
            try:
                report = self.drain()
            except DatabaseError as error:
                log.warning(
                    "database unavailable; worker waits and tries again",
                    extra={"seconds": pause, "error": str(error).splitlines()[0]},
                )
                stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE)
                continue
            except Exception:
                log.exception("worker pass failed")
                stop.wait(pause)
                pause = min(pause * 2, MAX_PAUSE)
                continue
            pause = 0.5
            if report.outcomes:
                log.info("outbox drained", extra={"result": report.summary()})
            self.wake.wait(poll)
            self.wake.clear()

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="outbox-worker", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._file_pool.shutdown(wait=False, cancel_futures=True)

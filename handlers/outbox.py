"""Sending an outbox message exactly once, and settling one whose outcome is unknown.

It lives here, beside handlers/deps.py, because both sides send: a listener confirms a debrief
inside its request, a worker drains what the jobs wrote. A listener may not import
scheduling/ (it does not run jobs) and scheduling/ already imports handlers.deps and
handlers.views, so the one module both may import is one under handlers/ that is not a
listener: it registers nothing with Bolt and only knows the outbox (storage.outbox) and the
Web API.

Every message carries its outbox key in Slack's message metadata. A send whose answer never
came (the process died, the connection dropped after the request left) is not sent again
blind: `settle` reads the conversation since the request for that key, and only a message
that is not there is sent again. Slack's answers that say nothing was posted (an error, a 429)
are retried; a 5xx is checked in the history first, since Slack may have posted before it
failed. slack_sdk's own retries are left out of every send for that reason: its
ConnectionErrorRetryHandler resends after a reset connection without looking.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from handlers.views.debrief_messages import Rendered
from storage.db import Database, DatabaseError
from storage.outbox import (
    HISTORY_REFUSED,
    OutboxRow,
    known_channel,
    mark_all_sent,
    mark_failed,
    mark_sent,
    note_unsettled,
    release,
    resend,
    sent_message,
    status_note,
    take_now,
)

log = logging.getLogger(__name__)

METADATA_EVENT = "dealcoach_delivery"
# A message left `sending` this long is settled from the conversation's history. Longer than
# any request can take (the Web API clients time out after 30 s at most), so the request it
# settles is surely over.
GRACE = timedelta(minutes=2)
HISTORY_MARGIN = timedelta(seconds=60)  # Slack's clock and ours may differ a little
HISTORY_PAGE = 200
HISTORY_PAGES = 5
SERVER_ERROR_WAITS = (1.0, 2.0)
UPLOAD_STARTED = "upload started"  # 5xx: wait, look in the history, then send again


class Outcome(StrEnum):
    SENT = "sent"
    QUEUED = "queued"  # written for a worker to send
    SKIPPED = "skipped"  # sent before, being sent elsewhere, or given up on
    FAILED = "failed"  # not posted; tried again later
    UNKNOWN = "unknown"  # may have been posted: settled from the history, never resent blind
    DEFERRED = "deferred"  # held back before any request (a rate limit); tried again later


class _InFlight:
    """Keys this process is sending right now. A worker in the same process (`serve`, `jobs
    run` beside a test's app) never settles one of them: with a job clock set ahead
    (`--as-of`), a send that has not yet had its answer would look stale."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[str] = set()

    def add(self, key: str) -> None:
        with self._lock:
            self._keys.add(key)

    def discard(self, key: str) -> None:
        with self._lock:
            self._keys.discard(key)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._keys


IN_FLIGHT = _InFlight()


class _SentMarks:
    """Records that messages sent inside requests were posted, many in one transaction.

    A confirmation is sent after each submission's acknowledgement, and marking it `sent` in
    a transaction of its own cost the web process about as much as the send (bench/ack.py).
    Here one thread per database writes the marks that gathered while it wrote the previous
    ones (group commit): alone, a mark is written at once; under load, dozens share a
    commit. Until its mark is written a key stays in flight (IN_FLIGHT), and a mark that
    never is (the process died, the database was away) leaves its row `sending`, settled from
    the conversation's history like any send whose answer was lost: never sent twice.
    """

    IDLE_SECONDS = 5.0  # the thread ends after this long with nothing to write

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Condition()
        self._pending: list[tuple[str, str | None, str | None]] = []
        self._writing = False
        self._thread: threading.Thread | None = None

    def add(self, key: str, channel: str | None, ts: str | None) -> None:
        with self._lock:
            self._pending.append((key, channel, ts))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sent-marks", daemon=True)
                self._thread.start()
            self._lock.notify_all()

    def _run(self) -> None:
        try:
            while self._write_next():
                pass
        finally:
            with self._lock:
                self._thread = None  # the next mark starts another
                self._writing = False
                self._lock.notify_all()

    def _write_next(self) -> bool:
        """Write what is waiting, after waiting a while for some; False when nothing came."""
        with self._lock:
            if not self._pending:
                self._lock.wait(self.IDLE_SECONDS)
            if not self._pending:
                return False
            marks, self._pending = self._pending, []
            self._writing = True
        try:
            with self.db.session() as session:
                mark_all_sent(session, marks)
        except Exception:  # the database away, or worse: those rows are settled later
            log.exception(
                "could not record sends; settled later", extra={"keys": [m[0] for m in marks]}
            )
        finally:
            for key, _channel, _ts in marks:
                IN_FLIGHT.discard(key)
            with self._lock:
                self._writing = False
                self._lock.notify_all()
        return True

    def flush(self, timeout: float) -> bool:
        """Wait until every mark handed over is written (or given up); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending or self._writing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True


_MARKS: weakref.WeakKeyDictionary[Database, _SentMarks] = weakref.WeakKeyDictionary()
_MARKS_LOCK = threading.Lock()


def _marks_for(db: Database) -> _SentMarks:
    with _MARKS_LOCK:
        marks = _MARKS.get(db)
        if marks is None:
            marks = _MARKS[db] = _SentMarks(db)
        return marks


def flush_marks(db: Database, timeout: float = 5.0) -> bool:
    """Write the `sent` marks still waiting (a process about to stop, a test about to look)."""
    with _MARKS_LOCK:
        marks = _MARKS.get(db)
    return True if marks is None else marks.flush(timeout)


class HistoryUnavailable(Exception):
    """Slack would not show the conversation; the message stays unsettled."""


@dataclass(frozen=True)
class Attempt:
    result: str  # sent, refused, limited, server_error, unknown
    channel: str | None = None
    ts: str | None = None
    error: str = ""
    retry_after: float = 1.0


def message_payload(message: Rendered) -> dict[str, Any]:
    return {"text": message.text, "blocks": message.blocks}


def metadata(key: str) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"key": key}}


def sender(client: WebClient, *, rate_limit_waits: int) -> WebClient:
    """`client` without the retries that would send blind: only a 429 is waited out (Slack
    posted nothing), `rate_limit_waits` times."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=rate_limit_waits)]
        if rate_limit_waits
        else [],
    )


def _never_left(error: BaseException) -> bool:
    """True when the request surely never reached Slack: no connection was made."""
    if isinstance(error, URLError) and isinstance(error.reason, BaseException):
        error = error.reason
    return isinstance(error, (ConnectionRefusedError, socket.gaierror))


def post(client: WebClient, row: OutboxRow) -> Attempt:
    """One chat.postMessage with the key in its metadata, and what its answer tells."""
    text = str(row.payload.get("text") or "")
    blocks = row.payload.get("blocks") or None
    try:
        response = client.chat_postMessage(  # slack_sdk leaves out what is None
            channel=row.channel,
            text=text,
            blocks=blocks,
            thread_ts=row.thread_ts,
            metadata=metadata(row.key),
        )
    except SlackApiError as error:
        status = error.response.status_code
        reason = str(error.response.get("error") or f"HTTP {status}")
        if status == 429:
            raw = error.response.headers.get("Retry-After") or error.response.headers.get(
                "retry-after"
            )
            try:
                wait = float(raw[0] if isinstance(raw, list) else raw or 1)
            except ValueError:
                wait = 1.0
            return Attempt("limited", error=reason, retry_after=max(wait, 1.0))
        if status >= 500:
            return Attempt("server_error", error=reason)
        return Attempt("refused", error=reason)
    except Exception as error:
        if _never_left(error):
            return Attempt("refused", error=repr(error))
        return Attempt("unknown", error=repr(error))
    return Attempt("sent", channel=response.get("channel"), ts=response.get("ts"))


def _carries(message: dict[str, Any], key: str) -> bool:
    meta = message.get("metadata")
    if not isinstance(meta, dict) or meta.get("event_type") != METADATA_EVENT:
        return False
    payload = meta.get("event_payload")
    return isinstance(payload, dict) and payload.get("key") == key


def _reader(client: WebClient) -> WebClient:
    """Reading the history changes nothing, so unlike a send it may be retried after a 429
    or a 5xx: a passing hiccup does not leave a message unsettled for another grace period."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def find_posted(client: WebClient, row: OutboxRow, conversation: str) -> str | None:
    """The ts of the message carrying `row.key` in the conversation since the request left,
    or None when it is not there. Raises HistoryUnavailable when that cannot be told."""
    reader = _reader(client)
    oldest = 0.0
    if row.requested_at is not None:
        oldest = (row.requested_at - HISTORY_MARGIN).timestamp()
    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        args: dict[str, Any] = {
            "channel": conversation,
            "oldest": f"{max(oldest, 0):.6f}",
            "include_all_metadata": True,
            "limit": HISTORY_PAGE,
        }
        if cursor:
            args["cursor"] = cursor
        try:
            if row.thread_ts:
                response = reader.conversations_replies(ts=row.thread_ts, **args)
            else:
                response = reader.conversations_history(**args)
        except SlackApiError as error:
            raise HistoryUnavailable(str(error.response.get("error"))) from None
        except Exception as error:
            raise HistoryUnavailable(repr(error)) from None
        for message in response.get("messages") or []:
            if isinstance(message, dict) and _carries(message, row.key):
                return str(message.get("ts"))
        if not response.get("has_more"):
            return None
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            break
    raise HistoryUnavailable("more history since the send than can be read")


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _record(db: Database, row: OutboxRow, action: Callable[..., None], *args: Any) -> None:
    """`action(session, *args)` in a transaction of its own; when the database is gone the
    message stays `sending` and is settled from the history once it is back."""
    try:
        with db.session() as session:
            action(session, *args)
    except DatabaseError:
        log.exception("could not record a send", extra={"key": row.key})


def conversation_of(db: Database, row: OutboxRow) -> str:
    """Where to read the history: a DM's conversation id when a message went there before."""
    if row.channel[:1] not in ("U", "W"):
        return row.channel
    with db.session() as session:
        return known_channel(session, row.team_id, row.channel) or row.channel


def send_row(
    db: Database,
    client: WebClient,
    row: OutboxRow,
    now: datetime,
    *,
    waits: tuple[float, ...] = SERVER_ERROR_WAITS,
    mark_later: bool = False,
) -> Outcome:
    """Post a message this process holds (`sending`) and record what became of it; with
    `mark_later` a `sent` mark is left to _SentMarks, and the key stays in flight until then."""
    IN_FLIGHT.add(row.key)
    marking = False
    try:
        outcome, sent_to = _send_row(db, client, row, now, waits)
        if outcome is Outcome.SENT and sent_to is not None:
            channel, ts = sent_to
            if mark_later:
                _marks_for(db).add(row.key, channel, ts)
                marking = True
            else:
                _record(db, row, mark_sent, row.key, channel, ts)
        return outcome
    finally:
        if not marking:
            IN_FLIGHT.discard(row.key)


def _send_row(
    db: Database, client: WebClient, row: OutboxRow, now: datetime, waits: tuple[float, ...]
) -> tuple[Outcome, tuple[str | None, str | None] | None]:
    """The outcome, and where the message was posted when it was and is not marked yet."""
    for wait in (*waits, None):
        attempt = post(client, row)
        if attempt.result == "sent":
            return Outcome.SENT, (attempt.channel, attempt.ts)
        if attempt.result == "unknown":
            log.warning("send outcome unknown; settled later", extra={"key": row.key})
            _record(db, row, note_unsettled, row.key, attempt.error)
            return Outcome.UNKNOWN, None
        if attempt.result == "limited":
            retry_at = now + timedelta(seconds=attempt.retry_after)
            _record(db, row, release, row.key, retry_at, attempt.error)
            return Outcome.DEFERRED, None
        if attempt.result == "server_error":
            # Slack may have posted before it failed: look before sending again.
            try:
                ts = find_posted(client, row, conversation_of(db, row))
            except (HistoryUnavailable, DatabaseError) as error:
                _record(db, row, note_unsettled, row.key, f"{HISTORY_REFUSED}{error}")
                return Outcome.UNKNOWN, None
            if ts is not None:
                return Outcome.SENT, (None, ts)
            if wait is not None:
                time.sleep(wait)
                _record(db, row, resend, row.id, now)
                continue
        retry_at = now + backoff(row.attempts)
        log.warning(
            "send failed; tried again later", extra={"key": row.key, "error": attempt.error}
        )
        _record(db, row, mark_failed, row.key, attempt.error, retry_at)
        return Outcome.FAILED, None
    raise AssertionError("unreachable")


def settle(db: Database, client: WebClient, row: OutboxRow, now: datetime) -> Outcome:
    """A message left `sending` past the grace period (leased by storage.outbox.lease_stale):
    sent when its key is in the conversation, sent again when it is not, left for an
    operator when Slack will not show the conversation."""
    if "file" in row.payload:
        # An upload is marked just before it starts; one not marked surely never left. One
        # that may have left carries no metadata to look for, so it is never tried again.
        with db.session() as session:
            follows = sent_message(session, str(row.payload.get("after") or ""))
            started = status_note(session, row.key) == UPLOAD_STARTED
        if follows is None or not started:
            _record(db, row, release, row.key, None, "taken, never started")
            return Outcome.DEFERRED
        _record(db, row, partial(mark_failed, final=True), row.key, "upload outcome unknown", None)
        return Outcome.SKIPPED
    try:
        conversation = conversation_of(db, row)
        ts = find_posted(client, row, conversation)
    except HistoryUnavailable as error:
        log.error(
            "cannot settle a send: Slack refused the history; left for an operator",
            extra={"key": row.key, "error": str(error)},
        )
        _record(db, row, note_unsettled, row.key, f"{HISTORY_REFUSED}{error}")
        return Outcome.UNKNOWN
    if ts is not None:
        where = conversation if conversation[:1] not in ("U", "W") else None
        _record(db, row, mark_sent, row.key, where, ts)
        log.info("unknown send settled: it was posted", extra={"key": row.key})
        return Outcome.SENT
    log.info("unknown send settled: not posted, sending again", extra={"key": row.key})
    _record(db, row, resend, row.id, now)
    return send_row(db, client, row, now)


def send_claimed(db: Database, client: WebClient, row: OutboxRow, now: datetime) -> Outcome:
    """Send a message claimed inside a request's own transaction (storage.outbox.take_now),
    after the acknowledgement: one quick wait for a 429 at most; the workers retry the rest.
    Its `sent` mark shares a commit with others' (_SentMarks)."""
    return send_row(db, sender(client, rate_limit_waits=1), row, now, waits=(), mark_later=True)


def deliver(
    db: Database,
    client: WebClient,
    *,
    key: str,
    team_id: str,
    kind: str,
    recipient: str,
    channel: str,
    render: Callable[[], Rendered],
    now: datetime,
    thread_ts: str | None = None,
) -> Outcome:
    """Send one message now, from inside a request (a confirmation, a reply in a thread),
    claimed under `key` first: SKIPPED when the key was sent (or is being sent) already. A
    failure is retried by the workers, an unknown outcome settled by them."""
    payload = message_payload(render())
    with db.session() as session:
        row = take_now(
            session,
            key=key,
            team_id=team_id,
            kind=kind,
            recipient=recipient,
            channel=channel,
            payload=payload,
            now=now,
            thread_ts=thread_ts,
        )
    if row is None:
        return Outcome.SKIPPED
    return send_claimed(db, client, row, now)

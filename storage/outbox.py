"""The delivery outbox: every bot message is a row, claimed by its unique key before it is sent.

Writing a key is `INSERT ... ON CONFLICT DO NOTHING`, so two clocks, two `jobs run` or a
redelivered request cannot both send the same digest. A row keeps the whole message (its
payload), so whoever holds it can send it, and send it again when it surely was not posted:

- `pending`: a job wrote it; a worker takes it (`claim_batch`: one UPDATE whose row choice is
  `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never take the same row; SQLite runs
  the statement under its single write lock).
- `sending`: a process took it and the request may be on its way. When the answer says
  posted, `sent` with the message ts. When the process died, or the answer was lost, the row
  stays here; past a grace period a worker leases it (`lease_stale`) and reads the
  conversation for the key the message carries in its metadata: found, `sent`; not there,
  sent again. Never sent again blind.
- `failed`: Slack or the network refused it before anything was posted (an error answer, a
  429 that outlasted the waits, a refused connection): tried again after `not_before`, at
  most MAX_ATTEMPTS times in all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import OutboxMessage, utcnow
from storage.upsert import insert_ignore

OUTBOX_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]

MAX_ATTEMPTS = 6  # a send Slack keeps refusing (an account deactivated) stops being retried
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
HISTORY_REFUSED = "history: "  # the note of a send Slack would not let us settle


@dataclass(frozen=True)
class OutboxRow:
    """A message a process holds, to send or to settle."""

    id: int
    key: str
    team_id: str
    kind: str
    recipient: str
    channel: str
    thread_ts: str | None
    payload: dict[str, Any]
    attempts: int
    requested_at: datetime | None


def _row(message: Any) -> OutboxRow:
    payload = json.loads(message.payload) if message.payload else {}
    return OutboxRow(
        id=int(message.id),
        key=str(message.key),
        team_id=str(message.team_id),
        kind=str(message.kind),
        recipient=str(message.recipient),
        channel=str(message.channel or message.recipient),
        thread_ts=message.thread_ts,
        payload=payload if isinstance(payload, dict) else {},
        attempts=int(message.attempts),
        requested_at=message.requested_at,
    )


_ROW_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.key,
    OutboxMessage.team_id,
    OutboxMessage.kind,
    OutboxMessage.recipient,
    OutboxMessage.channel,
    OutboxMessage.thread_ts,
    OutboxMessage.payload,
    OutboxMessage.attempts,
    OutboxMessage.requested_at,
)


def _address(
    key: str, team_id: str, kind: str, recipient: str, channel: str, thread_ts: str | None
) -> dict[str, Any]:
    """The columns that say which message a row is and where it goes."""
    return {
        "key": key,
        "team_id": team_id,
        "kind": kind,
        "recipient": recipient,
        "channel": channel,
        "thread_ts": thread_ts,
    }


def _take_key(
    session: Session,
    key: str,
    team_id: str,
    kind: str,
    recipient: str,
    channel: str,
    thread_ts: str | None,
    now: datetime,
) -> bool:
    """A new key as `pending`; False when the key exists (pending, being sent, sent, or
    refused: a refused one is retried by the workers, with the message as it was written)."""
    address = _address(key, team_id, kind, recipient, channel, thread_ts)
    created = insert_ignore(
        session,
        OUTBOX_TABLE,
        {**address, "status": PENDING, "attempts": 0, "claimed_at": now},
        ["key"],
    )
    return created is not None


def enqueue(
    session: Session,
    *,
    keys: Sequence[str],
    team_id: str,
    kind: str,
    recipient: str,
    channel: str,
    render: Callable[[list[str]], dict[str, Any]],
    now: datetime,
    thread_ts: str | None = None,
) -> list[str]:
    """Write one message for a worker to send, covering those of `keys` not written before;
    returns them (empty: nothing to send). The first carries the message; the others name it
    in `part_of` and follow its status (a reminder is once per deal and next step, grouped)."""
    taken = [
        key
        for key in keys
        if _take_key(session, key, team_id, kind, recipient, channel, thread_ts, now)
    ]
    if not taken:
        return []
    lead = taken[0]
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.key == lead)
        .values(payload=json.dumps(render(taken), ensure_ascii=False))
    )
    if len(taken) > 1:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.key.in_(taken[1:])).values(part_of=lead)
        )
    return taken


def take_now(
    session: Session,
    *,
    key: str,
    team_id: str,
    kind: str,
    recipient: str,
    channel: str,
    payload: dict[str, Any],
    now: datetime,
    thread_ts: str | None = None,
) -> OutboxRow | None:
    """Claim a key to send at once (a confirmation inside a request): the row is written as
    `sending`, so a process that dies before recording the answer leaves it to be settled.
    A key Slack refused before is taken again (someone asked again: no need to wait for the
    workers' retry). None when the key is sent, being sent, or waiting for a worker."""
    wall = utcnow()
    serialized = json.dumps(payload, ensure_ascii=False)
    created = insert_ignore(
        session,
        OUTBOX_TABLE,
        {
            **_address(key, team_id, kind, recipient, channel, thread_ts),
            "payload": serialized,
            "status": SENDING,
            "attempts": 1,
            "claimed_at": now,
            "attempted_at": now,
            "requested_at": wall,
        },
        ["key"],
    )
    if created is not None:
        return OutboxRow(
            int(created), key, team_id, kind, recipient, channel, thread_ts, payload, 1, wall
        )
    retried = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.key == key,
            OutboxMessage.status == FAILED,
            OutboxMessage.attempts < MAX_ATTEMPTS,
            OutboxMessage.part_of.is_(None),
        )
        .values(
            status=SENDING,
            attempts=OutboxMessage.attempts + 1,
            payload=serialized,
            attempted_at=now,
            requested_at=wall,
        )
        .returning(OutboxMessage.id, OutboxMessage.attempts)
    ).one_or_none()
    if retried is None:
        return None
    return OutboxRow(
        int(retried[0]),
        key,
        team_id,
        kind,
        recipient,
        channel,
        thread_ts,
        payload,
        int(retried[1]),
        wall,
    )


def _due(now: datetime) -> Any:
    return and_(
        OutboxMessage.part_of.is_(None),
        OutboxMessage.payload.is_not(None),
        or_(
            OutboxMessage.status == PENDING,
            and_(OutboxMessage.status == FAILED, OutboxMessage.attempts < MAX_ATTEMPTS),
        ),
        or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
    )


FILE_KINDS = ("digest-chart",)  # uploads: rate-limited apart from messages (Tier 2)


def claim_batch(
    session: Session,
    *,
    now: datetime,
    limit: int,
    files: bool = False,
    skip_teams: Sequence[str] = (),
) -> list[OutboxRow]:
    """Take up to `limit` due messages (or, with `files`, uploads), oldest first, leaving out
    the workspaces in `skip_teams` (another lane of this worker is busy with them). Commit
    right after."""
    choice = select(OutboxMessage.id).where(
        _due(now),
        OutboxMessage.kind.in_(FILE_KINDS) if files else OutboxMessage.kind.not_in(FILE_KINDS),
    )
    if skip_teams:
        choice = choice.where(OutboxMessage.team_id.not_in(list(skip_teams)))
    choice = choice.order_by(OutboxMessage.id).limit(limit)
    chosen: Any
    if session.get_bind().dialect.name == "postgresql":
        # Locked here, in a statement of its own: inside the UPDATE's WHERE, PostgreSQL may run
        # a LIMITed SKIP LOCKED subquery more than once and take more rows than asked.
        chosen = list(session.scalars(choice.with_for_update(skip_locked=True)))
        if not chosen:
            return []
    else:  # one statement, under SQLite's single write lock
        chosen = choice.scalar_subquery()
    taken = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(chosen), _due(now))
        .values(
            status=SENDING,
            attempts=OutboxMessage.attempts + 1,
            attempted_at=now,
            requested_at=utcnow(),
            last_error=None,
        )
        .returning(*_ROW_COLUMNS)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((_row(message) for message in taken), key=lambda row: row.id)


def lease_stale(
    session: Session, *, now: datetime, grace: timedelta, busy: Container[str] = ()
) -> OutboxRow | None:
    """One message left `sending` for longer than `grace` (its process died, or the answer
    was lost), leased to this process: its `attempted_at` moves to `now`, so no other worker
    settles it meanwhile. Keys in `busy` (this process is sending them) are left alone.
    Commit right after."""
    passed: list[str] = []
    while True:
        stale = select(OutboxMessage.id, OutboxMessage.attempted_at, OutboxMessage.key).where(
            OutboxMessage.status == SENDING,
            OutboxMessage.part_of.is_(None),
            OutboxMessage.attempted_at <= now - grace,
        )
        if passed:
            stale = stale.where(OutboxMessage.key.not_in(passed))
        candidate = session.execute(
            stale.order_by(OutboxMessage.attempted_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).one_or_none()
        if candidate is None:
            return None
        if candidate[2] not in busy:
            break
        passed.append(str(candidate[2]))
    leased = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == candidate[0],
            OutboxMessage.status == SENDING,
            OutboxMessage.attempted_at == candidate[1],
        )
        .values(attempted_at=now)
        .returning(*_ROW_COLUMNS)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    return _row(leased) if leased is not None else None


def resend(session: Session, row_id: int, now: datetime) -> None:
    """A leased message that is not in the conversation: a new attempt starts now."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == SENDING)
        .values(attempts=OutboxMessage.attempts + 1, attempted_at=now, requested_at=utcnow())
    )


@cache
def _mark_sent_statement() -> Any:
    # Built once (the hot path of every confirmation); Core rather than an ORM update, whose
    # per-call preparation costs more than the statement takes to run.
    table = OUTBOX_TABLE
    return (
        table.update()
        .where(or_(table.c.key == bindparam("b_key"), table.c.part_of == bindparam("b_key")))
        .values(
            status=SENT,
            channel_id=bindparam("b_channel", type_=table.c.channel_id.type),
            message_ts=bindparam("b_ts", type_=table.c.message_ts.type),
            sent_at=bindparam("b_sent", type_=table.c.sent_at.type),
            not_before=None,
            last_error=None,
        )
    )


def mark_sent(session: Session, key: str, channel_id: str | None, message_ts: str | None) -> None:
    """Posted: the message and the keys it carries (`part_of` it)."""
    mark_all_sent(session, [(key, channel_id, message_ts)])


def mark_all_sent(session: Session, posted: Sequence[tuple[str, str | None, str | None]]) -> None:
    """Several messages posted, each (key, channel, ts): one statement run for them all."""
    sent_at = utcnow()
    session.connection().execute(
        _mark_sent_statement(),
        [
            {"b_key": key, "b_channel": channel, "b_ts": ts, "b_sent": sent_at}
            for key, channel, ts in posted
        ],
    )


def mark_failed(
    session: Session, key: str, error: str, retry_at: datetime | None, *, final: bool = False
) -> None:
    """Not posted. Tried again from `retry_at` until MAX_ATTEMPTS; `final` gives up now (a
    file whose upload cannot be checked is never sent twice)."""
    values: dict[str, Any] = {"status": FAILED, "last_error": error[:500], "not_before": retry_at}
    if final:
        values["attempts"] = MAX_ATTEMPTS
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.key == key, OutboxMessage.status == SENDING)
        .values(**values)
    )
    given_up = session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.key == key,
            OutboxMessage.status == FAILED,
            OutboxMessage.attempts >= MAX_ATTEMPTS,
        )
    )
    if given_up is not None:  # the keys it carried are free to be sent another time
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.part_of == key)
            .values(status=FAILED, part_of=None, attempts=MAX_ATTEMPTS, last_error=error[:500])
        )


def release(session: Session, key: str, not_before: datetime | None, note: str) -> None:
    """Back to `pending` without counting an attempt: held back before any request left (a
    rate limit, a message it follows not sent yet)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.key == key, OutboxMessage.status == SENDING)
        .values(
            status=PENDING,
            attempts=OutboxMessage.attempts - 1,  # claimed, so at least 1
            not_before=not_before,
            last_error=note[:500],
        )
    )


def note_unsettled(session: Session, key: str, error: str) -> None:
    """Still `sending`, and why: an operator reads it in `python -m bot deliveries`."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.key == key, OutboxMessage.status == SENDING)
        .values(last_error=error[:500])
    )


def status_of(session: Session, key: str) -> tuple[str, int] | None:
    row = session.execute(
        select(OutboxMessage.status, OutboxMessage.attempts).where(OutboxMessage.key == key)
    ).one_or_none()
    return None if row is None else (str(row[0]), int(row[1]))


def status_note(session: Session, key: str) -> str | None:
    """The note a message carries (its last error, or what a process was doing with it)."""
    return session.scalar(select(OutboxMessage.last_error).where(OutboxMessage.key == key))


def known_channel(session: Session, team_id: str, recipient: str) -> str | None:
    """The conversation id a message to `recipient` went to before (a DM's D… id): Slack's
    history is read by conversation, while a DM is posted to the user's id."""
    return session.scalar(
        select(OutboxMessage.channel_id)
        .where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.recipient == recipient,
            OutboxMessage.channel == recipient,
            OutboxMessage.channel_id.is_not(None),
        )
        .limit(1)
    )


def sent_since(
    session: Session, team_id: str, recipient: str, since: datetime, kinds: tuple[str, ...]
) -> int:
    """How many messages of these kinds were sent (or are on their way) to someone since then."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.team_id == team_id,
                OutboxMessage.recipient == recipient,
                OutboxMessage.kind.in_(kinds),
                OutboxMessage.status.in_((SENT, SENDING, PENDING)),
                OutboxMessage.claimed_at >= since,
            )
        )
        or 0
    )


def sent_message(session: Session, key: str) -> tuple[str, str] | None:
    """Where a sent message went: (channel id, ts), for a thread reply or a file beside it."""
    row = session.execute(
        select(OutboxMessage.channel_id, OutboxMessage.message_ts).where(
            OutboxMessage.key == key, OutboxMessage.status == SENT
        )
    ).one_or_none()
    if row is None or row[0] is None or row[1] is None:
        return None
    return str(row[0]), str(row[1])


@dataclass(frozen=True)
class Unsettled:
    key: str
    status: str
    attempts: int
    attempted_at: datetime | None
    last_error: str | None


def delivery_counts(session: Session) -> dict[tuple[str, str], int]:
    """(kind, status) -> messages, for `python -m bot deliveries`."""
    rows = session.execute(
        select(OutboxMessage.kind, OutboxMessage.status, func.count()).group_by(
            OutboxMessage.kind, OutboxMessage.status
        )
    )
    return {(str(kind), str(status)): int(count) for kind, status, count in rows}


def unsettled(
    session: Session, *, now: datetime, grace: timedelta, limit: int = 50
) -> list[Unsettled]:
    """What needs an operator's eye: sends past the grace period still unsettled (Slack
    refused to show the history), and sends given up after MAX_ATTEMPTS."""
    rows = session.execute(
        select(
            OutboxMessage.key,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.attempted_at,
            OutboxMessage.last_error,
        )
        .where(
            or_(
                and_(
                    OutboxMessage.status == SENDING,
                    or_(
                        OutboxMessage.attempted_at <= now - grace,
                        OutboxMessage.last_error.like(f"{HISTORY_REFUSED}%"),
                    ),
                ),
                and_(OutboxMessage.status == FAILED, OutboxMessage.attempts >= MAX_ATTEMPTS),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [Unsettled(str(k), str(s), int(a), at, e) for k, s, a, at, e in rows]

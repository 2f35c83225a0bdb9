"""The delivery outbox: a scheduled message is claimed by its unique key before it is sent.

Claiming is `INSERT ... ON CONFLICT DO NOTHING` in its own committed transaction, so two clocks
or two `jobs run` at once cannot both send the same digest. What happens next:

- Slack answered and we recorded it: `sent`, with the message ts.
- Slack or the network refused it before anything was posted (an error answer, a 429 that
  outlasted the retries, a refused connection): `failed`, and a later tick claims it again.
- The process died, or the answer never came (a read timeout), after the request went out:
  the row stays `sending` and is never sent again. We chose at most once: the contract allows
  at most one digest per manager and week, and a duplicate is worse than a late alert in logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from storage.models import OutboxMessage, utcnow
from storage.upsert import insert_ignore

OUTBOX_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Claim:
    key: str
    attempt: int


MAX_ATTEMPTS = 6  # a send Slack keeps refusing (an account deactivated) stops being retried


def claim(
    session: Session, key: str, team_id: str, kind: str, recipient: str, now: datetime | None = None
) -> Claim | None:
    """Claim a send: a new key, or a failed one to retry. None when someone else has it, it
    was sent (or may have been), or it failed MAX_ATTEMPTS times. Commit right after, before
    sending."""
    now = now or utcnow()
    created = insert_ignore(
        session,
        OUTBOX_TABLE,
        {
            "key": key,
            "team_id": team_id,
            "kind": kind,
            "recipient": recipient,
            "status": "sending",
            "attempts": 1,
            "claimed_at": now,
        },
        ["key"],
    )
    if created is not None:
        return Claim(key, 1)
    retried = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.key == key,
            OutboxMessage.status == "failed",
            OutboxMessage.attempts < MAX_ATTEMPTS,
        )
        .values(status="sending", attempts=OutboxMessage.attempts + 1, claimed_at=now)
        .returning(OutboxMessage.attempts)
    ).scalar()
    return Claim(key, int(retried)) if retried is not None else None


def mark_sent(session: Session, key: str, channel_id: str | None, message_ts: str | None) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.key == key)
        .values(status="sent", channel_id=channel_id, message_ts=message_ts, sent_at=utcnow())
    )


def mark_failed(session: Session, key: str, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.key == key, OutboxMessage.status == "sending")
        .values(status="failed", last_error=error[:500])
    )


def sent_since(
    session: Session, team_id: str, recipient: str, since: datetime, kinds: tuple[str, ...]
) -> int:
    """How many messages of these kinds were sent (or are being sent) to someone since then."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.team_id == team_id,
                OutboxMessage.recipient == recipient,
                OutboxMessage.kind.in_(kinds),
                OutboxMessage.status.in_(("sent", "sending")),
                OutboxMessage.claimed_at >= since,
            )
        )
        or 0
    )


def sent_message(session: Session, key: str) -> tuple[str, str] | None:
    """Where a sent message went: (channel id, ts), for a thread reply or a file beside it."""
    row = session.execute(
        select(OutboxMessage.channel_id, OutboxMessage.message_ts).where(
            OutboxMessage.key == key, OutboxMessage.status == "sent"
        )
    ).one_or_none()
    if row is None or row[0] is None or row[1] is None:
        return None
    return str(row[0]), str(row[1])

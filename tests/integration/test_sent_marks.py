"""Messages sent inside requests are marked `sent` in shared commits (handlers.outbox's
_SentMarks): every mark is written, many share a transaction under load, and a mark that
cannot be written leaves its row `sending`, to be settled from the history, never resent."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

import handlers.outbox
from handlers.outbox import IN_FLIGHT, _SentMarks, flush_marks
from storage.db import Database, DatabaseError
from storage.models import OutboxMessage
from storage.outbox import take_now
from tests.support.engine_events import seen

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def claimed(db: Database, count: int) -> list[str]:
    keys = [f"confirmation:{i}" for i in range(count)]
    with db.session() as session:
        for key in keys:
            take_now(
                session,
                key=key,
                team_id="T1",
                kind="debrief-confirmation",
                recipient="U1",
                channel="U1",
                payload={"text": "Saved", "blocks": []},
                now=NOW,
            )
    return keys


def status_of(db: Database) -> dict[str, str]:
    with db.session() as session:
        rows = session.execute(select(OutboxMessage.key, OutboxMessage.status)).all()
    return {key: status for key, status in rows}


def test_marks_that_gather_share_a_commit(db: Database) -> None:
    keys = claimed(db, 30)
    marks = _SentMarks(db)
    gate = threading.Event()
    real = handlers.outbox.mark_all_sent
    first: list[int] = []

    def slow_first(session: Any, posted: Any) -> None:
        if not first:  # the first commit is slow: the others gather meanwhile
            first.append(len(posted))
            gate.wait(5)
        real(session, posted)

    with pytest.MonkeyPatch.context() as patch, seen(db, "commit") as commits:
        patch.setattr(handlers.outbox, "mark_all_sent", slow_first)
        for key in keys:
            IN_FLIGHT.add(key)
        marks.add(keys[0], "D1", "1.0")
        for n, key in enumerate(keys[1:], start=1):
            marks.add(key, "D1", f"{n}.0")
        gate.set()
        assert marks.flush(10)
    # What was waiting when the thread woke, then everything that came during that commit.
    assert len(commits) <= 2 and 1 <= first[0] <= 30
    assert set(status_of(db).values()) == {"sent"}
    assert not any(key in IN_FLIGHT for key in keys)


def test_a_mark_that_cannot_be_written_leaves_the_row_sending(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = claimed(db, 2)
    marks = _SentMarks(db)

    def refused(_session: Any, _posted: Any) -> None:
        raise DatabaseError("the database is away")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(handlers.outbox, "mark_all_sent", refused)
        IN_FLIGHT.add(first)
        marks.add(first, "D1", "1.0")
        assert marks.flush(10)
    assert status_of(db)[first] == "sending"  # settled from the history later
    assert first not in IN_FLIGHT  # so a worker may settle it
    assert "could not record sends" in caplog.text
    marks.add(second, "D1", "2.0")  # the next mark is written all the same
    assert marks.flush(10)
    assert status_of(db) == {first: "sending", second: "sent"}


def test_flush_with_nothing_handed_over_returns_at_once(db: Database) -> None:
    assert flush_marks(db, timeout=0.1)

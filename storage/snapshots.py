"""The snapshot of every open deal of a workspace, for the stall rules: one SQL statement that
reads one row per deal, whatever the number of deals or debriefs."""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.answers import LEGACY_KEYS, NO_ANSWERS
from coaching.stalls import DealSnapshot
from storage.models import Deal, Debrief, DebriefAnswer


@contextmanager
def paused_gc() -> Iterator[None]:
    """Build a workspace's snapshot and verdicts without the cyclic garbage collector.

    They are some hundred thousand small acyclic objects; with the collector on, a third of the
    time at 100,000 deals went to full collections that freed nothing. Reference counting still
    frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def open_deal_snapshots(
    session: Session,
    team_id: str,
    *,
    statuses: tuple[str, ...] = ("open",),
    owners: Collection[str] | None = None,
    criteria: Collection[str] = (),
) -> list[DealSnapshot]:
    """Each deal (open ones by default; `owners` narrows to some reps) with its debrief count,
    first and last call (kept on the deal by storage.debriefs.refresh_summary) and the answers
    of its latest debrief: timeline and authority always, and the other `criteria` (the
    framework's) with one more statement, only when there are any."""
    query = (
        select(
            Deal.id,
            Deal.name,
            Deal.owner_user_id,
            Deal.status,
            Deal.snoozed_until,
            Deal.debrief_count,
            Deal.first_call,
            Deal.last_call,
            Debrief.timeline_qualified,
            Debrief.authority_reached,
            Debrief.next_step,
            Debrief.next_step_date,
        )
        .join(Debrief, Debrief.id == Deal.latest_debrief_id)
        .where(Deal.team_id == team_id, Deal.status.in_(statuses))
    )
    if owners is not None:
        query = query.where(Deal.owner_user_id.in_(list(owners)))
    others = _latest_answers(session, team_id, statuses, owners, criteria)
    rows = session.execute(query)
    snapshots = []
    for row in rows:
        values: tuple[Any, ...] = (*row, others.get(row[0], NO_ANSWERS))
        snapshots.append(DealSnapshot(*values))
    return snapshots


def _latest_answers(
    session: Session,
    team_id: str,
    statuses: tuple[str, ...],
    owners: Collection[str] | None,
    criteria: Collection[str],
) -> dict[int, dict[str, bool]]:
    """Per deal, its latest debrief's answers to `criteria` other than timeline and authority."""
    keys = [key for key in criteria if key not in LEGACY_KEYS]
    answers: dict[int, dict[str, bool]] = {}
    if not keys:
        return answers
    query = (
        select(Deal.id, DebriefAnswer.criterion, DebriefAnswer.answer)
        .join(DebriefAnswer, DebriefAnswer.debrief_id == Deal.latest_debrief_id)
        .where(
            Deal.team_id == team_id,
            Deal.status.in_(statuses),
            DebriefAnswer.criterion.in_(keys),
        )
    )
    if owners is not None:
        query = query.where(Deal.owner_user_id.in_(list(owners)))
    for deal_id, criterion, value in session.execute(query):
        answers.setdefault(deal_id, {})[criterion] = bool(value)
    return answers


def workspaces_with_open_deals(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(Deal.team_id).where(Deal.status == "open").distinct().order_by(Deal.team_id)
        )
    )

"""SQL aggregates behind the effectiveness figures (definitions live in coaching.metrics)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session

from coaching.answers import AUTHORITY, LEGACY_KEYS, TIMELINE
from storage.models import Deal, Debrief, DebriefAnswer


@cache
def effective_case(criteria: tuple[str, ...] = LEGACY_KEYS) -> Any:
    """1 for an effective call (coaching.metrics.is_effective_call): a yes to one of the
    framework's `criteria`, or a dated next step; else 0."""
    terms: list[Any] = []
    if TIMELINE in criteria:
        terms.append(Debrief.timeline_qualified.is_(True))
    if AUTHORITY in criteria:
        terms.append(Debrief.authority_reached.is_(True))
    terms.append(Debrief.next_step_date.is_not(None))
    others = [key for key in criteria if key not in LEGACY_KEYS]
    if others:
        terms.append(
            exists().where(
                DebriefAnswer.debrief_id == Debrief.id,
                DebriefAnswer.criterion.in_(others),
                DebriefAnswer.answer.is_(True),
            )
        )
    return case((or_(*terms), 1), else_=0)


def daily_calls(
    session: Session,
    team_id: str,
    reps: Collection[str],
    since: date,
    criteria: Sequence[str] = LEGACY_KEYS,
) -> dict[str, list[tuple[date, int, int]]]:
    """Per rep: (call date, calls, effective calls) for each day since `since` with calls,
    effective by the framework's `criteria`. One grouped query; the caller folds days into ISO
    weeks."""
    rows = session.execute(
        select(
            Debrief.rep_user_id,
            Debrief.call_date,
            func.count(),
            func.sum(effective_case(tuple(criteria))),
        )
        .where(
            Debrief.team_id == team_id,
            Debrief.rep_user_id.in_(list(reps)),
            Debrief.call_date >= since,
        )
        .group_by(Debrief.rep_user_id, Debrief.call_date)
    )
    result: dict[str, list[tuple[date, int, int]]] = defaultdict(list)
    for rep, day, calls, effective in rows:
        result[rep].append((day, int(calls), int(effective or 0)))
    return result


def call_dates_by_deal(
    session: Session, team_id: str, owners: Collection[str], since: date
) -> dict[int, list[date]]:
    """The call dates of the open deals of these reps, from `since` on, per deal."""
    rows = session.execute(
        select(Debrief.deal_id, Debrief.call_date)
        .join(Deal, Deal.id == Debrief.deal_id)
        .where(
            Deal.team_id == team_id,
            Deal.status == "open",
            Deal.owner_user_id.in_(list(owners)),
            Debrief.call_date >= since,
        )
    )
    result: dict[int, list[date]] = defaultdict(list)
    for deal_id, day in rows:
        result[deal_id].append(day)
    return result

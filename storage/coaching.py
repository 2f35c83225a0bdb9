"""Queries behind coaching: pauses, team figures for nudges, prompts seen, sessions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from coaching.answers import LEGACY_KEYS
from coaching.nudges import TeamCallStats
from storage.models import (
    CoachingSession,
    Deal,
    Debrief,
    DebriefAnswer,
    SentPrompt,
    TeamMember,
    UserPreference,
    utcnow,
)


def paused_until(session: Session, team_id: str, user_id: str) -> date | None:
    return session.scalar(
        select(UserPreference.paused_until).where(
            UserPreference.team_id == team_id, UserPreference.user_id == user_id
        )
    )


def pauses(session: Session, team_id: str) -> dict[str, date]:
    """Everyone in the workspace who paused reminders, and until when: one query for a job
    that decides person by person, each on their own local date."""
    rows = session.execute(
        select(UserPreference.user_id, UserPreference.paused_until).where(
            UserPreference.team_id == team_id, UserPreference.paused_until.is_not(None)
        )
    )
    return {user: until for user, until in rows if until is not None}


def set_pause(session: Session, team_id: str, user_id: str, until: date | None) -> None:
    preference = session.get(UserPreference, (team_id, user_id))
    if preference is None:
        session.add(UserPreference(team_id=team_id, user_id=user_id, paused_until=until))
    else:
        preference.paused_until = until
        preference.updated_at = utcnow()


def team_call_stats(
    session: Session,
    team_id: str,
    since: date,
    until: date,
    criteria: Collection[str] = LEGACY_KEYS,
) -> dict[int, TeamCallStats]:
    """Per team (by its primary key): its reps' debriefed calls from `since` to `until`
    inclusive, and how many qualified the timeline, reached authority, set a dated next step,
    and said yes to each other criterion of `criteria`. One aggregate query for the whole
    workspace, and one more when the framework has other criteria."""
    rows = session.execute(
        select(
            TeamMember.team_pk,
            func.count(Debrief.id),
            func.sum(case((Debrief.timeline_qualified.is_(True), 1), else_=0)),
            func.sum(case((Debrief.authority_reached.is_(True), 1), else_=0)),
            func.sum(case((Debrief.next_step_date.is_not(None), 1), else_=0)),
        )
        .join(
            Debrief,
            (Debrief.rep_user_id == TeamMember.user_id) & (Debrief.team_id == TeamMember.team_id),
        )
        .where(
            TeamMember.team_id == team_id,
            Debrief.call_date >= since,
            Debrief.call_date <= until,
        )
        .group_by(TeamMember.team_pk)
    )
    stats = {
        int(row[0]): TeamCallStats(
            int(row[1]), int(row[2] or 0), int(row[3] or 0), int(row[4] or 0)
        )
        for row in rows
    }
    others = [key for key in criteria if key not in LEGACY_KEYS]
    if not others or not stats:
        return stats
    counted: dict[int, dict[str, int]] = {}
    for team_pk, criterion, count in session.execute(
        select(TeamMember.team_pk, DebriefAnswer.criterion, func.count())
        .join(
            Debrief,
            (Debrief.rep_user_id == TeamMember.user_id) & (Debrief.team_id == TeamMember.team_id),
        )
        .join(DebriefAnswer, DebriefAnswer.debrief_id == Debrief.id)
        .where(
            TeamMember.team_id == team_id,
            Debrief.call_date >= since,
            Debrief.call_date <= until,
            DebriefAnswer.criterion.in_(others),
            DebriefAnswer.answer.is_(True),
        )
        .group_by(TeamMember.team_pk, DebriefAnswer.criterion)
    ):
        counted.setdefault(int(team_pk), {})[criterion] = int(count)
    return {pk: replace(team, criteria=counted.get(pk, {})) for pk, team in stats.items()}


def prompts_seen(session: Session, team_pk: int, since: date) -> set[str]:
    return set(
        session.scalars(
            select(SentPrompt.prompt_id).where(
                SentPrompt.team_pk == team_pk, SentPrompt.sent_on >= since
            )
        )
    )


def record_prompts(
    session: Session, team_pk: int, prompt_ids: list[str], week: str, sent_on: date
) -> None:
    for prompt_id in prompt_ids:
        if session.get(SentPrompt, (team_pk, prompt_id, week)) is None:
            session.add(
                SentPrompt(team_pk=team_pk, prompt_id=prompt_id, week=week, sent_on=sent_on)
            )


@dataclass(frozen=True)
class SessionInfo:
    id: int
    team_id: str
    deal_id: int
    deal_name: str
    rep_user_id: str
    manager_user_id: str | None
    status: str
    starts_at: datetime | None


def _info(row: tuple[CoachingSession, str]) -> SessionInfo:
    s, name = row
    return SessionInfo(
        s.id, s.team_id, s.deal_id, name, s.rep_user_id, s.manager_user_id, s.status, s.starts_at
    )


def request_session(
    session: Session, team_id: str, debrief_id: int, deal_id: int, rep_user_id: str
) -> int:
    """One request per debrief: asking again on a corrected debrief keeps the first."""
    existing = session.scalar(
        select(CoachingSession.id).where(CoachingSession.debrief_id == debrief_id)
    )
    if existing is not None:
        return int(existing)
    row = CoachingSession(
        team_id=team_id,
        debrief_id=debrief_id,
        deal_id=deal_id,
        rep_user_id=rep_user_id,
        status="requested",
    )
    session.add(row)
    session.flush()
    return row.id


def get_session(session: Session, team_id: str, session_id: int) -> SessionInfo | None:
    row = session.execute(
        select(CoachingSession, Deal.name)
        .join(Deal, Deal.id == CoachingSession.deal_id)
        .where(CoachingSession.team_id == team_id, CoachingSession.id == session_id)
    ).one_or_none()
    return _info((row[0], row[1])) if row is not None else None


def schedule_session(
    session: Session, team_id: str, session_id: int, manager: str, starts_at: datetime
) -> None:
    row = session.get(CoachingSession, session_id)
    if row is not None and row.team_id == team_id:
        row.manager_user_id = manager
        row.starts_at = starts_at
        row.status = "scheduled"
        row.updated_at = utcnow()


def scheduled_between(session: Session, start: datetime, end: datetime) -> list[SessionInfo]:
    """Sessions of every workspace starting in [start, end)."""
    rows = session.execute(
        select(CoachingSession, Deal.name)
        .join(Deal, Deal.id == CoachingSession.deal_id)
        .where(
            CoachingSession.status == "scheduled",
            CoachingSession.starts_at >= start,
            CoachingSession.starts_at < end,
        )
        .order_by(CoachingSession.starts_at)
    )
    return [_info((row[0], row[1])) for row in rows]

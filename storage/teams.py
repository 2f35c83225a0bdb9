"""Teams: who manages whom, and which channel a team's nudges go to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Team, TeamManager, TeamMember, utcnow


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    channel_id: str | None
    managers: tuple[str, ...]
    members: tuple[str, ...]


class MembersElsewhere(Exception):
    """Some reps are in another team; moving them must be asked for explicitly."""

    def __init__(self, elsewhere: dict[str, str]) -> None:
        super().__init__(elsewhere)
        self.elsewhere = elsewhere  # user id -> the team they are in now


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in ids if i.strip()))


def set_team(
    session: Session,
    team_id: str,
    name: str,
    managers: Iterable[str],
    members: Iterable[str],
    channel_id: str | None,
    *,
    move: bool = False,
) -> TeamInfo:
    """Create or replace a team by name. Reps in another team raise MembersElsewhere unless
    `move` is set, in which case they leave it."""
    manager_ids, member_ids = _unique(managers), _unique(members)
    team = session.scalars(
        select(Team).where(Team.team_id == team_id, Team.name == name).with_for_update()
    ).one_or_none()
    elsewhere = {
        row[0]: row[1]
        for row in session.execute(
            select(TeamMember.user_id, Team.name)
            .join(Team, Team.id == TeamMember.team_pk)
            .where(
                TeamMember.team_id == team_id,
                TeamMember.user_id.in_(member_ids),
                Team.name != name,
            )
        )
    }
    if elsewhere and not move:
        raise MembersElsewhere(elsewhere)
    if elsewhere:
        session.execute(
            delete(TeamMember).where(
                TeamMember.team_id == team_id, TeamMember.user_id.in_(list(elsewhere))
            )
        )
    if team is None:
        team = Team(team_id=team_id, name=name, channel_id=channel_id)
        session.add(team)
        session.flush()
    else:
        team.channel_id = channel_id
        team.updated_at = utcnow()
        session.execute(delete(TeamManager).where(TeamManager.team_pk == team.id))
        session.execute(delete(TeamMember).where(TeamMember.team_pk == team.id))
    session.add_all(TeamManager(team_pk=team.id, team_id=team_id, user_id=u) for u in manager_ids)
    session.add_all(TeamMember(team_pk=team.id, team_id=team_id, user_id=u) for u in member_ids)
    session.flush()
    return TeamInfo(team.id, name, channel_id, tuple(manager_ids), tuple(member_ids))


def list_teams(
    session: Session,
    team_id: str | None = None,
    *,
    name: str | None = None,
    managed_by: str | None = None,
) -> list[TeamInfo]:
    """Teams (of one workspace, or of all; of that name; managed by that person) with their
    managers and members: three queries, however many teams."""
    query = select(Team).order_by(Team.team_id, Team.name)
    if team_id is not None:
        query = query.where(Team.team_id == team_id)
    if name is not None:
        query = query.where(Team.name == name)
    if managed_by is not None:
        query = query.where(
            Team.id.in_(select(TeamManager.team_pk).where(TeamManager.user_id == managed_by))
        )
    teams = list(session.scalars(query))
    ids = [t.id for t in teams]
    managers: dict[int, list[str]] = {i: [] for i in ids}
    members: dict[int, list[str]] = {i: [] for i in ids}
    for pk, user in session.execute(
        select(TeamManager.team_pk, TeamManager.user_id)
        .where(TeamManager.team_pk.in_(ids))
        .order_by(TeamManager.user_id)
    ):
        managers[pk].append(user)
    for pk, user in session.execute(
        select(TeamMember.team_pk, TeamMember.user_id)
        .where(TeamMember.team_pk.in_(ids))
        .order_by(TeamMember.user_id)
    ):
        members[pk].append(user)
    return [
        TeamInfo(t.id, t.name, t.channel_id, tuple(managers[t.id]), tuple(members[t.id]))
        for t in teams
    ]


def teams_managed_by(session: Session, team_id: str, user_id: str) -> list[TeamInfo]:
    return list_teams(session, team_id, managed_by=user_id)


def workspaces_with_teams(session: Session) -> list[str]:
    return list(session.scalars(select(Team.team_id).distinct().order_by(Team.team_id)))


def manages_rep(session: Session, team_id: str, manager_id: str, rep_id: str) -> bool:
    """True when `manager_id` manages a team that `rep_id` is in."""
    row = session.execute(
        select(TeamManager.team_pk)
        .join(TeamMember, TeamMember.team_pk == TeamManager.team_pk)
        .where(
            TeamManager.team_id == team_id,
            TeamManager.user_id == manager_id,
            TeamMember.user_id == rep_id,
        )
        .limit(1)
    ).first()
    return row is not None


def is_any_manager(session: Session, team_id: str, user_id: str) -> bool:
    row = session.execute(
        select(TeamManager.team_pk)
        .where(TeamManager.team_id == team_id, TeamManager.user_id == user_id)
        .limit(1)
    ).first()
    return row is not None


def get_team(session: Session, team_id: str, name: str) -> TeamInfo | None:
    found = list_teams(session, team_id, name=name)
    return found[0] if found else None


def managers_of_rep(session: Session, team_id: str, rep_id: str) -> list[str]:
    """Everyone who manages a team the rep is in."""
    return list(
        session.scalars(
            select(TeamManager.user_id)
            .join(TeamMember, TeamMember.team_pk == TeamManager.team_pk)
            .where(TeamMember.team_id == team_id, TeamMember.user_id == rep_id)
            .distinct()
            .order_by(TeamManager.user_id)
        )
    )

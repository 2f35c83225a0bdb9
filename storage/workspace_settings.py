"""Per-workspace settings, kept as text and parsed by the domain that owns them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import WorkspaceSetting, utcnow


def read_settings(session: Session, team_id: str) -> dict[str, str]:
    return {
        row[0]: row[1]
        for row in session.execute(
            select(WorkspaceSetting.key, WorkspaceSetting.value).where(
                WorkspaceSetting.team_id == team_id
            )
        )
    }


def write_setting(session: Session, team_id: str, key: str, value: str) -> None:
    setting = session.get(WorkspaceSetting, (team_id, key))
    if setting is None:
        session.add(WorkspaceSetting(team_id=team_id, key=key, value=value))
    else:
        setting.value = value
        setting.updated_at = utcnow()


def values_of(session: Session, key: str) -> dict[str, str]:
    """One setting's value in every workspace that has set it."""
    return {
        row[0]: row[1]
        for row in session.execute(
            select(WorkspaceSetting.team_id, WorkspaceSetting.value).where(
                WorkspaceSetting.key == key
            )
        )
    }

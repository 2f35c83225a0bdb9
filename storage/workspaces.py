"""A workspace's data as a whole: everything to export, everything to delete.

Every table is found from the metadata, not listed by hand, so a table added later is
exported and deleted with the rest: a table with a `team_id` column holds rows of one
workspace, and a table without one whose foreign key points at such a table (a team's
prompts seen) follows its parent. The token tables are deleted but never exported.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, select
from sqlalchemy.orm import Session

from storage.db import rows_changed
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, Base

NEVER_EXPORTED = frozenset({SLACK_BOTS.name, SLACK_INSTALLATIONS.name})


def _condition(table: Table, team_id: str) -> ColumnElement[bool] | None:
    """Which rows of `table` belong to the workspace, or None when none can."""
    if "team_id" in table.c:
        return table.c.team_id == team_id
    for key in table.foreign_keys:
        parent = key.column.table
        if isinstance(parent, Table) and "team_id" in parent.c:
            owned = select(key.column).where(parent.c.team_id == team_id)
            return key.parent.in_(owned.scalar_subquery())
    return None


def delete_workspace(session: Session, team_id: str) -> dict[str, int]:
    """Delete every row of the workspace, children before parents; rows deleted per table
    (tables with none are left out). The caller's transaction makes it all or nothing."""
    counts: dict[str, int] = {}
    for table in reversed(Base.metadata.sorted_tables):
        condition = _condition(table, team_id)
        if condition is None:
            continue
        deleted = rows_changed(session.execute(delete(table).where(condition)))
        if deleted:
            counts[table.name] = deleted
    return counts


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_workspace(session: Session, team_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every row of the workspace as (table, row), parents first, rows by primary key;
    no token."""
    for table in Base.metadata.sorted_tables:
        if table.name in NEVER_EXPORTED:
            continue
        condition = _condition(table, team_id)
        if condition is None:
            continue
        query = select(table).where(condition).order_by(*table.primary_key.columns)
        for row in session.execute(query).mappings():
            yield table.name, {key: _plain(value) for key, value in row.items()}

"""`INSERT ... ON CONFLICT DO NOTHING` on SQLite and PostgreSQL alike.

Claiming a unique key in the database is how a redelivered request or a second process is
turned into a no-op, so this is the one construct both dialects must share.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert(session: Session, table: Table) -> Any:
    """The dialect's INSERT that has `on_conflict_do_nothing` and `on_conflict_do_update`."""
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(table)


def insert_ignore(session: Session, table: Table, values: dict[str, Any], keys: list[str]) -> Any:
    """Insert a row unless one with the same `keys` exists; returns the new primary key or None."""
    statement = (
        upsert(session, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=keys)
        .returning(*table.primary_key.columns)
    )
    return session.connection().execute(statement).scalar()

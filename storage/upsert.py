"""`INSERT ... ON CONFLICT` on SQLite and PostgreSQL alike, each statement built once.

Claiming a unique key in the database is how a redelivered request or a second process is
turned into a no-op, so this is the one construct both dialects must share.

These statements run on every debrief saved, before Slack gets its acknowledgement. Building a
SQLAlchemy statement and its cache key costs more than SQLite takes to run it, so each one is
built once per dialect and reused; the row's values travel as execution parameters (SQLAlchemy
then inserts exactly the columns the parameters name).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def dialect_insert(dialect: str, table: Table) -> Any:
    """The dialect's INSERT that has `on_conflict_do_nothing` and `on_conflict_do_update`."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


@cache
def _insert_ignore_statement(dialect: str, table: Table, keys: tuple[str, ...]) -> Any:
    return (
        dialect_insert(dialect, table)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(*table.primary_key.columns)
    )


def insert_ignore(session: Session, table: Table, values: dict[str, Any], keys: list[str]) -> Any:
    """Insert a row unless one with the same `keys` exists; returns the new primary key or None."""
    statement = _insert_ignore_statement(dialect_of(session), table, tuple(keys))
    return session.connection().execute(statement, values).scalar()

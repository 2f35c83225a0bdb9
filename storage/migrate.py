"""Schema migrations, run from code (`python -m bot db upgrade`, and `serve` on start)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection

from storage.db import Database, MigrationError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@dataclass(frozen=True)
class Applied:
    """One migration that an upgrade applied: its revision id and its message."""

    revision: str
    message: str


def upgrade(database: Database, revision: str = "head") -> list[Applied]:
    """Apply pending migrations, returning those applied, oldest first; running it again
    changes nothing and returns [].

    On PostgreSQL an advisory lock makes two processes starting at once take turns.
    """
    config = alembic_config(database.url)
    with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7301942)")
        before = _heads(connection)
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, revision)
        except CommandError as exc:  # e.g. a revision recorded by a newer version of the code
            raise MigrationError(
                f"cannot bring the database schema up to date: {exc}. Is the database from a "
                "newer version of Deal Coach?"
            ) from None
        after = _heads(connection)
    if after == before:
        return []
    scripts = ScriptDirectory.from_config(config)
    newest_first = scripts.iterate_revisions(after, before or "base")
    return [Applied(s.revision, (s.doc or "").strip()) for s in reversed(list(newest_first))]


def _heads(connection: Connection) -> tuple[str, ...]:
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))

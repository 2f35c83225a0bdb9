"""Schema migrations, run from code (`python -m bot db upgrade`, and `serve` on start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError

from storage.db import Database, MigrationError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Apply pending migrations; running it again changes nothing.

    On PostgreSQL an advisory lock makes two processes starting at once take turns.
    """
    config = alembic_config(database.url)
    with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7301942)")
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, revision)
        except CommandError as exc:  # e.g. a revision recorded by a newer version of the code
            raise MigrationError(
                f"cannot bring the database schema up to date: {exc}. Is the database from a "
                "newer version of Deal Coach?"
            ) from None

"""Scratch databases for benchmarks: never the test suite's, so both can run at once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.db import Database
from storage.migrate import upgrade

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def postgres_url(benchmark: str) -> str:
    """Each benchmark its own scratch database, so two can run at once."""
    return f"{POSTGRES_SERVER}/dealcoach_bench_{benchmark}"


DEFAULT_POSTGRES_URL = postgres_url("ack")


def fresh_sqlite(directory: Path, name: str = "bench.db") -> Database:
    db = Database(f"sqlite:///{directory / name}")
    upgrade(db)
    return db


def fresh_postgres(url: str = DEFAULT_POSTGRES_URL) -> Database:
    """The named database, created when missing, emptied (schema dropped), then migrated."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(db)
    return db

"""The engine and the one place where a session is opened: one session per request or job."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import SQLAlchemyError as DatabaseError
from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "Database",
    "DatabaseError",
    "DatabaseReadOnly",
    "DatabaseUnavailable",
    "MigrationError",
]


def rows_changed(result: Any) -> int:
    """The rows an UPDATE or DELETE touched (its CursorResult's rowcount)."""
    return int(getattr(result, "rowcount", 0) or 0)


class DatabaseUnavailable(Exception):
    """The database could not be reached; the message is one line for an operator."""


class DatabaseReadOnly(Exception):
    """The database answers but refuses writes; the message is one line for an operator."""


class MigrationError(Exception):
    """The schema cannot be brought up to date (storage/migrate.py); one line for an operator."""


# How long a request waits for the database before giving up. A modal submission is saved
# before Slack's 3-second acknowledgement, so an unreachable database must fail fast enough to
# answer "could not save, try again" in time.
WAIT_MS = 2000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; busy_timeout makes concurrent writers wait
    # instead of failing at once; SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={WAIT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_private_file(path: str) -> None:
    """Create `path` empty, readable and writable by its owner only (0600) whatever the
    umask; leave a file that exists alone."""
    try:
        handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(handle, 0o600)  # the umask may have taken the owner's bits too
    finally:
        os.close(handle)


def _private_sqlite_file(path: str) -> Callable[..., None]:
    """Before each connection: a database file that does not exist yet is created 0600 (an
    empty file is an empty SQLite database). SQLite gives its -wal, -shm and -journal files
    the database file's permissions, so they are private too."""

    def before_connect(*_: Any) -> None:
        create_private_file(path)

    return before_connect


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": WAIT_MS / 1000}
        )
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            event.listen(engine, "do_connect", _private_sqlite_file(database))
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,  # a connection dropped while the database was down is replaced
        pool_size=10,
        max_overflow=20,
        pool_timeout=WAIT_MS / 1000,
        connect_args={"connect_timeout": max(1, WAIT_MS // 1000)},
    )


# Writes nothing and locks no row, yet the database must allow a write to run it.
_WRITE_PROBE = text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0")


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


class Database:
    """Holds the engine; `session()` is the unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time, and a waiting writer sleeps in growing steps (its
        # busy handler): threads of this process take turns here instead, which keeps the
        # slowest requests fast. Other processes still wait on SQLite's own lock.
        self._turns: AbstractContextManager[object] = (
            threading.RLock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Commit when the block ends, roll back when it raises: nothing half-written."""
        with self._turns, self._sessions() as session, session.begin():
            yield session

    def check(self) -> None:
        """Raise DatabaseUnavailable with one line when the database cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            raise DatabaseUnavailable(f"cannot reach the database: {_reason(exc)}") from None

    def check_writes(self) -> None:
        """Raise DatabaseUnavailable when the database cannot be reached, DatabaseReadOnly when
        it answers but refuses to write: a read-only SQLite file, a PostgreSQL replica or
        read-only transaction mode, rights revoked.

        The write is an UPDATE that matches no row, rolled back: the database checks that it may
        write (and SQLite takes its write lock for a moment) but no row is locked or changed,
        so it stays cheap enough for /healthz to run on every poll.
        """
        with self._turns:
            try:
                conn = self.engine.connect()
            except OperationalError as exc:
                raise DatabaseUnavailable(f"cannot reach the database: {_reason(exc)}") from None
            with conn:
                try:
                    with conn.begin() as transaction:
                        conn.execute(_WRITE_PROBE)
                        transaction.rollback()
                except DBAPIError as exc:
                    if exc.connection_invalidated:
                        raise DatabaseUnavailable(
                            f"cannot reach the database: {_reason(exc)}"
                        ) from None
                    raise DatabaseReadOnly(f"the database refuses writes: {_reason(exc)}") from None

    def has_schema(self) -> bool:
        return inspect(self.engine).has_table("alembic_version")

    def dispose(self) -> None:
        self.engine.dispose()

"""The PostgreSQL server the test suite runs on, and the one line that says what to set when it
cannot be used. Nobody creates a database by hand: each run makes a scratch database of its own
(tests/conftest.py), from the URL's database when it exists, else from the server's `postgres`
maintenance database.

    python -m tests.postgres_server   # exit 1 with that one line when the server is unusable
"""

from __future__ import annotations

import os
import sys

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

ENV = "DEALCOACH_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MAINTENANCE_DATABASE = "postgres"


class ServerUnusable(Exception):
    """The tests cannot make their scratch database on the server; one line saying what to do."""


def server_url() -> str:
    return os.environ.get(ENV) or DEFAULT_URL


def unusable(url: str, reason: str) -> ServerUnusable:
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        shown = repr(url)
    return ServerUnusable(
        f"the tests need PostgreSQL and cannot use {shown} ({reason}): start it, or set {ENV} "
        "to postgresql+psycopg://USER@HOST:PORT/DB, a server where USER may create databases"
    )


def reason_of(exc: Exception) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def admin_engine(url: str) -> Engine:
    """An AUTOCOMMIT engine for CREATE and DROP DATABASE: on the URL's own database, or, when
    that one does not exist (or may not be entered), on the server's maintenance database."""
    try:
        server = make_url(url)
    except ArgumentError:
        raise unusable(url, "not a database URL") from None
    first: Exception | None = None
    for name in dict.fromkeys([server.database or MAINTENANCE_DATABASE, MAINTENANCE_DATABASE]):
        try:
            engine = create_engine(
                server.set(database=name),
                isolation_level="AUTOCOMMIT",
                connect_args={"connect_timeout": 3},
            )
            with engine.connect():
                return engine
        except (DBAPIError, ArgumentError, ImportError) as exc:
            first = first or exc
    assert first is not None
    raise unusable(url, reason_of(first))


def main() -> int:
    try:
        admin_engine(server_url()).dispose()
    except ServerUnusable as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures shared by the suite.

The database is never faked: every test that takes `db` runs twice, on SQLite and on
PostgreSQL. Slack is a fake Web API server on loopback, and the app is the real Bolt app behind
the real HTTP server, driven with signed requests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.app import create_app
from bot.http import SlackWsgi
from bot.server import Limits
from bot.settings import load_settings
from handlers.deps import Deps
from sandbox.payloads import SlackRequests
from sandbox.webapi import SlackStandIn
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base
from tests.postgres_server import ServerUnusable, admin_engine, reason_of, server_url, unusable
from tests.support.blockkit import check_call
from tests.support.server import start_server

# Hostile-payload tests (Hypothesis): `ci` keeps the suite's share to a few hundred requests
# in all; HYPOTHESIS_PROFILE=thorough is for a manual run of many more.
_PROFILE = {
    "deadline": None,  # each example is an HTTP round trip and a database write
    "database": None,  # nothing written into the work tree
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,  # the app and database are shared on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
}
hypothesis_settings.register_profile("ci", max_examples=25, **_PROFILE)
hypothesis_settings.register_profile("thorough", max_examples=600, **_PROFILE)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
TEAM_ID = "T0001"


def _scratch_postgres(url: str) -> tuple[Database, Callable[[], None]]:
    """A database of this test run's own on the server at `url`, dropped at the end, so two
    runs (a developer's and a helper's, or CI and a benchmark) never share tables. A server
    the run cannot use stops the run with one line saying what to set, not a traceback for
    every test."""
    name = f"dealcoach_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        admin = admin_engine(url)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except ServerUnusable as exc:
        pytest.exit(str(exc), returncode=1)
    except DBAPIError as exc:  # e.g. a role without CREATEDB
        pytest.exit(str(unusable(url, reason_of(exc))), returncode=1)
    db = Database(make_url(url).set(database=name).render_as_string(hide_password=False))

    def drop() -> None:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return db, drop


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Database]]:
    sqlite_file = tmp_path_factory.mktemp("db") / "dealcoach.db"
    postgres, drop_postgres = _scratch_postgres(server_url())
    made = {"sqlite": Database(f"sqlite:///{sqlite_file}"), "postgresql": postgres}
    for db in made.values():
        upgrade(db)
    yield made
    made["sqlite"].dispose()
    drop_postgres()


def empty_tables(db: Database) -> None:
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, databases: dict[str, Database]) -> Database:
    database = databases[request.param]
    empty_tables(database)
    return database


class Clock:
    """The app's idea of now; tests move it instead of sleeping."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def set(self, iso: str) -> None:
        self.current = datetime.fromisoformat(iso).astimezone(UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[SlackStandIn]:
    with SlackStandIn(strict_triggers=True) as fake:
        yield fake


@pytest.fixture
def fake_slack(fake_slack_server: SlackStandIn) -> Iterator[SlackStandIn]:
    """The fake Web API; when the test ends, every view and message the app sent is checked
    against Block Kit's limits."""
    fake_slack_server.reset()
    fake_slack_server.users.clear()
    yield fake_slack_server
    for call in fake_slack_server.calls:
        check_call(call.method, call.params)
        if call.method == "chat.postMessage":  # every message of ours can be found again
            meta = call.params.get("metadata") or {}
            assert meta.get("event_type") == "dealcoach_delivery", call.params
            assert (meta.get("event_payload") or {}).get("key"), call.params


def app_env(db: Database, fake: SlackStandIn, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": db.url,
        "TIMEZONE": "UTC",
        **extra,
    }


@dataclass
class RunningApp:
    url: str
    slack: SlackRequests
    fake: SlackStandIn
    db: Database
    clock: Clock


@contextmanager
def serve_app(
    db: Database, fake_slack: SlackStandIn, clock: Clock, limits: Limits | None = None
) -> Iterator[RunningApp]:
    """The real Bolt app behind the real server (bot/server.py), on a loopback port."""
    settings = load_settings(app_env(db, fake_slack))
    deps = Deps(db=db, default_zone=settings.zone, now=clock.now)
    app = create_app(settings, deps, socket_mode=False)
    url, stop = start_server(SlackWsgi(app, db, SIGNING_SECRET), limits=limits)
    fake_slack.reset()  # forget auth.test from start-up
    try:
        slack = SlackRequests(
            url,
            SIGNING_SECRET,
            team_id=TEAM_ID,
            response_url_base=fake_slack.hooks_url,
            issuer=fake_slack,
        )
        yield RunningApp(url, slack, fake_slack, db, clock)
    finally:
        deps.background.drain()  # no Home refresh of this test lands in the next one
        stop()


@pytest.fixture
def running_app(db: Database, fake_slack: SlackStandIn, clock: Clock) -> Iterator[RunningApp]:
    with serve_app(db, fake_slack, clock) as app:
        yield app


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent

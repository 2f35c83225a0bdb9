"""Fixtures shared by the suite.

The database is never faked: every test that takes `db` runs twice, on SQLite and on
PostgreSQL. Slack is a fake Web API server on loopback, and the app is the real Bolt app behind
the real HTTP server, driven with signed requests.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import create_app
from bot.http import SlackWsgi
from bot.settings import load_settings
from handlers.deps import Deps
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Base
from tests.support.blockkit import check_call
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackRequests

POSTGRES_URL = os.environ.get(
    "DEALCOACH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
TEAM_ID = "T0001"


def _fresh_postgres(url: str) -> Database:
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return db


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Database]]:
    sqlite_file = tmp_path_factory.mktemp("db") / "dealcoach.db"
    made = {
        "sqlite": Database(f"sqlite:///{sqlite_file}"),
        "postgresql": _fresh_postgres(POSTGRES_URL),
    }
    for db in made.values():
        upgrade(db)
    yield made
    for db in made.values():
        db.dispose()


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
def fake_slack_server() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def fake_slack(fake_slack_server: FakeSlack) -> Iterator[FakeSlack]:
    """The fake Web API; when the test ends, every view and message the app sent is checked
    against Block Kit's limits."""
    fake_slack_server.reset()
    fake_slack_server.users.clear()
    yield fake_slack_server
    for call in fake_slack_server.calls:
        check_call(call.method, call.params)


def app_env(db: Database, fake: FakeSlack, **extra: str) -> dict[str, str]:
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
    fake: FakeSlack
    db: Database
    clock: Clock


@pytest.fixture
def running_app(db: Database, fake_slack: FakeSlack, clock: Clock) -> Iterator[RunningApp]:
    from waitress.server import create_server

    settings = load_settings(app_env(db, fake_slack))
    deps = Deps(db=db, default_zone=settings.zone, now=clock.now)
    app = create_app(settings, deps, socket_mode=False)
    server: Any = create_server(
        SlackWsgi(app, db, SIGNING_SECRET), host="127.0.0.1", port=0, threads=8
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.effective_port}"
    fake_slack.reset()  # forget auth.test from start-up
    try:
        slack = SlackRequests(
            url, SIGNING_SECRET, team_id=TEAM_ID, response_url_base=fake_slack.hooks_url
        )
        yield RunningApp(url, slack, fake_slack, db, clock)
    finally:
        server.close()
        thread.join(timeout=5)


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent

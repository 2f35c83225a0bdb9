"""GET /healthz: 200 only when the app can serve, which means the database accepts writes;
503 saying why when it cannot be reached or refuses writes (a replica, a read-only file)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import create_app
from bot.http import SlackWsgi
from bot.settings import load_settings
from handlers.deps import Deps
from sandbox.webapi import SlackStandIn
from storage.db import Database
from storage.models import Deal
from tests.conftest import SIGNING_SECRET, app_env
from tests.integration.digest_support import seed
from tests.support.server import start_server


@contextmanager
def serving(db: Database, fake: SlackStandIn) -> Iterator[str]:
    """The real HTTP app, answering from `db`."""
    settings = load_settings(app_env(db, fake))
    app = create_app(settings, Deps(db=db, default_zone=settings.zone), socket_mode=False)
    url, stop = start_server(SlackWsgi(app, db, SIGNING_SECRET))
    try:
        yield url
    finally:
        stop()
        db.dispose()


def health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def read_only(db: Database) -> Database:
    """The same database through a connection that may read but not write, as a replica or a
    read-only file would give (and as root cannot get round)."""
    url = make_url(db.url)
    if db.dialect == "sqlite":
        return Database(f"sqlite:///file:{url.database}?mode=ro&uri=true")
    options = "-c default_transaction_read_only=on"
    return Database(url.update_query_dict({"options": options}).render_as_string(False))


def test_healthz_is_200_when_the_database_takes_writes(
    db: Database, fake_slack: SlackStandIn
) -> None:
    with serving(Database(db.url), fake_slack) as url:
        health(url)  # the first connection is opened here
        started = time.perf_counter()
        assert health(url) == (200, {"ok": True, "database": "ok"})
        assert time.perf_counter() - started < 1.0  # polled often: a cheap probe
    seed(db, "Acme", "U_REP1", date(2026, 11, 30))
    with db.session() as session:  # the probe changed nothing and left nothing locked
        assert session.scalar(select(func.count()).select_from(Deal)) == 1


def test_healthz_is_503_when_the_database_refuses_writes(
    db: Database, fake_slack: SlackStandIn
) -> None:
    with serving(read_only(db), fake_slack) as url:
        assert health(url) == (503, {"ok": False, "database": "read-only"})


def test_healthz_is_503_when_the_database_is_unreachable(fake_slack: SlackStandIn) -> None:
    gone = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with serving(gone, fake_slack) as url:
        assert health(url) == (503, {"ok": False, "database": "unreachable"})

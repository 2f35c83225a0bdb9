"""Installing into many workspaces through Slack's OAuth redirect flow: tokens sealed at rest,
org-wide installs refused, token rotation, uninstalls, and the keys that seal the tokens."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.app import clients_for
from handlers.clients import Installed
from sandbox.webapi import SlackStandIn
from storage.db import Database
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES, Workspace
from tests.conftest import Clock
from tests.integration.oauth_support import (
    CLIENT_SECRET,
    OAuthApp,
    get,
    serve_oauth_app,
)

T1, T2 = "T0001", "T0002"


@pytest.fixture
def oauth_app(db: Database, fake_slack: SlackStandIn, clock: Clock) -> Iterator[OAuthApp]:
    with serve_oauth_app(db, fake_slack, clock) as app:
        yield app


def issued_tokens(fake: SlackStandIn) -> list[str]:
    """Every bot token the stand-in issued through oauth.v2.access, and refresh token."""
    return [
        c.response["access_token"]
        for c in fake.calls_to("oauth.v2.access")
        if c.response and c.response.get("access_token")
    ] + [
        c.response["refresh_token"]
        for c in fake.calls_to("oauth.v2.access")
        if c.response and c.response.get("refresh_token")
    ]


def bot_teams(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(session.scalars(select(SLACK_BOTS.c.team_id)))


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Events are acknowledged first and handled after: wait for what they do."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not done in time"
        time.sleep(0.02)


def database_text(db: Database) -> bytes:
    """What a dump of the database holds: the SQLite file (and its write-ahead log) byte for
    byte; on PostgreSQL every text column of every table, selected."""
    if db.dialect == "sqlite":
        db.dispose()  # close connections so the write-ahead log is checkpointed
        name = make_url(db.url).database
        assert name is not None
        files = [Path(name), Path(f"{name}-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    dumped = []
    with db.engine.connect() as conn:
        columns = conn.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying')"
            )
        ).all()
        assert any(table == "slack_bots" for table, _ in columns)
        for table, column in columns:
            for (value,) in conn.execute(text(f'SELECT "{column}" FROM "{table}"')):
                dumped.append(str(value))
    return "\n".join(dumped).encode()


def test_two_workspaces_install_and_no_token_is_stored_in_clear(oauth_app: OAuthApp) -> None:
    oauth_app.fake.workspace_names.update({T1: "Northwind", T2: "Contoso"})
    status, page = oauth_app.install(T1)
    assert status == 200 and "installed in Northwind" in page
    status, page = oauth_app.install(T2)
    assert status == 200 and "installed in Contoso" in page
    # The consent screen was asked for manifest.yml's scopes.
    with oauth_app.db.session() as session:
        bots = session.execute(select(SLACK_BOTS)).mappings().all()
        assert sorted(b["team_id"] for b in bots) == [T1, T2]
        assert all("files:write" in b["bot_scopes"] for b in bots)
        assert all(b["bot_token"].startswith("gAAAAA") for b in bots)  # Fernet ciphertext
        assert session.scalar(select(func.count()).select_from(SLACK_INSTALLATIONS)) == 2
        assert session.scalar(select(func.count()).select_from(SLACK_OAUTH_STATES)) == 0
        assert sorted(session.scalars(select(Workspace.team_id))) == [T1, T2]
    tokens = issued_tokens(oauth_app.fake)
    assert len(tokens) == 2
    # Each workspace's client is its own token.
    clients = clients_for(oauth_app.settings, oauth_app.db)
    assert isinstance(clients, Installed)
    for team in (T1, T2):
        client = clients.client_for(team)
        assert client is not None and oauth_app.fake.team_of_token(client.token) == team
    assert clients.client_for("T0003") is None
    dump = database_text(oauth_app.db)
    assert dump  # the dump is not empty...
    for secret in [*tokens, CLIENT_SECRET]:
        assert secret.encode() not in dump  # ...and holds no token, nor the client secret


def test_a_second_install_replaces_the_token_and_a_cancelled_one_stores_nothing(
    oauth_app: OAuthApp,
) -> None:
    assert oauth_app.install(T1)[0] == 200
    assert oauth_app.install(T1)[0] == 200
    clients = clients_for(oauth_app.settings, oauth_app.db)
    client = clients.client_for(T1)
    assert client is not None and client.token == issued_tokens(oauth_app.fake)[-1]
    # Slack sends the person back with an error when they cancel; a forged state is refused.
    status, _, page = get(f"{oauth_app.url}/slack/oauth_redirect?error=access_denied&state=x")
    assert status == 200 and "did not complete (access_denied)" in page
    status, _, page = get(f"{oauth_app.url}/slack/oauth_redirect?code=c&state=forged")
    assert status == 400 and "Nothing was stored" in page
    with oauth_app.db.session() as session:
        assert session.scalar(select(func.count()).select_from(SLACK_BOTS)) == 2


def test_an_org_wide_install_is_refused_with_a_page_and_its_token_revoked(
    oauth_app: OAuthApp,
) -> None:
    status, page = oauth_app.install(T1, enterprise="E0001", org_wide="1")
    assert status == 200
    assert "not across a whole Enterprise Grid organisation" in page
    with oauth_app.db.session() as session:
        assert session.scalar(select(func.count()).select_from(SLACK_BOTS)) == 0
        assert session.scalar(select(func.count()).select_from(SLACK_INSTALLATIONS)) == 0
    (revoke,) = oauth_app.fake.calls_to("auth.revoke")
    assert revoke.token == issued_tokens(oauth_app.fake)[0]


def test_a_workspace_of_an_enterprise_grid_org_is_stored_with_its_enterprise(
    oauth_app: OAuthApp,
) -> None:
    assert oauth_app.install("T0009", enterprise="E0001")[0] == 200
    with oauth_app.db.session() as session:
        row = session.execute(select(SLACK_BOTS)).mappings().one()
        assert (row["enterprise_id"], row["team_id"]) == ("E0001", "T0009")
        assert session.get(Workspace, "T0009").enterprise_id == "E0001"
    client = clients_for(oauth_app.settings, oauth_app.db).client_for("T0009")
    assert client is not None


def test_rotating_tokens_are_refreshed_before_expiry_by_requests_and_jobs(
    db: Database, fake_slack: SlackStandIn, clock: Clock
) -> None:
    # Tokens that live one hour: within Bolt's (and our) two hours of refresh margin.
    with serve_oauth_app(db, fake_slack, clock, rotation=True, expires_in=3600) as app:
        assert app.install(T1)[0] == 200
        first = issued_tokens(fake_slack)[0]
        assert first.startswith("xoxe.xoxb-")
        app.slack(T1).event(
            {"type": "app_home_opened", "user": "U_REP1", "tab": "home", "event_ts": "1.1"}
        )
        publish = fake_slack.wait_for("views.publish")[0]
        refreshes = [
            c for c in fake_slack.calls_to("oauth.v2.access") if c.params.get("grant_type")
        ]
        assert len(refreshes) == 1  # the request refreshed the token first...
        assert publish.token != first and fake_slack.team_of_token(publish.token) == T1
        second = refreshes[0].response["access_token"]
        assert publish.token == second
        # ...and stored it (sealed), so another process's job finds the new one and
        # refreshes it again when it too nears its end.
        fake_slack.expire_token(second)
        client = clients_for(app.settings, db).client_for(T1)
        assert client is not None and client.token not in (first, second)
        assert fake_slack.team_of_token(client.token) == T1
        client.auth_test()  # the refreshed token works
        dump = database_text(db)
        for secret in issued_tokens(fake_slack):
            assert secret.encode() not in dump


def test_uninstalled_workspace_tokens_go_at_once_and_its_data_after_retention(
    oauth_app: OAuthApp,
) -> None:
    from scheduling.retention import run_data_retention
    from tests.integration.digest_support import seed

    assert oauth_app.install(T1)[0] == 200
    assert oauth_app.install(T2)[0] == 200
    seed(oauth_app.db, "Acme", "U_REP1", oauth_app.clock.now().date(), team_id=T1)
    seed(oauth_app.db, "Acme", "U_REP1", oauth_app.clock.now().date(), team_id=T2)
    oauth_app.slack(T2).event({"type": "app_uninstalled"})
    eventually(lambda: bot_teams(oauth_app.db) == [T1])  # T2's token went at once
    with oauth_app.db.session() as session:
        assert session.get(Workspace, T2).uninstalled_at == oauth_app.clock.now()
    clients = clients_for(oauth_app.settings, oauth_app.db)
    assert clients.client_for(T2) is None
    # A request from the workspace that left is answered, and touches nothing.
    oauth_app.fake.reset()
    answer = oauth_app.slack(T2).command("/debrief", "Acme")
    assert answer.status == 200
    (told,) = oauth_app.fake.wait_for("response_url")
    assert "not installed in this workspace" in told.params["text"]
    assert [c.method for c in oauth_app.fake.calls] == ["response_url"]
    deps = oauth_app.deps
    report = run_data_retention(deps, clients, oauth_app.clock.now() + timedelta(days=29))
    assert report.outcomes.get("deleted", 0) == 0
    report = run_data_retention(deps, clients, oauth_app.clock.now() + timedelta(days=31))
    assert report.outcomes["deleted"] == 1
    from storage.models import Deal, Debrief

    with oauth_app.db.session() as session:
        assert sorted(session.scalars(select(Deal.team_id))) == [T1]
        assert sorted(session.scalars(select(Debrief.team_id))) == [T1]
        assert session.get(Workspace, T2) is None


def test_a_revoked_bot_token_is_forgotten_and_a_reinstall_keeps_the_data(
    oauth_app: OAuthApp,
) -> None:
    assert oauth_app.install(T1)[0] == 200
    oauth_app.slack(T1).event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}})
    eventually(lambda: bot_teams(oauth_app.db) == [])
    with oauth_app.db.session() as session:
        assert session.get(Workspace, T1).uninstalled_at is not None
    assert oauth_app.install(T1)[0] == 200
    with oauth_app.db.session() as session:
        assert session.get(Workspace, T1).uninstalled_at is None

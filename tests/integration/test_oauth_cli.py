"""The operator's commands for OAuth mode: keys generate and rotate on a database with tokens
in it, a wrong key at start, and a workspace's export and deletion."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from sandbox.webapi import SlackStandIn
from storage.db import Database
from storage.models import SLACK_BOTS, Deal
from tests.conftest import Clock
from tests.integration.digest_support import seed
from tests.integration.oauth_support import (
    KEY_ONE,
    KEY_TWO,
    oauth_env,
    serve_oauth_app,
)
from tests.integration.test_cli import one_line_error, run_cli


def sealed_tokens(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(session.scalars(select(SLACK_BOTS.c.bot_token)))


def test_keys_generate_prints_a_fernet_key_even_with_a_broken_setting() -> None:
    done = run_cli("keys", "generate", env={"DEALCOACH_ENCRYPTION_KEY": "not-a-key"})
    assert done.returncode == 0
    key = done.stdout.strip().splitlines()[-1]
    Fernet(key)  # a valid key


def test_keys_rotate_reseals_every_token_and_a_wrong_key_stops_start_in_one_line(
    db: Database, fake_slack: SlackStandIn, clock: Clock
) -> None:
    with serve_oauth_app(db, fake_slack, clock, rotation=True) as app:
        assert app.install("T0001")[0] == 200
        assert app.install("T0002")[0] == 200
    before = sealed_tokens(db)
    assert all(Fernet(KEY_ONE).decrypt(t.encode()) for t in before)
    env = oauth_env(db, fake_slack, key=f"{KEY_TWO},{KEY_ONE}")
    done = run_cli("keys", "rotate", env=env)
    assert done.returncode == 0, done.stderr
    # Two workspaces, each a bot token and a refresh token, in two tables.
    assert done.stdout.startswith("re-encrypted 8 of 8 stored tokens under the first key in ")
    after = sealed_tokens(db)
    assert after != before and all(Fernet(KEY_TWO).decrypt(t.encode()) for t in after)
    again = run_cli("keys", "rotate", env=env)
    assert again.stdout.startswith("re-encrypted 0 of 8")
    # The new key alone now serves; the old one alone is refused at start, in one line.
    ok = run_cli("jobs", "run", "weekly-digest", env=oauth_env(db, fake_slack, key=KEY_TWO))
    assert ok.returncode == 0, ok.stderr
    refused = run_cli("jobs", "run", "weekly-digest", env=oauth_env(db, fake_slack, key=KEY_ONE))
    assert refused.returncode == 2
    line = one_line_error(refused.stderr)
    assert "DEALCOACH_ENCRYPTION_KEY cannot decrypt 8 stored token(s)" in line
    assert "Traceback" not in refused.stderr
    # A key list that opens nothing changes nothing on rotate.
    other = Fernet.generate_key().decode()
    failed = run_cli("keys", "rotate", env=oauth_env(db, fake_slack, key=other))
    assert failed.returncode == 2 and "nothing was changed" in one_line_error(failed.stderr)
    assert sealed_tokens(db) == after


def test_missing_or_malformed_keys_are_one_line_naming_the_variable(
    db: Database, fake_slack: SlackStandIn
) -> None:
    env = oauth_env(db, fake_slack)
    del env["DEALCOACH_ENCRYPTION_KEY"]
    done = run_cli("jobs", "run", "weekly-digest", env=env)
    assert done.returncode == 2
    assert one_line_error(done.stderr).startswith(
        "dealcoach: error: DEALCOACH_ENCRYPTION_KEY is not set"
    )
    done = run_cli("jobs", "list", env={**env, "DEALCOACH_ENCRYPTION_KEY": f"{KEY_ONE},oops"})
    assert done.returncode == 2
    line = one_line_error(done.stderr)
    assert "DEALCOACH_ENCRYPTION_KEY is not a Fernet key (key 2 of 2)" in line
    assert KEY_ONE not in done.stderr


def test_workspace_export_then_delete(
    db: Database, fake_slack: SlackStandIn, clock: Clock, tmp_path: Path
) -> None:
    with serve_oauth_app(db, fake_slack, clock) as app:
        assert app.install("T0001")[0] == 200
        assert app.install("T0002")[0] == 200
    day = clock.now().date()
    for team in ("T0001", "T0002"):
        seed(db, "Acme", "U_REP1", day, team_id=team)
    env = oauth_env(db, fake_slack)
    target = tmp_path / "t1.jsonl"
    done = run_cli("workspace", "export", "T0001", "--output", str(target), env=env)
    assert done.returncode == 0, done.stderr
    assert "exported" in done.stderr and "deals 1" in done.stderr
    assert target.stat().st_mode & 0o077 == 0  # private, like the debrief export
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert lines[0]["workspace"] == "T0001"
    assert {row["table"] for row in lines[1:]} >= {"deals", "debriefs", "workspaces"}
    assert all(row["row"].get("team_id", "T0001") == "T0001" for row in lines[1:])
    assert "xox" not in target.read_text()
    refused = run_cli("workspace", "delete", "T0001", env=env)
    assert refused.returncode == 2 and "--yes" in one_line_error(refused.stderr)
    done = run_cli("workspace", "delete", "T0001", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("deleted ") and "debriefs 1" in done.stdout
    assert "slack_bots 1" in done.stdout
    with db.session() as session:
        assert set(session.scalars(select(Deal.team_id))) == {"T0002"}
        assert session.scalar(select(func.count()).select_from(SLACK_BOTS)) == 1

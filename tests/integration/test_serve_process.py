"""`python -m bot serve` as an operator runs it: a real process, HTTP mode, schema brought up
to date on start, /healthz, a signed /debrief answered, and a clean stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from bot.http import MAX_BODY
from sandbox.payloads import FORM, SlackRequests, sign
from sandbox.webapi import SlackStandIn
from storage.db import Database
from tests.conftest import SIGNING_SECRET, app_env, repo_root
from tests.support.raw_http import send, stream_chunked


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {process.stderr.read() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError("serve did not become healthy")


def start_serve(
    fake_slack: SlackStandIn, db: Database, tmp_path: Path, database_url: str, *, output: int
) -> tuple[subprocess.Popen[str], str]:
    """`python -m bot serve --http` on a free port over `database_url` (settings otherwise from
    `db`'s test environment); the process and its base URL."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        **app_env(db, fake_slack, DATABASE_URL=database_url),
        "PYTHONPATH": str(repo_root()),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--http", "--port", str(port), "--no-scheduler"],
        env=env,
        cwd=tmp_path,
        stdout=output,
        stderr=output,
        text=True,
    )
    return process, f"http://127.0.0.1:{port}"


def test_serve_http_end_to_end(fake_slack: SlackStandIn, tmp_path: Path, db: Database) -> None:
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"  # no schema yet: serve migrates it
    process, url = start_serve(fake_slack, db, tmp_path, fresh, output=subprocess.PIPE)
    try:
        assert wait_healthy(url, process) == {"ok": True, "database": "ok"}
        slack = SlackRequests(url, SIGNING_SECRET, issuer=fake_slack)
        assert slack.command("/debrief", "Acme").status == 200
        view = fake_slack.wait_for("views.open")[0].params["view"]
        assert view["callback_id"] == "debrief"
        assert slack.command("/debrief", "Acme", signature="v0=bad").status == 401
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
    # One JSON line per request, and never the token. A forged request's body is never
    # parsed, so its line says only that it was refused, and why.
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("msg") == "request"]
    assert [(r["kind"], r["detail"], r["status"]) for r in requests] == [
        ("command", "/debrief", 200),
        ("refused", "bad_signature", 401),
    ]
    assert requests[0]["ack_ms"] > 0  # the time to acknowledge, measured around Bolt's dispatch
    assert "xoxb-test-token" not in stderr and SIGNING_SECRET not in stderr


def test_socket_mode_that_slack_refuses_is_one_line(
    fake_slack: SlackStandIn, tmp_path: Path
) -> None:
    """With SLACK_APP_TOKEN set, serve asks Slack (at SLACK_API_URL) for a WebSocket URL; a
    refusal ends the process with one line, not a traceback."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_APP_TOKEN": "xapp-test-token",
        "SLACK_API_URL": fake_slack.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "PYTHONPATH": str(repo_root()),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--no-scheduler"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("dealcoach: error")]
    assert errors == ["dealcoach: error: Slack answered 'unknown_method'"]
    assert "Traceback" not in result.stderr and "xapp-test-token" not in result.stderr
    assert fake_slack.calls_to("apps.connections.open", include_failed=True)


def test_serve_http_refuses_what_it_should_not_read(
    fake_slack: SlackStandIn, tmp_path: Path, databases: dict[str, Database]
) -> None:
    """The cap on the real process: exactly at it is served; one byte over, no length, no
    signature are answered from the headers alone; a chunked body is cut off at the cap."""
    process, url = start_serve(
        fake_slack,
        databases["sqlite"],
        tmp_path,
        f"sqlite:///{tmp_path / 'x.db'}",
        output=subprocess.DEVNULL,
    )
    try:
        wait_healthy(url, process)
        slack = SlackRequests(url, SIGNING_SECRET, issuer=fake_slack)
        fields = slack.command_body("/debrief", "")
        fields["text"] = "a" * (MAX_BODY - len(urlencode(fields)))
        at_cap = urlencode(fields)
        assert slack.send_raw(at_cap, FORM).status == 200
        over = at_cap + "a"
        assert send(url, {"Content-Length": str(len(over)), **sign(SIGNING_SECRET, over)}) == (
            413,
            b'{"ok": false, "error": "body_too_large"}',
        )
        assert send(url, sign(SIGNING_SECRET, ""))[0] == 413  # no Content-Length
        assert send(url, {"Content-Length": "100"})[0] == 401  # no signature, no body sent
        status, _, sent = stream_chunked(url, sign(SIGNING_SECRET, "x"), 64 * 1024 * 1024)
        assert status == 413 and sent < 16 * 1024 * 1024
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=10)

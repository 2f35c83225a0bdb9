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

from sandbox.payloads import SlackRequests
from sandbox.webapi import SlackStandIn
from storage.db import Database
from tests.conftest import SIGNING_SECRET, app_env, repo_root


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


def test_serve_http_end_to_end(fake_slack: SlackStandIn, tmp_path: Path, db: Database) -> None:
    port = free_port()
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"  # no schema yet: serve migrates it
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        **app_env(db, fake_slack, DATABASE_URL=fresh),
        "PYTHONPATH": str(repo_root()),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--http", "--port", str(port), "--no-scheduler"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
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
    # One JSON line per request, and never the token.
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("msg") == "request"]
    assert [(r["kind"], r["detail"], r["status"]) for r in requests] == [
        ("command", "/debrief", 200),
        ("command", "/debrief", 401),
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

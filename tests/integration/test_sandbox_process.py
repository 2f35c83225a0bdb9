"""`python -m bot sandbox` as a person starts it: the demo seeded through the bot on SQLite and
on PostgreSQL, the page's API answering, and the one-line refusals and warnings."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from sandbox.demo import DEALS, history
from storage.db import Database
from storage.models import Debrief, Team
from tests.browser.driver import free_port, running_sandbox
from tests.conftest import empty_tables, repo_root

ZONE = ZoneInfo("America/New_York")


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def _post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def test_the_demo_is_seeded_through_the_bot_and_the_clock_panel_runs_jobs(db: Database) -> None:
    empty_tables(db)
    today = datetime.now(ZONE).date()
    with running_sandbox(db.url) as sandbox:
        assert "set up 2 teams through /coach team" in sandbox.output()
        with db.session() as session:
            debriefs = session.scalar(select(func.count()).select_from(Debrief))
            teams = session.scalars(select(Team.name).order_by(Team.name)).all()
        assert debriefs == len(history(today))
        assert teams == ["Enterprise East", "Mid-Market EMEA"]

        state = _get(f"{sandbox.url}sandbox/api/state?as=U1ANA&since=0")
        dm = state["messages"]["DU1ANA"]
        posted = [m for m in dm if not m["bot"] and m["text"].startswith("debrief ")]
        assert posted and all(m["reply_count"] == 1 for m in posted)
        replies = [m for m in dm if m["bot"] and m["thread_ts"]]
        assert len(replies) == len(posted)

        monday = today - timedelta(days=today.weekday())
        answer = _post(
            f"{sandbox.url}sandbox/api/job",
            {"job": "weekly-digest", "as_of": f"{monday.isoformat()}T10:00"},
        )
        # The clock panel's job writes both managers' digests; the sandbox's worker sends them
        # (one sender: see bot/sandbox_run.py).
        assert answer["ok"] and "queued 2" in answer["output"], answer
        deadline = time.monotonic() + 15
        while True:
            grace = _get(f"{sandbox.url}sandbox/api/state?as=U3GRACE&since=0")
            dm = grace["messages"].get("DU3GRACE", [])
            digests = [m for m in dm if m["thread_ts"] is None and not m["files"]]
            chart = [m for m in dm if m["files"]]
            if (digests and chart) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        (digest,) = digests
        assert "Weekly deal review" in digest["text"]
        assert any(deal in json.dumps(digest["blocks"]) for deal in DEALS)
        assert chart and chart[0]["files"][0]["mimetype"] == "image/png"
        with urllib.request.urlopen(sandbox.url.rstrip("/") + chart[0]["files"][0]["url"]) as png:
            assert png.read(8) == b"\x89PNG\r\n\x1a\n"

        refused = _post_error(f"{sandbox.url}sandbox/api/job", {"job": "no-such-job"})
        assert "no-such-job" in refused
    empty_tables(db)


def _post_error(url: str, body: dict[str, Any]) -> str:
    try:
        _post(url, body)
    except urllib.error.HTTPError as error:
        assert error.code == 400
        return str(json.loads(error.read())["error"])
    raise AssertionError("the page API accepted a bad request")


def test_a_taken_port_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--empty"],
            cwd=repo_root(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith(f"dealcoach: error: cannot serve the sandbox on port {port}")
    assert "Traceback" not in done.stderr


def test_another_address_than_loopback_is_warned_about(tmp_path: Any) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "sandbox",
            "--port",
            str(port),
            "--empty",
            "--host",
            "0.0.0.0",
        ],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(repo_root())},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:
            seen.append(line)
            if "open http" in line:
                break
        text = "".join(seen)
        assert "WARNING: listening on 0.0.0.0" in text
        assert "anyone who can reach this port can act as anyone" in text
        assert (tmp_path / "sandbox.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)

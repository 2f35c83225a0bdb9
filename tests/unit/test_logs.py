"""Logs never carry a token or the signing secret."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

from bot.logs import JsonFormatter, RedactingFilter
from tests.conftest import repo_root


def test_tokens_and_secret_are_masked() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter(["my-signing-secret"]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token %s secret %s", "xoxb-123-abc", "my-signing-secret")
        try:
            raise ValueError("bad xapp-1-XYZ")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "xoxb-123" not in output and "my-signing-secret" not in output
    assert "xapp-1" not in output
    first = json.loads(output.splitlines()[0])
    assert first["msg"] == "token [redacted] secret [redacted]" and first["level"] == "warning"


SCHEDULER_RUN = """
import threading
from datetime import datetime, timezone
from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from bot.logs import configure

configure({level!r}, [])
executed = threading.Event()
scheduler = BackgroundScheduler(timezone="UTC")
scheduler.add_listener(lambda event: executed.set(), EVENT_JOB_EXECUTED)
now = datetime.now(timezone.utc)
scheduler.add_job(lambda: None, "interval", hours=1, id="tick", next_run_time=now)
scheduler.start()
assert executed.wait(10)
scheduler.shutdown(wait=True)
"""


def _scheduler_log(level: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SCHEDULER_RUN.format(level=level)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo_root())},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_apscheduler_chatter_is_only_in_debug_logs() -> None:
    assert _scheduler_log("INFO") == ""
    debug = _scheduler_log("DEBUG")
    assert "Added job" in debug and "Scheduler started" in debug
    assert "executed successfully" in debug

"""Structured logs: one JSON object per line, secrets masked, one line per Slack request."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import Any

TOKEN_PATTERN = re.compile(r"\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+")
STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {"message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in STANDARD_ATTRS})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


JsonFormatter.converter = time.gmtime


class RedactingFilter(logging.Filter):
    """Masks tokens and the signing secret wherever they would appear in a log line."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return TOKEN_PATTERN.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            record.msg = f"{record.msg}\n{record.exc_text}"
        return True


def configure(level: str, secrets: Iterable[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # urllib and Bolt's debug output carries request bodies and headers: never below INFO.
    for noisy in ("urllib3", "slack_sdk.web.base_client", "slack_bolt.App"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Waitress warns "Task queue depth is N" for every request that waits for a thread: under
    # load that is a JSON line per request (measurable in bench/ack.py), saying what the
    # request log's ack_ms already says.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # APScheduler says "Added job", "Scheduler started" and "Job ... executed successfully"
    # at INFO for every tick: only at DEBUG. Its warnings (a missed run) and errors remain.
    chatter = logging.NOTSET if level == "DEBUG" else max(logging.WARNING, root.level)
    logging.getLogger("apscheduler").setLevel(chatter)


def describe(body: dict[str, Any]) -> tuple[str, str]:
    """The request's kind and what it names: the command, callback, action or event type."""
    if "command" in body:
        return "command", str(body.get("command"))
    kind = str(body.get("type") or "unknown")
    if kind == "event_callback":
        event = body.get("event") or {}
        return "event", str(event.get("type")) + (
            f".{event['subtype']}" if event.get("subtype") else ""
        )
    if kind in ("view_submission", "view_closed"):
        return kind, str((body.get("view") or {}).get("callback_id"))
    if kind in ("block_actions",):
        actions = body.get("actions") or [{}]
        return kind, str(actions[0].get("action_id"))
    if kind in ("block_suggestion",):
        return kind, str(body.get("action_id"))
    if kind in ("shortcut", "message_action"):
        return kind, str(body.get("callback_id"))
    return kind, ""


request_log = logging.getLogger("dealcoach.request")


def log_request(body: dict[str, Any], status: int, seconds: float) -> None:
    """One line per request from Slack: what it was, the answer's status, and the time taken
    to give that answer (Slack's 3-second acknowledgement clock)."""
    kind, detail = describe(body)
    team = body.get("team")
    request_log.info(
        "request",
        extra={
            "kind": kind,
            "detail": detail,
            "team": team.get("id") if isinstance(team, dict) else body.get("team_id"),
            "status": status,
            "ack_ms": round(seconds * 1000, 1),
        },
    )


def log_refusal(status: int, reason: str, seconds: float) -> None:
    """The request line of a request refused before Bolt saw it: its body was never parsed
    (it may not even have been read), so its kind is only `refused`, with the reason."""
    request_log.info(
        "request",
        extra={
            "kind": "refused",
            "detail": reason,
            "team": None,
            "status": status,
            "ack_ms": round(seconds * 1000, 1),
        },
    )

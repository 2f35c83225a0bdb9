"""HTTP mode: Slack's Request URL (`POST /slack/events`) and `GET /healthz`.

`POST /slack/events` faces the open internet, so nothing a stranger sends is read or parsed:
a request with no signature, a timestamp older than five minutes, no Content-Length, or a body
over MAX_BODY is refused from its headers alone, and a body that was read is checked against
its signature before Bolt parses it. bot/server.py applies the same header rules inside
waitress, before the body arrives; SlackWsgi applies them again, so that the app holds no
stranger's body whatever server runs it.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.logs import log_refusal
from storage.db import Database, DatabaseReadOnly, DatabaseUnavailable

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
SLACK_PATH = "/slack/events"
# Slack's payloads are a few kilobytes; the largest (a modal of 100 blocks, a 40,000-character
# message with its blocks) stay well under a megabyte.
MAX_BODY = 1024 * 1024
# Slack's own rule: a request whose timestamp is more than five minutes from now is a replay.
SIGNATURE_MAX_AGE = 5 * 60
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused before its body is read: an HTTP status and a short reason."""

    status: int
    reason: str

    @property
    def status_line(self) -> str:
        return f"{self.status} {HTTPStatus(self.status).phrase}"

    def body(self) -> bytes:
        return json.dumps({"ok": False, "error": self.reason}).encode()


TOO_LARGE = Refusal(413, "body_too_large")
NO_LENGTH = Refusal(413, "length_required")
NO_SIGNATURE = Refusal(401, "no_signature")
STALE = Refusal(401, "stale_timestamp")
BAD_SIGNATURE = Refusal(401, "bad_signature")
NOT_FOUND = Refusal(404, "not_found")


def refuse_from_headers(
    *,
    content_length: str | None,
    chunked: bool,
    signature: str | None,
    timestamp: str | None,
    now: float,
) -> Refusal | None:
    """The refusal a `POST /slack/events` earns from its headers alone, or None.

    A chunked body has no length to check here: it is counted as it arrives (bot/server.py).
    """
    if not chunked:
        if content_length is None or not content_length.strip().isdigit():
            return NO_LENGTH
        if int(content_length) > MAX_BODY:
            return TOO_LARGE
    if not signature or not signature.startswith("v0="):
        return NO_SIGNATURE
    stamp = (timestamp or "").strip()
    if not stamp.isdigit() or abs(now - int(stamp)) > SIGNATURE_MAX_AGE:
        return STALE
    return None


class SlackWsgi:
    """Routes the two paths. A request Bolt cannot parse is refused with 400 (its signature
    is good by then: unsigned ones were refused with 401 before Bolt saw them)."""

    def __init__(self, app: App, db: Database, signing_secret: str) -> None:
        self.bolt = SlackRequestHandler(app, path=SLACK_PATH)
        self.db = db
        self.secret = signing_secret.encode()
        flow = app.oauth_flow
        self.oauth_paths = (
            frozenset({flow.install_path, flow.redirect_uri_path}) if flow else frozenset()
        )

    def _reply(
        self, start_response: StartResponse, status: str, payload: dict[str, Any]
    ) -> list[bytes]:
        body = json.dumps(payload).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

    def _refuse(
        self, start_response: StartResponse, refusal: Refusal, started: float
    ) -> list[bytes]:
        log_refusal(refusal.status, refusal.reason, time.perf_counter() - started)
        body = refusal.body()
        start_response(
            refusal.status_line,
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _read_signed(
        self, stream: Any, length: int, timestamp: str, signature: str
    ) -> bytes | None:
        """The body, if its signature is good; None otherwise.

        Hashed as it is read, 64 KiB at a time, so that a forged body costs no more memory
        than its own size: slack_sdk's verifier decodes, concatenates and encodes it again
        (three more copies on each of the 16 threads). Bolt then verifies a good one again,
        with slack_sdk, before it acts on it.
        """
        mac = hmac.new(self.secret, f"v0:{timestamp}:".encode(), hashlib.sha256)
        chunks: list[bytes] = []
        while length > 0:
            chunk = stream.read(min(length, READ_CHUNK))
            if not chunk:
                return None  # shorter than announced
            mac.update(chunk)
            chunks.append(chunk)
            length -= len(chunk)
        if not hmac.compare_digest(f"v0={mac.hexdigest()}", signature):
            return None
        return b"".join(chunks)

    def _health(self, start_response: StartResponse) -> list[bytes]:
        """200 when the database answers and accepts writes (a write that changes nothing, rolled
        back), else 503 saying which: a replica or a read-only file serves nobody's debrief."""
        try:
            self.db.check_writes()
        except DatabaseUnavailable:
            state = "unreachable"
        except DatabaseReadOnly:
            state = "read-only"
        else:
            return self._reply(start_response, "200 OK", {"ok": True, "database": "ok"})
        return self._reply(
            start_response, "503 Service Unavailable", {"ok": False, "database": state}
        )

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz" and method in ("GET", "HEAD"):
            return self._health(start_response)
        if method == "GET" and path in self.oauth_paths:
            # OAuth mode's install page and Slack's redirect back: Bolt's flow answers them.
            return self.bolt(environ, start_response)
        if path != SLACK_PATH or method != "POST":
            return self._reply(start_response, "404 Not Found", {"ok": False, "error": "not_found"})
        started = time.perf_counter()
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        refusal = refuse_from_headers(
            content_length=environ.get("CONTENT_LENGTH") or None,
            chunked=False,  # a WSGI server hands the app a body of known length
            signature=signature,
            timestamp=timestamp,
            now=time.time(),
        )
        if refusal is not None:
            return self._refuse(start_response, refusal, started)
        length = int(environ["CONTENT_LENGTH"])
        raw = self._read_signed(environ["wsgi.input"], length, timestamp or "", signature or "")
        if raw is None:
            return self._refuse(start_response, BAD_SIGNATURE, started)
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            return self.bolt(environ, start_response)
        except Exception:
            # Signed, yet no Slack payload Bolt can read: one line, no traceback.
            log.warning("request is not a Slack payload", extra={"bytes": len(raw)})
            return self._reply(start_response, "400 Bad Request", {"error": "not_a_slack_payload"})

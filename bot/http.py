"""HTTP mode: Slack's Request URL (`POST /slack/events`) and `GET /healthz`, served by waitress."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from storage.db import Database, DatabaseReadOnly, DatabaseUnavailable

log = logging.getLogger(__name__)
SERVER_THREADS = 16  # waitress worker threads: requests answered at once

StartResponse = Callable[..., Any]
SLACK_PATH = "/slack/events"


class SlackWsgi:
    """Routes the two paths; a request Bolt cannot parse is refused: 400 when its signature is
    good, 401 when it is not."""

    def __init__(self, app: App, db: Database, signing_secret: str) -> None:
        self.bolt = SlackRequestHandler(app, path=SLACK_PATH)
        self.db = db
        self.verifier = SignatureVerifier(signing_secret)

    def _reply(
        self, start_response: StartResponse, status: str, payload: dict[str, Any]
    ) -> list[bytes]:
        body = json.dumps(payload).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]

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
        if path != SLACK_PATH or method != "POST":
            return self._reply(start_response, "404 Not Found", {"ok": False, "error": "not_found"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = _Replay(raw)
        try:
            return self.bolt(environ, start_response)
        except Exception:
            signed = self.verifier.is_valid(
                body=raw.decode("utf-8", "replace"),
                timestamp=environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
                signature=environ.get("HTTP_X_SLACK_SIGNATURE", ""),
            )
            if not signed:
                return self._reply(start_response, "401 Unauthorized", {"error": "invalid_request"})
            # Signed, yet no Slack payload Bolt can read: one line, no traceback.
            log.warning("request is not a Slack payload", extra={"bytes": len(raw)})
            return self._reply(start_response, "400 Bad Request", {"error": "not_a_slack_payload"})


class _Replay:
    """The request body, read once, offered again to Bolt's WSGI adapter."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size is None or size < 0 else self._pos + size
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


class BoundHttp:
    """The HTTP port, taken before the slow part of start-up (migrations, the Slack app, the
    scheduler), so that a port in use is the first and only thing an operator reads. A request
    that arrives meanwhile waits in the listen backlog until `run` hands over the app."""

    def __init__(self, port: int, host: str = "0.0.0.0", threads: int = SERVER_THREADS) -> None:
        from waitress import create_server

        self.port = port
        self._server: Any = create_server(
            _not_ready, host=host, port=port, threads=threads, ident="dealcoach"
        )

    def run(self, wsgi: Callable[..., Iterable[bytes]]) -> None:
        self._server.application = wsgi
        log.info("serving HTTP", extra={"port": self.port, "path": SLACK_PATH})
        self._server.run()

    def close(self) -> None:
        """Give the port back when start-up fails after it was taken."""
        self._server.task_dispatcher.shutdown()
        self._server.close()


def _not_ready(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    # Never called: waitress serves nothing before run(), which replaces it.
    start_response("503 Service Unavailable", [("Content-Length", "0")])
    return []


def serve_http(
    wsgi: SlackWsgi, port: int, host: str = "0.0.0.0", threads: int = SERVER_THREADS
) -> None:
    BoundHttp(port, host, threads).run(wsgi)

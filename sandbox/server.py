"""The sandbox over HTTP: the page and its JSON API, and the stand-in's Web API, as one WSGI
application that the assembly mounts beside the bot's own `POST /slack/events`.

Paths: `/` the page, `/app.js` and `/app.css` (or under `/static/`) its script and styles,
`/sandbox/api/…` the page's API, `/api/…` the Web API (the bot's SLACK_API_URL), `/hooks/…`
response URLs, `/upload/…` and `/files/…` uploaded files.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from sandbox.page import Page, PageError
from sandbox.webapi import SlackStandIn

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 16 * 1024 * 1024  # a chart upload is ~50 KB; nothing the page sends comes close
STANDIN_PREFIXES = ("/api/", "/hooks/", "/upload/", "/files/")
StartResponse = Callable[..., Any]

# Page API verbs that take a JSON body, and the arguments each passes on.
VERBS: dict[str, tuple[str, ...]] = {
    "send": ("as", "channel", "text", "thread_ts"),
    "action": ("as", "container", "action", "state"),
    "suggest": ("as", "view_id", "block_id", "action_id", "value"),
    "submit": ("as", "view_id", "state"),
    "close": ("as", "view_id", "all"),
    "home": ("as",),
    "shortcut": ("as", "channel", "ts", "callback_id"),
    "job": ("job", "as_of"),
}


class SandboxApp:
    """A WSGI application: the page, its API, and the stand-in's Web API."""

    def __init__(self, page: Page, standin: SlackStandIn) -> None:
        self.page = page
        self.standin = standin

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith(STANDIN_PREFIXES):
            return self._standin(environ, start_response, path)
        if path.startswith("/sandbox/api/"):
            return self._api(environ, start_response, path[len("/sandbox/api/") :], method)
        if method in ("GET", "HEAD"):
            if path in ("/", "/index.html"):
                return self._static(start_response, "index.html")
            return self._static(start_response, path.removeprefix("/static/").lstrip("/"))
        return _reply(start_response, "404 Not Found", b"not found", "text/plain")

    def _standin(
        self, environ: dict[str, Any], start_response: StartResponse, path: str
    ) -> Iterable[bytes]:
        body = _body(environ)
        if body is None:
            return _reply(start_response, "413 Payload Too Large", b"too large", "text/plain")
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        query = environ.get("QUERY_STRING", "")
        answer = self.standin.dispatch(path + (f"?{query}" if query else ""), headers, body)
        if answer.delay > 0:
            time.sleep(answer.delay)
        status = f"{answer.status} {HTTPStatus(answer.status).phrase}"
        extra = list(answer.headers.items())
        return _reply(start_response, status, answer.body, answer.content_type, extra)

    def _api(
        self, environ: dict[str, Any], start_response: StartResponse, verb: str, method: str
    ) -> Iterable[bytes]:
        try:
            if verb == "state" and method == "GET":
                query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
                since = int(query.get("since") or 0)
                result = self.page.state(query.get("as", ""), since)
            elif verb in VERBS and method == "POST":
                raw = _body(environ)
                try:
                    args = json.loads(raw or b"{}")
                except ValueError:
                    raise PageError("the request is not JSON") from None
                if not isinstance(args, dict):
                    raise PageError("the request must be a JSON object")
                handler = getattr(self.page, verb)
                result = handler(*(args.get(name) for name in VERBS[verb]))
            else:
                return _json(
                    start_response, "404 Not Found", {"ok": False, "error": "no such call"}
                )
        except PageError as exc:
            return _json(start_response, "400 Bad Request", {"ok": False, "error": str(exc)})
        except ValueError as exc:
            return _json(start_response, "400 Bad Request", {"ok": False, "error": str(exc)})
        return _json(start_response, "200 OK", result)

    def _static(self, start_response: StartResponse, name: str) -> Iterable[bytes]:
        target = (STATIC / name).resolve()
        if STATIC not in target.parents or not target.is_file():
            return _reply(start_response, "404 Not Found", b"not found", "text/plain")
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith("javascript"):
            kind += "; charset=utf-8"
        return _reply(
            start_response, "200 OK", target.read_bytes(), kind, [("Cache-Control", "no-cache")]
        )


def _body(environ: dict[str, Any]) -> bytes | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return None
    return bytes(environ["wsgi.input"].read(length)) if length > 0 else b""


def _reply(
    start_response: StartResponse,
    status: str,
    body: bytes,
    content_type: str,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    start_response(status, headers + (extra or []))
    return [body]


def _json(start_response: StartResponse, status: str, payload: Any) -> list[bytes]:
    body = json.dumps(payload).encode("utf-8")
    return _reply(start_response, status, body, "application/json; charset=utf-8")

"""A fake Slack Web API server for tests.

Slack cannot be reached from CI, yet we want our tests to drive the *real* Bolt app and the
*real* ``slack_sdk`` HTTP client (URL building, form vs JSON bodies, auth headers, retry
handlers). So instead of mocking ``WebClient`` we point its ``base_url`` at this server, which
answers the handful of Web API methods Deal Coach uses with Slack-shaped JSON (plus the external
file upload flow behind ``files_upload_v2``), records every call for assertions, and can inject
the failures Slack produces in real life (HTTP 429 with ``Retry-After``, 5xx, ``ok: false``
errors, slow answers, per-channel rate limits).

Typical use::

    with SlackStandIn() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="U_REP1", text="hi")
        (call,) = fake.wait_for("chat.postMessage")
        assert call.params["text"] == "hi"
"""

from __future__ import annotations

import base64
import json
import mimetypes
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qs, urlencode, urlsplit

from sandbox.blockkit import VIEW_METHODS, problems_in_call

__all__ = ["TRIGGER_LIFETIME", "Call", "SlackStandIn", "next_ts"]

TEAM_ID = "T0001"
TEAM_NAME = "Test Team"
TEAM_DOMAIN = "testteam"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A0001"

# Fields slack_sdk (or an app) may send as JSON *strings* inside a form body; decoding them lets
# tests assert on structure instead of on serialised text.
JSON_STRING_FIELDS = ("blocks", "view", "attachments", "metadata", "files")

# A trigger_id is good for 3 seconds after the interaction that issued it, as on Slack.
TRIGGER_LIFETIME = 3.0

# Calls after which a person may see something new (the sandbox's page waits on these).
CHANGING_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "chat.delete",
        "views.open",
        "views.push",
        "views.update",
        "views.publish",
        "files.completeUploadExternal",
        "response_url",
    }
)

# Slack's consent screen, beside the Web API (``https://slack.com/oauth/v2/authorize``).
AUTHORIZE_PATH = "/oauth/v2/authorize"

# Pseudo-method under which POSTs to response_url webhooks (``/hooks/...``) are recorded.
RESPONSE_URL_METHOD = "response_url"

# Pseudo-method under which POSTs of file bytes to an upload URL (``/upload/<file id>``, handed
# out by files.getUploadURLExternal) are recorded. Like Slack's pre-signed upload URLs, they
# take no token.
UPLOAD_METHOD = "upload"


class _TsClock:
    """Strictly increasing Slack-style ``ts`` strings ("1767225600.000100") from wall time.

    Slack message timestamps are epoch seconds with microseconds and unique per channel; apps
    sort, thread and dedupe on them, so fixtures must never hand out the same value twice.
    Using real time (rather than a fixed epoch) keeps date-derived logic in the app realistic.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_us = 0

    def next(self) -> str:
        with self._lock:
            self._last_us = max(time.time_ns() // 1000, self._last_us + 1)
            seconds, micros = divmod(self._last_us, 1_000_000)
            return f"{seconds}.{micros:06d}"


_CLOCK = _TsClock()


def next_ts() -> str:
    """Return a fresh, process-wide increasing Slack ``ts`` (shared by the fake and fixtures)."""
    return _CLOCK.next()


@dataclass
class Call:
    """One request received by the fake, kept so tests can assert on what the app sent.

    ``failed`` is True whenever the answer was not a success: an injected fault, a rate-limit
    429, or an ``ok: false`` answer (``not_authed``, ``hash_conflict``, ...).
    """

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    failed: bool = False
    status: int = 200
    response: dict[str, Any] | None = None
    path: str = ""
    at: float = field(default_factory=time.monotonic)

    @property
    def token(self) -> str | None:
        """The bearer token the caller authenticated with (header first, then form field)."""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[len("Bearer ") :]
        token = self.params.get("token")
        return token if isinstance(token, str) else None

    @property
    def error(self) -> str | None:
        """The Slack ``error`` code of the answer, if any."""
        return None if self.response is None else self.response.get("error")


@dataclass
class _Fault:
    status: int
    remaining: int
    retry_after: int | None
    error: str | None


class _HttpFault(Exception):
    """Raised inside a method handler to answer with a non-200 status (e.g. a 429)."""

    def __init__(self, status: int, error: str, retry_after: int | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.retry_after = retry_after


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]
    delay: float


def _with_ids(blocks: Any) -> Any:
    """Blocks as Slack stores them: every block and interactive element gets an id when the
    app gave none (Slack makes up short random ones), so actions can name where they came from."""
    if not isinstance(blocks, list):
        return blocks
    filled = []
    for block in blocks:
        if not isinstance(block, dict):
            filled.append(block)
            continue
        block = {**block, "block_id": block.get("block_id") or secrets.token_urlsafe(3)[:4]}
        for key in ("element", "accessory"):
            if isinstance(block.get(key), dict) and "action_id" not in block[key]:
                block[key] = {**block[key], "action_id": secrets.token_urlsafe(3)[:4]}
        if isinstance(block.get("elements"), list) and block.get("type") == "actions":
            block["elements"] = [
                {**e, "action_id": e.get("action_id") or secrets.token_urlsafe(3)[:4]}
                if isinstance(e, dict)
                else e
                for e in block["elements"]
            ]
        filled.append(block)
    return filled


def slack_escaped(text: str) -> str:
    """Text as Slack stores and sends what a person typed: `&`, `<` and `>` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _err(error: str) -> dict[str, Any]:
    return {"ok": False, "error": error}


def _decode_json_strings(params: dict[str, Any]) -> dict[str, Any]:
    for key in JSON_STRING_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            # On bad JSON keep the raw string: the app really sent something malformed.
            with suppress(ValueError):
                params[key] = json.loads(value)
    return params


def _parse_params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    """Merge query-string and body parameters the way Slack does (body wins)."""
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    text = body.decode("utf-8", errors="replace")
    if not text:
        return _decode_json_strings(params)
    if "json" in content_type.lower() or (not content_type and text.lstrip()[:1] == "{"):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            params.update(decoded)
        else:
            params["_raw_body"] = text
    elif "x-www-form-urlencoded" in content_type.lower() or not content_type:
        params.update({k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()})
    else:  # multipart uploads etc.: not imitated, but keep them visible to tests
        params["_raw_body"] = text
    return _decode_json_strings(params)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: SlackStandIn


class _Handler(BaseHTTPRequestHandler):
    server_version = "SlackStandIn/1.0"

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; the recorded calls are the useful trace."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k: v for k, v in self.headers.items()}
        fake = cast(_Server, self.server).fake
        answer = fake.dispatch(self.path, headers, body)
        if answer.delay > 0:
            time.sleep(answer.delay)
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. a timeout test); nothing left to tell it


class SlackStandIn:
    """Threaded stand-in for ``https://slack.com/api/`` on 127.0.0.1 (OS-assigned port).

    Point ``WebClient(base_url=fake.url)`` (or the app's client) at it. Set ``fake.users[id]``
    to control what ``users.info`` answers (partial dicts are merged over a default user).
    All state is guarded by one lock, so the app's worker threads and the test thread can use
    it concurrently.
    """

    team_id = TEAM_ID
    bot_user_id = BOT_USER_ID
    bot_id = BOT_ID
    app_id = APP_ID
    # Tokens the fake accepts; Deal Coach only ever calls the Web API with its bot token
    # (`xoxe.xoxb-` is a bot token that expires, issued when the app rotates its tokens).
    token_prefixes: tuple[str, ...] = ("xoxb-", "xoxe.xoxb-")

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        strict_triggers: bool = False,
        validate_blocks: bool = True,
        public_base: str | None = None,
    ) -> None:
        self.host = host
        # Set where the stand-in is served by someone else's server (the sandbox's single
        # port): the base of the upload, webhook and file URLs it hands out.
        self.public_base = public_base
        self.users: dict[str, dict[str, Any]] = {}
        # OAuth (kept across reset(), like users): the app's credentials and what was issued.
        self._oauth_apps: dict[str, dict[str, Any]] = {}
        self._codes: dict[str, dict[str, Any]] = {}
        self._tokens: dict[str, dict[str, Any]] = {}  # bot token -> its workspace, state
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> the client it is for
        self.workspace_names: dict[str, str] = {}
        self._current_token: str | None = None
        self.channels: dict[str, dict[str, Any]] = {}  # id -> {"name": ...}, the sandbox's
        self.team_name = TEAM_NAME
        # Slack refuses a trigger_id it never issued; tests that mint their own ids turn this
        # off, the sandbox (whose every trigger_id comes from here) keeps it on.
        self.strict_triggers = strict_triggers
        self.validate_blocks = validate_blocks
        self._cond = threading.Condition(threading.RLock())
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "auth.revoke": self._auth_revoke,
            "oauth.v2.access": self._oauth_v2_access,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            RESPONSE_URL_METHOD: self._response_url,
            UPLOAD_METHOD: self._upload,
        }
        self._init_state()

    def _init_state(self) -> None:
        self._calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._delays: dict[str, float] = {}
        self._rate_limit_seconds: float | None = None
        self._last_post_at: dict[str, float] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._external_ids: dict[str, str] = {}
        self._home_views: dict[str, str] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._view_counter = 0
        self._pending_uploads: dict[str, dict[str, Any]] = {}  # file id -> filename, length
        self._uploads: dict[str, bytes] = {}
        self._files: dict[str, dict[str, Any]] = {}  # file id -> the file object as shared
        self._file_counter = 0
        self._triggers: dict[str, tuple[float, str | None]] = {}  # id -> (issued at, user)
        self._modal_stacks: dict[str, list[str]] = {}  # user -> view ids, top last
        self._view_owner: dict[str, str] = {}  # modal view id -> user
        self._view_errors: dict[str, dict[str, str]] = {}
        self._response_urls: dict[str, dict[str, Any]] = {}  # hook id -> where it answers
        self._notices: list[dict[str, Any]] = []
        self._version = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackStandIn:
        """Bind an OS-assigned port and serve in a daemon thread (idempotent)."""
        if self._server is not None:
            return self
        server = _Server((self.host, 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="SlackStandIn"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackStandIn is not started")
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` without a path (or where the sandbox serves it)."""
        if self.public_base is not None:
            return self.public_base.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """Web API base URL; slack_sdk appends the method name, so it must end with '/'."""
        return f"{self.base}/api/"

    @property
    def hooks_url(self) -> str:
        """Base for fake ``response_url`` webhooks (pass to ``SlackRequests(response_url_base=)``).

        POSTs under it are recorded as calls to the pseudo-method ``"response_url"``.
        """
        return f"{self.base}/hooks"

    # ------------------------------------------------------------------ test controls

    def fail_next(
        self,
        method: str,
        status: int = 500,
        times: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        ``status=429`` answers ``ratelimited`` (with ``Retry-After`` when ``retry_after`` is set,
        as Slack does); ``status=200`` requires ``error`` and answers ``{"ok": false, "error"}``;
        any other status answers that HTTP status with a JSON error body. Faults queue up FIFO.
        """
        if status == 200 and not error:
            raise ValueError("status=200 faults need an error code, e.g. error='channel_not_found'")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._cond:
            self._faults.setdefault(method, deque()).append(
                _Fault(status=status, remaining=times, retry_after=retry_after, error=error)
            )

    def delay(self, method: str, seconds: float) -> None:
        """Answer every call to ``method`` only after ``seconds`` (0 removes the delay).

        The call is recorded on arrival, so tests can see it even if the client times out.
        """
        with self._cond:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def rate_limit_per_channel(self, seconds: float | None) -> None:
        """Imitate Slack's ~1 msg/s/channel limit: a ``chat.postMessage`` to a channel that got a
        message less than ``seconds`` ago answers 429 with ``Retry-After: 1``. None disables it."""
        with self._cond:
            self._rate_limit_seconds = seconds if seconds and seconds > 0 else None
            self._last_post_at.clear()

    def reset(self) -> None:
        """Forget calls, faults, limits, delays, views, messages, uploads, counters; keep users
        and channels."""
        with self._cond:
            self._init_state()

    # ------------------------------------------------------------------ queries

    @property
    def calls(self) -> list[Call]:
        """Every call received so far (including failed ones), oldest first."""
        with self._cond:
            return list(self._calls)

    def calls_to_all(self) -> list[Call]:
        """Every call to any method, failed ones included (e.g. to lint everything we sent)."""
        return self.calls

    def calls_to(self, method: str, include_failed: bool = False) -> list[Call]:
        """Calls to ``method``; successful ones only unless ``include_failed``."""
        with self._cond:
            return [
                c for c in self._calls if c.method == method and (include_failed or not c.failed)
            ]

    def last(self, method: str) -> Call:
        """The latest successful call to ``method`` (AssertionError when there is none)."""
        calls = self.calls_to(method)
        if not calls:
            raise AssertionError(f"no successful {method} call; {self.summary()}")
        return calls[-1]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least ``count`` successful calls to ``method`` exist, and return them.

        Bolt acks first and runs listeners in worker threads, so Web API calls land some time
        after the HTTP response; polling here avoids sleeps in tests.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self._calls if c.method == method and not c.failed]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            failures = [
                f"{c.status}/{c.error}" for c in self._calls if c.method == method and c.failed
            ]
            summary = self.summary()
        detail = f"; failed {method} answers: {failures}" if failures else ""
        raise AssertionError(
            f"expected >= {count} successful {method} call(s) within {timeout}s, "
            f"got {len(found)}{detail}; {summary}"
        )

    def summary(self) -> str:
        """Human-readable digest of the methods seen, for assertion messages."""
        with self._cond:
            ok = Counter(c.method for c in self._calls if not c.failed)
            bad = Counter(c.method for c in self._calls if c.failed)
        if not ok and not bad:
            return "no calls seen"
        parts = [
            f"{m} x{ok[m]}" + (f" ({bad[m]} failed)" if bad[m] else "")
            for m in sorted(set(ok) | set(bad))
        ]
        return "calls seen: " + ", ".join(parts)

    def view(self, view_id: str) -> dict[str, Any] | None:
        """The latest state of a view opened/updated/published through the fake."""
        with self._cond:
            view = self._views.get(view_id)
            return None if view is None else dict(view)

    def uploaded(self, file_id: str) -> bytes | None:
        """The bytes POSTed to ``file_id``'s upload URL (None if nothing arrived for it)."""
        with self._cond:
            return self._uploads.get(file_id)

    @contextmanager
    def expect_no_calls(self, method: str) -> Iterator[None]:
        """Assert that the wrapped block causes no call (successful or not) to ``method``."""
        before = len(self.calls_to(method, include_failed=True))
        yield
        after = len(self.calls_to(method, include_failed=True))
        if after != before:
            raise AssertionError(f"unexpected {method} call(s): {after - before}")

    # ------------------------------------------------------------------ dispatch

    def dispatch(self, raw_path: str, headers: dict[str, str], body: bytes) -> Answer:
        parts = urlsplit(raw_path)
        path = parts.path
        if path.startswith("/api/"):
            method = path[len("/api/") :].strip("/")
        elif path == "/hooks" or path.startswith("/hooks/"):
            method = RESPONSE_URL_METHOD
        elif path.startswith("/upload/"):
            method = UPLOAD_METHOD
        elif path.startswith("/files/"):
            return self._file_answer(path[len("/files/") :])
        elif path == AUTHORIZE_PATH:
            return self._authorize_answer(parts.query)
        else:
            return Answer(404, b"not found", "text/plain", {}, 0.0)
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if method == UPLOAD_METHOD:
            # Raw file bytes, whatever the Content-Type says (urllib labels them as a form). They
            # stay out of the recorded params; tests read them with ``uploaded()``.
            params: dict[str, Any] = {
                "file_id": path[len("/upload/") :].strip("/"),
                "length": len(body),
            }
        else:
            params = _parse_params(parts.query, body, content_type)
        if method == RESPONSE_URL_METHOD and isinstance(params.get("payload"), str):
            params = _decode_json_strings(json.loads(params["payload"]))
        if method == RESPONSE_URL_METHOD:
            params["_hook_id"] = path.rstrip("/").rsplit("/", 1)[-1]

        with self._cond:
            delay = self._delays.get(method, 0.0)
            extra_headers: dict[str, str] = {}
            status, response = self._answer(method, params, headers, extra_headers)
            failed = status != 200 or response.get("ok") is False
            if method == UPLOAD_METHOD and not failed:
                self._uploads[params["file_id"]] = body
            if not failed and method in CHANGING_METHODS:
                self._touch()
            self._calls.append(
                Call(
                    method=method,
                    params=params,
                    headers=headers,
                    failed=failed,
                    status=status,
                    response=response,
                    path=path,
                )
            )
            self._cond.notify_all()

        if method == RESPONSE_URL_METHOD and not failed:
            # Slack's webhook endpoints answer a bare "ok", not a Web API JSON document.
            return Answer(200, b"ok", "text/html", extra_headers, delay)
        if method == UPLOAD_METHOD and not failed:
            # So does the upload endpoint: "OK - <bytes received>".
            text = f"OK - {params['length']}".encode()
            return Answer(200, text, "text/plain; charset=utf-8", extra_headers, delay)
        payload = json.dumps(response).encode("utf-8")
        return Answer(status, payload, "application/json; charset=utf-8", extra_headers, delay)

    def _answer(
        self,
        method: str,
        params: dict[str, Any],
        headers: dict[str, str],
        extra_headers: dict[str, str],
    ) -> tuple[int, dict[str, Any]]:
        """Compute (status, body) for one call; must run under the lock."""
        queue = self._faults.get(method)
        if queue:
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.popleft()
            if fault.status == 429:
                if fault.retry_after is not None:
                    extra_headers["Retry-After"] = str(fault.retry_after)
                return 429, _err(fault.error or "ratelimited")
            if fault.status == 200:
                return 200, _err(cast(str, fault.error))
            return fault.status, _err(fault.error or "fatal_error")

        handler = self._handlers.get(method)
        if handler is None:
            return 200, _err("unknown_method")
        unauthed = ("api.test", "oauth.v2.access", RESPONSE_URL_METHOD, UPLOAD_METHOD)
        token = self._token_of(headers, params)
        if method not in unauthed:
            if not token or not token.startswith(self.token_prefixes):
                return 200, _err("not_authed")
            issued = self._tokens.get(token)
            if issued is not None and issued["revoked"]:
                return 200, _err("token_revoked")
            if issued is not None and issued["expires_at"] and issued["expires_at"] < time.time():
                return 200, _err("token_expired")
        self._current_token = token
        if method == "oauth.v2.access":
            self._current_token = self._basic_auth(headers)
        if self.validate_blocks:
            problems = problems_in_call(method, params)
            if problems:
                error = "invalid_arguments" if method in VIEW_METHODS else "invalid_blocks"
                self._add_notice("error", f"{method} refused: {error}: {'; '.join(problems)}")
                refusal = _err(error)
                refusal["response_metadata"] = {"messages": [f"[ERROR] {p}" for p in problems]}
                return 200, refusal
        try:
            return 200, handler(params)
        except _HttpFault as fault:
            if fault.retry_after is not None:
                extra_headers["Retry-After"] = str(fault.retry_after)
            return fault.status, _err(fault.error)

    @staticmethod
    def _token_of(headers: dict[str, str], params: dict[str, Any]) -> str:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if auth.startswith("Bearer "):
            return auth[len("Bearer ") :]
        raw = params.get("token")  # Slack also accepts a token POST parameter
        return raw if isinstance(raw, str) else ""

    @staticmethod
    def _basic_auth(headers: dict[str, str]) -> str | None:
        """``client_id:client_secret`` from HTTP Basic auth (how slack_sdk sends them)."""
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not auth.startswith("Basic "):
            return None
        try:
            return base64.b64decode(auth[len("Basic ") :]).decode("utf-8")
        except (ValueError, UnicodeError):
            return None

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _channel_for(channel: Any) -> str | None:
        """Slack accepts a user id as ``channel`` and posts to the app's DM with that user."""
        if not isinstance(channel, str) or not channel:
            return None
        if channel[0] in ("U", "W"):
            return "D" + channel
        return channel

    @staticmethod
    def _new_hash() -> str:
        return f"{int(time.time())}.{secrets.token_urlsafe(6)[:8]}"

    def _new_view_id(self) -> str:
        self._view_counter += 1
        return f"V{self._view_counter:08d}"

    def _materialize_view(
        self,
        posted: dict[str, Any],
        view_id: str,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Echo a posted view the way Slack does: the posted fields plus server-side ones."""
        defaults: dict[str, Any] = {
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "title": None,
            "close": None,
            "submit": None,
            "clear_on_close": False,
            "notify_on_close": False,
            "external_id": previous.get("external_id", "") if previous else "",
        }
        view = {**defaults, **posted}
        view["blocks"] = _with_ids(view.get("blocks"))
        view.update(
            {
                "id": view_id,
                "team_id": TEAM_ID,
                "state": {"values": {}},
                "hash": self._new_hash(),
                "previous_view_id": previous.get("previous_view_id") if previous else None,
                "root_view_id": previous.get("root_view_id", view_id) if previous else view_id,
                "app_id": APP_ID,
                "app_installed_team_id": TEAM_ID,
                "bot_id": BOT_ID,
            }
        )
        self._views[view_id] = view
        if view["external_id"]:
            self._external_ids[view["external_id"]] = view_id
        return view

    def _trigger_user(self, trigger_id: str) -> tuple[str | None, str | None]:
        """(the user the trigger belongs to, the error Slack would answer) for a trigger_id."""
        issued = self._triggers.get(trigger_id)
        if issued is None:
            return None, ("invalid_trigger_id" if self.strict_triggers else None)
        at, user = issued
        if time.monotonic() - at > TRIGGER_LIFETIME:
            return user, "expired_trigger_id"
        return user, None

    def _open_view(self, params: dict[str, Any], *, push: bool) -> dict[str, Any]:
        posted = params.get("view")
        if not isinstance(posted, dict):
            return _err("invalid_arguments")
        trigger = params.get("trigger_id") or params.get("interactivity_pointer")
        if not trigger:
            return _err("invalid_arguments")
        user, error = self._trigger_user(str(trigger))
        if error:
            self._add_notice("error", f"views.{'push' if push else 'open'} refused: {error}")
            return _err(error)
        external_id = posted.get("external_id")
        if external_id and external_id in self._external_ids:
            return _err("duplicate_external_id")
        stack = self._modal_stacks.get(user, []) if user else []
        if push and len(stack) >= 3:
            return _err("push_limit_reached")
        view_id = self._new_view_id()
        previous = self._views.get(stack[-1]) if push and stack else None
        view = self._materialize_view(posted, view_id)
        if previous is not None:
            view["previous_view_id"] = previous["id"]
            view["root_view_id"] = previous.get("root_view_id", previous["id"])
        if user:
            self._modal_stacks[user] = [*stack, view_id] if push else [view_id]
            self._view_owner[view_id] = user
        return {"ok": True, "view": view}

    # ------------------------------------------------------------------ methods

    def _api_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "args": {k: v for k, v in params.items() if k != "token"}}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        issued = self._tokens.get(self._current_token or "")
        team_id = issued["team_id"] if issued else TEAM_ID
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": issued["team_name"] if issued else TEAM_NAME,
            "user": "deal_coach",
            "team_id": team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "enterprise_id": issued["enterprise_id"] if issued else None,
            "is_enterprise_install": bool(issued and issued["org_wide"]),
        }

    def _auth_revoke(self, params: dict[str, Any]) -> dict[str, Any]:
        issued = self._tokens.get(self._current_token or "")
        if issued is not None:
            issued["revoked"] = True
        return {"ok": True, "revoked": True}

    # ------------------------------------------------------------------ OAuth

    def register_oauth_app(
        self,
        client_id: str,
        client_secret: str,
        redirect_url: str,
        *,
        token_rotation: bool = False,
        expires_in: int = 12 * 3600,
    ) -> None:
        """The app's credentials and Redirect URL, as set at api.slack.com/apps; with
        ``token_rotation`` its bot tokens expire after ``expires_in`` seconds."""
        with self._cond:
            self._oauth_apps[client_id] = {
                "secret": client_secret,
                "redirect_url": redirect_url,
                "rotation": token_rotation,
                "expires_in": expires_in,
            }

    def grant_code(
        self,
        client_id: str,
        team_id: str,
        *,
        user: str = "U_INSTALLER",
        enterprise_id: str | None = None,
        org_wide: bool = False,
        scope: str = "commands,chat:write",
    ) -> str:
        """What Slack's consent screen does when someone approves the install: a one-time
        code for the app to exchange at ``oauth.v2.access``."""
        code = f"{int(time.time())}.{secrets.token_hex(12)}"
        with self._cond:
            self._codes[code] = {
                "client_id": client_id,
                "team_id": team_id,
                "user": user,
                "enterprise_id": enterprise_id,
                "org_wide": org_wide,
                "scope": scope,
            }
        return code

    def _authorize_answer(self, query: str) -> Answer:
        """``GET /oauth/v2/authorize``: the consent screen, approved at once by the person the
        ``user`` parameter names, for the workspace ``team`` names (default TEAM_ID); then
        the redirect back to the app with a code and the app's state."""
        args = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        client_id = args.get("client_id", "")
        with self._cond:
            app = self._oauth_apps.get(client_id)
        if app is None:
            return Answer(400, b"invalid_client_id", "text/plain", {}, 0.0)
        code = self.grant_code(
            client_id,
            args.get("team") or TEAM_ID,
            user=args.get("user") or "U_INSTALLER",
            enterprise_id=args.get("enterprise") or None,
            org_wide=args.get("org_wide") == "1",
            scope=args.get("scope") or "",
        )
        target = args.get("redirect_uri") or app["redirect_url"]
        back = urlencode({"code": code, "state": args.get("state", "")})
        location = f"{target}{'&' if '?' in target else '?'}{back}"
        return Answer(302, b"", "text/plain", {"Location": location}, 0.0)

    def _issue(
        self,
        client_id: str,
        team_id: str,
        enterprise_id: str | None,
        org_wide: bool,
        scope: str,
    ) -> dict[str, Any]:
        app = self._oauth_apps[client_id]
        prefix = "xoxe.xoxb-" if app["rotation"] else "xoxb-"
        token = f"{prefix}{team_id}-{secrets.token_hex(16)}"
        self._tokens[token] = {
            "team_id": team_id,
            "team_name": self.workspace_names.get(team_id, f"Workspace {team_id}"),
            "enterprise_id": enterprise_id,
            "org_wide": org_wide,
            "scope": scope,
            "revoked": False,
            "expires_at": time.time() + app["expires_in"] if app["rotation"] else None,
        }
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": APP_ID,
            "access_token": token,
            "token_type": "bot",
            "scope": scope,
            "bot_user_id": BOT_USER_ID,
            "team": None if org_wide else {"id": team_id, "name": self._tokens[token]["team_name"]},
            "enterprise": {"id": enterprise_id, "name": f"Org {enterprise_id}"}
            if enterprise_id
            else None,
            "is_enterprise_install": org_wide,
        }
        if app["rotation"]:
            refresh = f"xoxe-1-{secrets.token_hex(16)}"
            self._refresh_tokens[refresh] = token
            answer["refresh_token"] = refresh
            answer["expires_in"] = app["expires_in"]
        return answer

    def _oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        basic = self._current_token or ""
        client_id, _, client_secret = basic.partition(":")
        client_id = str(params.get("client_id") or client_id)
        client_secret = str(params.get("client_secret") or client_secret)
        app = self._oauth_apps.get(client_id)
        if app is None:
            return _err("invalid_client_id")
        if client_secret != app["secret"]:
            return _err("bad_client_secret")
        if params.get("grant_type") == "refresh_token":
            old = self._refresh_tokens.pop(str(params.get("refresh_token") or ""), None)
            if old is None or old not in self._tokens:
                return _err("invalid_refresh_token")
            was = self._tokens[old]
            return self._issue(
                client_id, was["team_id"], was["enterprise_id"], was["org_wide"], was["scope"]
            )
        grant = self._codes.pop(str(params.get("code") or ""), None)
        if grant is None or grant["client_id"] != client_id:
            return _err("invalid_code")
        answer = self._issue(
            client_id, grant["team_id"], grant["enterprise_id"], grant["org_wide"], grant["scope"]
        )
        answer["authed_user"] = {"id": grant["user"]}
        return answer

    def team_of_token(self, token: str | None) -> str | None:
        """The workspace a token issued through OAuth belongs to (None for any other)."""
        with self._cond:
            issued = self._tokens.get(token or "")
            return None if issued is None else str(issued["team_id"])

    def expire_token(self, token: str) -> None:
        """Make an issued token expire now (as if its 12 hours had passed)."""
        with self._cond:
            self._tokens[token]["expires_at"] = time.time() - 1

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for(params.get("channel"))
        if channel is None:
            return _err("channel_not_found")
        if not any(params.get(k) for k in ("text", "blocks", "attachments")):
            return _err("no_text")
        now = time.monotonic()
        if self._rate_limit_seconds is not None:
            last = self._last_post_at.get(channel)
            if last is not None and now - last < self._rate_limit_seconds:
                raise _HttpFault(429, "ratelimited", retry_after=1)
        self._last_post_at[channel] = now
        ts = next_ts()
        message: dict[str, Any] = {
            "user": BOT_USER_ID,
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": params.get("text", ""),
            "team": TEAM_ID,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key):
                message[key] = params[key]
        if "blocks" in message:
            message["blocks"] = _with_ids(message["blocks"])
        self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for(params.get("channel"))
        ts = params.get("ts")
        if channel is None:
            return _err("channel_not_found")
        if not ts:
            return _err("message_not_found")
        # Lenient on purpose: messages referenced by fixtures were never posted through us.
        message = dict(self._messages.get((channel, ts), {"type": "message", "ts": ts}))
        message.update({"user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID})
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params:
                message[key] = params[key]
        message["edited"] = {"user": BOT_USER_ID, "ts": next_ts()}
        self._messages[(channel, ts)] = message
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": message,
        }

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for(params.get("channel"))
        if channel is None:
            return _err("channel_not_found")
        user = params.get("user")
        if not user:
            return _err("user_not_in_channel")
        ts = self._store_ephemeral(channel, str(user), params)
        return {"ok": True, "message_ts": ts}

    def _store_ephemeral(self, channel: str, user: str, params: dict[str, Any]) -> str:
        ts = next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": params.get("text", ""),
            "ephemeral_to": user,
        }
        for key in ("blocks", "thread_ts"):
            if params.get(key):
                message[key] = params[key]
        self._messages[(channel, ts)] = message
        return ts

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for(params.get("channel"))
        if channel is None:
            return _err("channel_not_found")
        self._messages.pop((channel, str(params.get("ts"))), None)
        return {"ok": True, "channel": channel, "ts": params.get("ts")}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for(params.get("channel"))
        ts = str(params.get("message_ts", ""))
        if channel is None or not ts:
            return _err("message_not_found")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._open_view(params, push=False)

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._open_view(params, push=True)

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        posted = params.get("view")
        if not isinstance(posted, dict):
            return _err("invalid_arguments")
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        if not view_id and not external_id:
            return _err("invalid_arguments")
        if not view_id:
            view_id = self._external_ids.get(str(external_id))
            if view_id is None:
                return _err("not_found")
        previous = self._views.get(str(view_id))
        # Unknown view ids are adopted: fixtures mint ids the fake never handed out.
        if previous is not None and params.get("hash") and params["hash"] != previous["hash"]:
            return _err("hash_conflict")
        view = self._materialize_view(posted, str(view_id), previous)
        self._view_errors.pop(str(view_id), None)
        return {"ok": True, "view": view}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        posted = params.get("view")
        user_id = params.get("user_id")
        if not isinstance(posted, dict) or not user_id:
            return _err("invalid_arguments")
        view_id = self._home_views.get(str(user_id))
        previous = self._views.get(view_id) if view_id else None
        if previous is not None and params.get("hash") and params["hash"] != previous["hash"]:
            return _err("hash_conflict")
        if view_id is None:
            view_id = self._new_view_id()
            self._home_views[str(user_id)] = view_id
        view = self._materialize_view({"type": "home", **posted}, view_id, previous)
        return {"ok": True, "view": view}

    def _user(self, user_id: str) -> dict[str, Any]:
        registered = self.users.get(user_id, {})
        name = user_id.lower()
        # A workspace's own member, for the workspace of the token that asks (OAuth installs).
        issued = self._tokens.get(self._current_token or "")
        team_id = issued["team_id"] if issued else TEAM_ID
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": team_id,
            "name": name,
            "deleted": False,
            "real_name": f"User {user_id}",
            "tz": "UTC",
            "tz_label": "Coordinated Universal Time",
            "tz_offset": 0,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": False,
            "is_app_user": False,
            "updated": 1767225600,
            "locale": "en-US",
            "profile": {
                "real_name": f"User {user_id}",
                "display_name": name,
                "email": f"{name}@example.com",
                "team": team_id,
            },
        }
        profile = {**user["profile"], **registered.get("profile", {})}
        user.update(registered)
        user["profile"] = profile
        return user

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user")
        if not isinstance(user_id, str) or not user_id or user_id.startswith("UNKNOWN"):
            return _err("user_not_found")
        user = self._user(user_id)
        if str(params.get("include_locale")).lower() not in ("1", "true"):
            user.pop("locale", None)  # as Slack: the locale only when asked for
        return {"ok": True, "user": user}

    def _users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        members = [self._user(uid) for uid in self.users]
        if str(params.get("include_locale")).lower() not in ("1", "true"):
            for member in members:
                member.pop("locale", None)
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"ok": True, "channel": {"id": params["channel"]}}
        users = params.get("users")
        if isinstance(users, str):
            ids = [u.strip() for u in users.split(",") if u.strip()]
        elif isinstance(users, list):
            ids = [str(u) for u in users]
        else:
            ids = []
        if not ids:
            return _err("users_list_not_supplied")
        return {"ok": True, "no_op": False, "already_open": False, "channel": {"id": "D" + ids[0]}}

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = params.get("filename")
        try:
            length = int(params.get("length", ""))
        except (TypeError, ValueError):
            length = -1
        if not isinstance(filename, str) or not filename or length < 0:
            return _err("invalid_arguments")
        self._file_counter += 1
        file_id = f"F{self._file_counter:08d}"
        self._pending_uploads[file_id] = {"filename": filename, "length": length}
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _upload(self, params: dict[str, Any]) -> dict[str, Any]:
        # Only validates: _dispatch keeps the bytes once the answer is a success.
        if params["file_id"] not in self._pending_uploads:
            raise _HttpFault(404, "file_not_found")
        return {"ok": True}

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        if not isinstance(files, list) or not files:
            return _err("invalid_arguments")
        if not all(isinstance(f, dict) and isinstance(f.get("id"), str) for f in files):
            return _err("invalid_arguments")
        if any(f["id"] not in self._uploads for f in files):
            return _err("file_not_found")
        channel_id = params.get("channel_id")
        channels = [c for c in str(params.get("channels") or "").split(",") if c]
        if channel_id:
            channels.insert(0, str(channel_id))
        created = int(time.time())
        completed = []
        for item in files:
            file_id = item["id"]
            filename = str(self._pending_uploads[file_id]["filename"])
            path = f"{file_id}/{filename}"
            completed.append(
                {
                    "id": file_id,
                    "created": created,
                    "timestamp": created,
                    "name": filename,
                    "title": item.get("title") or filename,
                    "mimetype": mimetypes.guess_type(filename)[0] or "application/octet-stream",
                    "user": BOT_USER_ID,
                    "size": len(self._uploads[file_id]),
                    "url_private": f"https://files.slack.com/files-pri/{TEAM_ID}-{path}",
                    "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{path}",
                    # Slack shares asynchronously; the answer lists where it was asked to go.
                    "channels": channels,
                }
            )
        for shared in completed:
            self._files[shared["id"]] = {**shared, "url": f"{self.base}/files/{shared['id']}"}
        for channel in channels:
            ts = next_ts()
            message: dict[str, Any] = {
                "type": "message",
                "subtype": "file_share",
                "ts": ts,
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": str(params.get("initial_comment") or ""),
                "files": [self._files[f["id"]] for f in completed],
            }
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            self._messages[(self._channel_for(channel) or channel, ts)] = message
        return {"ok": True, "files": completed}

    def _response_url(self, params: dict[str, Any]) -> dict[str, Any]:
        """A ``respond()``: ephemeral by default, in the channel with ``response_type``, or a
        change to the message the interaction came from (``replace_original``,
        ``delete_original``), where the hook was handed out by ``register_response_url``."""
        hook = self._response_urls.get(str(params.get("_hook_id", "")))
        if hook is None:
            return {"ok": True}  # a hook minted by a test fixture: recorded, nothing to show
        channel, user, source_ts = hook["channel"], hook["user"], hook.get("message_ts")
        if params.get("delete_original") in (True, "true") and source_ts:
            self._messages.pop((channel, source_ts), None)
        elif params.get("replace_original") in (True, "true") and source_ts:
            message = self._messages.get((channel, source_ts))
            if message is not None:
                for key in ("text", "blocks"):
                    if key in params:
                        message[key] = params[key]
        elif params.get("response_type") == "in_channel":
            ts = next_ts()
            self._messages[(channel, ts)] = {
                "type": "message",
                "ts": ts,
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": params.get("text", ""),
                **({"blocks": params["blocks"]} if params.get("blocks") else {}),
            }
        else:
            self._store_ephemeral(channel, user, params)
        return {"ok": True}

    def _history(self, channel: str) -> list[dict[str, Any]]:
        return [
            dict(m)
            for (ch, _ts), m in self._messages.items()
            if ch == channel and "ephemeral_to" not in m
        ]

    @staticmethod
    def _window(
        messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], bool]:
        """Newest first, between ``oldest`` and ``latest``, at most ``limit`` (Slack's paging)."""
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or "inf")
        inclusive = str(params.get("inclusive", "false")).lower() in ("1", "true")
        chosen = [
            m
            for m in messages
            if (oldest <= float(m["ts"]) <= latest)
            and (inclusive or float(m["ts"]) not in (oldest, latest))
        ]
        chosen.sort(key=lambda m: float(m["ts"]), reverse=True)
        limit = int(params.get("limit") or 100)
        return chosen[:limit], len(chosen) > limit

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for(params.get("channel"))
        if channel is None:
            return _err("channel_not_found")
        top = [m for m in self._history(channel) if m.get("thread_ts") in (None, m["ts"])]
        with_metadata = str(params.get("include_all_metadata", "false")).lower() in ("1", "true")
        for message in top:
            if not with_metadata:
                message.pop("metadata", None)
        chosen, more = self._window(top, params)
        return {"ok": True, "messages": chosen, "has_more": more, "pin_count": 0}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for(params.get("channel"))
        ts = str(params.get("ts", ""))
        if channel is None:
            return _err("channel_not_found")
        thread = [m for m in self._history(channel) if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return _err("thread_not_found")
        thread.sort(key=lambda m: float(m["ts"]))
        return {"ok": True, "messages": thread, "has_more": False}

    # ------------------------------------------------------------------ the sandbox's side
    # What a person's Slack client would do and show: post as a person, hand out trigger ids
    # and response URLs with the payloads it sends to the app, and read what there is to see.

    @property
    def version(self) -> int:
        """Grows whenever anything a person could see changes."""
        with self._cond:
            return self._version

    def _touch(self) -> None:
        self._version += 1
        self._cond.notify_all()

    def wait_for_change(self, since: int, timeout: float) -> int:
        """Block until the version passes ``since`` (or ``timeout``); the version then."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._version <= since:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return self._version

    def _add_notice(self, level: str, text: str) -> None:
        self._notices.append({"id": len(self._notices) + 1, "level": level, "text": text})
        del self._notices[:-50]
        self._touch()

    def notice(self, level: str, text: str) -> None:
        """Something a person should see that Slack would show as an error or a warning."""
        with self._cond:
            self._add_notice(level, text)

    def notices(self) -> list[dict[str, Any]]:
        with self._cond:
            return [dict(n) for n in self._notices]

    def issue_trigger_id(self, user: str | None) -> str:
        """A trigger id for an interaction ``user`` just made; good for 3 seconds."""
        trigger = f"{int(time.time() * 1000)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"
        with self._cond:
            self._triggers[trigger] = (time.monotonic(), user)
            if len(self._triggers) > 1000:  # only the recent ones can still open a view
                for key in list(self._triggers)[:500]:
                    del self._triggers[key]
        return trigger

    def register_response_url(
        self, kind: str, channel: str, user: str, message_ts: str | None = None
    ) -> str:
        """A ``response_url`` that answers into ``channel`` for ``user`` (and can change the
        message at ``message_ts``), as Slack hands one out with commands and actions."""
        hook_id = secrets.token_urlsafe(12)
        with self._cond:
            self._response_urls[hook_id] = {
                "channel": channel,
                "user": user,
                "message_ts": message_ts,
            }
        return f"{self.base}/hooks/{kind}/{TEAM_ID}/{hook_id}"

    def post_as_user(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        ts: str | None = None,
    ) -> dict[str, Any]:
        """A person's message, as Slack stores it before it tells the app (``ts`` backdates
        history the sandbox's demo brings along)."""
        ts = ts or next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "user": user,
            "text": text,
            "team": TEAM_ID,
            "client_msg_id": secrets.token_hex(16),
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._cond:
            self._messages[(channel, ts)] = message
            self._touch()
        return dict(message)

    def post_ephemeral_text(self, channel: str, user: str, text: str) -> None:
        """What Slack shows when an app answers a slash command with text in its ack."""
        with self._cond:
            self._store_ephemeral(channel, user, {"text": text})
            self._touch()

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._cond:
            found = self._messages.get((channel, ts))
            return None if found is None else dict(found)

    def messages_for(self, channel: str, user: str) -> list[dict[str, Any]]:
        """Every message ``user`` can see in ``channel``, oldest first, replies included."""
        with self._cond:
            return [
                dict(m)
                for (ch, _ts), m in self._messages.items()
                if ch == channel and m.get("ephemeral_to") in (None, user)
            ]

    def modal_stack(self, user: str) -> list[dict[str, Any]]:
        """The modals open for ``user``, the top one last, each with its shown errors."""
        with self._cond:
            stack = [self._views[v] for v in self._modal_stacks.get(user, []) if v in self._views]
            return [{**v, "errors": self._view_errors.get(v["id"], {})} for v in stack]

    def home_view(self, user: str) -> dict[str, Any] | None:
        with self._cond:
            view_id = self._home_views.get(user)
            return dict(self._views[view_id]) if view_id in self._views else None

    def set_view_state(self, view_id: str, values: dict[str, Any]) -> dict[str, Any] | None:
        """The view as Slack embeds it in a payload: with what the person has entered."""
        with self._cond:
            view = self._views.get(view_id)
            if view is None:
                return None
            view["state"] = {"values": values}
            return dict(view)

    def close_view(self, user: str, view_id: str, *, everything: bool = False) -> None:
        """Close ``view_id`` (and what was pushed above it), or the whole stack."""
        with self._cond:
            stack = self._modal_stacks.get(user, [])
            if everything or view_id not in stack:
                stack = [] if everything else stack
            else:
                stack = stack[: stack.index(view_id)]
            self._modal_stacks[user] = stack
            self._touch()

    def show_view_errors(self, view_id: str, errors: dict[str, str]) -> None:
        with self._cond:
            self._view_errors[view_id] = dict(errors)
            self._touch()

    def answer_submission(self, user: str, view_id: str, answer: dict[str, Any] | None) -> None:
        """Apply an app's answer to a ``view_submission``, as Slack does: show errors, update
        or push a view, clear the stack, or (an empty answer) close the submitted view."""
        answer = answer or {}
        action = answer.get("response_action")
        with self._cond:
            if action == "errors":
                self._view_errors[view_id] = dict(answer.get("errors") or {})
            elif action == "update" and isinstance(answer.get("view"), dict):
                self._materialize_view(answer["view"], view_id, self._views.get(view_id))
                self._view_errors.pop(view_id, None)
            elif action == "push" and isinstance(answer.get("view"), dict):
                pushed = self._materialize_view(answer["view"], self._new_view_id())
                self._modal_stacks[user] = [*self._modal_stacks.get(user, []), pushed["id"]]
                self._view_owner[pushed["id"]] = user
            elif action == "clear":
                self._modal_stacks[user] = []
            else:
                stack = self._modal_stacks.get(user, [])
                if view_id in stack:
                    self._modal_stacks[user] = stack[: stack.index(view_id)]
            self._touch()

    def file(self, file_id: str) -> tuple[dict[str, Any], bytes] | None:
        with self._cond:
            shared = self._files.get(file_id)
            data = self._uploads.get(file_id)
            return None if shared is None or data is None else (dict(shared), data)

    def _file_answer(self, rest: str) -> Answer:
        found = self.file(rest.split("/", 1)[0])
        if found is None:
            return Answer(404, b"not found", "text/plain", {}, 0.0)
        shared, data = found
        return Answer(200, data, shared["mimetype"], {"Cache-Control": "max-age=3600"}, 0.0)

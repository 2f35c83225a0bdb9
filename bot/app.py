"""The Bolt App factory: one place where the Slack client, the listeners and the request log
come together."""

from __future__ import annotations

import contextvars
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier

from bot.ack_keeping import keep_acks
from bot.logs import log_request
from bot.settings import Settings
from coaching.i18n import use_language
from handlers.audience import actor_language
from handlers.clients import Clients, Installed, OneWorkspace
from handlers.deps import Deps
from handlers.registry import register_all
from storage.db import Database

log = logging.getLogger(__name__)


def web_client(settings: Settings, *, patient: bool, token: str | None = None) -> WebClient:
    """A Web API client on SLACK_API_URL, with `token` (default: SLACK_BOT_TOKEN).

    Listeners call Slack after acknowledging, so one quick retry of a connection error, 429 or
    5xx is affordable; scheduled jobs (`patient`) can wait out Retry-After several times.
    """
    retries = 5 if patient else 1
    return WebClient(
        token=token or settings.require_bot_token(),
        base_url=settings.slack_api_url,
        timeout=30 if patient else 10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=retries),
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries),
        ],
    )


def tokenless_client(settings: Settings) -> WebClient:
    """OAuth mode's app client: Bolt sets each request's token; installs and token refreshes
    (oauth.v2.access) need none."""
    return WebClient(
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=1),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def clients_for(settings: Settings, db: Database, *, patient: bool = True) -> Clients:
    """Which client serves workspace T, for everything outside a request (the clock's jobs,
    `jobs run`, workers): SLACK_BOT_TOKEN's, or each installed workspace's own."""
    if not settings.oauth:
        return OneWorkspace(web_client(settings, patient=patient))
    from slack_sdk.oauth.token_rotation import TokenRotator

    from bot.oauth import installation_store

    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    rotator = TokenRotator(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        client=tokenless_client(settings),
    )
    return Installed(
        installation_store(settings, db),
        lambda token: web_client(settings, patient=patient, token=token),
        rotator,
    )


class _ExpectedTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that the client
    we hand it takes priority, which is the point: that notice would only puzzle operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


class ContextExecutor(ThreadPoolExecutor):
    """Runs each listener in a copy of the context it was handed over from, so what a request
    set there (the language its actor reads, coaching.i18n) reaches the listener's thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


# JSON escapes (also percent-encoded, in a form's `payload=`) for what no text can hold: a lone
# UTF-16 surrogate (it cannot be encoded as UTF-8, so no database takes it) and NUL
# (PostgreSQL refuses it in text). Slack never sends them; a forged request may.
_UNSTORABLE = re.compile(r"(?:\\|%5c)u(?:d[89a-f][0-9a-f]{2}|0000)|%00", re.IGNORECASE)
_UNSTORABLE_CHARS = re.compile("[\ud800-\udfff\x00]")


def _scrub(value: Any) -> Any:
    """`value` with every unstorable character replaced (U+FFFD), at any depth."""
    if isinstance(value, str):
        return _UNSTORABLE_CHARS.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


# Required parts of each kind of payload, by type: a body without them is not Slack's.
_REQUIRED = {
    "event_callback": ("event",),
    "view_submission": ("view", "user"),
    "view_closed": ("view", "user"),
    "block_actions": ("user",),
    "block_suggestion": ("user",),
    "shortcut": ("user",),
    "message_action": ("user",),
}


def slack_shaped(body: Any) -> bool:
    """True when the body is shaped like one of Slack's requests (what is in it is the
    listeners' business); False for anything else, which is answered 400."""
    if not isinstance(body, dict) or not body:
        return False
    if "command" in body:
        return all(isinstance(body.get(k), str) for k in ("command", "user_id", "team_id"))
    kind = body.get("type")
    if not isinstance(kind, str):
        return False
    if not all(isinstance(body.get(part), dict) for part in _REQUIRED.get(kind, ())):
        return False
    if "user" in _REQUIRED.get(kind, ()) and not isinstance(body["user"].get("id"), str):
        return False
    team = body.get("team")
    return team is None or (
        isinstance(team, dict) and isinstance(team.get("id"), (str, type(None)))
    )


class LoggedApp(App):
    """Bolt's App, logging one line per request with the time its answer took, and speaking
    the language of whoever sent it.

    `dispatch` is where HTTP mode and Socket Mode both hand Bolt a request, and it returns
    once the listener has acknowledged (Bolt waits for `ack()`), so the time around it is the
    acknowledgement time. A Bolt middleware cannot measure that: its `next()` only marks the
    chain to go on and returns before any listener runs. For the same reason the request's
    language is set here: a listener started from `dispatch` inherits it. It is looked up only
    when the listener first translates a sentence (handlers/audience.py).
    """

    def __init__(self, *, deps: Deps, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        keep_acks(self)
        self.deps = deps
        secret = kwargs.get("signing_secret")
        self._verifier = SignatureVerifier(secret) if secret else None

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        status = 500
        body = req.body if isinstance(req.body, dict) else {}
        try:
            if req.mode == "http" and not slack_shaped(req.body):
                # Signed but not Slack's (a 401 first when unsigned): one line, no traceback.
                headers = {k: v[0] if v else "" for k, v in req.headers.items()}
                if self._verifier is None or not self._verifier.is_valid_request(
                    req.raw_body, headers
                ):
                    status = 401
                    return BoltResponse(status=401, body='{"error": "invalid_request"}')
                status = 400
                log.warning("request is not a Slack payload", extra={"bytes": len(req.raw_body)})
                return BoltResponse(status=400, body='{"error": "not_a_slack_payload"}')
            if _UNSTORABLE.search(req.raw_body):
                req.body = _scrub(req.body)
                body = req.body
            with use_language(actor_language(self.deps, body)):
                response = super().dispatch(req)
            status = response.status
            return response
        finally:
            log_request(body, status, time.perf_counter() - started)


def create_app(settings: Settings, deps: Deps, *, socket_mode: bool) -> App:
    """Build the app. With SLACK_BOT_TOKEN it calls Slack's auth.test once, so a wrong token
    fails here, at start; with SLACK_CLIENT_ID each request is authorised by its workspace's
    installation (bot/oauth.py)."""
    bolt_log = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _ExpectedTokenNotice) for f in bolt_log.filters):
        bolt_log.addFilter(_ExpectedTokenNotice())
    signing_secret = None if socket_mode else settings.require_signing_secret()
    # deps and the context-copying executor carry each person's language into the listener.
    common: dict[str, Any] = {
        "deps": deps,
        "listener_executor": ContextExecutor(max_workers=5),
        "signing_secret": signing_secret,
        "request_verification_enabled": not socket_mode,
        "process_before_response": False,
        "logger": bolt_log,
    }
    if settings.oauth:
        from bot.oauth import oauth_parts
        from handlers import install
        from handlers.views.install import not_installed

        client = tokenless_client(settings)
        parts = oauth_parts(settings, deps.db, client)
        app = LoggedApp(
            client=client,
            oauth_flow=parts.flow,
            authorize=parts.authorize,
            installation_store_bot_only=True,
            user_facing_authorize_error_message=not_installed(),
            **common,
        )
        install.register(app, deps)
    else:
        app = LoggedApp(client=web_client(settings, patient=False), **common)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("listener failed", exc_info=error, extra={"type": body.get("type")})

    register_all(app, deps)
    return app

"""The Bolt App factory: one place where the Slack client, the listeners and the request log
come together."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier

from bot.logs import log_request
from bot.settings import Settings
from handlers.deps import Deps
from handlers.registry import register_all

log = logging.getLogger(__name__)


def web_client(settings: Settings, *, patient: bool) -> WebClient:
    """A Web API client on SLACK_API_URL.

    Listeners call Slack after acknowledging, so one quick retry of a connection error, 429 or
    5xx is affordable; scheduled jobs (`patient`) can wait out Retry-After several times.
    """
    retries = 5 if patient else 1
    return WebClient(
        token=settings.require_bot_token(),
        base_url=settings.slack_api_url,
        timeout=30 if patient else 10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=retries),
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries),
        ],
    )


class _ExpectedTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that the client
    we hand it takes priority, which is the point: that notice would only puzzle operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


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
    """Bolt's App, logging one line per request with the time its answer took.

    `dispatch` is where HTTP mode and Socket Mode both hand Bolt a request, and it returns
    once the listener has acknowledged (Bolt waits for `ack()`), so the time around it is the
    acknowledgement time. A Bolt middleware cannot measure that: its `next()` only marks the
    chain to go on and returns before any listener runs.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        secret = kwargs.get("signing_secret")
        self._verifier = SignatureVerifier(secret) if secret else None

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        status = 500
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
            response = super().dispatch(req)
            status = response.status
            return response
        finally:
            body = req.body if isinstance(req.body, dict) else {}
            log_request(body, status, time.perf_counter() - started)


def create_app(settings: Settings, deps: Deps, *, socket_mode: bool) -> App:
    """Build the app; calls Slack's auth.test once, so a wrong token fails here, at start."""
    bolt_log = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _ExpectedTokenNotice) for f in bolt_log.filters):
        bolt_log.addFilter(_ExpectedTokenNotice())
    app = LoggedApp(
        client=web_client(settings, patient=False),
        signing_secret=None if socket_mode else settings.require_signing_secret(),
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        logger=bolt_log,
    )

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("listener failed", exc_info=error, extra={"type": body.get("type")})

    register_all(app, deps)
    return app

"""The Bolt App factory: one place where the Slack client, the listeners and the request log
come together."""

from __future__ import annotations

import contextvars
import logging
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

from bot.logs import log_request
from bot.settings import Settings
from coaching.i18n import use_language
from handlers.audience import actor_language
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


class ContextExecutor(ThreadPoolExecutor):
    """Runs each listener in a copy of the context it was handed over from, so what a request
    set there (the language its actor reads, coaching.i18n) reaches the listener's thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


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
        self.deps = deps

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        status = 500
        body = req.body if isinstance(req.body, dict) else {}
        try:
            with use_language(actor_language(self.deps, body)):
                response = super().dispatch(req)
            status = response.status
            return response
        finally:
            log_request(body, status, time.perf_counter() - started)


def create_app(settings: Settings, deps: Deps, *, socket_mode: bool) -> App:
    """Build the app; calls Slack's auth.test once, so a wrong token fails here, at start."""
    bolt_log = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _ExpectedTokenNotice) for f in bolt_log.filters):
        bolt_log.addFilter(_ExpectedTokenNotice())
    app = LoggedApp(
        deps=deps,
        listener_executor=ContextExecutor(max_workers=5),
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

"""waitress, set up so that strangers' traffic costs little memory and no worker thread.

waitress reads each request whole (headers and body, in its one event-loop thread) before a
worker thread runs the app. So a slow or stalled client never holds a thread: it holds a
connection, and the limits below bound how many it can hold, for how long, and how much of
its request is kept in memory meanwhile.

What this module adds to waitress's own settings, in three small subclasses:

- the request parser screens each request as soon as its headers are in: a `POST
  /slack/events` with no signature, a stale timestamp, no Content-Length or one over MAX_BODY
  (the rules of bot/http.py), or a body sent anywhere else, is answered 401, 413 or 404 and
  the connection closed, before any of the body is read;
- a request must arrive whole within REQUEST_DEADLINE of its first byte: waitress's own
  `channel_timeout` only counts silence, so a client sending one byte a second would keep its
  connection for ever;
- each refusal is logged as a request line, as Bolt's requests are.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask
from waitress.utilities import Error, RequestEntityTooLarge

from bot.http import (
    MAX_BODY,
    NOT_FOUND,
    SLACK_PATH,
    TOO_LARGE,
    Refusal,
    SlackWsgi,
    refuse_from_headers,
)
from bot.logs import log_refusal

log = logging.getLogger(__name__)
SERVER_THREADS = 16
# After a refusal, what the client still sends is read and dropped for this long at most, so
# that its kernel delivers the refusal instead of a reset; never more than one body's worth.
LINGER_SECONDS = 2.0
LINGER_BYTES = MAX_BODY


@dataclass(frozen=True)
class Limits:
    """The numbers, with the reason for each (README, "Limits in HTTP mode", says the same).

    threads: the acknowledgement path waits on the database (a modal's submission is saved
      before its answer); 16 keep two cores busy while some wait, and fit the PostgreSQL pool.
    connection_limit: beyond it waitress stops accepting (new connections wait in the kernel's
      backlog). 500 leave room for hundreds of slow clients beside Slack's own traffic, stay
      far below a default limit of 1024 open files, and bound what connections can hold in
      memory: 500 x (max_header + inbuf_overflow) = 40 MiB at worst.
    channel_timeout: a connection silent this long is closed. Slack sends a request and
      reads its answer within its 3-second limit, so 10 s idle means nobody is there.
    request_deadline: a request's headers and body must all arrive within this many seconds
      of its first byte (a 1 MiB body then needs 100 KiB/s); Slack's own requests take
      milliseconds, and Slack gives up after 3 s anyway.
    cleanup_interval: how often the two timeouts above are enforced.
    max_header: Slack's headers take about a kilobyte; waitress's default is 256 KiB.
    inbuf_overflow: the part of a request body kept in memory while it arrives; the rest of
      a body (up to MAX_BODY) waits in a temporary file. Slack's payloads fit in 64 KiB.
    """

    threads: int = SERVER_THREADS
    connection_limit: int = 500
    channel_timeout: int = 10
    request_deadline: float = 10.0
    cleanup_interval: int = 1
    max_header: int = 16 * 1024
    inbuf_overflow: int = 64 * 1024


class _Refused(Error):  # type: ignore[misc]
    """A refusal as waitress answers errors, with our JSON body."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal
        self.code = refusal.status
        self.reason = refusal.status_line.split(" ", 1)[1]

    def to_response(self, ident: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
        return (
            self.refusal.status_line,
            [("Content-Type", "application/json")],
            self.refusal.body(),
        )


class _ScreeningParser(HTTPRequestParser):  # type: ignore[misc]
    """waitress's parser, refusing a `POST /slack/events` from its headers alone."""

    error: Any = None

    def __init__(self, adj: Any) -> None:
        super().__init__(adj)
        self.started = time.monotonic()  # the first byte of this request

    def received(self, data: bytes) -> int:
        headers_were_in = self.headers_finished
        consumed: int = super().received(data)
        if isinstance(self.error, RequestEntityTooLarge):  # waitress's own cap: our answer
            self.error = _Refused(TOO_LARGE)
        if self.headers_finished and not headers_were_in and self.error is None:
            self._screen()
        if self.error is not None:
            self.expect_continue = False  # never invite the body of a refused request
        return consumed

    def _screen(self) -> None:
        if self.empty:
            return
        if self.command == "POST" and self.path == SLACK_PATH:
            refusal = refuse_from_headers(
                content_length=self.headers.get("CONTENT_LENGTH"),
                chunked=self.chunked,
                signature=self.headers.get("X_SLACK_SIGNATURE"),
                timestamp=self.headers.get("X_SLACK_REQUEST_TIMESTAMP"),
                now=time.time(),
            )
        elif self.chunked or self.content_length > 0:
            refusal = NOT_FOUND  # a body for anywhere else: nothing here would read it
        else:
            return
        if refusal is not None:
            self.error = _Refused(refusal)
            self.completed = True


class _LoggedErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress's answer to a refused or malformed request, logged as a request line. The
    client may still be sending the body it announced, so its connection lingers on close."""

    def execute(self) -> None:
        error = self.request.error
        refusal = getattr(error, "refusal", None)
        reason = refusal.reason if isinstance(refusal, Refusal) else str(error.reason)
        started = getattr(self.request, "started", time.monotonic())
        log_refusal(int(error.code), reason, time.monotonic() - started)
        self.channel.linger_on_close = True
        super().execute()


class _Channel(HTTPChannel):  # type: ignore[misc]
    """A connection; after a refusal it closes the way RFC 9112 (9.6) asks.

    Closing a socket whose client is still sending makes the kernel answer with a reset, and
    a reset may destroy the refusal before the client reads it. So the connection is first
    half-closed (the answer, then end of stream), and what the client still sends is read
    and dropped until it closes too, for at most LINGER_SECONDS and LINGER_BYTES.
    """

    parser_class = _ScreeningParser
    error_task_class = _LoggedErrorTask
    linger_on_close = False
    lingering_until: float | None = None
    lingered = 0

    def handle_close(self) -> None:
        if self.linger_on_close and self.lingering_until is None and self.socket is not None:
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # already gone: close below
            else:
                self.lingering_until = time.monotonic() + LINGER_SECONDS
                self.will_close = self.close_when_flushed = False
                return
        super().handle_close()

    def readable(self) -> bool:
        if self.lingering_until is not None:
            return not self.will_close
        return bool(super().readable())

    def writable(self) -> bool:
        if self.lingering_until is not None:
            return bool(self.will_close)  # handle_write then closes
        if (
            self.requests
            and self.total_outbufs_len
            and not (self.will_close or self.close_when_flushed)
        ):
            # A worker thread holding the output lock is writing the answer and sends it
            # itself; should it leave some unsent, it pulls the server's trigger as it lets go,
            # and the loop comes back here. Asking poll() for POLLOUT meanwhile would wake the
            # loop at once, again and again, each time to find the lock taken (handle_write
            # does not wait for it): with two cores busy, dozens of turns of the whole loop
            # per request, each costing the interpreter lock the worker needs to finish.
            if not self.outbuf_lock.acquire(False):
                return False
            self.outbuf_lock.release()
        return bool(super().writable())

    def handle_read(self) -> None:
        if self.lingering_until is None:
            super().handle_read()
            return
        data = self.recv(self.adj.recv_bytes)  # at the client's end of stream: handle_close
        self.lingered += len(data)
        if self.lingered > LINGER_BYTES:
            self.will_close = True


class GuardedServer(TcpWSGIServer):  # type: ignore[misc]
    """waitress's TCP server with the screening parser and the request deadline."""

    channel_class = _Channel
    request_deadline = Limits.request_deadline

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # closes connections silent for channel_timeout
        monotonic = time.monotonic()
        too_old = monotonic - self.request_deadline
        for channel in list(self.active_channels.values()):
            request = channel.request  # the request still arriving, if any
            if request is not None and not channel.requests and request.started < too_old:
                channel.will_close = True
            lingering_until = getattr(channel, "lingering_until", None)
            if lingering_until is not None and lingering_until < monotonic:
                channel.will_close = True


def create_server(
    wsgi: Callable[..., Any], host: str, port: int, limits: Limits | None = None
) -> GuardedServer:
    """A listening server (not yet running); `port` 0 picks a free one."""
    limits = limits or Limits()
    adj = Adjustments(
        host=host,
        port=port,
        threads=limits.threads,
        connection_limit=limits.connection_limit,
        channel_timeout=limits.channel_timeout,
        cleanup_interval=limits.cleanup_interval,
        max_request_header_size=limits.max_header,
        # waitress refuses a body of this size or more: MAX_BODY itself is allowed.
        max_request_body_size=MAX_BODY + 1,
        inbuf_overflow=limits.inbuf_overflow,
        asyncore_use_poll=True,  # select() cannot watch descriptors numbered over 1023
        ident="dealcoach",
    )
    server = GuardedServer(wsgi, adj=adj)
    server.request_deadline = limits.request_deadline
    return server


class BoundHttp:
    """The HTTP port, taken before the slow part of start-up (migrations, the Slack app, the
    scheduler), so that a port in use is the first and only thing an operator reads. A request
    that arrives meanwhile waits in the listen backlog until `run` hands over the app."""

    def __init__(self, port: int, host: str = "0.0.0.0", limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._server = create_server(_not_ready, host, port, self.limits)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    def run(self, wsgi: Callable[..., Any]) -> None:
        self._server.application = wsgi
        log.info(
            "serving HTTP",
            extra={
                "port": self.port,
                "path": SLACK_PATH,
                "max_body": MAX_BODY,
                "threads": self.limits.threads,
                "connection_limit": self.limits.connection_limit,
                "request_deadline_s": self.limits.request_deadline,
            },
        )
        self._server.run()

    def close(self) -> None:
        """Give the port back when start-up fails after it was taken."""
        self._server.task_dispatcher.shutdown()
        self._server.close()


def _not_ready(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    # Never called: the server serves nothing before run(), which replaces it.
    start_response("503 Service Unavailable", [("Content-Length", "0")])
    return []


def serve_http(wsgi: SlackWsgi, port: int, host: str = "0.0.0.0") -> None:
    BoundHttp(port, host).run(wsgi)

"""The HTTP server's event loop asks poll() to watch for writing only when it can write.

waitress's channel is `writable` whenever its output buffer holds bytes. While a worker thread
writes an answer it holds the buffer's lock, and the loop's handle_write, which does not wait
for that lock, then does nothing: poll() answers at once, and the loop spins until the worker
lets go. Under load (two cores shared by 16 workers) that was dozens of turns of the loop per
request, each over every open connection (bench/ack.py: 14,942 wasted wake-ups for 1,000
requests).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bot.server import GuardedServer, _Channel, create_server


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Length", "0")])
    return []


@pytest.fixture
def channel() -> Iterator[_Channel]:
    server: GuardedServer = create_server(_app, "127.0.0.1", 0)
    ours, theirs = socket.socketpair()
    try:
        made = _Channel(server, ours, ("127.0.0.1", 0), server.adj, map={})
        yield made
    finally:
        theirs.close()
        ours.close()
        server.close()


def _holding_lock(channel: _Channel) -> tuple[threading.Event, threading.Event]:
    """A worker thread that takes the channel's output lock and keeps it until told."""
    taken, done = threading.Event(), threading.Event()

    def worker() -> None:
        with channel.outbuf_lock:
            taken.set()
            done.wait(5)

    threading.Thread(target=worker, daemon=True).start()
    assert taken.wait(5)
    return taken, done


def test_a_worker_writing_its_answer_does_not_wake_the_loop(channel: _Channel) -> None:
    channel.requests = [object()]  # a request is being served
    channel.total_outbufs_len = 153  # its answer's head is in the buffer
    _taken, done = _holding_lock(channel)
    try:
        assert channel.writable() is False
    finally:
        done.set()


def test_output_left_once_the_worker_lets_go_is_sent(channel: _Channel) -> None:
    channel.requests = [object()]
    channel.total_outbufs_len = 153
    assert channel.writable()  # nobody holds the lock: handle_write can send it


def test_a_finished_request_and_a_closing_channel_stay_writable(channel: _Channel) -> None:
    channel.total_outbufs_len = 153
    assert channel.writable()  # no request running: the loop sends what is left
    channel.requests = [object()]
    channel.will_close = True
    _taken, done = _holding_lock(channel)
    try:
        assert channel.writable()  # handle_write closes it
    finally:
        done.set()


def test_nothing_to_send_is_not_writable(channel: _Channel) -> None:
    channel.requests = [object()]
    assert not channel.writable()

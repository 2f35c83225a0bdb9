"""What a stranger on the internet can make the HTTP server hold: a request that is too long,
has no length, or has no signature or a stale one is refused from its headers, before its
body is read; a chunked body is counted as it arrives; a slow client is cut off.

These run the real server (bot/server.py: waitress with its limits) in front of the real
SlackWsgi and Bolt app, over raw sockets, so that what was sent and when the answer came are
both seen. tests/integration/test_serve_process.py does the same against `python -m bot serve`.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from bot.http import MAX_BODY
from bot.server import Limits
from sandbox.payloads import FORM, SlackRequests, sign
from sandbox.webapi import SlackStandIn
from storage.db import Database
from tests.conftest import SIGNING_SECRET, Clock, RunningApp, empty_tables, serve_app
from tests.support.raw_http import chunked, connect, post_head, read_answer, send, stream_chunked


@pytest.fixture
def served(
    databases: dict[str, Database], fake_slack: SlackStandIn, clock: Clock
) -> Iterator[RunningApp]:
    """The HTTP limits do not depend on the database: SQLite only."""
    db = databases["sqlite"]
    empty_tables(db)
    with serve_app(db, fake_slack, clock) as app:
        yield app


def command_body(slack: SlackRequests, size: int | None = None) -> str:
    """A /debrief command's form body, padded to exactly `size` bytes when given."""
    fields = slack.command_body("/debrief", "")
    if size is not None:
        fields["text"] = "a" * (size - len(urlencode(fields)))
    body = urlencode(fields)
    assert size is None or len(body.encode()) == size
    return body


def headers_alone(app: RunningApp, headers: dict[str, str]) -> tuple[int, bytes]:
    """Send the headers and not one byte of the body they announce: the server must answer."""
    return send(app.url, headers)


def signed(body: str) -> dict[str, str]:
    return {"Content-Length": str(len(body.encode())), **sign(SIGNING_SECRET, body)}


def test_a_body_of_exactly_the_cap_is_served(served: RunningApp) -> None:
    body = command_body(served.slack, MAX_BODY)
    response = served.slack.send_raw(body, FORM)
    assert response.status == 200
    served.fake.wait_for("views.open")


def test_one_byte_over_the_cap_is_refused_from_its_headers(served: RunningApp) -> None:
    body = command_body(served.slack, MAX_BODY + 1)
    status, answer = headers_alone(served, signed(body))
    assert status == 413
    assert json.loads(answer) == {"ok": False, "error": "body_too_large"}
    assert served.fake.calls == []


def test_a_huge_declared_length_is_refused_at_once(served: RunningApp) -> None:
    started = time.monotonic()
    headers = {"Content-Length": str(1024**3), **sign(SIGNING_SECRET, "")}
    assert headers_alone(served, headers)[0] == 413
    assert time.monotonic() - started < 2


def test_no_length_is_refused(served: RunningApp) -> None:
    """No Content-Length and no chunked encoding: the body's size is unknown, so no body."""
    status, answer = headers_alone(served, sign(SIGNING_SECRET, "payload=x"))
    assert status == 413
    assert json.loads(answer)["error"] == "length_required"


def test_no_signature_or_a_stale_one_is_refused_before_the_body(served: RunningApp) -> None:
    body = command_body(served.slack)
    length = {"Content-Length": str(len(body))}
    assert headers_alone(served, length) == (
        401,
        b'{"ok": false, "error": "no_signature"}',
    )
    stale = sign(SIGNING_SECRET, body, int(time.time()) - 6 * 60)
    status, answer = headers_alone(served, {**length, **stale})
    assert (status, json.loads(answer)["error"]) == (401, "stale_timestamp")
    future = sign(SIGNING_SECRET, body, int(time.time()) + 6 * 60)
    assert headers_alone(served, {**length, **future})[0] == 401
    assert served.fake.calls == []


def test_a_body_sent_anywhere_else_is_refused_from_its_headers(served: RunningApp) -> None:
    with connect(served.url) as sock:
        sock.sendall(post_head(served.url, {"Content-Length": "500000"}, path="/anything"))
        status, _, answer = read_answer(sock)
    assert (status, json.loads(answer)["error"]) == (404, "not_found")
    assert health(served) == 200  # a GET without a body is not refused


def test_a_forged_body_that_is_not_utf8_is_refused(served: RunningApp) -> None:
    body = b"payload=\xff\xfe"
    headers = {
        "Content-Length": str(len(body)),
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "0" * 64,
    }
    status, answer = send(served.url, headers, body)
    assert (status, json.loads(answer)["error"]) == (401, "bad_signature")


def test_a_chunked_body_within_the_cap_is_served(served: RunningApp) -> None:
    body = command_body(served.slack)
    headers = {"Transfer-Encoding": "chunked", **sign(SIGNING_SECRET, body)}
    assert send(served.url, headers, chunked(body.encode(), 100))[0] == 200
    served.fake.wait_for("views.open")


def test_a_chunked_body_is_counted_as_it_arrives(served: RunningApp) -> None:
    """64 MiB offered in chunks: refused once past the cap, and the server stops reading."""
    offered = 64 * 1024 * 1024
    status, answer, sent = stream_chunked(served.url, sign(SIGNING_SECRET, "x"), offered)
    assert status == 413
    assert json.loads(answer)["error"] == "body_too_large"
    # What the server did not read waits in socket buffers: a few MiB on loopback at most.
    assert sent < offered / 4


def test_expect_continue_is_not_granted_to_a_refused_request(served: RunningApp) -> None:
    body = command_body(served.slack, MAX_BODY + 1)
    assert headers_alone(served, {**signed(body), "Expect": "100-continue"})[0] == 413


def test_refusals_are_logged_as_request_lines(
    served: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="dealcoach.request")
    headers_alone(served, {"Content-Length": "10"})
    served.slack.command("/debrief", "Acme", signature="v0=" + "0" * 64)
    deadline = time.monotonic() + 5
    while len(caplog.records) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = [(r.kind, r.detail, r.status) for r in caplog.records]  # type: ignore[attr-defined]
    assert sorted(lines) == [("refused", "bad_signature", 401), ("refused", "no_signature", 401)]


def health(app: RunningApp) -> int:
    with urllib.request.urlopen(app.url + "/healthz", timeout=3) as response:
        return int(response.status)


def test_slow_clients_are_cut_off_and_health_still_answers(
    databases: dict[str, Database], fake_slack: SlackStandIn, clock: Clock
) -> None:
    """Headers sent a byte a second never fall silent, so waitress's idle timeout alone would
    keep them for ever; the request deadline closes them. Meanwhile /healthz and Slack's
    requests are answered."""
    limits = Limits(threads=4, request_deadline=1.0, cleanup_interval=1)
    with serve_app(databases["sqlite"], fake_slack, clock, limits) as app:
        slow = [connect(app.url) for _ in range(50)]
        for sock in slow:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        closed: set[int] = set()
        while len(closed) < len(slow) and time.monotonic() - started < 8:
            assert health(app) == 200
            for n, sock in enumerate(slow):
                if n in closed:
                    continue
                try:
                    sock.sendall(b"X")
                    sock.settimeout(0.001)
                    if sock.recv(1) == b"":
                        closed.add(n)
                except TimeoutError:
                    pass
                except OSError:
                    closed.add(n)
            time.sleep(0.25)
        elapsed = time.monotonic() - started
        assert app.slack.command("/debrief", "Acme").status == 200
        for sock in slow:
            sock.close()
    assert len(closed) == len(slow)
    assert 1.0 <= elapsed < 5.0


def test_an_idle_connection_is_closed(
    databases: dict[str, Database], fake_slack: SlackStandIn, clock: Clock
) -> None:
    limits = Limits(threads=2, channel_timeout=1, cleanup_interval=1)
    with serve_app(databases["sqlite"], fake_slack, clock, limits) as app, connect(app.url) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""  # closed by the server, not by the 10 s socket timeout
        assert time.monotonic() - started < 5


def test_a_client_still_sending_reads_the_refusal(served: RunningApp) -> None:
    """Refused from its headers, with its body already on the way: closing with those bytes
    unread would make the kernel send a reset (which may destroy the 413 in transit, and
    which the client reads as an error), so the server half-closes, drains, then closes."""
    announced = 8 * 1024 * 1024
    headers = {"Content-Length": str(announced), **sign(SIGNING_SECRET, "x")}
    for _ in range(3):
        with connect(served.url) as sock:
            sock.sendall(post_head(served.url, headers) + b"x" * (256 * 1024))
            status, _, answer = read_answer(sock)  # to a clean end of stream, not a reset
        assert (status, json.loads(answer)["error"]) == (413, "body_too_large")

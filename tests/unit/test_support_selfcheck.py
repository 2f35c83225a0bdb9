"""Self-checks for tests/support: the fake Slack Web API and the signed-request builder.

Every other integration test trusts these two helpers, so they are checked against the real
libraries: slack_sdk's WebClient and retry handlers talk to the fake, slack_sdk's
SignatureVerifier accepts our signatures, and a real Bolt App routes our payloads to the
expected listeners.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from sandbox.payloads import (
    SlackRequests,
    checkboxes,
    datepicker,
    external_select,
    plain,
    radio,
    sign,
    static_select,
)
from sandbox.webapi import SlackStandIn

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
TS_RE = re.compile(r"^\d{10}\.\d{6}$")


@pytest.fixture
def fake() -> Iterator[SlackStandIn]:
    # These check the stand-in's mechanics with bare views; test_standin.py checks its Block Kit.
    with SlackStandIn(validate_blocks=False) as server:
        yield server


@pytest.fixture
def client(fake: SlackStandIn) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.url)


# --------------------------------------------------------------------------- SlackStandIn


def test_web_client_round_trip(fake: SlackStandIn, client: WebClient) -> None:
    auth = client.auth_test()
    assert (auth["user_id"], auth["bot_id"], auth["team_id"]) == ("UBOT", "BBOT", "T0001")

    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = client.chat_postMessage(channel="U_REP1", text="hi", blocks=blocks)
    second = client.chat_postMessage(channel="C_GENERAL", text="again")
    assert first["channel"] == "DU_REP1"
    assert TS_RE.match(first["ts"]) and float(second["ts"]) > float(first["ts"])
    (echoed,) = first["message"]["blocks"]  # as Slack does, a block without an id gets one
    assert echoed.pop("block_id") and echoed == blocks[0]

    call = fake.last("chat.postMessage")
    assert call.params["text"] == "again"
    assert fake.calls_to("chat.postMessage")[0].params["blocks"] == blocks
    assert call.headers["Authorization"] == f"Bearer {TOKEN}" and call.token == TOKEN

    view = {"type": "modal", "callback_id": "debrief", "title": {"type": "plain_text", "text": "D"}}
    opened = client.views_open(trigger_id="1.2.abc", view=view)["view"]
    assert opened["id"].startswith("V") and opened["hash"] and opened["callback_id"] == "debrief"
    assert fake.last("views.open").params["view"] == view

    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as conflict:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)
    assert conflict.value.response["error"] == "hash_conflict"

    fake.users["U_EAST"] = {"tz": "America/New_York", "tz_offset": -18000}
    assert client.users_info(user="U_REP1")["user"]["tz"] == "UTC"
    east = client.users_info(user="U_EAST")["user"]
    assert (east["tz_offset"], east["is_admin"]) == (-18000, False)
    with pytest.raises(SlackApiError) as missing:
        client.users_info(user="UNKNOWN1")
    assert missing.value.response["error"] == "user_not_found"

    assert client.conversations_open(users=["U_REP1"])["channel"]["id"] == "DU_REP1"


def test_form_json_strings_are_decoded_and_errors(fake: SlackStandIn, client: WebClient) -> None:
    blocks = [{"type": "divider"}]
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps(blocks)})
    assert fake.last("chat.postMessage").params["blocks"] == blocks

    with pytest.raises(SlackApiError) as unknown:
        client.api_call("nope.nothing")
    assert unknown.value.response.status_code == 200
    assert unknown.value.response["error"] == "unknown_method"

    with pytest.raises(SlackApiError) as anon:
        WebClient(base_url=fake.url).chat_postMessage(channel="C1", text="x")
    assert anon.value.response["error"] == "not_authed"
    assert fake.calls_to("chat.postMessage", include_failed=True)[-1].failed


def test_rate_limit_injection_is_retried(fake: SlackStandIn) -> None:
    client = WebClient(
        token=TOKEN,
        base_url=fake.url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    fake.fail_next("chat.postMessage", status=429, retry_after=0)
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    attempts = fake.calls_to("chat.postMessage", include_failed=True)
    assert [(c.status, c.failed) for c in attempts] == [(429, True), (200, False)]


def test_server_error_injection_is_retried(fake: SlackStandIn) -> None:
    quick = FixedValueRetryIntervalCalculator(0.01)
    client = WebClient(
        token=TOKEN,
        base_url=fake.url,
        retry_handlers=[ServerErrorRetryHandler(max_retry_count=2, interval_calculator=quick)],
    )
    fake.fail_next("views.open", status=500, times=2)
    assert client.views_open(trigger_id="t", view={"type": "modal"})["ok"]
    assert len(fake.calls_to("views.open", include_failed=True)) == 3
    assert len(fake.calls_to("views.open")) == 1

    fake.fail_next("chat.update", status=200, error="message_not_found")
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts="1.2", text="x")
    assert err.value.response["error"] == "message_not_found"
    assert client.chat_update(channel="C1", ts="1.2", text="x")["ok"]


def test_rate_limit_per_channel_delay_wait_for_and_reset(
    fake: SlackStandIn, client: WebClient
) -> None:
    fake.rate_limit_per_channel(5.0)
    client.chat_postMessage(channel="C1", text="one")
    client.chat_postMessage(channel="C2", text="other channel is fine")
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel="C1", text="too soon")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "1"

    fake.delay("auth.test", 1.0)
    request = urllib.request.Request(
        fake.url + "auth.test", data=b"", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    started = time.monotonic()
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        urllib.request.urlopen(request, timeout=0.2)
    assert time.monotonic() - started < 0.9
    assert fake.calls_to("auth.test")  # recorded on arrival

    with pytest.raises(AssertionError, match=r"views\.publish.*chat\.postMessage x2 \(1 failed\)"):
        fake.wait_for("views.publish", timeout=0.1)

    threading.Timer(0.1, lambda: client.views_publish(user_id="U1", view={"type": "home"})).start()
    assert len(fake.wait_for("views.publish", timeout=3)) == 1

    fake.users["U9"] = {"is_admin": True}
    fake.reset()
    assert fake.calls_to_all() == [] and fake.users["U9"]["is_admin"] is True
    client.chat_postMessage(channel="C1", text="limits were reset too")


# --------------------------------------------------------------------------- signing


def test_signature_verifies_with_slack_sdk() -> None:
    body = "token=x&command=%2Fcoach&text=hello"
    headers = sign(SECRET, body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)
    stale = sign(SECRET, body, timestamp=int(time.time()) - 3600)
    assert not verifier.is_valid_request(body, stale)


# --------------------------------------------------------------------------- real Bolt app


def _serve_bolt(app: App) -> ThreadingHTTPServer:
    """Minimal HTTP adapter: the app behind a real socket, as Slack would reach it."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            headers: dict[str, str | Sequence[str]] = {k: [v] for k, v in self.headers.items()}
            resp = app.dispatch(BoltRequest(body=body, headers=headers))
            payload = resp.body.encode()
            self.send_response(resp.status)
            for name, values in resp.headers.items():
                for value in values:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_payloads_route_through_real_bolt_app(fake: SlackStandIn) -> None:
    app = App(client=WebClient(token=TOKEN, base_url=fake.url), signing_secret=SECRET)
    seen: dict[str, Any] = {}

    @app.command("/coach")
    def on_command(ack: Any, command: dict[str, Any], client: WebClient) -> None:
        seen["command"] = command  # recorded before ack(): the HTTP answer races the rest
        ack()
        client.views_open(trigger_id=command["trigger_id"], view={"type": "modal"})

    @app.view("debrief")
    def on_submit(ack: Any, view: dict[str, Any]) -> None:
        seen["state"] = view["state"]["values"]
        ack(response_action="errors", errors={"deal": "nope"})

    @app.action("pick")
    def on_action(ack: Any, body: dict[str, Any], respond: Any) -> None:
        seen["action"] = body
        ack()
        respond(text="picked")

    @app.options("account")
    def on_options(ack: Any, payload: dict[str, Any]) -> None:
        ack(options=[{"text": {"type": "plain_text", "text": payload["value"]}, "value": "1"}])

    @app.shortcut("coach_this")
    def on_shortcut(ack: Any, shortcut: dict[str, Any]) -> None:
        seen["shortcut"] = shortcut
        ack()

    @app.message("hello")
    def on_message(message: dict[str, Any], say: Any) -> None:
        say(f"hi <@{message['user']}>")

    server = _serve_bolt(app)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        slack = SlackRequests(base, SECRET, response_url_base=fake.hooks_url)

        assert slack.url_verification("chal").json() == {"challenge": "chal"}
        assert slack.command("/coach", "debrief acme").status == 200
        assert seen["command"]["text"] == "debrief acme"
        assert fake.wait_for("views.open")[0].params["trigger_id"] == seen["command"]["trigger_id"]

        values = {
            "deal": {"deal": plain("Acme")},
            "when": {"when": datepicker("2026-01-31")},
            "outcome": {"outcome": radio("won", "Won")},
            "stage": {"stage": static_select(None)},
            "account": {"account": external_select("42", "Acme Corp")},
            "flags": {"flags": checkboxes(["a", "b"])},
        }
        resp = slack.view_submission("debrief", values)
        assert resp.json() == {"response_action": "errors", "errors": {"deal": "nope"}}
        assert seen["state"]["outcome"]["outcome"]["selected_option"]["value"] == "won"

        resp = slack.block_action("pick", "v1", channel_id="D_REP1", message_ts="1.000001")
        assert resp.status == 200
        assert seen["action"]["container"]["message_ts"] == "1.000001"
        assert fake.wait_for("response_url")[0].params["text"] == "picked"

        opts = slack.block_suggestion("account", "account", "acm").json()
        assert opts["options"][0]["text"]["text"] == "acm"

        assert slack.message_shortcut("coach_this", "we lost Acme").status == 200
        assert seen["shortcut"]["message"]["text"] == "we lost Acme"

        event = slack.message_event("hello coach")
        assert slack.event(event, retry_num=1, retry_reason="http_timeout").status == 200
        posted = fake.wait_for("chat.postMessage")[0]
        assert (posted.params["channel"], posted.params["text"]) == ("D_REP1", "hi <@U_REP1>")
        assert float(slack.message_event("x")["ts"]) > float(event["ts"])

        assert slack.command("/coach", signature="v0=bad").status == 401
        assert slack.command("/coach", timestamp=int(time.time()) - 600).status == 401
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- file uploads


PNG = b"\x89PNG\r\n\x1a\n...png bytes..."


def test_files_upload_v2_round_trip(fake: SlackStandIn) -> None:
    client = WebClient(base_url=fake.url, token="xoxb-1")
    resp = client.files_upload_v2(
        channel="D1", thread_ts="1.2", content=PNG, filename="chart.png", title="Chart"
    )
    assert resp["file"]["id"] == resp["files"][0]["id"]
    file_id = resp["file"]["id"]
    assert file_id.startswith("F") and fake.uploaded(file_id) == PNG
    assert (resp["file"]["title"], resp["file"]["size"]) == ("Chart", len(PNG))

    asked = fake.last("files.getUploadURLExternal")
    assert asked.params["filename"] == "chart.png"
    assert int(asked.params["length"]) == len(PNG)
    upload = fake.last("upload")
    assert upload.params == {"file_id": file_id, "length": len(PNG)}
    assert upload.token is None  # upload URLs are pre-signed: no token is sent
    done = fake.last("files.completeUploadExternal")
    assert (done.params["channel_id"], done.params["thread_ts"]) == ("D1", "1.2")
    assert done.params["files"] == [{"id": file_id, "title": "Chart"}]
    assert "initial_comment" not in done.params
    assert [c.method for c in fake.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]

    with pytest.raises(SlackApiError) as missing:
        client.files_completeUploadExternal(files=[{"id": "F404", "title": "x"}], channel_id="D1")
    assert missing.value.response["error"] == "file_not_found"

    fake.reset()
    assert fake.uploaded(file_id) is None


def test_files_upload_v2_fault_injection(fake: SlackStandIn) -> None:
    client = WebClient(base_url=fake.url, token="xoxb-1")
    fake.fail_next("files.completeUploadExternal", status=500)
    with pytest.raises(SlackApiError) as failed:
        client.files_upload_v2(channel="D1", content=PNG, filename="chart.png", title="Chart")
    assert failed.value.response.status_code == 500
    (attempt,) = fake.calls_to("files.completeUploadExternal", include_failed=True)
    assert attempt.failed and fake.uploaded(attempt.params["files"][0]["id"]) == PNG

    quick = FixedValueRetryIntervalCalculator(0.01)
    retrying = WebClient(
        base_url=fake.url,
        token="xoxb-1",
        retry_handlers=[ServerErrorRetryHandler(max_retry_count=1, interval_calculator=quick)],
    )
    fake.fail_next("files.completeUploadExternal", status=500)
    assert retrying.files_upload_v2(channel="D1", content=PNG, filename="c.png")["file"]["id"]
    statuses = [c.status for c in fake.calls_to("files.completeUploadExternal", True)]
    assert statuses == [500, 500, 200]

    # The byte upload bypasses api_call: no retry handlers, and urllib raises on a non-200.
    fake.fail_next("upload", status=500)
    with pytest.raises(urllib.error.HTTPError) as upload_failed:
        retrying.files_upload_v2(channel="D1", content=PNG, filename="c.png")
    assert upload_failed.value.code == 500
    assert len(fake.calls_to("files.completeUploadExternal")) == 1

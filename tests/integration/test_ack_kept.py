"""A listener that fails right after acknowledging still has its acknowledgement sent
(bot/ack_keeping.py); one that fails before it is answered 500, as Bolt does."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient

from bot.ack_keeping import keep_acks
from sandbox.webapi import SlackStandIn


def app_failing(fake: SlackStandIn, *, after_ack: bool) -> App:
    app = App(
        client=WebClient(token="xoxb-test", base_url=fake.url),
        request_verification_enabled=False,
        token_verification_enabled=False,
    )
    keep_acks(app)

    @app.command("/debrief")
    def failing(ack: Ack) -> None:
        if after_ack:
            ack(text="Opening the debrief…")
        raise RuntimeError("views.open refused at once")

    return app


def command() -> BoltRequest:
    body = urlencode(
        {"command": "/debrief", "text": "", "team_id": "T1", "user_id": "U1", "trigger_id": "1.2"}
    )
    return BoltRequest(body=body, headers={"content-type": ["application/x-www-form-urlencoded"]})


def test_a_failure_just_after_the_ack_keeps_it(fake_slack: SlackStandIn) -> None:
    app = app_failing(fake_slack, after_ack=True)
    for _ in range(5):  # the failure lands within Bolt's 10 ms look every time
        started = time.monotonic()
        response = app.dispatch(command())
        assert response.status == 200
        assert "Opening the debrief" in response.body
        assert time.monotonic() - started < 1.0  # not Bolt's 3-second wait


def test_a_failure_before_the_ack_is_still_an_error(fake_slack: SlackStandIn) -> None:
    response = app_failing(fake_slack, after_ack=False).dispatch(command())
    assert response.status == 500

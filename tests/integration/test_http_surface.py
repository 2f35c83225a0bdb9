"""What any HTTP client of the app sees: signatures, health, malformed payloads."""

from __future__ import annotations

import json
import time
import urllib.request

from sqlalchemy import func, select

from storage.models import Debrief
from tests.conftest import RunningApp


def test_healthz(running_app: RunningApp) -> None:
    with urllib.request.urlopen(running_app.url + "/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read())["ok"] is True


def _message(app: RunningApp) -> dict:
    return app.slack.message_event("debrief Acme\ntimeline: yes")


def test_unsigned_stale_and_forged_requests_get_401_and_store_nothing(
    running_app: RunningApp,
) -> None:
    slack = running_app.slack
    assert slack.command("/debrief", "Acme", signature="v0=" + "0" * 64).status == 401
    stale = int(time.time()) - 6 * 60
    assert slack.event(_message(running_app), timestamp=stale).status == 401
    assert slack.event(_message(running_app), signature="").status == 401
    time.sleep(0.3)
    with running_app.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Debrief)) == 0
    assert running_app.fake.calls == []


def test_malformed_payload_is_acknowledged_and_the_app_keeps_serving(
    running_app: RunningApp,
) -> None:
    response = running_app.slack.send_raw(
        "payload=%7Bnot-json", "application/x-www-form-urlencoded"
    )
    assert response.status in (200, 400)
    response = running_app.slack.send_raw("{not json", "application/json")
    assert response.status in (200, 400)
    assert running_app.slack.command("/debrief", "Acme").status == 200
    running_app.fake.wait_for("views.open")


def test_url_verification(running_app: RunningApp) -> None:
    response = running_app.slack.url_verification("challenge-123")
    assert response.status == 200
    assert "challenge-123" in response.body

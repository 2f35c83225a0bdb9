"""Asking for coaching from the modal, scheduling the session, its reminders; pausing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from storage.coaching import paused_until
from storage.models import CoachingSession
from tests.conftest import TEAM_ID, RunningApp
from tests.integration.coaching_support import run_job
from tests.integration.digest_support import team
from tests.integration.test_debrief_modal import form

STARTS = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def with_coaching(state: dict) -> dict:
    state["coaching"] = {
        "coaching": {
            "type": "checkboxes",
            "selected_options": [
                {"value": "yes", "text": {"type": "plain_text", "text": "I'd like coaching"}}
            ],
        }
    }
    return state


def request_and_schedule(app: RunningApp) -> int:
    team(app.db, "East", ["U_MGR"], ["U_REP1"])
    response = app.slack.view_submission("debrief", with_coaching(form()), view_id="V1")
    assert response.status == 200 and not response.body.strip("{}")
    calls = app.fake.wait_for("chat.postMessage", count=2)
    request = next(c for c in calls if c.params["channel"] == "U_MGR")
    assert "<@U_REP1> would like coaching on *Acme Corp*" in request.params["text"]
    assert "Demo for the CFO" in json.dumps(request.params["blocks"])
    with app.db.session() as session:
        session_id = session.scalars(select(CoachingSession.id)).one()
    # Someone else cannot schedule it.
    app.slack.block_action(
        "coaching_schedule", str(session_id), user_id="U_OTHER", channel_id="D_X", message_ts="1.1"
    )
    app.fake.wait_for("chat.postEphemeral")
    app.slack.block_action(
        "coaching_schedule", str(session_id), user_id="U_MGR", channel_id="D_MGR", message_ts="1.1"
    )
    view = app.fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "coaching_session"
    past = app.slack.view_submission(
        "coaching_session",
        {"starts_at": {"starts_at": {"type": "datetimepicker", "selected_date_time": 1000}}},
        user_id="U_MGR",
        private_metadata=view["private_metadata"],
    )
    assert past.json()["errors"].keys() == {"starts_at"}
    ok = app.slack.view_submission(
        "coaching_session",
        {
            "starts_at": {
                "starts_at": {
                    "type": "datetimepicker",
                    "selected_date_time": int(STARTS.timestamp()),
                }
            }
        },
        user_id="U_MGR",
        private_metadata=view["private_metadata"],
    )
    assert ok.status == 200 and not ok.body.strip("{}")
    confirmations = app.fake.wait_for("chat.postMessage", count=4)[-2:]
    assert {c.params["channel"] for c in confirmations} == {"U_REP1", "U_MGR"}
    return session_id


def test_coaching_request_to_session_reminders(running_app: RunningApp) -> None:
    request_and_schedule(running_app)
    running_app.fake.reset()
    # The clock restarted in between: a fresh job run still finds the session in the database.
    run_job("coaching-sessions", running_app.db, running_app.fake, "2026-12-02T13:40:00+00:00")
    assert running_app.fake.calls_to("chat.postMessage") == []
    run_job("coaching-sessions", running_app.db, running_app.fake, "2026-12-02T13:46:00+00:00")
    run_job("coaching-sessions", running_app.db, running_app.fake, "2026-12-02T13:47:00+00:00")
    reminders = running_app.fake.calls_to("chat.postMessage")
    assert sorted(c.params["channel"] for c in reminders) == ["U_MGR", "U_REP1"]
    assert all("starts" in c.params["text"] for c in reminders)
    run_job("coaching-sessions", running_app.db, running_app.fake, "2026-12-02T14:50:00+00:00")
    run_job("coaching-sessions", running_app.db, running_app.fake, "2026-12-02T15:30:00+00:00")
    prompts = running_app.fake.calls_to("chat.postMessage")[2:]
    assert len(prompts) == 1 and prompts[0].params["channel"] == "U_REP1"
    assert "How did the coaching session" in prompts[0].params["text"]


def test_coaching_request_without_a_manager_says_so(running_app: RunningApp) -> None:
    running_app.slack.view_submission("debrief", with_coaching(form()), view_id="V1")
    calls = running_app.fake.wait_for("chat.postMessage", count=2)
    assert "not in a team with a manager" in calls[-1].params["text"]


def test_pause_and_resume(running_app: RunningApp) -> None:
    slack = running_app.slack
    # Someone the bot has not met yet is looked up first (are they one of the workspace's
    # own people?), after the acknowledgement: the answer comes through the response_url.
    assert slack.command("/debrief", "pause until 2026-12-24").body == ""
    answer = running_app.fake.wait_for("response_url")[0]
    assert "paused until 2026-12-24" in answer.params["text"]
    with running_app.db.session() as session:
        assert str(paused_until(session, TEAM_ID, "U_REP1")) == "2026-12-24"
    for bad in ("pause until 2020-01-01", "pause until someday", "pause", "pause until 2030-01-01"):
        assert "pause until YYYY-MM-DD" in slack.command("/debrief", bad).body
    assert "back on" in slack.command("/debrief", "resume").body
    with running_app.db.session() as session:
        assert paused_until(session, TEAM_ID, "U_REP1") is None
    # A deal whose name starts with "Resume" is still a deal.
    slack.command("/debrief", "Resume Genius")
    running_app.fake.wait_for("views.open")


def test_pause_button_on_a_reminder(running_app: RunningApp) -> None:
    running_app.slack.block_action(
        "reminders_pause_week", None, channel_id="D_REP1", message_ts="1.1"
    )
    message = running_app.fake.wait_for("chat.postMessage")[0]
    assert "paused until 2026-12-07" in message.params["text"]

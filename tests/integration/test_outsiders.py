"""Only the workspace's own people write into the pipeline.

A Slack Connect channel brings in people from another organisation (`user_team`, a payload's
`user.team_id`, a command's `team_id` name their workspace); a workspace has guests
(`is_restricted`, `is_ultra_restricted` in users.info). Neither records anything nor reads any
coaching, unless the workspace's `allow_guests` setting lets guests in. In a channel shared with
another organisation, our own rep's debrief is recorded and the thread only hears "Recorded.".
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from handlers.views.debrief_messages import EDIT_ACTION
from sandbox.payloads import FORM
from storage.models import Debrief, UserPreference
from storage.workspace_settings import write_setting
from tests.conftest import TEAM_ID, RunningApp
from tests.integration.test_debrief_modal import form

EXT_TEAM = "T0EXTCO"
NOT_AVAILABLE = "not available to you"
MESSAGE = "debrief ExtCo\ntimeline: no\nauthority: no\nnext step: call the CFO"


def settle() -> None:
    """Events are acknowledged before the listener runs: give it a moment to finish."""
    time.sleep(0.5)


def debrief_count(app: RunningApp) -> int:
    with app.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Debrief)) or 0)


def posted(app: RunningApp) -> list[str]:
    """Everything the bot posted, as one text per message (its text and its blocks)."""
    return [
        json.dumps([c.params.get("text"), c.params.get("blocks")], ensure_ascii=False)
        for c in app.fake.calls_to("chat.postMessage")
    ]


def shared_message(app: RunningApp, user: str, user_team: str, text: str = MESSAGE) -> dict:
    event = app.slack.message_event(text, user=user, channel="C_SHARED", channel_type="channel")
    event.update(user_team=user_team, source_team=EXT_TEAM, team=user_team)
    return event


def guest(app: RunningApp, user: str = "U_GUEST", flag: str = "is_restricted") -> str:
    app.fake.users[user] = {"id": user, flag: True}
    return user


def allow_guests(app: RunningApp, value: str) -> None:
    with app.db.session() as session:
        write_setting(session, TEAM_ID, "allow_guests", value)


# --------------------------------------------------------------------------- Slack Connect


def test_an_outsiders_debrief_in_a_shared_channel_records_nothing(running_app: RunningApp) -> None:
    app = running_app
    response = app.slack.event(shared_message(app, "U_CUSTOMER", EXT_TEAM), ext_shared=True)
    assert response.status == 200
    settle()
    assert debrief_count(app) == 0
    assert app.fake.calls == []  # no reply, no coaching, not even a users.info


def test_our_reps_debrief_in_a_shared_channel_says_only_recorded_there(
    running_app: RunningApp,
) -> None:
    app = running_app
    app.slack.event(shared_message(app, "U_REP1", TEAM_ID), ext_shared=True)
    replies = app.fake.wait_for("chat.postMessage", count=2)
    assert debrief_count(app) == 1
    in_thread = [c for c in replies if c.params["channel"] == "C_SHARED"]
    to_rep = [c for c in replies if c.params["channel"] == "U_REP1"]
    assert len(in_thread) == 1 and len(to_rep) == 1
    thread = json.dumps(in_thread[0].params, ensure_ascii=False)
    assert in_thread[0].params["text"] == ":white_check_mark: Recorded."
    for secret in ("ExtCo", "timeline", "authority", "Ask on your next call", "CFO", EDIT_ACTION):
        assert secret not in thread
    private = json.dumps(to_rep[0].params["blocks"], ensure_ascii=False)
    assert "<#C_SHARED>" in private and "ExtCo" in private
    assert "Ask on your next call" in private and EDIT_ACTION in private


def test_a_refusal_in_a_shared_channel_goes_to_the_rep_alone(running_app: RunningApp) -> None:
    app = running_app
    event = shared_message(app, "U_REP1", TEAM_ID, "debrief ExtCo\ntimeline: maybe")
    app.slack.event(event, ext_shared=True)
    [reply] = app.fake.wait_for("chat.postMessage")
    assert reply.params["channel"] == "U_REP1" and "thread_ts" not in reply.params
    assert "did not record" in json.dumps(reply.params["blocks"])
    app.slack.event(event, ext_shared=True, event_id="EvAgain")  # redelivered: said once
    settle()
    assert len(app.fake.calls_to("chat.postMessage")) == 1
    assert debrief_count(app) == 0


def test_an_outsiders_command_is_not_available(running_app: RunningApp) -> None:
    app = running_app
    fields = app.slack.command_body("/debrief", "ExtCo", user_id="U_CUSTOMER")
    fields["team_id"] = EXT_TEAM
    response = app.slack.send_raw(urlencode(fields), FORM)
    assert response.status == 200
    assert NOT_AVAILABLE in response.json()["text"]
    assert response.json()["response_type"] == "ephemeral"
    fields["text"] = "pause until 2026-12-24"
    assert NOT_AVAILABLE in app.slack.send_raw(urlencode(fields), FORM).json()["text"]
    settle()
    assert app.fake.calls == []
    with app.db.session() as session:
        assert session.scalars(select(UserPreference)).all() == []


def test_an_outsiders_button_and_shortcut_are_not_available(running_app: RunningApp) -> None:
    app = running_app
    click = app.slack.block_action_payload(
        EDIT_ACTION, "1", user_id="U_CUSTOMER", channel_id="C_SHARED", message_ts="1.1"
    )
    click["user"]["team_id"] = EXT_TEAM
    assert app.slack.interactive(click).status == 200
    [answer] = app.fake.wait_for("response_url")
    assert NOT_AVAILABLE in answer.params["text"]
    assert answer.params["response_type"] == "ephemeral"

    app.fake.reset()
    shortcut = app.slack.message_shortcut_payload(
        "log_as_debrief", MESSAGE, user_id="U_CUSTOMER", channel_id="C_SHARED"
    )
    shortcut["user"]["team_id"] = EXT_TEAM
    assert app.slack.interactive(shortcut).status == 200
    [answer] = app.fake.wait_for("response_url")
    assert NOT_AVAILABLE in answer.params["text"]
    assert app.fake.calls_to("views.open") == []


def test_an_outsiders_deal_search_finds_nothing(running_app: RunningApp) -> None:
    app = running_app
    app.slack.view_submission("debrief", form(), view_id="V1")
    app.fake.wait_for("chat.postMessage")
    payload = app.slack.block_suggestion_payload("deal", "deal", "Acme", user_id="U_REP1")
    payload["user"]["team_id"] = EXT_TEAM
    assert app.slack.interactive(payload).json() == {"options": []}


# --------------------------------------------------------------------------- guests


@pytest.mark.parametrize("flag", ["is_restricted", "is_ultra_restricted"])
def test_a_guests_debrief_message_records_nothing(running_app: RunningApp, flag: str) -> None:
    app = running_app
    user = guest(app, flag=flag)
    app.slack.event(app.slack.message_event(MESSAGE, user=user, channel="D_GUEST"))
    app.fake.wait_for("users.info")
    settle()
    assert debrief_count(app) == 0
    assert app.fake.calls_to("chat.postMessage") == []


def test_guests_are_recorded_when_the_workspace_allows_them(running_app: RunningApp) -> None:
    app = running_app
    allow_guests(app, "yes")
    user = guest(app)
    app.slack.event(app.slack.message_event(MESSAGE, user=user, channel="D_GUEST"))
    app.fake.wait_for("chat.postMessage")
    assert debrief_count(app) == 1


def test_a_guests_command_opens_nothing_they_could_use(running_app: RunningApp) -> None:
    """First time: the modal opens (its trigger cannot wait for Slack's answer about them),
    then turns into "not available". From then on they are known, and told at once."""
    app = running_app
    user = guest(app)
    assert app.slack.command("/debrief", "Acme", user_id=user).body == ""
    [update] = app.fake.wait_for("views.update")
    assert NOT_AVAILABLE in json.dumps(update.params["view"])
    app.fake.reset()
    answer = app.slack.command("/debrief", "Acme", user_id=user)
    assert NOT_AVAILABLE in answer.json()["text"]
    settle()
    assert app.fake.calls == []


def test_a_known_guest_cannot_submit_a_debrief(running_app: RunningApp) -> None:
    app = running_app
    user = guest(app)
    app.slack.command("/debrief", "Acme", user_id=user)
    app.fake.wait_for("views.update")
    response = app.slack.view_submission("debrief", form(), user_id=user, view_id="V9")
    assert response.json()["response_action"] == "errors"
    assert NOT_AVAILABLE in json.dumps(response.json()["errors"])
    assert debrief_count(app) == 0


def test_a_guests_pause_is_not_stored(running_app: RunningApp) -> None:
    app = running_app
    user = guest(app)
    assert app.slack.command("/debrief", "pause until 2026-12-24", user_id=user).body == ""
    [answer] = app.fake.wait_for("response_url")
    assert NOT_AVAILABLE in answer.params["text"]
    with app.db.session() as session:
        assert session.scalars(select(UserPreference)).all() == []


def test_a_guests_home_tab_says_it_is_not_for_them(running_app: RunningApp) -> None:
    app = running_app
    user = guest(app)
    app.slack.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": "D_G"})
    [published] = app.fake.wait_for("views.publish")
    assert NOT_AVAILABLE in json.dumps(published.params["view"])


def test_a_guest_cannot_set_up_teams(running_app: RunningApp) -> None:
    app = running_app
    app.fake.users["U_GUEST_ADMIN"] = {"is_admin": True, "is_restricted": True}
    assert app.slack.command("/coach", "team Sales", user_id="U_GUEST_ADMIN").status == 200
    [answer] = app.fake.wait_for("response_url")
    assert NOT_AVAILABLE in answer.params["text"]
    assert app.fake.calls_to("views.open") == []


def test_a_bot_user_is_not_recorded(running_app: RunningApp) -> None:
    """A bot whose message carries no bot_id (an integration posting as a user) is still a bot
    to users.info."""
    app = running_app
    app.fake.users["U_ROBOT"] = {"id": "U_ROBOT", "is_bot": True}
    app.slack.event(app.slack.message_event(MESSAGE, user="U_ROBOT", channel="D_ROBOT"))
    app.fake.wait_for("users.info")
    settle()
    assert debrief_count(app) == 0 and app.fake.calls_to("chat.postMessage") == []


def test_our_people_are_looked_up_once(running_app: RunningApp) -> None:
    """One users.info answer serves the membership check and the rep's time zone, and is
    remembered (a burst of messages from someone new may ask Slack more than once)."""
    app = running_app
    for n in range(3):
        app.slack.event(app.slack.message_event(f"debrief Acme {n}\ntimeline: yes"))
        app.fake.wait_for("chat.postMessage", count=n + 1)
    assert debrief_count(app) == 3
    assert len(app.fake.calls_to("users.info")) == 1

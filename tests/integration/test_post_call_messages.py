"""Post-call messages ("debrief Acme ...") and the "Correct it" button, over signed events."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from sandbox.payloads import datepicker, external_select, plain, radio
from storage.models import Deal, Debrief
from tests.conftest import RunningApp

MESSAGE = (
    "Debrief Acme &amp; Sons\n"
    "timeline: yes\n"
    "authority: no\n"
    "next step: send the proposal &lt;v2&gt;\n"
    "next step date: 2026-12-10\n"
    "went well: they named a budget\n"
    "improve: ask who else signs\n"
    "They use a competitor today."
)


def debriefs(app: RunningApp) -> list[Debrief]:
    with app.db.session() as session:
        return list(session.scalars(select(Debrief).order_by(Debrief.id)))


def settle() -> None:
    """Events are acknowledged before the listener runs: give it a moment to finish."""
    time.sleep(0.4)


def test_dm_records_a_debrief_and_replies_in_thread(running_app: RunningApp) -> None:
    event = running_app.slack.message_event(MESSAGE, ts="1764500000.000100")
    assert running_app.slack.event(event).status == 200
    reply = running_app.fake.wait_for("chat.postMessage")[0]
    assert reply.params["channel"] == "D_REP1"
    assert reply.params["thread_ts"] == "1764500000.000100"
    blocks = json.dumps(reply.params["blocks"], ensure_ascii=False)
    assert "Acme &amp; Sons" in blocks  # shown escaped, stored unescaped
    assert "debrief_edit" in blocks
    assert "Decision authority not reached" in blocks
    [debrief] = debriefs(running_app)
    assert debrief.source == "message"
    assert debrief.next_step == "send the proposal <v2>"
    assert debrief.timeline_qualified is True and debrief.authority_reached is False
    assert debrief.notes == "They use a competitor today."
    assert str(debrief.call_date) == "2025-11-30"  # the message's own date
    with running_app.db.session() as session:
        assert session.scalars(select(Deal.name)).one() == "Acme & Sons"


def test_channel_message_records_too(running_app: RunningApp) -> None:
    event = running_app.slack.message_event(
        "debrief Globex\ntimeline: no", channel="C_SALES", channel_type="channel"
    )
    running_app.slack.event(event)
    reply = running_app.fake.wait_for("chat.postMessage")[0]
    assert reply.params["channel"] == "C_SALES"
    assert len(debriefs(running_app)) == 1


def test_redelivered_event_records_and_replies_once(running_app: RunningApp) -> None:
    event = running_app.slack.message_event(MESSAGE)
    running_app.slack.event(event, event_id="Ev1")
    running_app.slack.event(event, event_id="Ev1", retry_num=1, retry_reason="http_timeout")
    running_app.slack.event(event, event_id="Ev2")  # same message, another event id
    running_app.fake.wait_for("chat.postMessage")
    settle()
    assert len(debriefs(running_app)) == 1
    assert len(running_app.fake.calls_to("chat.postMessage")) == 1


def test_unparseable_message_gets_the_format_and_records_nothing(running_app: RunningApp) -> None:
    event = running_app.slack.message_event("debrief Acme\ntimeline: maybe")
    running_app.slack.event(event)
    reply = running_app.fake.wait_for("chat.postMessage")[0]
    text = json.dumps(reply.params["blocks"])
    assert "did not record" in text and "timeline: yes" in text
    assert debriefs(running_app) == []
    running_app.slack.event(event, retry_num=1, retry_reason="http_timeout")
    settle()
    assert len(running_app.fake.calls_to("chat.postMessage")) == 1


def test_a_refusal_is_answered_once_under_any_event_id(running_app: RunningApp) -> None:
    """Slack may deliver a message again under a new event_id and without a retry header."""
    event = running_app.slack.message_event("debrief Acme\ntimeline: maybe")
    for event_id in ("EvA", "EvA", "EvB"):
        running_app.slack.event(event, event_id=event_id)
    running_app.fake.wait_for("chat.postMessage")
    settle()
    assert len(running_app.fake.calls_to("chat.postMessage")) == 1


def test_a_first_delivery_numbered_zero_is_answered(running_app: RunningApp) -> None:
    """Socket Mode: Bolt turns the envelope's retry_attempt 0 into X-Slack-Retry-Num: 0."""
    event = running_app.slack.message_event("debrief Acme\ncall date: 2030-01-01")
    running_app.slack.event(event, retry_num=0, retry_reason="")
    reply = running_app.fake.wait_for("chat.postMessage")[0]
    assert "cannot be after today" in json.dumps(reply.params["blocks"])


def test_future_call_date_is_refused(running_app: RunningApp) -> None:
    event = running_app.slack.message_event("debrief Acme\ncall date: 2030-01-01")
    running_app.slack.event(event)
    reply = running_app.fake.wait_for("chat.postMessage")[0]
    assert "cannot be after today" in json.dumps(reply.params["blocks"])
    assert debriefs(running_app) == []


def test_ignored_messages(running_app: RunningApp) -> None:
    slack = running_app.slack
    slack.event(slack.message_event("just chatting about a debrief"))
    slack.event(slack.message_event("debriefing later"))
    slack.event(slack.message_event("debrief Acme", subtype="bot_message", bot_id="B1"))
    slack.event(slack.message_event("debrief Acme", bot_id="BBOT"))
    edited = slack.message_event("x", subtype="message_changed")
    edited["message"] = {"text": "debrief Acme", "user": "U_REP1", "ts": edited["ts"]}
    slack.event(edited)
    slack.event(slack.message_event("debrief Acme", subtype="message_deleted"))
    settle()
    assert debriefs(running_app) == []
    assert running_app.fake.calls_to("chat.postMessage") == []


def test_correct_button_opens_prefilled_modal_and_updates(running_app: RunningApp) -> None:
    slack = running_app.slack
    slack.event(slack.message_event(MESSAGE))
    running_app.fake.wait_for("chat.postMessage")
    [debrief] = debriefs(running_app)
    # Someone else cannot correct it.
    slack.block_action(
        "debrief_edit",
        str(debrief.id),
        user_id="U_INTRUDER",
        channel_id="D_REP1",
        message_ts="1.2",
    )
    running_app.fake.wait_for("chat.postEphemeral")
    assert running_app.fake.calls_to("views.open") == []
    # The rep can.
    slack.block_action("debrief_edit", str(debrief.id), channel_id="D_REP1", message_ts="1.2")
    view = running_app.fake.wait_for("views.open")[0].params["view"]
    meta = json.loads(view["private_metadata"])
    assert meta == {"debrief_id": debrief.id}
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id["next_step"]["element"]["initial_value"] == "send the proposal <v2>"
    assert by_id["timeline"]["element"]["initial_option"]["value"] == "yes"
    response = slack.view_submission(
        "debrief",
        {
            "deal": {"deal": external_select("new:Acme & Sons", "Acme & Sons")},
            "call_date": {"call_date": datepicker("2025-11-30")},
            "timeline": {"timeline": radio("yes")},
            "authority": {"authority": radio("yes")},
            "next_step": {"next_step": plain("Proposal review with the COO")},
        },
        private_metadata=view["private_metadata"],
    )
    assert response.status == 200 and not response.body.strip("{}")
    [corrected] = debriefs(running_app)
    assert corrected.id == debrief.id and corrected.authority_reached is True
    assert corrected.next_step == "Proposal review with the COO"
    dm = running_app.fake.wait_for("chat.postMessage", count=2)[-1]
    assert "corrected" in dm.params["text"]


def test_someone_elses_debrief_id_in_metadata_is_refused(running_app: RunningApp) -> None:
    slack = running_app.slack
    slack.event(slack.message_event(MESSAGE))
    running_app.fake.wait_for("chat.postMessage")
    [debrief] = debriefs(running_app)
    response = slack.view_submission(
        "debrief",
        {
            "deal": {"deal": external_select("new:Stolen", "Stolen")},
            "call_date": {"call_date": datepicker("2025-11-30")},
            "timeline": {"timeline": radio("no")},
            "authority": {"authority": radio("no")},
            "next_step": {"next_step": plain("x")},
        },
        user_id="U_INTRUDER",
        private_metadata=json.dumps({"debrief_id": debrief.id}),
    )
    assert response.json()["response_action"] == "errors"
    with running_app.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Deal)) == 1
    [unchanged] = debriefs(running_app)
    assert unchanged.next_step == "send the proposal <v2>"


def test_message_shortcut_opens_modal_prefilled_from_the_message(running_app: RunningApp) -> None:
    running_app.slack.message_shortcut("log_as_debrief", MESSAGE)
    view = running_app.fake.wait_for("views.open")[0].params["view"]
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id["deal"]["element"]["initial_option"]["value"] == "new:Acme & Sons"
    assert by_id["next_step_date"]["element"]["initial_date"] == "2026-12-10"
    running_app.fake.reset()
    running_app.slack.message_shortcut(
        "log_as_debrief", "Great call with Initech, they want a demo"
    )
    view = running_app.fake.wait_for("views.open")[0].params["view"]
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert "initial_option" not in by_id["deal"]["element"]
    assert by_id["notes"]["element"]["initial_value"] == "Great call with Initech, they want a demo"


def test_a_long_bad_value_is_quoted_short(running_app: RunningApp) -> None:
    event = running_app.slack.message_event("debrief Acme\ntimeline: " + "maybe " * 800)
    running_app.slack.event(event)
    reply = running_app.fake.wait_for("chat.postMessage")[0]
    first = reply.params["blocks"][0]["text"]["text"]
    assert "not “maybe maybe" in first and "…" in first and len(first) < 500


def test_escaped_text_in_the_thread_reply_fits_its_sections(running_app: RunningApp) -> None:
    event = running_app.slack.message_event("debrief Acme\nwent well: " + "&lt;" * 2500)
    running_app.slack.event(event)
    reply = running_app.fake.wait_for("chat.postMessage")[0]
    texts = [b["text"]["text"] for b in reply.params["blocks"] if b["type"] == "section"]
    assert all(len(text) <= 3000 for text in texts)
    assert debriefs(running_app)[0].went_well == "<" * 2500


def _log_as_debrief(app: RunningApp, text: str, channel: str, ts: str, view_id: str):
    from tests.integration.test_debrief_modal import form

    app.fake.reset()
    app.slack.message_shortcut("log_as_debrief", text, channel_id=channel, message_ts=ts)
    modal = app.fake.wait_for("views.open")[0].params["view"]
    return app.slack.view_submission(
        "debrief",
        form("new:Acme & Sons"),
        view_id=view_id,
        private_metadata=modal["private_metadata"],
    )


def test_a_message_records_one_debrief_however_it_is_logged(running_app: RunningApp) -> None:
    """Posted as a debrief, then logged again with the shortcut: the message is one call."""
    event = running_app.slack.message_event(MESSAGE, channel="C_SALES", ts="1764500000.000200")
    running_app.slack.event(event)
    running_app.fake.wait_for("chat.postMessage")
    answer = _log_as_debrief(running_app, MESSAGE, "C_SALES", "1764500000.000200", "V1").json()
    assert answer["response_action"] == "errors"
    assert "already recorded" in answer["errors"]["deal"]
    assert len(debriefs(running_app)) == 1


def test_the_shortcut_used_twice_on_one_message_records_once(running_app: RunningApp) -> None:
    note = "Great call with Initech, they want a demo"
    first = _log_as_debrief(running_app, note, "C_SALES", "1764500000.000300", "V1")
    assert first.json() is None  # saved, modal closed
    second = _log_as_debrief(running_app, note, "C_SALES", "1764500000.000300", "V2").json()
    assert second["response_action"] == "errors"
    [saved] = debriefs(running_app)
    assert saved.source == "modal" and saved.message_ts == "1764500000.000300"
    assert _log_as_debrief(running_app, note, "C_SALES", "1764500000.000400", "V3").json() is None
    assert len(debriefs(running_app)) == 2  # another message is another call

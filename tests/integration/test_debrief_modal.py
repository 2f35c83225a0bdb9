"""/debrief, the modal, its submission and the confirmation DM, through signed HTTP requests."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select

from sandbox.payloads import datepicker, external_select, plain, radio
from storage.models import Deal, Debrief
from tests.conftest import RunningApp


def form(
    deal_value: str = "new:Acme Corp",
    call_date: str | None = "2026-11-30",
    timeline: str | None = "no",
    authority: str | None = "yes",
    next_step: str | None = "Demo for the CFO",
    next_step_date: str | None = "2026-12-04",
    went_well: str | None = None,
    improve: str | None = None,
    notes: str | None = None,
) -> dict:
    return {
        "deal": {"deal": external_select(deal_value, deal_value.split(":", 1)[-1])},
        "call_date": {"call_date": datepicker(call_date)},
        "timeline": {"timeline": radio(timeline)},
        "authority": {"authority": radio(authority)},
        "next_step": {"next_step": plain(next_step)},
        "next_step_date": {"next_step_date": datepicker(next_step_date)},
        "went_well": {"went_well": plain(went_well)},
        "improve": {"improve": plain(improve)},
        "notes": {"notes": plain(notes)},
    }


def count_debriefs(app: RunningApp) -> int:
    with app.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Debrief)) or 0)


def test_debrief_command_opens_the_modal_prefilled(running_app: RunningApp) -> None:
    response = running_app.slack.command("/debrief", "Acme &amp; Sons")
    assert response.status == 200
    call = running_app.fake.wait_for("views.open")[0]
    view = call.params["view"]
    block_ids = [b.get("block_id") for b in view["blocks"]]
    for required in (
        "deal",
        "call_date",
        "timeline",
        "authority",
        "next_step",
        "next_step_date",
        "went_well",
        "improve",
    ):
        assert required in block_ids
    deal = next(b for b in view["blocks"] if b.get("block_id") == "deal")
    assert deal["element"]["initial_option"]["value"] == "new:Acme & Sons"
    call_date = next(b for b in view["blocks"] if b.get("block_id") == "call_date")
    assert call_date["element"]["initial_date"] == "2026-11-30"
    timeline = next(b for b in view["blocks"] if b.get("block_id") == "timeline")
    assert {o["value"] for o in timeline["element"]["options"]} == {"yes", "no"}


def test_text_too_long_for_a_deal_name_goes_to_the_notes(running_app: RunningApp) -> None:
    """A rep who types the whole story after /debrief: nothing is cut into a deal name."""
    story = "Acme call: they liked the demo, the CFO joins next time, " * 3
    running_app.slack.command("/debrief", story)
    view = running_app.fake.wait_for("views.open")[0].params["view"]
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert "initial_option" not in by_id["deal"]["element"]
    assert by_id["notes"]["element"]["initial_value"] == story.strip()


def test_modal_date_defaults_to_the_reps_own_today(running_app: RunningApp) -> None:
    # 2026-11-30 15:00 UTC is already 2026-12-01 in Auckland.
    running_app.fake.users["U_KIWI"] = {"id": "U_KIWI", "tz": "Pacific/Auckland"}
    running_app.slack.command("/debrief", "Kiwi Ltd", user_id="U_KIWI")
    update = running_app.fake.wait_for("views.update")[0]
    block = next(b for b in update.params["view"]["blocks"] if b.get("block_id") == "call_date")
    assert block["element"]["initial_date"] == "2026-12-01"
    # Next time the zone is cached: the modal opens right, with no correction.
    running_app.fake.reset()
    running_app.slack.command("/debrief", "Kiwi Ltd", user_id="U_KIWI")
    opened = running_app.fake.wait_for("views.open")[0]
    block = next(b for b in opened.params["view"]["blocks"] if b.get("block_id") == "call_date")
    assert block["element"]["initial_date"] == "2026-12-01"
    assert running_app.fake.calls_to("users.info") == []


def test_help_text(running_app: RunningApp) -> None:
    response = running_app.slack.command("/debrief", "help")
    assert response.status == 200
    assert "/debrief" in response.body
    assert running_app.fake.calls_to("views.open") == []


def test_submission_saves_then_confirms_by_dm_with_gaps(running_app: RunningApp) -> None:
    response = running_app.slack.view_submission("debrief", form(), view_id="V100")
    assert response.status == 200
    assert response.body in ("", "{}") or response.json() in (None, {})
    with running_app.db.session() as session:
        debrief = session.scalars(select(Debrief)).one()
        deal = session.get(Deal, debrief.deal_id)
        assert deal is not None and deal.name == "Acme Corp" and deal.owner_user_id == "U_REP1"
        assert debrief.timeline_qualified is False and debrief.authority_reached is True
        assert debrief.source == "modal"
    dm = running_app.fake.wait_for("chat.postMessage")[0]
    assert dm.params["channel"] == "U_REP1"
    text = json.dumps(dm.params["blocks"])
    assert "Acme Corp" in text
    assert "Buying timeline not qualified" in text
    assert "Decision authority not reached" not in text


def test_same_submission_delivered_twice_is_saved_and_confirmed_once(
    running_app: RunningApp,
) -> None:
    running_app.slack.view_submission("debrief", form(), view_id="V200")
    running_app.slack.view_submission("debrief", form(), view_id="V200")
    running_app.fake.wait_for("chat.postMessage")
    assert count_debriefs(running_app) == 1
    assert len(running_app.fake.calls_to("chat.postMessage")) == 1


def test_deal_names_match_case_and_space_insensitively(running_app: RunningApp) -> None:
    running_app.slack.view_submission("debrief", form("new:Acme Corp"), view_id="V1")
    running_app.slack.view_submission("debrief", form("new:  acme   CORP "), view_id="V2")
    with running_app.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Deal)) == 1
    assert count_debriefs(running_app) == 2


def test_bad_input_is_answered_on_its_block_and_changes_nothing(running_app: RunningApp) -> None:
    response = running_app.slack.view_submission(
        "debrief",
        form(call_date="2026-12-05", next_step_date="2026-12-01", deal_value="new:   "),
    )
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"deal", "call_date", "next_step_date"}
    assert count_debriefs(running_app) == 0
    assert running_app.fake.calls_to("chat.postMessage") == []


def test_over_long_text_is_refused(running_app: RunningApp) -> None:
    response = running_app.slack.view_submission("debrief", form(went_well="x" * 2501))
    assert response.json()["errors"].keys() == {"went_well"}
    assert count_debriefs(running_app) == 0


def test_deal_picker_offers_own_open_deals_and_create_new(running_app: RunningApp) -> None:
    running_app.slack.view_submission("debrief", form("new:Acme Corp"), view_id="V1")
    running_app.slack.view_submission("debrief", form("new:Acme Rockets"), view_id="V2")
    running_app.slack.view_submission(
        "debrief", form("new:Acme Secret"), view_id="V3", user_id="U_OTHER_REP"
    )
    options = running_app.slack.block_suggestion("deal", "deal", "acme").json()["options"]
    labels = [o["text"]["text"] for o in options]
    assert "Acme Corp" in labels and "Acme Rockets" in labels
    assert "Acme Secret" not in labels  # another rep's deal is not offered
    assert labels[-1] == "Create new deal: acme"
    exact = running_app.slack.block_suggestion("deal", "deal", "acme corp").json()["options"]
    assert [o["text"]["text"] for o in exact] == ["Acme Corp"]


def test_picked_deal_of_another_rep_is_refused(running_app: RunningApp) -> None:
    running_app.slack.view_submission(
        "debrief", form("new:Hidden Deal"), view_id="V1", user_id="U_OTHER_REP"
    )
    with running_app.db.session() as session:
        deal_id = session.scalars(select(Deal.id)).one()
    response = running_app.slack.view_submission("debrief", form(f"deal:{deal_id}"))
    assert response.json()["errors"].keys() == {"deal"}
    assert count_debriefs(running_app) == 1


def test_text_is_stored_exactly_as_typed(running_app: RunningApp) -> None:
    tricky = "O'Brien \"quotes\" 🚀 مرحبا <b>bold</b> '; DROP TABLE debriefs; --"
    running_app.slack.view_submission(
        "debrief", form("new:Café 🚀", went_well=tricky, improve=tricky, notes=tricky)
    )
    with running_app.db.session() as session:
        debrief = session.scalars(select(Debrief)).one()
        assert debrief.went_well == tricky and debrief.improve == tricky
        assert debrief.notes == tricky
        assert session.scalars(select(Deal.name)).one() == "Café 🚀"


def test_database_down_shows_error_and_app_recovers(running_app: RunningApp) -> None:
    real_url = running_app.db.engine.url
    from sqlalchemy import create_engine

    # Point the app's database at a server that refuses connections, then back.
    broken = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    original = running_app.db._sessions.kw["bind"]
    running_app.db._sessions.configure(bind=broken)
    try:
        started = time.monotonic()
        response = running_app.slack.view_submission("debrief", form(), view_id="V9")
        assert time.monotonic() - started < 3.0  # answered inside Slack's limit
        body = response.json()
        assert body["response_action"] == "errors"
        assert "try again" in body["errors"]["deal"]
    finally:
        running_app.db._sessions.configure(bind=original)
        broken.dispose()
    assert running_app.db.engine.url == real_url
    response = running_app.slack.view_submission("debrief", form(), view_id="V9")
    assert response.status == 200 and not response.body.strip("{}")
    assert count_debriefs(running_app) == 1
    running_app.fake.wait_for("chat.postMessage")


def test_text_that_grows_when_escaped_still_fits_the_confirmation(running_app: RunningApp) -> None:
    """Each `<`, `>` or `&` is five characters once escaped for Slack: the longest text a rep
    may type must still fit a section's 3000 characters (the teardown checks every block)."""
    went_well, improve = "a<b & c>" * 312, "&" * 2500
    next_step = "<" * 500
    running_app.slack.view_submission(
        "debrief",
        form(went_well=went_well, improve=improve, next_step=next_step, notes=">" * 2500),
        view_id="V1",
    )
    dm = running_app.fake.wait_for("chat.postMessage")[0]
    texts = [block["text"]["text"] for block in dm.params["blocks"] if block["type"] == "section"]
    assert all(len(text) <= 3000 for text in texts)
    assert any(text.endswith("…") and "a&lt;b &amp; c&gt;" in text for text in texts)
    with running_app.db.session() as session:  # stored whole, only the message is shortened
        stored = session.scalars(select(Debrief)).one()
        assert (stored.went_well, stored.improve) == (went_well, improve)
        assert stored.next_step == next_step

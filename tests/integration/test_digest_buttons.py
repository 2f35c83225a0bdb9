"""The digest's buttons and the post-mortem, over signed requests, with forged values refused."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from sandbox.payloads import plain
from storage.models import Deal, PostMortem
from tests.conftest import RunningApp
from tests.integration.digest_support import run_digest, seed, team

MONDAY = date(2026, 11, 30)


def setup_stalled_deal(app: RunningApp) -> int:
    team(app.db, "East", ["U_MGR"], ["U_REP1"])
    seed(app.db, "Quiet Inc", "U_REP1", MONDAY - timedelta(days=20), timeline=False)
    seed(app.db, "Quiet Inc", "U_REP1", MONDAY - timedelta(days=19), timeline=False)
    with app.db.session() as session:
        return session.scalars(select(Deal.id)).one()


def click(app: RunningApp, action: str, deal_id: int, user: str = "U_MGR"):
    return app.slack.block_action(
        action, str(deal_id), user_id=user, channel_id="D_MGR", message_ts="1764500000.000100"
    )


def test_snooze_hides_the_deal_until_the_date(running_app: RunningApp) -> None:
    deal_id = setup_stalled_deal(running_app)
    click(running_app, "digest_snooze", deal_id)
    reply = running_app.fake.wait_for("chat.postMessage")[0]
    assert reply.params["thread_ts"] == "1764500000.000100"
    assert "snoozed until 2026-12-07" in reply.params["text"]
    with running_app.db.session() as session:
        assert session.get(Deal, deal_id).snoozed_until == date(2026, 12, 7)
    running_app.fake.reset()
    run_digest(running_app.db, running_app.fake, "2026-11-30T10:00:00+00:00")
    digest = running_app.fake.calls_to("chat.postMessage")[0]
    assert "Quiet Inc" not in json.dumps(digest.params["blocks"])


def test_ask_for_update_dms_the_rep_once_a_day(running_app: RunningApp) -> None:
    deal_id = setup_stalled_deal(running_app)
    click(running_app, "digest_ask_update", deal_id)
    calls = running_app.fake.wait_for("chat.postMessage", count=2)
    to_rep = next(c for c in calls if c.params["channel"] == "U_REP1")
    assert "<@U_MGR> asked for an update on *Quiet Inc*" in to_rep.params["text"]
    assert "debrief_deal" in json.dumps(to_rep.params["blocks"])
    click(running_app, "digest_ask_update", deal_id)
    calls = running_app.fake.wait_for("chat.postMessage", count=3)
    assert "already asked" in calls[-1].params["text"]
    assert len([c for c in calls if c.params["channel"] == "U_REP1"]) == 1
    # The rep's button opens the modal on that deal.
    running_app.slack.block_action(
        "debrief_deal", str(deal_id), user_id="U_REP1", channel_id="D_REP1", message_ts="1.1"
    )
    view = running_app.fake.wait_for("views.open")[0].params["view"]
    deal = next(b for b in view["blocks"] if b.get("block_id") == "deal")
    assert deal["element"]["initial_option"]["text"]["text"] == "Quiet Inc"


def test_won_closes_the_deal_and_asks_the_rep_for_a_post_mortem(running_app: RunningApp) -> None:
    deal_id = setup_stalled_deal(running_app)
    click(running_app, "digest_won", deal_id)
    calls = running_app.fake.wait_for("chat.postMessage", count=2)
    request = next(c for c in calls if c.params["channel"] == "U_REP1")
    assert "marked *Quiet Inc* as won" in request.params["text"]
    with running_app.db.session() as session:
        assert session.get(Deal, deal_id).status == "won"
    running_app.slack.block_action(
        "post_mortem_open", str(deal_id), user_id="U_REP1", channel_id="D_REP1", message_ts="1.2"
    )
    view = running_app.fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "post_mortem"
    response = running_app.slack.view_submission(
        "post_mortem",
        {
            "main_reason": {"main_reason": plain("We reached the CFO early")},
            "went_well": {"went_well": plain("Clear timeline")},
            "improve": {"improve": plain(None)},
        },
        user_id="U_REP1",
        private_metadata=view["private_metadata"],
        view_id="V_PM",
    )
    assert response.status == 200
    with running_app.db.session() as session:
        post_mortem = session.scalars(select(PostMortem)).one()
        assert (
            post_mortem.outcome == "won" and post_mortem.main_reason == "We reached the CFO early"
        )
        assert post_mortem.improve is None
    running_app.fake.wait_for("chat.postMessage", count=3)
    # A closed deal is no longer in the digest.
    running_app.fake.reset()
    run_digest(running_app.db, running_app.fake, "2026-11-30T10:00:00+00:00")
    assert "Quiet Inc" not in json.dumps(running_app.fake.calls_to("chat.postMessage")[0].params)


def test_lost_twice_says_already_closed(running_app: RunningApp) -> None:
    deal_id = setup_stalled_deal(running_app)
    click(running_app, "digest_lost", deal_id)
    running_app.fake.wait_for("chat.postMessage", count=2)
    click(running_app, "digest_lost", deal_id)
    calls = running_app.fake.wait_for("chat.postMessage", count=3)
    assert "already closed" in calls[-1].params["text"]


def test_forged_and_foreign_clicks_change_nothing(running_app: RunningApp) -> None:
    deal_id = setup_stalled_deal(running_app)
    for action in ("digest_snooze", "digest_won", "digest_ask_update"):
        click(running_app, action, deal_id, user="U_REP1")  # a rep is not their own manager
        click(running_app, action, deal_id + 999)  # a deal that is not there
    running_app.fake.wait_for("chat.postEphemeral", count=6)
    assert running_app.fake.calls_to("chat.postMessage") == []
    with running_app.db.session() as session:
        deal = session.get(Deal, deal_id)
        assert deal.status == "open" and deal.snoozed_until is None
    # Someone else's deal cannot be debriefed from a forged button, nor post-mortemed.
    running_app.slack.block_action(
        "post_mortem_open", str(deal_id), user_id="U_OTHER", channel_id="D_X", message_ts="1.3"
    )
    running_app.fake.wait_for("chat.postEphemeral", count=7)
    assert running_app.fake.calls_to("views.open") == []


def test_ask_for_update_says_so_when_slack_refuses(running_app: RunningApp) -> None:
    deal_id = setup_stalled_deal(running_app)
    running_app.fake.fail_next("chat.postMessage", status=200, error="internal_error")
    click(running_app, "digest_ask_update", deal_id)
    reply = running_app.fake.wait_for("chat.postMessage")[0]
    assert "try again in a minute" in reply.params["text"]
    click(running_app, "digest_ask_update", deal_id)  # the retry goes through
    calls = running_app.fake.wait_for("chat.postMessage", count=3)
    assert any(c.params["channel"] == "U_REP1" for c in calls)

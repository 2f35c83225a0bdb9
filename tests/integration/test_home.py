"""The Home tab: what each person sees, within Block Kit's limits, and nothing more."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from tests.conftest import RunningApp
from tests.integration.digest_support import seed, team
from tests.integration.test_debrief_modal import form

MONDAY = date(2026, 11, 30)


def open_home(app: RunningApp, user: str) -> dict:
    app.fake.reset()
    app.slack.event(
        {
            "type": "app_home_opened",
            "user": user,
            "channel": "D1",
            "tab": "home",
            "event_ts": "1764500000.000100",
        }
    )
    call = app.fake.wait_for("views.publish")[0]
    assert call.params["user_id"] == user
    view = call.params["view"]
    assert len(view["blocks"]) <= 100
    return view


def text_of(view: dict) -> str:
    return json.dumps(view, ensure_ascii=False)


def test_a_new_rep_and_the_debrief_button(running_app: RunningApp) -> None:
    view = open_home(running_app, "U_NEW")
    assert "No open deals yet" in text_of(view)
    assert "0 of 0 calls effective this week" in text_of(view)
    running_app.slack.block_action("home_debrief", user_id="U_NEW", view=view)
    running_app.fake.wait_for("views.open")


def test_a_rep_with_one_deal_sees_its_gaps_and_their_week(running_app: RunningApp) -> None:
    seed(
        running_app.db,
        "Acme",
        "U_REP1",
        MONDAY,
        timeline=False,
        authority=True,
        next_step_date=MONDAY + timedelta(days=2),
    )
    seed(running_app.db, "Acme", "U_REP1", MONDAY, timeline=None, authority=None)
    view = text_of(open_home(running_app, "U_REP1"))
    assert "Acme" in view and "Buying timeline not qualified" in view
    assert "1 of 2 calls effective this week" in view


def test_a_rep_with_300_deals_stays_within_limits(running_app: RunningApp) -> None:
    for i in range(300):
        seed(running_app.db, f"Deal {i:03}", "U_REP1", MONDAY - timedelta(days=i % 20))
    view = text_of(open_home(running_app, "U_REP1"))
    assert "most recent deals of 300" in view


def test_a_debrief_from_the_home_button_refreshes_the_home_tab(running_app: RunningApp) -> None:
    view = open_home(running_app, "U_REP1")
    running_app.slack.block_action("home_debrief", user_id="U_REP1", view=view)
    modal = running_app.fake.wait_for("views.open")[0].params["view"]
    running_app.fake.reset()
    running_app.slack.view_submission(
        "debrief",
        form("new:Fresh Deal"),
        view_id="V1",
        private_metadata=modal["private_metadata"],
    )
    published = running_app.fake.wait_for("views.publish")[0]
    assert "Fresh Deal" in text_of(published.params["view"])


def test_a_debrief_from_elsewhere_shows_when_home_is_next_opened(running_app: RunningApp) -> None:
    running_app.slack.view_submission("debrief", form("new:Fresh Deal"), view_id="V1")
    running_app.fake.wait_for("chat.postMessage")
    time.sleep(1.0)  # past the background refresh's half-second delay, had one been asked for
    assert running_app.fake.calls_to("views.publish") == []  # not on screen: nothing to redo
    assert "Fresh Deal" in text_of(open_home(running_app, "U_REP1"))


def test_a_manager_of_fifty_reps_sees_the_board(running_app: RunningApp) -> None:
    reps = [f"U_REP{i:02}" for i in range(50)]
    team(running_app.db, "Big", ["U_MGR"], reps)
    team(running_app.db, "Other", ["U_BOSS"], ["U_ELSEWHERE"])
    for rep in reps:
        for d in range(4):
            seed(
                running_app.db,
                f"{rep} deal {d}",
                rep,
                MONDAY - timedelta(days=3 + 6 * d),
                timeline=d % 2 == 0,
                authority=d != 3,
            )
    seed(
        running_app.db, "Elsewhere Deal", "U_ELSEWHERE", MONDAY - timedelta(days=40), timeline=False
    )
    view = text_of(open_home(running_app, "U_MGR"))
    assert "Team board: Big" in view
    assert "200 open deals are stuck" in view or "of 200 open deals are stuck" in view
    assert "Each rep's effectiveness" in view
    assert all(f"<@{rep}>" in view for rep in reps)
    assert "What stalls your deals" in view
    assert "Elsewhere Deal" not in view and "U_ELSEWHERE" not in view


def test_nobody_sees_another_reps_deals(running_app: RunningApp) -> None:
    team(running_app.db, "East", ["U_MGR"], ["U_REP1", "U_REP2"])
    seed(running_app.db, "Rep One Deal", "U_REP1", MONDAY)
    seed(running_app.db, "Rep Two Deal", "U_REP2", MONDAY - timedelta(days=20))
    one = text_of(open_home(running_app, "U_REP1"))
    assert "Rep One Deal" in one and "Rep Two Deal" not in one and "Team board" not in one
    outsider = text_of(open_home(running_app, "U_OUTSIDER"))
    assert "Rep One Deal" not in outsider and "Rep Two Deal" not in outsider
    manager = text_of(open_home(running_app, "U_MGR"))
    assert "Rep Two Deal" in manager  # stalled: gone quiet

"""The Home tab: what each person sees, within Block Kit's limits, and nothing more."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from coaching.debrief import DebriefInput
from storage.debriefs import Delivery, record_debrief
from tests.conftest import TEAM_ID, RunningApp
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


def test_a_manager_with_nothing_stalled_sees_the_teams_open_deals(
    running_app: RunningApp,
) -> None:
    team(running_app.db, "East", ["U_MGR"], ["U_REP1", "U_REP2"])
    team(running_app.db, "West", ["U_BOSS"], ["U_ELSEWHERE"])
    soon = MONDAY + timedelta(days=3)
    seed(running_app.db, "Moving One", "U_REP1", MONDAY - timedelta(days=1), next_step_date=soon)
    seed(running_app.db, "Moving Two", "U_REP2", MONDAY - timedelta(days=2))
    seed(running_app.db, "Not Theirs", "U_ELSEWHERE", MONDAY)
    view = text_of(open_home(running_app, "U_MGR"))
    assert "0 of 2 open deals are stuck" in view
    assert "*Open deals*: 2" in view
    assert (
        f"*Moving One* · <@U_REP1> · last call {MONDAY - timedelta(days=1)} · "
        f"next step: next step ({soon})" in view
    )
    assert (
        f"*Moving Two* · <@U_REP2> · last call {MONDAY - timedelta(days=2)} · "
        "next step: next step (no date)" in view
    )
    assert view.index("Moving One") < view.index("Moving Two")  # the latest call first
    assert "Not Theirs" not in view and "U_ELSEWHERE" not in view
    rep = text_of(open_home(running_app, "U_REP1"))  # a rep still sees only their own
    assert "Moving One" in rep and "Moving Two" not in rep and "Team board" not in rep


def test_a_managers_stuck_deals_come_before_the_others(running_app: RunningApp) -> None:
    team(running_app.db, "East", ["U_MGR"], ["U_REP1", "U_REP2"])
    seed(running_app.db, "Gone Quiet Deal", "U_REP1", MONDAY - timedelta(days=30))
    seed(running_app.db, "Fresh Deal", "U_REP2", MONDAY)
    view = text_of(open_home(running_app, "U_MGR"))
    assert "1 of 2 open deals are stuck" in view
    assert "*Other open deals*: 1" in view
    assert (
        view.index("Gone Quiet Deal") < view.index("*Other open deals*") < view.index("Fresh Deal")
    )
    assert view.count("Gone Quiet Deal") == 1  # a stuck deal is not listed twice


def test_a_manager_of_many_long_deals_stays_within_limits(running_app: RunningApp) -> None:
    reps = [f"U_REP{i:02}" for i in range(30)]
    team(running_app.db, "Big", ["U_MGR"], reps)
    long_step = "<b>&" * 125  # 500 characters typed, 2,375 once escaped for Slack
    with running_app.db.session() as session:
        for i in range(300):
            entry = DebriefInput(
                deal=f"{i:03} " + "<&>" * 32,  # 100 characters, 300 once escaped
                call_date=MONDAY - timedelta(days=i % 10),
                timeline_qualified=True,
                authority_reached=True,
                next_step=long_step,
                next_step_date=MONDAY + timedelta(days=5),
            )
            record_debrief(session, TEAM_ID, reps[i % 30], entry, Delivery("modal", f"long:{i}"))
    view = open_home(running_app, "U_MGR")  # the fake checks every block against Block Kit
    text = text_of(view)
    assert "0 of 300 open deals are stuck" in text
    assert "…and 260 more with older calls" in text and "export debriefs" in text
    sections = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections)
    assert sum(s.count("· last call ") for s in sections) == 40
    assert f"last call {MONDAY - timedelta(days=9)}" not in text  # the oldest calls give way

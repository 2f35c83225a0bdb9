"""`/coach team`: who may open it, and what a submission saves."""

from __future__ import annotations

import json

from storage.teams import list_teams
from tests.conftest import TEAM_ID, RunningApp
from tests.integration.digest_support import team


def users(*ids: str) -> dict:
    return {"type": "multi_users_select", "selected_users": list(ids)}


def state(name: str, managers: list[str], members: list[str], move: bool = False) -> dict:
    return {
        "team_name": {"team_name": {"type": "plain_text_input", "value": name}},
        "managers": {"managers": users(*managers)},
        "members": {"members": users(*members)},
        "channel": {"channel": {"type": "channels_select", "selected_channel": "C_SALES"}},
        "move": {
            "move": {
                "type": "checkboxes",
                "selected_options": (
                    [{"value": "move", "text": {"type": "plain_text", "text": "Move"}}]
                    if move
                    else []
                ),
            }
        },
    }


def teams(app: RunningApp):
    with app.db.session() as session:
        return list_teams(session, TEAM_ID)


def test_someone_who_is_neither_admin_nor_manager_is_refused_politely(
    running_app: RunningApp,
) -> None:
    running_app.slack.command("/coach", "team East", user_id="U_REP1")
    refusal = running_app.fake.wait_for("response_url")[0]
    assert "Only workspace admins" in json.dumps(refusal.params)
    assert running_app.fake.calls_to("views.open") == []


def test_an_admin_creates_a_team(running_app: RunningApp) -> None:
    running_app.fake.users["U_ADMIN"] = {"id": "U_ADMIN", "is_admin": True}
    running_app.slack.command("/coach", "team East", user_id="U_ADMIN")
    view = running_app.fake.wait_for("views.open")[0].params["view"]
    assert view["callback_id"] == "coach_team"
    response = running_app.slack.view_submission(
        "coach_team",
        state("East", ["U_MGR"], ["U_REP1", "U_REP2"]),
        user_id="U_ADMIN",
        private_metadata=view["private_metadata"],
    )
    assert response.status == 200 and not response.body.strip("{}")
    [saved] = teams(running_app)
    assert saved.name == "East" and saved.managers == ("U_MGR",)
    assert saved.members == ("U_REP1", "U_REP2") and saved.channel_id == "C_SALES"
    assert "Team *East* saved" in running_app.fake.wait_for("chat.postMessage")[0].params["text"]


def test_a_manager_edits_their_team_but_not_anothers(running_app: RunningApp) -> None:
    team(running_app.db, "East", ["U_MGR"], ["U_REP1"])
    team(running_app.db, "West", ["U_BOSS"], ["U_REP3"])
    running_app.slack.command("/coach", "team", user_id="U_MGR")
    view = running_app.fake.wait_for("views.open")[0].params["view"]
    name_block = next(b for b in view["blocks"] if b["block_id"] == "team_name")
    assert name_block["element"]["initial_value"] == "East"  # their own team, prefilled
    ok = running_app.slack.view_submission(
        "coach_team",
        state("East", ["U_MGR"], ["U_REP1", "U_REP2"]),
        user_id="U_MGR",
        private_metadata=view["private_metadata"],
    )
    assert not ok.body.strip("{}")
    refused = running_app.slack.view_submission(
        "coach_team",
        state("West", ["U_MGR"], []),
        user_id="U_MGR",
        private_metadata=view["private_metadata"],
    )
    assert refused.json()["errors"].keys() == {"team_name"}
    west = next(t for t in teams(running_app) if t.name == "West")
    assert west.managers == ("U_BOSS",)


def test_moving_a_rep_between_teams_is_explicit(running_app: RunningApp) -> None:
    team(running_app.db, "East", ["U_MGR"], ["U_REP1"])
    meta = json.dumps({"admin": True})
    refused = running_app.slack.view_submission(
        "coach_team",
        state("West", ["U_BOSS"], ["U_REP1"]),
        user_id="U_ADMIN",
        private_metadata=meta,
    )
    assert "<@U_REP1> (East)" in refused.json()["errors"]["members"]
    assert [t.name for t in teams(running_app)] == ["East"]
    moved = running_app.slack.view_submission(
        "coach_team",
        state("West", ["U_BOSS"], ["U_REP1"], move=True),
        user_id="U_ADMIN",
        private_metadata=meta,
    )
    assert not moved.body.strip("{}")
    by_name = {t.name: t for t in teams(running_app)}
    assert by_name["East"].members == () and by_name["West"].members == ("U_REP1",)


def test_coach_without_team_shows_help(running_app: RunningApp) -> None:
    response = running_app.slack.command("/coach", "")
    assert "/coach team" in response.body

"""The Home tab over a signed event, and the manifest against what the code listens to."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from handlers.debrief_modal import SHORTCUT_CALLBACK_ID
from tests.conftest import RunningApp, repo_root
from tests.integration.test_debrief_modal import form


def home_event(user: str = "U_REP1") -> dict:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D_REP1",
        "tab": "home",
        "event_ts": "1764500000.000100",
    }


def test_home_shows_only_the_reps_own_deals_and_gaps(running_app: RunningApp) -> None:
    slack = running_app.slack
    slack.view_submission("debrief", form("new:Acme Corp", timeline="no"), view_id="V1")
    slack.view_submission(
        "debrief", form("new:Other Rep Deal"), view_id="V2", user_id="U_OTHER_REP"
    )
    slack.event(home_event())
    published = running_app.fake.wait_for("views.publish")[0]
    assert published.params["user_id"] == "U_REP1"
    text = json.dumps(published.params["view"])
    assert "Acme Corp" in text and "Buying timeline not qualified" in text
    assert "Other Rep Deal" not in text


def test_home_for_a_new_rep_and_the_debrief_button(running_app: RunningApp) -> None:
    running_app.slack.event(home_event("U_NEW"))
    view = running_app.fake.wait_for("views.publish")[0].params["view"]
    assert "No open deals yet" in json.dumps(view)
    running_app.slack.block_action("home_debrief", user_id="U_NEW", view=view)
    running_app.fake.wait_for("views.open")


def test_home_with_many_deals_stays_within_limits(running_app: RunningApp) -> None:
    for i in range(120):
        running_app.slack.view_submission("debrief", form(f"new:Deal {i:03}"), view_id=f"V{i}")
    running_app.slack.event(home_event())
    view = running_app.fake.wait_for("views.publish")[0].params["view"]
    assert len(view["blocks"]) <= 100
    assert "of 120" in json.dumps(view)


def manifest() -> dict:
    return yaml.safe_load(Path(repo_root() / "manifest.yml").read_text())


def test_manifest_matches_the_code() -> None:
    data = manifest()
    features = data["features"]
    assert [c["command"] for c in features["slash_commands"]] == ["/debrief", "/coach"]
    assert features["slash_commands"][0]["usage_hint"]
    [shortcut] = features["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == SHORTCUT_CALLBACK_ID
    assert len(shortcut["name"]) <= 24
    events = set(data["settings"]["event_subscriptions"]["bot_events"])
    assert {"message.im", "app_home_opened", "message.channels"} <= events
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is True
    scopes = set(data["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "commands",
        "chat:write",
        "users:read",
        "im:history",
        "channels:history",
        "groups:history",
    }
    assert features["app_home"]["home_tab_enabled"] is True


def test_procfile_has_the_three_processes() -> None:
    lines = (repo_root() / "Procfile").read_text().splitlines()
    kinds = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in lines if line}
    assert kinds["release"] == "python -m bot db upgrade"
    assert kinds["web"].startswith("python -m bot serve")
    assert set(kinds) == {"web", "clock", "release"}

"""The manifest and the Procfile against what the code provides."""

from __future__ import annotations

from pathlib import Path

import yaml

from handlers.debrief_modal import SHORTCUT_CALLBACK_ID
from tests.conftest import repo_root


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
        "files:write",
    }
    assert features["app_home"]["home_tab_enabled"] is True


def test_procfile_has_the_four_processes() -> None:
    lines = (repo_root() / "Procfile").read_text().splitlines()
    kinds = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in lines if line}
    assert kinds["release"] == "python -m bot db upgrade"
    assert kinds["web"].startswith("python -m bot serve")
    assert kinds["worker"] == "python -m bot worker"
    assert kinds["clock"].startswith("python -m bot clock")
    assert set(kinds) == {"web", "clock", "worker", "release"}

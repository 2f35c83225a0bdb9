"""A process reads each workspace's settings once in a while, not once per request
(handlers.deps.WorkspaceMemory), and sees an operator's change within its time to live."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

from handlers.audience import read_workspace
from handlers.deps import Deps, WorkspaceMemory
from storage.db import Database
from storage.workspace_settings import write_setting
from tests.conftest import TEAM_ID
from tests.support.engine_events import seen


def test_settings_are_read_once_then_again_after_their_time(db: Database) -> None:
    deps = Deps(db=db, default_zone=ZoneInfo("UTC"), workspaces=WorkspaceMemory(ttl=0.5))
    with seen(db, "before_cursor_execute") as statements:
        assert read_workspace(deps, TEAM_ID).language == "en"
        assert len(statements) == 1
        assert read_workspace(deps, TEAM_ID).language == "en"
        assert len(statements) == 1  # from memory: no round trip
    with db.session() as session:  # an operator's `settings set`, in another process
        write_setting(session, TEAM_ID, "language", "ar")
    assert read_workspace(deps, TEAM_ID).language == "en"  # not seen yet
    time.sleep(0.6)
    assert read_workspace(deps, TEAM_ID).language == "ar"


def test_each_workspace_is_remembered_apart(db: Database) -> None:
    with db.session() as session:
        write_setting(session, "T_OTHER", "language", "ar")
    deps = Deps(db=db, default_zone=ZoneInfo("UTC"))
    assert read_workspace(deps, TEAM_ID).language == "en"
    assert read_workspace(deps, "T_OTHER").language == "ar"
    assert read_workspace(deps, TEAM_ID).language == "en"

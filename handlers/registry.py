"""Every listener, registered in one place, grouped by Slack surface."""

from __future__ import annotations

from slack_bolt import App

from handlers import (
    access,
    coaching,
    deal_actions,
    debrief_messages,
    debrief_modal,
    home,
    teams,
)
from handlers.deps import Deps


def register_all(app: App, deps: Deps) -> None:
    access.register(app, deps)  # first: only the workspace's own people reach the listeners
    debrief_modal.register(app, deps)
    debrief_messages.register(app, deps)
    home.register(app, deps)
    deal_actions.register(app, deps)
    teams.register(app, deps)
    coaching.register(app, deps)

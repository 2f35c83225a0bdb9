"""What someone who may not use Deal Coach reads (an outsider from a Slack Connect
organisation, a guest when guests are not allowed): one short, polite sentence, and never a
deal, a gap or a coaching question."""

from __future__ import annotations

from typing import Any

from coaching.i18n import _
from handlers.views.kit import plain, section


def not_available() -> str:
    """The ephemeral answer to a command, shortcut or button."""
    return _("Sorry, Deal Coach is not available to you: it is for this workspace's own members.")


def not_available_home() -> dict[str, Any]:
    """The Home tab such a person sees instead of deals."""
    return {"type": "home", "blocks": [section(not_available())]}


def not_available_modal() -> dict[str, Any]:
    """What replaces the debrief form when its opener turns out not to be one of ours."""
    return {
        "type": "modal",
        "title": plain(_("Deal Coach")),
        "close": plain(_("Close")),
        "blocks": [section(not_available())],
    }

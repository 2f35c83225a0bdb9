"""A workspace leaving (OAuth mode only): `app_uninstalled`, or its bot token revoked.

Its tokens are deleted at once, so no request is authorised and no job or worker finds a
client for it any more (handlers/clients.py answers None): every job for it stops. Its data
stays for DATA_RETENTION_DAYS (scheduling/retention.py), in case it installs again.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from handlers.deps import Deps
from storage.installations import forget_tokens, mark_uninstalled

log = logging.getLogger(__name__)


def leave(deps: Deps, team_id: str, why: str) -> None:
    with deps.db.session() as session:
        forgotten = forget_tokens(session, team_id)
        mark_uninstalled(session, team_id, deps.now())
    log.info(
        "workspace left: tokens deleted",
        extra={"team": team_id, "why": why, "bots": forgotten.bots},
    )


def register(app: App, deps: Deps) -> None:
    @app.event("app_uninstalled")
    def uninstalled(context: BoltContext) -> None:
        if context.team_id:
            leave(deps, context.team_id, "app_uninstalled")

    @app.event("tokens_revoked")
    def revoked(event: dict[str, Any], context: BoltContext) -> None:
        # Only a bot token matters: Deal Coach asks for no user token.
        if context.team_id and (event.get("tokens") or {}).get("bot"):
            leave(deps, context.team_id, "tokens_revoked")

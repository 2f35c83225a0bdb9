"""Data retention: a workspace that uninstalled the app is deleted DATA_RETENTION_DAYS later.

Its tokens went at once (handlers/install.py); its debriefs, deals, teams, outbox and
settings wait out the retention period, so an uninstall by mistake can be undone by
installing again, and the operator can still `workspace export` it. Each workspace is
deleted in one transaction of its own. OAuth states of installs never finished go too.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient

from handlers.clients import Clients
from handlers.deps import Deps
from scheduling.common import JobReport
from storage.installations import drop_expired_states, uninstalled_before
from storage.workspaces import delete_workspace

log = logging.getLogger(__name__)


def run_data_retention(deps: Deps, clients: WebClient | Clients, as_of: datetime) -> JobReport:
    report = JobReport()
    cutoff = as_of - timedelta(days=deps.data_retention_days)
    with deps.db.session() as session:
        expired = uninstalled_before(session, cutoff)
        drop_expired_states(session, as_of)
    for team_id in expired:
        try:
            with deps.db.session() as session:
                counts = delete_workspace(session, team_id)
        except Exception:
            log.exception("could not delete an uninstalled workspace", extra={"team": team_id})
            report.add("failed")
            continue
        log.info("uninstalled workspace deleted", extra={"team": team_id, "rows": counts})
        report.add("deleted")
    return report

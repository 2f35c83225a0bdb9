"""The weekly digest job: every manager gets one DM a week listing their teams' stalled deals.

Each tick sends every digest that is due and not yet sent, so a clock that was down at 09:00
catches up at its next tick; the outbox key `weekly-digest:<workspace>:<manager>:<ISO week>`
makes a second clock, a second `jobs run` or a restart a no-op.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import date, datetime
from functools import partial

from slack_sdk import WebClient

from coaching.schedule import DigestSchedule, digest_due
from coaching.stalls import DealSnapshot, StalledDeal, StallThresholds, find_stalled
from handlers.deps import Deps
from handlers.timezones import fetch_zone
from handlers.views.digest import TeamDigest, weekly_digest
from scheduling.common import JobReport, setting
from scheduling.delivery import Outcome, deliver
from storage.db import Database
from storage.snapshots import open_deal_snapshots, paused_gc
from storage.teams import TeamInfo, list_teams, workspaces_with_teams
from storage.workspace_settings import read_settings

log = logging.getLogger(__name__)


def _workspace_rules(
    settings: dict[str, str], team_id: str
) -> tuple[StallThresholds, DigestSchedule]:
    thresholds = setting(StallThresholds.from_mapping, settings, StallThresholds(), team_id)
    schedule = setting(DigestSchedule.from_mapping, settings, DigestSchedule(), team_id)
    return thresholds, schedule


def workspace_stalls(
    db: Database, team_id: str, today: date, thresholds: StallThresholds
) -> tuple[list[DealSnapshot], list[StalledDeal]]:
    """Every open deal of the workspace (one query) and those the rules flag."""
    with paused_gc():
        with db.session() as session:
            snapshots = open_deal_snapshots(session, team_id)
        return snapshots, find_stalled(snapshots, today, thresholds)


def run_weekly_digest(deps: Deps, client: WebClient, as_of: datetime) -> JobReport:
    report = JobReport()
    with deps.db.session() as session:
        workspaces = workspaces_with_teams(session)
    for team_id in workspaces:
        _digest_workspace(deps, client, team_id, as_of, report)
    return report


def _digest_workspace(
    deps: Deps, client: WebClient, team_id: str, as_of: datetime, report: JobReport
) -> None:
    with deps.db.session() as session:
        teams = list_teams(session, team_id)
        settings = read_settings(session, team_id)
    thresholds, schedule = _workspace_rules(settings, team_id)
    today = as_of.astimezone(deps.default_zone).date()
    snapshots, flagged = workspace_stalls(deps.db, team_id, today, thresholds)
    stalled_by_rep: dict[str, list[StalledDeal]] = defaultdict(list)
    for stalled in flagged:
        stalled_by_rep[stalled.deal.rep_user_id].append(stalled)
    open_by_rep = Counter(snapshot.rep_user_id for snapshot in snapshots)

    managed: dict[str, list[TeamInfo]] = defaultdict(list)
    for team in teams:
        for manager in team.managers:
            managed[manager].append(team)

    for manager, manager_teams in managed.items():
        zone = fetch_zone(deps, client, team_id, manager)
        week = digest_due(as_of, zone, schedule)
        if week is None:
            report.add("not_due")
            continue
        sections = [
            TeamDigest(
                name=team.name,
                open_deals=sum(open_by_rep[rep] for rep in team.members),
                stalled=[s for rep in team.members for s in stalled_by_rep.get(rep, [])],
            )
            for team in manager_teams
        ]
        for section in sections:  # the order of find_stalled: most urgent first
            section.stalled.sort(key=lambda s: (not s.lacks_qualification, -s.days_since_last_call))
        outcome = deliver(
            deps.db,
            client,
            key=f"weekly-digest:{team_id}:{manager}:{week}",
            team_id=team_id,
            kind="weekly-digest",
            recipient=manager,
            channel=manager,
            render=partial(weekly_digest, week, sections),
            now=as_of,
        )
        report.add(outcome.value if outcome is not Outcome.SKIPPED else "skipped")

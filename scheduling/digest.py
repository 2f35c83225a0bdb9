"""The weekly digest job: every manager gets one DM a week listing their teams' stalled deals.

Each tick sends every digest that is due and not yet sent, so a clock that was down at 09:00
catches up at its next tick; the outbox key `weekly-digest:<workspace>:<manager>:<ISO week>`
makes a second clock, a second `jobs run` or a restart a no-op.
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from functools import partial

from slack_sdk import WebClient

from coaching.frameworks import Framework
from coaching.i18n import in_language
from coaching.metrics import by_week, recent_weeks
from coaching.schedule import DigestSchedule, digest_due
from coaching.stalls import DealSnapshot, StalledDeal, StallThresholds, find_stalled
from handlers.audience import language_for, workspace_from
from handlers.clients import Clients
from handlers.deps import Deps
from handlers.outbox import Outcome
from handlers.timezones import fetch_profile
from handlers.views.debrief_messages import Rendered
from handlers.views.digest import TeamDigest, chart_texts, weekly_digest
from scheduling.common import JobReport, each_workspace, queue, setting
from storage.db import Database
from storage.metrics import daily_calls
from storage.outbox import enqueue
from storage.snapshots import open_deal_snapshots, paused_gc
from storage.teams import TeamInfo, list_teams, workspaces_with_teams
from storage.workspace_settings import read_settings

log = logging.getLogger(__name__)
CHART_WEEKS = 8  # the digest's chart: the teams' effective-call share, week by week


def _workspace_rules(
    settings: dict[str, str], team_id: str
) -> tuple[StallThresholds, DigestSchedule]:
    thresholds = setting(StallThresholds.from_mapping, settings, StallThresholds(), team_id)
    schedule = setting(DigestSchedule.from_mapping, settings, DigestSchedule(), team_id)
    return thresholds, schedule


def workspace_stalls(
    db: Database,
    team_id: str,
    today: date,
    thresholds: StallThresholds,
    framework: Framework | None = None,
) -> tuple[list[DealSnapshot], list[StalledDeal]]:
    """Every open deal of the workspace (one query, and one more for a framework with other
    criteria than timeline and authority) and those the framework's rules flag."""
    keys = framework.keys if framework is not None else ()
    with paused_gc():
        with db.session() as session:
            snapshots = open_deal_snapshots(session, team_id, criteria=keys)
        return snapshots, find_stalled(snapshots, today, thresholds, framework)


def run_weekly_digest(deps: Deps, clients: WebClient | Clients, as_of: datetime) -> JobReport:
    return each_workspace(deps, clients, as_of, workspaces_with_teams, _digest_workspace)


def _digest_workspace(
    deps: Deps, client: WebClient, team_id: str, as_of: datetime, report: JobReport
) -> None:
    with deps.db.session() as session:
        teams = list_teams(session, team_id)
        settings = read_settings(session, team_id)
    thresholds, schedule = _workspace_rules(settings, team_id)
    workspace = workspace_from(settings, team_id)
    framework = workspace.framework
    today = as_of.astimezone(deps.default_zone).date()
    snapshots, flagged = workspace_stalls(deps.db, team_id, today, thresholds, framework)
    # Each rep's stalled deals keep their rank in find_stalled's order (most urgent first), so
    # a team's list is a merge of its reps' lists rather than a second sort.
    stalled_by_rep: dict[str, list[tuple[int, StalledDeal]]] = defaultdict(list)
    for rank, stalled in enumerate(flagged):
        stalled_by_rep[stalled.deal.rep_user_id].append((rank, stalled))
    open_by_rep = Counter(snapshot.rep_user_id for snapshot in snapshots)
    chart_calls: dict[str, list[tuple[date, int, int]]] | None = None

    managed: dict[str, list[TeamInfo]] = defaultdict(list)
    for team in teams:
        for manager in team.managers:
            managed[manager].append(team)

    for manager, manager_teams in managed.items():
        zone, locale = fetch_profile(deps, client, team_id, manager)
        language = language_for(locale, workspace.language)
        week = digest_due(as_of, zone, schedule)
        if week is None:
            report.add("not_due")
            continue
        sections = [
            TeamDigest(
                name=team.name,
                open_deals=sum(open_by_rep[rep] for rep in team.members),
                stalled=[
                    s for _, s in heapq.merge(*(stalled_by_rep.get(r, []) for r in team.members))
                ],
            )
            for team in manager_teams
        ]
        key = f"weekly-digest:{team_id}:{manager}:{week}"
        members = {rep for team in manager_teams for rep in team.members}
        outcome = queue(
            deps.db,
            keys=[key],
            team_id=team_id,
            kind="weekly-digest",
            recipient=manager,
            channel=manager,
            render=partial(_digest_message, language, week, sections, framework),
            now=as_of,
        )
        report.add(outcome.value)
        if outcome is Outcome.QUEUED:
            if chart_calls is None:  # one query for every chart of this run
                with deps.db.session() as session:
                    chart_calls = daily_calls(
                        session,
                        team_id,
                        sorted({rep for team in teams for rep in team.members}),
                        today - timedelta(weeks=CHART_WEEKS),
                        framework.keys,
                    )
            calls = [row for rep in members for row in chart_calls.get(rep, [])]
            names = [team.name for team in manager_teams]
            queue_chart(deps, team_id, manager, week, names, calls, today, as_of, language)


def _digest_message(
    language: str,
    week: str,
    sections: list[TeamDigest],
    framework: Framework,
    _keys: list[str],
) -> Rendered:
    """The digest in the manager's language, rendered as it is written to the outbox."""
    return in_language(language, weekly_digest, week, sections, framework)


def queue_chart(
    deps: Deps,
    team_id: str,
    manager: str,
    week: str,
    teams: list[str],
    calls: list[tuple[date, int, int]],
    today: date,
    as_of: datetime,
    language: str = "en",
) -> None:
    """The teams' effective-call share over eight weeks, for the digest's thread: written
    with the figures and the manager's words, drawn and uploaded by a worker once the digest
    is posted. One attempt; the digest reads fully without it."""
    payload = {
        "after": f"weekly-digest:{team_id}:{manager}:{week}",
        "file": in_language(language, chart_payload, week, teams, calls, today, CHART_WEEKS),
    }
    with deps.db.session() as session:
        enqueue(
            session,
            keys=[f"digest-chart:{team_id}:{manager}:{week}"],
            team_id=team_id,
            kind="digest-chart",
            recipient=manager,
            channel=manager,
            render=lambda _keys: payload,
            now=as_of,
        )


def chart_payload(
    week: str, teams: list[str], calls: list[tuple[date, int, int]], today: date, weeks: int
) -> dict[str, object]:
    """What a worker needs to draw a digest's chart: the figures and the words (in the current
    language; the drawn ones stay in English for a right-to-left reader, see chart_texts),
    not the picture, so that the clock does not draw a thousand of them in one tick."""
    texts = chart_texts(teams, week)
    return {
        "team": ", ".join(teams),
        "weeks": [
            [w.week, w.calls, w.effective] for w in by_week(calls, recent_weeks(today, weeks))
        ],
        "title": texts.title,
        "drawn_title": texts.drawn_title,
        "y_label": texts.y_label,
        "no_calls": texts.no_calls,
        "filename": texts.filename,
    }

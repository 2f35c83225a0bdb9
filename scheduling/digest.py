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
from handlers.timezones import fetch_profile
from handlers.views.digest import TeamDigest, chart_texts, weekly_digest
from scheduling.charts import WeekShare, effective_share_chart
from scheduling.common import JobReport, each_workspace, setting
from scheduling.delivery import Outcome, deliver
from storage.db import Database, DatabaseError
from storage.metrics import daily_calls
from storage.outbox import claim, mark_failed, mark_sent, sent_message
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
        outcome = deliver(
            deps.db,
            client,
            key=f"weekly-digest:{team_id}:{manager}:{week}",
            team_id=team_id,
            kind="weekly-digest",
            recipient=manager,
            channel=manager,
            render=partial(in_language, language, weekly_digest, week, sections, framework),
            now=as_of,
        )
        report.add(outcome.value)
        if outcome is Outcome.SENT:
            if chart_calls is None:  # one query for every chart of this run
                with deps.db.session() as session:
                    chart_calls = daily_calls(
                        session,
                        team_id,
                        sorted({rep for team in teams for rep in team.members}),
                        today - timedelta(weeks=CHART_WEEKS),
                        framework.keys,
                    )
            members = {rep for team in manager_teams for rep in team.members}
            calls = [row for rep in members for row in chart_calls.get(rep, [])]
            names = [team.name for team in manager_teams]
            attach_chart(deps, client, team_id, manager, week, names, calls, as_of, language)


def attach_chart(
    deps: Deps,
    client: WebClient,
    team_id: str,
    manager: str,
    week: str,
    teams: list[str],
    calls: list[tuple[date, int, int]],
    as_of: datetime,
    language: str = "en",
) -> bool:
    """Put the teams' effective-call share over eight weeks in the digest's thread.

    One attempt, claimed in the outbox like any send; the digest already reads fully without
    it, so a failure here is logged and changes nothing else.
    """
    key = f"digest-chart:{team_id}:{manager}:{week}"
    try:
        with deps.db.session() as session:
            where = sent_message(session, f"weekly-digest:{team_id}:{manager}:{week}")
            if (
                where is None
                or claim(session, key, team_id, "digest-chart", manager, as_of) is None
            ):
                return False
        labels = recent_weeks(as_of.astimezone(deps.default_zone).date(), CHART_WEEKS)
        weeks = by_week(calls, labels)
        texts = in_language(language, chart_texts, teams, week)
        png = effective_share_chart(
            ", ".join(teams),
            [WeekShare(w.week, w.calls, w.effective) for w in weeks],
            texts.drawn_title,
            texts.y_label,
            texts.no_calls,
        )
        channel, ts = where
        client.files_upload_v2(
            channel=channel, thread_ts=ts, content=png, filename=texts.filename, title=texts.title
        )
    except Exception as error:
        log.warning("digest chart not attached", extra={"key": key, "error": repr(error)})
        try:
            with deps.db.session() as session:
                mark_failed(session, key, repr(error))
        except DatabaseError:
            pass
        return False
    with deps.db.session() as session:
        mark_sent(session, key, channel, ts)
    return True

"""What the Home tab shows a person, and publishing it: whenever they open it
(handlers/home.py), and after a debrief recorded from the Home tab's own button, the one time
the tab is on screen behind the modal (refresh_home).

A rep sees their own open deals and their week; a manager also sees their teams' board. What
a person sees is decided here, from who they are: nobody's Home shows another rep's deals
unless they manage that rep.
"""

from __future__ import annotations

import heapq
import logging
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from coaching.i18n import in_language
from coaching.metrics import (
    by_week,
    median_days_between,
    qualification,
    recent_weeks,
    stall_causes,
)
from coaching.stalls import DealSnapshot, StallThresholds, find_stalled
from handlers.audience import fetch_language, read_workspace, workspace_from
from handlers.deps import Deps
from handlers.views.home import (
    MAX_DEALS_SHOWN,
    TEAM_DEALS_SHOWN,
    TREND_WEEKS,
    HomeData,
    ManagerBoard,
    RepWeeks,
    home_view,
)
from storage.db import DatabaseError
from storage.debriefs import count_rep_open_deals, rep_open_deals
from storage.metrics import call_dates_by_deal, daily_calls
from storage.snapshots import open_deal_snapshots, paused_gc
from storage.teams import teams_managed_by
from storage.workspace_settings import read_settings

log = logging.getLogger(__name__)
CADENCE_WINDOW = timedelta(weeks=12)


def load_home(deps: Deps, team_id: str, user_id: str) -> HomeData:
    """Everything the Home tab shows to this person (one session, a fixed number of queries),
    built with the cyclic garbage collector paused, as the digest builds its snapshot."""
    with paused_gc():
        return _load_home(deps, team_id, user_id)


def _load_home(deps: Deps, team_id: str, user_id: str) -> HomeData:
    today = deps.now().astimezone(deps.default_zone).date()
    weeks = recent_weeks(today, TREND_WEEKS)
    since = today - timedelta(weeks=TREND_WEEKS)
    with deps.db.session() as session:
        settings = read_settings(session, team_id)
        framework = workspace_from(settings, team_id).framework
        keys = framework.keys
        deals = rep_open_deals(session, team_id, user_id, MAX_DEALS_SHOWN, keys)
        total = count_rep_open_deals(session, team_id, user_id)
        teams = teams_managed_by(session, team_id, user_id)
        reps = sorted({rep for t in teams for rep in t.members} | {user_id})
        daily = daily_calls(session, team_id, reps, since, keys)
        board = None
        if teams:
            members = sorted({rep for t in teams for rep in t.members})
            snapshots = open_deal_snapshots(
                session, team_id, statuses=("open", "won", "lost"), owners=members, criteria=keys
            )
            cadence_dates = call_dates_by_deal(session, team_id, members, today - CADENCE_WINDOW)
            try:
                thresholds = StallThresholds.from_mapping(settings)
            except ValueError:
                thresholds = StallThresholds()
    mine = RepWeeks(user_id, by_week(daily.get(user_id, []), weeks))
    if teams:
        open_deals = [s for s in snapshots if s.status == "open"]
        stalled = find_stalled(open_deals, today, thresholds, framework)
        stuck = {s.deal.deal_id for s in stalled}
        others = [s for s in open_deals if s.deal_id not in stuck]
        board = ManagerBoard(
            teams=[t.name for t in teams],
            open_deals=len(open_deals),
            stalled=stalled,
            others=heapq.nsmallest(TEAM_DEALS_SHOWN, others, key=_latest_call_first),
            reps=[RepWeeks(rep, by_week(daily.get(rep, []), weeks)) for rep in members],
            causes=stall_causes(snapshots, today, thresholds, stalled, framework),
            qualification=qualification(open_deals, framework),
            cadence=median_days_between(cadence_dates),
        )
    return HomeData(deals=deals, total_deals=total, mine=mine, board=board, framework=framework)


def _latest_call_first(deal: DealSnapshot) -> tuple[int, str, int]:
    return -deal.last_call.toordinal(), deal.name.casefold(), deal.deal_id


def publish_home(deps: Deps, client: WebClient, team_id: str, user_id: str) -> None:
    """Refresh someone's Home tab, in their language; a failure leaves the last one in place
    and is only logged."""
    try:
        data = load_home(deps, team_id, user_id)
        workspace = read_workspace(deps, team_id)
        language = fetch_language(deps, client, team_id, user_id, workspace)
        view: dict[str, Any] = in_language(language, home_view, data)
        client.views_publish(user_id=user_id, view=view)
    except (DatabaseError, SlackApiError):
        log.warning("home tab not refreshed", exc_info=True)


def refresh_home(deps: Deps, client: WebClient, team_id: str, user_id: str) -> None:
    """The Home tab the rep is looking at shows the debrief they just recorded: refreshed in
    the background, once for a burst of debriefs. A Home tab not on screen needs nothing:
    opening it publishes it afresh (Slack sends `app_home_opened` on every visit)."""
    deps.background.submit(
        ("home", team_id, user_id), lambda: publish_home(deps, client, team_id, user_id)
    )

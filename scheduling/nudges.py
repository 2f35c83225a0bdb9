"""Weekly coaching nudges in team channels, aimed at each team's most common gap.

Due once a week per team, from Monday 10:00 in the workspace's zone within working hours; the
outbox key `coaching-nudge:<workspace>:<team>:<ISO week>` makes it once per team and week. A
team with no debrief in the window gets no nudge; its managers are told instead.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from slack_sdk import WebClient

from coaching.i18n import in_language
from coaching.nudges import (
    GAP_ORDER,
    NO_REPEAT_WEEKS,
    PROMPTS_PER_NUDGE,
    WINDOW_DAYS,
    gap_order,
    most_common_gap,
)
from coaching.prompts import load_prompts, pick_prompts
from coaching.schedule import DigestSchedule, digest_due
from handlers.audience import fetch_language, workspace_from
from handlers.clients import Clients
from handlers.deps import Deps
from handlers.outbox import Outcome
from handlers.views.coaching import no_debriefs_for_nudge, nudge
from handlers.views.debrief_messages import Rendered
from scheduling.common import JobReport, each_workspace, queue, setting
from storage.coaching import prompts_seen, record_prompts, team_call_stats
from storage.teams import list_teams, workspaces_with_teams
from storage.workspace_settings import read_settings

NUDGE_HOUR = 10  # an hour after the default digest, so managers have read theirs


def run_coaching_nudges(deps: Deps, clients: WebClient | Clients, as_of: datetime) -> JobReport:
    return each_workspace(deps, clients, as_of, workspaces_with_teams, _nudge_workspace)


def _nudge_workspace(
    deps: Deps, client: WebClient, team_id: str, as_of: datetime, report: JobReport
) -> None:
    with deps.db.session() as session:
        teams = [t for t in list_teams(session, team_id) if t.channel_id]
        settings = read_settings(session, team_id)
    if not teams:
        return
    hours = setting(DigestSchedule.from_mapping, settings, DigestSchedule(), team_id).hours
    week = digest_due(as_of, deps.default_zone, DigestSchedule(1, NUDGE_HOUR, hours))
    if week is None:
        report.add("not_due", len(teams))
        return
    today = as_of.astimezone(deps.default_zone).date()
    workspace = workspace_from(settings, team_id)
    framework = workspace.framework
    with deps.db.session() as session:
        stats = team_call_stats(
            session, team_id, today - timedelta(days=WINDOW_DAYS - 1), today, framework.keys
        )
    library = load_prompts(workspace.language)  # a channel reads the workspace's language
    for team in teams:
        assert team.channel_id is not None
        team_stats = stats.get(team.id)
        if team_stats is None or team_stats.calls == 0:
            for manager in team.managers:
                language = fetch_language(deps, client, team_id, manager, workspace)
                outcome = queue(
                    deps.db,
                    keys=[f"nudge-skipped:{team_id}:{team.id}:{week}:{manager}"],
                    team_id=team_id,
                    kind="nudge-skipped",
                    recipient=manager,
                    channel=manager,
                    render=partial(
                        in_language,
                        language,
                        _ignore_keys,
                        no_debriefs_for_nudge,
                        team.name,
                        team.channel_id,
                    ),
                    now=as_of,
                )
                report.add("manager_told" if outcome is Outcome.QUEUED else outcome.value)
            continue
        gap = most_common_gap(team_stats, gap_order(framework.keys))
        criterion = framework.criterion(gap)
        skill = criterion.prompts if criterion is not None else gap  # the prompts that train it
        with deps.db.session() as session:
            seen = prompts_seen(session, team.id, today - timedelta(weeks=NO_REPEAT_WEEKS))
        seed = zlib.crc32(f"{team_id}:{team.id}:{week}".encode())
        prompts = pick_prompts(library, skill, seen, PROMPTS_PER_NUDGE, seed)
        # A team stuck on one gap for weeks exhausts its prompts; top up from the other
        # skills rather than repeat one the channel saw within six weeks.
        for other in ("discovery", *GAP_ORDER, "review"):
            if len(prompts) >= PROMPTS_PER_NUDGE:
                break
            if other != skill:
                taken = seen | {p.id for p in prompts}
                prompts += pick_prompts(
                    library, other, taken, PROMPTS_PER_NUDGE - len(prompts), seed
                )
        outcome = queue(
            deps.db,
            keys=[f"coaching-nudge:{team_id}:{team.id}:{week}"],
            team_id=team_id,
            kind="coaching-nudge",
            recipient=team.channel_id,
            channel=team.channel_id,
            render=partial(
                in_language,
                workspace.language,
                _ignore_keys,
                nudge,
                team.name,
                gap,
                team_stats,
                prompts,
                framework,
            ),
            now=as_of,
        )
        if outcome is Outcome.QUEUED:
            with deps.db.session() as session:
                record_prompts(session, team.id, [p.id for p in prompts], week, today)
        report.add(outcome.value)


def _ignore_keys(build: Callable[..., Rendered], *args: Any) -> Rendered:
    """`build(*args)`, called as queue() calls a renderer (with the keys last)."""
    return build(*args[:-1])

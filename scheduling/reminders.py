"""Debrief reminders: a rep hears once per deal and next step when that step's date has
passed, grouped into one message, within their working hours, unless they paused reminders
or already got their day's share of bot messages."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from functools import partial

from slack_sdk import WebClient

from coaching.i18n import in_language
from coaching.schedule import DigestSchedule, daily_cap, local_midnight
from coaching.stalls import DealSnapshot
from handlers.audience import language_for, workspace_from
from handlers.clients import Clients
from handlers.deps import Deps
from handlers.timezones import fetch_profile
from handlers.views.coaching import DueStep, reminders
from handlers.views.debrief_messages import Rendered
from scheduling.common import CAPPED_KINDS, JobReport, each_workspace, queue, setting
from storage.coaching import pauses
from storage.outbox import sent_since
from storage.snapshots import open_deal_snapshots, workspaces_with_open_deals
from storage.workspace_settings import read_settings


def run_debrief_reminders(deps: Deps, clients: WebClient | Clients, as_of: datetime) -> JobReport:
    return each_workspace(deps, clients, as_of, workspaces_with_open_deals, _remind_workspace)


def reminder_key(team_id: str, deal: DealSnapshot) -> str:
    assert deal.next_step_date is not None
    return f"debrief-reminder:{team_id}:{deal.deal_id}:{deal.next_step_date.isoformat()}"


def _render(language: str, deals: dict[str, DealSnapshot], claimed: list[str]) -> Rendered:
    steps = [
        DueStep(d.deal_id, d.name, d.next_step, d.next_step_date)
        for key in claimed
        if (d := deals[key]).next_step_date is not None
    ]
    return in_language(language, reminders, sorted(steps, key=lambda s: (s.due, s.deal.casefold())))


def _remind_workspace(
    deps: Deps, client: WebClient, team_id: str, as_of: datetime, report: JobReport
) -> None:
    with deps.db.session() as session:
        snapshots = open_deal_snapshots(session, team_id)
        settings = read_settings(session, team_id)
        paused = pauses(session, team_id)
    hours = setting(DigestSchedule.from_mapping, settings, DigestSchedule(), team_id).hours
    cap = setting(daily_cap, settings, 3, team_id)
    by_rep: dict[str, list[DealSnapshot]] = defaultdict(list)
    for deal in snapshots:
        if deal.next_step_date is not None:
            by_rep[deal.rep_user_id].append(deal)
    workspace = workspace_from(settings, team_id)
    for rep, deals in by_rep.items():
        zone, locale = fetch_profile(deps, client, team_id, rep)
        language = language_for(locale, workspace.language)
        local = as_of.astimezone(zone)
        due = {
            reminder_key(team_id, d): d
            for d in deals
            if d.next_step_date is not None
            and d.next_step_date < local.date()
            and not (d.snoozed_until and d.snoozed_until > local.date())
        }
        if not due:
            continue
        if not hours.contains(local):
            report.add("not_due")
            continue
        if paused.get(rep, date.min) >= local.date():
            report.add("paused")
            continue
        with deps.db.session() as session:
            already = sent_since(session, team_id, rep, local_midnight(as_of, zone), CAPPED_KINDS)
        if already >= cap:
            report.add("capped")  # tomorrow's run sends them, grouped
            continue
        outcome = queue(
            deps.db,
            keys=sorted(due),
            team_id=team_id,
            kind="debrief-reminder",
            recipient=rep,
            channel=rep,
            render=partial(_render, language, due),
            now=as_of,
        )
        report.add(outcome.value)

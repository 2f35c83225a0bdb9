"""Coaching sessions: a reminder to both 15 minutes before, a prompt to debrief afterwards.

The sessions are rows in the database and this job runs every minute, so a clock restarted in
between still finds them; outbox keys make each reminder once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from slack_sdk import WebClient

from coaching.i18n import in_language
from handlers.audience import fetch_language, read_workspace
from handlers.clients import Clients, as_clients
from handlers.deps import Deps
from handlers.views.coaching import session_debrief_prompt, session_reminder
from handlers.views.debrief_messages import Rendered
from scheduling.common import JobReport, queue
from storage.coaching import scheduled_between

REMIND_BEFORE = timedelta(minutes=15)
DEBRIEF_AFTER = timedelta(minutes=45)  # a session is assumed over 45 minutes after it starts
DEBRIEF_WINDOW = timedelta(days=2)  # a clock down longer than this skips the prompt


def run_coaching_sessions(deps: Deps, clients: WebClient | Clients, as_of: datetime) -> JobReport:
    report = JobReport()
    serving = as_clients(clients)
    with deps.db.session() as session:
        starting = scheduled_between(session, as_of, as_of + REMIND_BEFORE)
        finished = scheduled_between(
            session, as_of - DEBRIEF_WINDOW - DEBRIEF_AFTER, as_of - DEBRIEF_AFTER
        )
    for item in starting:
        assert item.starts_at is not None and item.manager_user_id is not None
        client = serving.client_for(item.team_id)
        if client is None:
            report.add("not_installed")
            continue
        pairs = ((item.rep_user_id, item.manager_user_id), (item.manager_user_id, item.rep_user_id))
        workspace = read_workspace(deps, item.team_id)
        for person, other in pairs:
            language = fetch_language(deps, client, item.team_id, person, workspace)
            outcome = queue(
                deps.db,
                keys=[f"session-reminder:{item.team_id}:{item.id}:{person}"],
                team_id=item.team_id,
                kind="session-reminder",
                recipient=person,
                channel=person,
                render=partial(_reminder, language, item.deal_name, other, item.starts_at),
                now=as_of,
            )
            report.add(outcome.value)
    for item in finished:
        client = serving.client_for(item.team_id)
        if client is None:
            report.add("not_installed")
            continue
        workspace = read_workspace(deps, item.team_id)
        language = fetch_language(deps, client, item.team_id, item.rep_user_id, workspace)
        outcome = queue(
            deps.db,
            keys=[f"session-debrief:{item.team_id}:{item.id}"],
            team_id=item.team_id,
            kind="session-debrief",
            recipient=item.rep_user_id,
            channel=item.rep_user_id,
            render=partial(_debrief_prompt, language, item.deal_name, item.deal_id),
            now=as_of,
        )
        report.add(outcome.value)
    return report


def _reminder(
    language: str, deal: str, other: str, starts_at: datetime, _keys: list[str]
) -> Rendered:
    return in_language(language, session_reminder, deal, other, starts_at)


def _debrief_prompt(language: str, deal: str, deal_id: int, _keys: list[str]) -> Rendered:
    return in_language(language, session_debrief_prompt, deal, deal_id)

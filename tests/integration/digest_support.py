"""Seeding and running the weekly digest in tests."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.app import web_client
from bot.settings import load_settings
from coaching.debrief import DebriefInput
from handlers.deps import Deps
from sandbox.webapi import SlackStandIn
from scheduling.clock import JOBS, run_and_send
from scheduling.common import JobReport
from storage.db import Database
from storage.debriefs import Delivery, record_debrief
from storage.teams import set_team
from tests.conftest import TEAM_ID, app_env

_keys = itertools.count()


def seed(
    db: Database,
    deal: str,
    rep: str,
    call_date: date,
    *,
    timeline: bool | None = True,
    authority: bool | None = True,
    next_step_date: date | None = None,
    team_id: str = TEAM_ID,
) -> None:
    entry = DebriefInput(
        deal=deal,
        call_date=call_date,
        timeline_qualified=timeline,
        authority_reached=authority,
        next_step="next step",
        next_step_date=next_step_date,
    )
    with db.session() as session:
        record_debrief(session, team_id, rep, entry, Delivery("modal", f"seed:{next(_keys)}"))


def team(db: Database, name: str, managers: list[str], members: list[str]) -> None:
    with db.session() as session:
        set_team(session, TEAM_ID, name, managers, members, None)


def run_digest(db: Database, fake: SlackStandIn, as_of: str) -> JobReport:
    moment = datetime.fromisoformat(as_of)
    settings = load_settings(app_env(db, fake))
    deps = Deps(db=db, default_zone=ZoneInfo("UTC"), now=lambda: moment)
    return run_and_send(JOBS["weekly-digest"], deps, web_client(settings, patient=True), moment)

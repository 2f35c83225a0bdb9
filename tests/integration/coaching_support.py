"""Running the coaching jobs in tests, as a clock would."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app import web_client
from bot.settings import load_settings
from handlers.deps import Deps
from sandbox.webapi import SlackStandIn
from scheduling.clock import JOBS, run_and_send
from scheduling.common import JobReport
from storage.db import Database
from tests.conftest import app_env


def run_job(name: str, db: Database, fake: SlackStandIn, as_of: str) -> JobReport:
    """A fresh Deps and client each time: nothing carries over in memory, as after a restart."""
    moment = datetime.fromisoformat(as_of)
    settings = load_settings(app_env(db, fake))
    deps = Deps(db=db, default_zone=ZoneInfo("UTC"), now=lambda: moment)
    return run_and_send(JOBS[name], deps, web_client(settings, patient=True), moment)

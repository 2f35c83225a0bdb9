"""Coaching nudges and debrief reminders, run as the clock runs them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.app import web_client
from bot.settings import load_settings
from handlers.outbox import deliver
from handlers.views.debrief_messages import Rendered
from sandbox.webapi import SlackStandIn
from storage.coaching import set_pause
from storage.db import Database
from storage.models import SentPrompt
from storage.teams import set_team
from tests.conftest import TEAM_ID, app_env
from tests.integration.coaching_support import run_job
from tests.integration.digest_support import seed

MONDAY = date(2026, 11, 30)
NUDGE_TIME = "2026-11-30T10:30:00+00:00"


def east_team(db: Database, channel: str | None = "C_EAST") -> None:
    with db.session() as session:
        set_team(session, TEAM_ID, "East", ["U_MGR"], ["U_REP1", "U_REP2"], channel)


def posted(fake: SlackStandIn, channel: str) -> list[str]:
    return [
        json.dumps(c.params.get("blocks"), ensure_ascii=False) + c.params["text"]
        for c in fake.calls_to("chat.postMessage")
        if c.params["channel"] == channel
    ]


def test_nudge_aims_at_the_most_common_gap_and_shows_only_aggregates(
    db: Database, fake_slack: SlackStandIn
) -> None:
    east_team(db)
    for i in range(4):
        seed(
            db,
            f"Zanzibar Secret {i}",
            f"U_REP{i % 2 + 1}",
            MONDAY - timedelta(days=i + 1),
            timeline=True,
            authority=i == 0,
            next_step_date=MONDAY + timedelta(days=3),
        )
    seed(db, "Old Deal", "U_REP1", MONDAY - timedelta(days=30), timeline=False, authority=False)
    report = run_job("coaching-nudges", db, fake_slack, NUDGE_TIME)
    assert report.outcomes["sent"] == 1
    [text] = posted(fake_slack, "C_EAST")
    assert "reaching the decision authority" in text
    assert (
        "debriefed 4 calls: 4 qualified the timeline, 1 reached the decision authority, "
        "4 set a dated next step" in text
    )
    assert "Zanzibar" not in text and "Old Deal" not in text and 'next step"' not in text
    assert "U_REP" not in text and "<@" not in text
    with db.session() as session:
        prompt_ids = session.scalars(select(SentPrompt.prompt_id)).all()
    assert len(prompt_ids) == 3 and all(p.startswith("authority-") for p in prompt_ids)
    # Once per team and week.
    run_job("coaching-nudges", db, fake_slack, "2026-12-02T11:00:00+00:00")
    assert len(posted(fake_slack, "C_EAST")) == 1


def test_no_prompt_repeats_within_six_weeks(db: Database, fake_slack: SlackStandIn) -> None:
    east_team(db)
    weekly: list[list[str]] = []
    for week in range(7):
        monday = MONDAY + timedelta(weeks=week)
        seed(db, f"Deal {week}", "U_REP1", monday - timedelta(days=1), timeline=False)
        run_job("coaching-nudges", db, fake_slack, f"{monday}T10:30:00+00:00")
        with db.session() as session:
            ids = session.scalars(
                select(SentPrompt.prompt_id).where(SentPrompt.sent_on == monday)
            ).all()
        weekly.append(sorted(ids))
    assert all(len(ids) == 3 for ids in weekly)
    first_six = [p for ids in weekly[:6] for p in ids]
    assert len(first_six) == len(set(first_six)) == 18
    assert len(posted(fake_slack, "C_EAST")) == 7


def test_no_debriefs_means_no_nudge_and_a_word_to_the_managers(
    db: Database, fake_slack: SlackStandIn
) -> None:
    east_team(db)
    seed(db, "Ancient", "U_REP1", MONDAY - timedelta(days=40))
    run_job("coaching-nudges", db, fake_slack, NUDGE_TIME)
    assert posted(fake_slack, "C_EAST") == []
    [note] = posted(fake_slack, "U_MGR")
    assert "did not post" in note and "<#C_EAST>" in note


def test_nudges_wait_for_monday_ten_and_working_hours(
    db: Database, fake_slack: SlackStandIn
) -> None:
    east_team(db)
    seed(db, "Deal", "U_REP1", MONDAY - timedelta(days=1))
    assert (
        run_job("coaching-nudges", db, fake_slack, "2026-11-30T09:45:00+00:00").outcomes["sent"]
        == 0
    )
    assert (
        run_job("coaching-nudges", db, fake_slack, "2026-11-30T18:30:00+00:00").outcomes["sent"]
        == 0
    )
    assert (
        run_job("coaching-nudges", db, fake_slack, "2026-12-01T09:00:00+00:00").outcomes["sent"]
        == 1
    )


def test_team_without_channel_gets_no_nudge(db: Database, fake_slack: SlackStandIn) -> None:
    east_team(db, channel=None)
    seed(db, "Deal", "U_REP1", MONDAY - timedelta(days=1))
    run_job("coaching-nudges", db, fake_slack, NUDGE_TIME)
    assert fake_slack.calls_to("chat.postMessage") == []


def overdue_deals(db: Database) -> None:
    seed(
        db, "Acme", "U_REP1", MONDAY - timedelta(days=10), next_step_date=MONDAY - timedelta(days=2)
    )
    seed(
        db,
        "Globex",
        "U_REP1",
        MONDAY - timedelta(days=9),
        next_step_date=MONDAY - timedelta(days=1),
    )
    seed(
        db,
        "Future",
        "U_REP1",
        MONDAY - timedelta(days=1),
        next_step_date=MONDAY + timedelta(days=2),
    )
    seed(
        db,
        "Initech",
        "U_REP2",
        MONDAY - timedelta(days=5),
        next_step_date=MONDAY - timedelta(days=1),
    )


def test_reminders_group_deals_once_per_next_step(db: Database, fake_slack: SlackStandIn) -> None:
    overdue_deals(db)
    run_job("debrief-reminders", db, fake_slack, "2026-11-30T10:00:00+00:00")
    [rep1] = posted(fake_slack, "U_REP1")
    assert "Acme" in rep1 and "Globex" in rep1 and "Future" not in rep1
    assert "2 next steps you agreed have passed" in rep1
    assert "debrief_deal" in rep1 and "reminders_pause_week" in rep1
    assert len(posted(fake_slack, "U_REP2")) == 1
    run_job("debrief-reminders", db, fake_slack, "2026-11-30T14:00:00+00:00")
    run_job("debrief-reminders", db, fake_slack, "2026-12-01T10:00:00+00:00")
    assert len(posted(fake_slack, "U_REP1")) == 1
    # A new debrief with a new next step date earns a new reminder when that one passes.
    seed(db, "Acme", "U_REP1", MONDAY, next_step_date=MONDAY + timedelta(days=1))
    run_job("debrief-reminders", db, fake_slack, "2026-12-02T10:00:00+00:00")
    later = posted(fake_slack, "U_REP1")
    assert len(later) == 2 and "Acme" in later[1] and "Globex" not in later[1]


def test_reminders_wait_for_working_hours_in_the_reps_zone(
    db: Database, fake_slack: SlackStandIn
) -> None:
    fake_slack.users["U_REP1"] = {"id": "U_REP1", "tz": "America/Los_Angeles"}
    overdue_deals(db)
    # 10:00 UTC is 02:00 in Los Angeles: not yet.
    run_job("debrief-reminders", db, fake_slack, "2026-11-30T10:00:00+00:00")
    assert posted(fake_slack, "U_REP1") == [] and len(posted(fake_slack, "U_REP2")) == 1
    run_job("debrief-reminders", db, fake_slack, "2026-11-30T17:15:00+00:00")  # 09:15 there
    assert len(posted(fake_slack, "U_REP1")) == 1
    # Saturday is not a working day.
    fake_slack.reset()
    seed(db, "Weekend", "U_REP2", date(2026, 12, 1), next_step_date=date(2026, 12, 3))
    run_job("debrief-reminders", db, fake_slack, "2026-12-05T12:00:00+00:00")
    assert posted(fake_slack, "U_REP2") == []
    run_job("debrief-reminders", db, fake_slack, "2026-12-07T09:00:00+00:00")
    assert len(posted(fake_slack, "U_REP2")) == 1


def test_reminders_stop_while_paused(db: Database, fake_slack: SlackStandIn) -> None:
    overdue_deals(db)
    with db.session() as session:
        set_pause(session, TEAM_ID, "U_REP1", date(2026, 12, 2))
    run_job("debrief-reminders", db, fake_slack, "2026-11-30T10:00:00+00:00")
    run_job("debrief-reminders", db, fake_slack, "2026-12-02T10:00:00+00:00")
    assert posted(fake_slack, "U_REP1") == []
    run_job("debrief-reminders", db, fake_slack, "2026-12-03T10:00:00+00:00")
    assert len(posted(fake_slack, "U_REP1")) == 1


def test_the_daily_cap_holds_and_the_rest_waits_grouped(
    db: Database, fake_slack: SlackStandIn
) -> None:
    overdue_deals(db)
    client = web_client(load_settings(app_env(db, fake_slack)), patient=True)
    morning = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    for i in range(3):  # three managers asked for updates this morning
        deliver(
            db,
            client,
            key=f"ask-update:{i}",
            team_id=TEAM_ID,
            kind="ask-update",
            recipient="U_REP1",
            channel="U_REP1",
            render=lambda: Rendered(text="update?", blocks=[]),
            now=morning,
        )
    run_job("debrief-reminders", db, fake_slack, "2026-11-30T10:00:00+00:00")
    assert len(posted(fake_slack, "U_REP1")) == 3  # no fourth message today
    run_job("debrief-reminders", db, fake_slack, "2026-12-01T09:00:00+00:00")
    rep1 = posted(fake_slack, "U_REP1")
    assert len(rep1) == 4 and "Acme" in rep1[-1] and "Globex" in rep1[-1]

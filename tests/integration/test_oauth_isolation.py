"""Two installed workspaces that share user ids and deal names: nothing of one is ever shown
to, or changed by, the other, on any surface; and every Web API call for a workspace is made
with that workspace's own token."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import clients_for
from sandbox.payloads import datepicker, external_select, plain, radio
from sandbox.webapi import Call, SlackStandIn
from scheduling.clock import JOBS, run_and_send
from storage.db import Database
from storage.models import Base, Deal, Debrief
from storage.teams import set_team
from storage.workspaces import delete_workspace, export_workspace
from tests.conftest import Clock
from tests.integration.digest_support import seed
from tests.integration.oauth_support import OAuthApp, serve_oauth_app

T1, T2 = "T0001", "T0002"
MONDAY = date(2026, 11, 30)


@pytest.fixture
def two(db: Database, fake_slack: SlackStandIn, clock: Clock) -> Iterator[OAuthApp]:
    """Both installed; the same people (U_MGR manages U_REP1) and a deal named Acme in each,
    stalled in both, plus one deal only each has."""
    with serve_oauth_app(db, fake_slack, clock) as app:
        assert app.install(T1)[0] == 200
        assert app.install(T2)[0] == 200
        for team, only in ((T1, "Northwind Only"), (T2, "Contoso Only")):
            with db.session() as session:
                set_team(session, team, "Sales", ["U_MGR"], ["U_REP1"], "C_SALES")
            for days in (20, 19):
                seed(db, "Acme", "U_REP1", MONDAY - timedelta(days=days), team_id=team)
            seed(db, only, "U_REP1", MONDAY - timedelta(days=10), timeline=False, team_id=team)
        fake_slack.reset()
        yield app


def deal_id(db: Database, team: str, name: str) -> int:
    with db.session() as session:
        return int(
            session.scalars(select(Deal.id).where(Deal.team_id == team, Deal.name == name)).one()
        )


def row_counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            t.name: int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


def calls_of(fake: SlackStandIn, team: str) -> list[Call]:
    return [c for c in fake.calls if c.token and fake.team_of_token(c.token) == team]


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not done in time"
        time.sleep(0.02)


def assert_tokens_match(fake: SlackStandIn, team: str) -> None:
    """Every Web API call (response URLs and uploads take no token) made while serving `team`
    used `team`'s token."""
    for call in fake.calls:
        if call.method in ("response_url", "upload"):
            continue
        assert fake.team_of_token(call.token) == team, (call.method, call.params)


def test_requests_and_the_home_tab(two: OAuthApp) -> None:
    fake = two.fake
    # Home tab: each workspace's rep sees their own deals only, through their own token.
    for team, mine, theirs in (
        (T1, "Northwind Only", "Contoso Only"),
        (T2, "Contoso Only", "Northwind Only"),
    ):
        fake.reset()
        two.slack(team).event(
            {"type": "app_home_opened", "user": "U_REP1", "tab": "home", "event_ts": "1.1"}
        )
        (publish,) = fake.wait_for("views.publish")
        shown = json.dumps(publish.params["view"])
        assert mine in shown and "Acme" in shown and theirs not in shown
        assert_tokens_match(fake, team)
    # The deal picker searches the asking workspace's deals only.
    options = two.slack(T2).block_suggestion("deal", "deal", "only").json()["options"]
    labels = [o["text"]["text"] for o in options]
    assert any("Contoso Only" in label for label in labels)
    assert not any("Northwind" in label for label in labels)
    # A debrief recorded in T2 on "Acme" lands on T2's Acme; T1's is untouched.
    t1_acme, t2_acme = deal_id(two.db, T1, "Acme"), deal_id(two.db, T2, "Acme")
    fake.reset()
    answer = two.slack(T2).view_submission(
        "debrief",
        {
            "deal": {"deal": external_select(f"deal:{t2_acme}", "Acme")},
            "call_date": {"call_date": datepicker("2026-11-30")},
            "timeline": {"timeline": radio("yes")},
            "authority": {"authority": radio("yes")},
            "next_step": {"next_step": plain("Contract")},
            "next_step_date": {"next_step_date": datepicker(None)},
            "went_well": {"went_well": plain(None)},
            "improve": {"improve": plain(None)},
        },
        view_id="V1",
    )
    assert answer.status == 200 and not (answer.json() or {}).get("errors")
    with two.db.session() as session:
        counts = dict(
            session.execute(select(Debrief.deal_id, func.count()).group_by(Debrief.deal_id)).all()
        )
    assert counts[t2_acme] == 3 and counts[t1_acme] == 2
    fake.wait_for("chat.postMessage")
    assert_tokens_match(fake, T2)
    # Picking the other workspace's deal (a forged option value) is refused like any
    # deal that is not yours, and records nothing.
    answer = two.slack(T2).view_submission(
        "debrief",
        {
            "deal": {"deal": external_select(f"deal:{t1_acme}", "Acme")},
            "call_date": {"call_date": datepicker("2026-11-30")},
            "timeline": {"timeline": radio("yes")},
            "authority": {"authority": radio("yes")},
            "next_step": {"next_step": plain("x")},
            "next_step_date": {"next_step_date": datepicker(None)},
        },
        view_id="V2",
    )
    assert "deal" in (answer.json() or {}).get("errors", {})
    with two.db.session() as session:
        assert session.scalar(select(func.count()).where(Debrief.deal_id == t1_acme)) == 2


def test_button_values_naming_the_other_workspaces_deal_change_nothing(two: OAuthApp) -> None:
    t1_acme = deal_id(two.db, T1, "Acme")
    for action in ("digest_snooze", "digest_won", "digest_ask_update"):
        two.fake.reset()
        two.slack(T2).block_action(
            action, str(t1_acme), user_id="U_MGR", channel_id="D_MGR", message_ts="1.2"
        )
        reply = two.fake.wait_for("chat.postEphemeral")[0]
        assert "Acme" not in reply.params["text"] and reply.params["user"] == "U_MGR"
        assert_tokens_match(two.fake, T2)
    with two.db.session() as session:
        deal = session.get(Deal, t1_acme)
        assert deal is not None and deal.status == "open" and deal.snoozed_until is None
    # The same button in the deal's own workspace works.
    two.fake.reset()
    two.slack(T1).block_action(
        "digest_snooze", str(t1_acme), user_id="U_MGR", channel_id="D_MGR", message_ts="1.3"
    )
    eventually(lambda: two.fake.calls_to("chat.postMessage") != [])
    with two.db.session() as session:
        assert session.get(Deal, t1_acme).snoozed_until is not None


def test_jobs_serve_each_workspace_with_its_own_token_and_data(two: OAuthApp) -> None:
    clients = clients_for(two.settings, two.db)
    moment = MONDAY.isoformat() + "T10:30:00+00:00"
    from datetime import datetime

    as_of = datetime.fromisoformat(moment)
    report = run_and_send(JOBS["weekly-digest"], two.deps, clients, as_of)
    assert report.outcomes["sent"] == 2
    digests = [c for c in two.fake.calls_to("chat.postMessage") if c.params["channel"] == "U_MGR"]
    assert len(digests) == 2
    for call in digests:
        team = two.fake.team_of_token(call.token)
        shown = json.dumps(call.params["blocks"])
        mine, theirs = (
            ("Northwind Only", "Contoso Only") if team == T1 else ("Contoso Only", "Northwind Only")
        )
        assert mine in shown and theirs not in shown
        # The buttons carry the deal ids of the workspace the digest went to.
        assert str(deal_id(two.db, team, mine)) in shown
    assert {two.fake.team_of_token(c.token) for c in digests} == {T1, T2}
    # Nudges go to each workspace's own C_SALES with its own token.
    two.fake.reset()
    report = run_and_send(JOBS["coaching-nudges"], two.deps, clients, as_of)
    nudges = [c for c in two.fake.calls_to("chat.postMessage") if c.params["channel"] == "C_SALES"]
    assert {two.fake.team_of_token(c.token) for c in nudges} == {T1, T2}


def test_one_workspaces_revoked_token_or_error_never_stops_the_other(two: OAuthApp) -> None:
    from datetime import datetime

    clients = clients_for(two.settings, two.db)
    t1_client = clients.client_for(T1)
    assert t1_client is not None
    t1_client.auth_revoke()  # revoked at Slack, and the event never came
    as_of = datetime.fromisoformat(MONDAY.isoformat() + "T10:30:00+00:00")
    report = run_and_send(JOBS["weekly-digest"], two.deps, clients, as_of)
    assert report.outcomes["failed"] == 1 and report.outcomes["sent"] == 1
    (sent,) = two.fake.calls_to("chat.postMessage")
    assert two.fake.team_of_token(sent.token) == T2
    # Each workspace runs in its own zone (its `timezone` setting), the revoked one too.
    with two.db.session() as session:
        from storage.workspace_settings import write_setting

        write_setting(session, T2, "timezone", "Asia/Tokyo")
    two.fake.reset()
    report = run_and_send(JOBS["debrief-reminders"], two.deps, clients, as_of)
    assert report.outcomes.get("workspace_failed", 0) == 0


def test_export_and_delete_touch_one_workspace_only(two: OAuthApp) -> None:
    with two.db.session() as session:
        rows = list(export_workspace(session, T1))
    assert rows and all(row.get("team_id") in (T1, None) for _, row in rows)
    exported = json.dumps([row for _, row in rows])
    assert "Northwind Only" in exported and "Contoso Only" not in exported
    assert not any(table in ("slack_bots", "slack_installations") for table, _ in rows)
    before = row_counts(two.db)
    with two.db.session() as session:
        deleted = delete_workspace(session, T1)
    assert deleted["deals"] == 2 and deleted["debriefs"] == 3 and deleted["slack_bots"] == 1
    after = row_counts(two.db)
    for table, count in deleted.items():
        assert after[table] == before[table] - count
    with two.db.session() as session:
        assert set(session.scalars(select(Deal.team_id))) == {T2}


def test_a_signed_request_naming_a_workspace_not_installed_touches_nothing(
    two: OAuthApp,
) -> None:
    before = row_counts(two.db)
    stranger = two.slack("T0099")
    answer = stranger.command("/debrief", "Acme")
    assert answer.status == 200
    stranger.event({"type": "app_home_opened", "user": "U_REP1", "tab": "home", "event_ts": "1"})
    options = stranger.block_suggestion("deal", "deal", "acme")
    assert options.status == 200 and "Acme" not in options.body
    stranger.block_action("digest_won", str(deal_id(two.db, T1, "Acme")), user_id="U_MGR")
    time.sleep(0.3)  # anything done after the acknowledgement would show by now
    assert row_counts(two.db) == before
    assert [c for c in two.fake.calls if c.method not in ("response_url",)] == []


def test_post_call_messages_and_reminders_for_both_at_once(two: OAuthApp) -> None:
    """The same message, the same ts and channel, in both workspaces: each records its own
    debrief (the once-per-message key is per workspace) and answers with its own token."""
    fake = two.fake
    text = (
        "debrief Acme\ncall date: 2026-11-27\ntimeline: yes\nauthority: no\n"
        "next step: demo\nnext step date: 2026-11-28"
    )
    for team in (T1, T2):
        slack = two.slack(team)
        slack.event(slack.message_event(text, ts="1764500000.000100"))
    eventually(lambda: len(fake.calls_to("chat.postMessage")) >= 2)
    with two.db.session() as session:
        counts = dict(
            session.execute(
                select(Debrief.team_id, func.count())
                .where(Debrief.source == "message")
                .group_by(Debrief.team_id)
            ).all()
        )
    assert counts == {T1: 1, T2: 1}
    replies = fake.calls_to("chat.postMessage")
    assert {fake.team_of_token(c.token) for c in replies} == {T1, T2}
    # Each workspace's rep is reminded of their own overdue next step, with their own token.
    from datetime import datetime

    fake.reset()
    as_of = datetime.fromisoformat("2026-11-30T10:30:00+00:00")
    report = run_and_send(
        JOBS["debrief-reminders"], two.deps, clients_for(two.settings, two.db), as_of
    )
    assert report.outcomes["sent"] == 2
    reminders = fake.calls_to("chat.postMessage")
    assert {fake.team_of_token(c.token) for c in reminders} == {T1, T2}
    for call in reminders:
        team = fake.team_of_token(call.token)
        shown = json.dumps(call.params["blocks"])
        assert str(deal_id(two.db, team, "Acme")) in shown


def test_each_workspace_runs_in_its_own_zone(two: OAuthApp) -> None:
    """A team channel's nudge is due Monday 10:00 in its workspace's zone: Tokyo's Monday
    morning (01:30 UTC) nudges T2 alone, and T1 (UTC) gets its own at 10:30 UTC."""
    from datetime import datetime

    from storage.workspace_settings import write_setting

    with two.db.session() as session:
        write_setting(session, T2, "timezone", "Asia/Tokyo")
    clients = clients_for(two.settings, two.db)

    def nudged_at(moment: str) -> list[str | None]:
        two.fake.reset()
        run_and_send(JOBS["coaching-nudges"], two.deps, clients, datetime.fromisoformat(moment))
        calls = two.fake.calls_to("chat.postMessage")
        return [two.fake.team_of_token(c.token) for c in calls if c.params["channel"] == "C_SALES"]

    assert nudged_at("2026-11-30T01:30:00+00:00") == [T2]  # 10:30 in Tokyo, 01:30 in UTC
    assert nudged_at("2026-11-30T10:30:00+00:00") == [T1]  # T2's was sent already


def test_the_worker_sends_each_row_with_its_own_workspaces_token_or_not_at_all(
    two: OAuthApp,
) -> None:
    """Digests written for both workspaces, then T1 uninstalled before a worker drains the
    outbox: T2's goes with T2's token; T1's is never sent with another token: it waits,
    counted `not_installed`, and goes with T1's new token once T1 installs again."""
    from datetime import datetime

    from scheduling.worker import NOT_INSTALLED_DELAY, Worker
    from storage.models import OutboxMessage

    clients = clients_for(two.settings, two.db)
    as_of = datetime.fromisoformat(MONDAY.isoformat() + "T10:30:00+00:00")
    report = JOBS["weekly-digest"].run(two.deps, clients, as_of)
    assert report.outcomes["queued"] == 2
    assert two.fake.calls_to("chat.postMessage") == []  # written, not sent: a worker sends
    two.slack(T1).event({"type": "app_uninstalled"})
    eventually(lambda: clients.client_for(T1) is None)
    two.fake.reset()

    def drain(moment: datetime) -> dict[str, int]:
        worker = Worker(two.deps, clients)
        try:
            return dict(worker.drain(moment).outcomes)
        finally:
            worker.close()

    def digest_status(team: str) -> str:
        with two.db.session() as session:
            return str(
                session.scalars(
                    select(OutboxMessage.status).where(
                        OutboxMessage.team_id == team, OutboxMessage.kind == "weekly-digest"
                    )
                ).one()
            )

    drained = drain(as_of)
    assert drained["sent"] == 1 and drained["not_installed"] >= 1
    (sent,) = two.fake.calls_to("chat.postMessage")
    assert two.fake.team_of_token(sent.token) == T2
    assert_tokens_match(two.fake, T2)
    assert digest_status(T1) == "pending" and digest_status(T2) == "sent"
    # Installed again: T1's digest goes, with T1's own token, once its wait is over.
    assert two.install(T1)[0] == 200
    two.fake.reset()
    drained = drain(as_of + NOT_INSTALLED_DELAY)
    assert drained["sent"] == 1 and "not_installed" not in drained
    (sent,) = two.fake.calls_to("chat.postMessage")
    assert two.fake.team_of_token(sent.token) == T1 and sent.params["channel"] == "U_MGR"
    assert digest_status(T1) == "sent"

"""The weekly digest: content, timing in each manager's zone, and exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

from sqlalchemy import select

from sandbox.webapi import SlackStandIn
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import app_env, repo_root
from tests.integration.digest_support import run_digest, seed, team

MONDAY = date(2026, 11, 30)  # ISO week 2026-W49
DUE = "2026-11-30T09:30:00+00:00"


def seed_team_with_every_kind_of_deal(db: Database) -> None:
    team(db, "East", ["U_MGR"], ["U_REP1", "U_REP2"])
    seed(db, "Timeline Co", "U_REP1", MONDAY - timedelta(days=10), timeline=False)
    seed(db, "Timeline Co", "U_REP1", MONDAY - timedelta(days=3), timeline=False)
    seed(db, "Quiet Inc", "U_REP2", MONDAY - timedelta(days=20))
    seed(db, "Fine Ltd", "U_REP1", MONDAY - timedelta(days=2), next_step_date=MONDAY)
    seed(
        db,
        "Overdue LLC",
        "U_REP2",
        MONDAY - timedelta(days=8),
        next_step_date=MONDAY - timedelta(days=4),
    )
    seed(db, "Not In Team", "U_STRANGER", MONDAY - timedelta(days=30), timeline=False)


def digest_text(call) -> str:
    return json.dumps(call.params["blocks"], ensure_ascii=False) + call.params["text"]


def test_digest_lists_stalled_deals_with_reasons_and_questions(
    db: Database, fake_slack: SlackStandIn
) -> None:
    seed_team_with_every_kind_of_deal(db)
    report = run_digest(db, fake_slack, DUE)
    assert report.outcomes["sent"] == 1
    [call] = fake_slack.calls_to("chat.postMessage")
    assert call.params["channel"] == "U_MGR"
    text = digest_text(call)
    assert "3 stuck of 4 open deals; 1 of them lacks a qualified timeline" in text
    assert "Timeline Co" in text and "<@U_REP1>" in text and "timeline" in text
    assert "Quiet Inc" in text and "quiet for 20 days" in text
    assert "Overdue LLC" in text and "overdue by 4 days" in text
    assert "Fine Ltd" not in text and "Not In Team" not in text
    assert text.index("Timeline Co") < text.index("Quiet Inc")  # timeline gaps lead
    assert "2026-W49" in text
    actions = [b for b in call.params["blocks"] if b["type"] == "actions"]
    assert {e["action_id"] for e in actions[0]["elements"]} == {
        "digest_snooze",
        "digest_ask_update",
        "digest_won",
        "digest_lost",
    }


def test_all_clear_when_nothing_is_stalled(db: Database, fake_slack: SlackStandIn) -> None:
    team(db, "West", ["U_MGR"], ["U_REP1"])
    seed(db, "Fine Ltd", "U_REP1", MONDAY - timedelta(days=1), next_step_date=MONDAY)
    run_digest(db, fake_slack, DUE)
    [call] = fake_slack.calls_to("chat.postMessage")
    assert "moving" in digest_text(call)


def test_manager_of_two_teams_gets_one_message_grouped_by_team(
    db: Database, fake_slack: SlackStandIn
) -> None:
    team(db, "North", ["U_MGR"], ["U_REP1"])
    team(db, "South", ["U_MGR", "U_MGR2"], ["U_REP2"])
    seed(db, "Quiet North", "U_REP1", MONDAY - timedelta(days=15))
    seed(db, "Quiet South", "U_REP2", MONDAY - timedelta(days=15))
    run_digest(db, fake_slack, DUE)
    calls = {c.params["channel"]: digest_text(c) for c in fake_slack.calls_to("chat.postMessage")}
    assert set(calls) == {"U_MGR", "U_MGR2"}
    assert "Team North" in calls["U_MGR"] and "Team South" in calls["U_MGR"]
    assert "Quiet North" not in calls["U_MGR2"]


def test_at_most_one_digest_a_week_however_often_the_job_runs(
    db: Database, fake_slack: SlackStandIn
) -> None:
    seed_team_with_every_kind_of_deal(db)
    for hour in range(9, 18):
        run_digest(db, fake_slack, f"2026-11-30T{hour:02d}:05:00+00:00")
    run_digest(db, fake_slack, "2026-12-04T10:00:00+00:00")  # Friday, same week
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    run_digest(db, fake_slack, "2026-12-07T09:00:00+00:00")  # next Monday
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


def test_not_due_before_monday_nine_and_catches_up_later(
    db: Database, fake_slack: SlackStandIn
) -> None:
    seed_team_with_every_kind_of_deal(db)
    assert run_digest(db, fake_slack, "2026-11-30T08:59:00+00:00").outcomes["not_due"] == 1
    assert run_digest(db, fake_slack, "2026-11-29T12:00:00+00:00").outcomes["not_due"] == 1
    # The clock was down at 09:00 and all morning: the next tick sends it.
    assert run_digest(db, fake_slack, "2026-11-30T13:15:00+00:00").outcomes["sent"] == 1


def test_outside_working_hours_it_waits_for_the_next_working_hour(
    db: Database, fake_slack: SlackStandIn
) -> None:
    seed_team_with_every_kind_of_deal(db)
    assert run_digest(db, fake_slack, "2026-11-30T19:00:00+00:00").outcomes["not_due"] == 1
    assert run_digest(db, fake_slack, "2026-12-01T09:00:00+00:00").outcomes["sent"] == 1


def test_manager_in_india_gets_it_at_nine_local(db: Database, fake_slack: SlackStandIn) -> None:
    fake_slack.users["U_MGR"] = {"id": "U_MGR", "tz": "Asia/Kolkata"}
    seed_team_with_every_kind_of_deal(db)
    # 09:00 in Kolkata (UTC+5:30) is 03:30 UTC.
    assert run_digest(db, fake_slack, "2026-11-30T03:25:00+00:00").outcomes["not_due"] == 1
    assert run_digest(db, fake_slack, "2026-11-30T03:35:00+00:00").outcomes["sent"] == 1


def test_new_york_manager_across_the_march_change(db: Database, fake_slack: SlackStandIn) -> None:
    fake_slack.users["U_MGR"] = {"id": "U_MGR", "tz": "America/New_York"}
    team(db, "East", ["U_MGR"], ["U_REP1"])
    seed(db, "Quiet Inc", "U_REP1", date(2027, 2, 1))
    sent_at = []
    start = date(2027, 3, 7)  # the Sunday before; clocks change on Sunday 2027-03-14
    for day in range(15):
        for quarter in range(96):
            moment = (
                f"{start + timedelta(days=day)}T{quarter // 4:02d}:{quarter % 4 * 15:02d}:00+00:00"
            )
            if run_digest(db, fake_slack, moment).outcomes["sent"]:
                sent_at.append(moment)
    # 09:00 EST is 14:00 UTC; after the change 09:00 EDT is 13:00 UTC. One a week, never two.
    assert sent_at == ["2027-03-08T14:00:00+00:00", "2027-03-15T13:00:00+00:00"]


def test_a_failed_send_is_retried_on_a_later_tick(db: Database, fake_slack: SlackStandIn) -> None:
    seed_team_with_every_kind_of_deal(db)
    fake_slack.fail_next("chat.postMessage", status=200, error="internal_error")
    assert run_digest(db, fake_slack, DUE).outcomes["failed"] == 1
    assert fake_slack.calls_to("chat.postMessage") == []
    assert run_digest(db, fake_slack, "2026-11-30T09:45:00+00:00").outcomes["sent"] == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_rate_limit_and_server_errors_are_waited_out(
    db: Database, fake_slack: SlackStandIn
) -> None:
    seed_team_with_every_kind_of_deal(db)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    fake_slack.fail_next("chat.postMessage", status=500)
    assert run_digest(db, fake_slack, DUE).outcomes["sent"] == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert len(fake_slack.calls_to("chat.postMessage", include_failed=True)) == 3


def test_two_processes_at_once_send_each_digest_once(
    db: Database, fake_slack: SlackStandIn
) -> None:
    managers = [f"U_MGR{i}" for i in range(6)]
    for i, manager in enumerate(managers):
        team(db, f"Team {i}", [manager], [f"U_REP{i}"])
        seed(db, f"Quiet {i}", f"U_REP{i}", MONDAY - timedelta(days=30))
    env = {**app_env(db, fake_slack), "PYTHONPATH": str(repo_root()), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "bot", "jobs", "run", "weekly-digest", "--as-of", DUE]
    runs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    results = [run.communicate(timeout=60) for run in runs]
    assert all(run.returncode == 0 for run in runs), results
    sent = sorted(c.params["channel"] for c in fake_slack.calls_to("chat.postMessage"))
    assert sent == managers
    assert any("sent" in out for out, _ in results)


def test_jobs_run_as_of_through_the_cli(db: Database, fake_slack: SlackStandIn) -> None:
    seed_team_with_every_kind_of_deal(db)
    env = {**app_env(db, fake_slack), "PYTHONPATH": str(repo_root()), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "bot", "jobs", "run", "weekly-digest", "--as-of"]
    early = subprocess.run(
        [*command, "2026-11-30T08:00"], env=env, capture_output=True, text=True, timeout=60
    )
    assert early.returncode == 0 and "sent 0" in early.stdout
    due = subprocess.run(
        [*command, "2026-11-30"], env=env, capture_output=True, text=True, timeout=60
    )
    assert due.returncode == 0 and "not_due 1" in due.stdout  # midnight UTC: not yet
    due = subprocess.run(
        [*command, "2026-11-30T10:00:00+01:00"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "sent 1" in due.stdout
    again = subprocess.run(
        [*command, "2026-11-30T10:00:00+01:00"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "skipped 1" in again.stdout and "skipped: sent before" in again.stdout
    bad = subprocess.run(
        [*command, "next monday"], env=env, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "ISO 8601" in bad.stderr


def test_a_long_digest_stays_within_block_kit_and_says_what_it_left_out(
    db: Database, fake_slack: SlackStandIn
) -> None:
    team(db, "Big", ["U_MGR"], [f"U_REP{i}" for i in range(30)])
    for i in range(400):
        seed(
            db,
            f"Deal number {i} with a long name to fill the message",
            f"U_REP{i % 30}",
            MONDAY - timedelta(days=20 + i % 30),
            timeline=i % 2 == 0,
        )
    run_digest(db, fake_slack, DUE)
    [call] = fake_slack.calls_to("chat.postMessage")
    text = digest_text(call)
    assert "400 stuck of 400 open deals" in text
    blocks = call.params["blocks"]
    assert len(blocks) <= 50
    shown = text.count("Deal number ")
    assert f"…and {400 - shown} more stalled deals not listed here" in text


def test_urgent_deals_of_a_small_team_are_not_crowded_out(
    db: Database, fake_slack: SlackStandIn
) -> None:
    """A manager of two teams: 300 quiet deals in one must not hide the other team's deal
    that lacks a timeline and a decision-maker (those gaps lead), nor leave a heading with
    no deal under it."""
    team(db, "Alpha", ["U_MGR"], ["U_A"])
    team(db, "Zulu", ["U_MGR"], ["U_Z"])
    for i in range(300):
        seed(db, f"Quiet deal {i:03} of team Alpha", "U_A", MONDAY - timedelta(days=20))
    seed(db, "Zulu Critical", "U_Z", MONDAY - timedelta(days=8), timeline=False, authority=False)
    run_digest(db, fake_slack, DUE)
    [call] = fake_slack.calls_to("chat.postMessage")
    blocks, text = call.params["blocks"], digest_text(call)
    assert len(blocks) <= 50
    assert "*Team Zulu*" in text and "Zulu Critical" in text
    assert text.index("Team Alpha") < text.index("Team Zulu")  # still grouped by team
    for index, block in enumerate(blocks):  # every reason heading has a deal under it
        if block["type"] == "context" and block["elements"][0]["text"].startswith("*"):
            assert blocks[index + 1]["type"] == "section", block
    shown = text.count("Quiet deal ")
    assert f"…and {300 - shown} more stalled deals not listed here" in text


def test_team_workspace_is_the_scope(db: Database, fake_slack: SlackStandIn) -> None:
    team(db, "East", ["U_MGR"], ["U_REP1"])
    seed(db, "Other Workspace Deal", "U_REP1", MONDAY - timedelta(days=30), team_id="T_OTHER")
    run_digest(db, fake_slack, DUE)
    [call] = fake_slack.calls_to("chat.postMessage")
    assert "Other Workspace Deal" not in digest_text(call)


def test_the_weekly_chart_goes_in_the_digests_thread(
    db: Database, fake_slack: SlackStandIn
) -> None:
    seed_team_with_every_kind_of_deal(db)
    run_digest(db, fake_slack, DUE)
    [digest] = fake_slack.calls_to("chat.postMessage")
    [complete] = fake_slack.calls_to("files.completeUploadExternal")
    assert complete.params["thread_ts"] == digest.response["ts"]
    assert complete.params["channel_id"] == digest.response["channel"]
    file_id = complete.params["files"][0]["id"]
    assert (fake_slack.uploaded(file_id) or b"").startswith(b"\x89PNG\r\n\x1a\n")
    assert "Effective calls" in complete.params["files"][0]["title"]
    run_digest(db, fake_slack, "2026-11-30T09:45:00+00:00")
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 1


def test_a_failed_chart_upload_fails_nothing_else(db: Database, fake_slack: SlackStandIn) -> None:
    seed_team_with_every_kind_of_deal(db)
    fake_slack.fail_next("files.getUploadURLExternal", status=200, error="internal_error")
    report = run_digest(db, fake_slack, DUE)
    assert report.outcomes["sent"] == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert fake_slack.calls_to("files.completeUploadExternal") == []
    with db.session() as session:
        statuses = dict(session.execute(select(OutboxMessage.kind, OutboxMessage.status)).all())
    assert statuses == {"weekly-digest": "sent", "digest-chart": "failed"}


def test_jobs_run_no_send_leaves_the_sending_to_the_workers(
    db: Database, fake_slack: SlackStandIn
) -> None:
    seed_team_with_every_kind_of_deal(db)
    env = {**app_env(db, fake_slack), "PYTHONPATH": str(repo_root()), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "bot", "jobs", "run", "weekly-digest", "--as-of", DUE]
    written = subprocess.run(
        [*command, "--no-send"], env=env, capture_output=True, text=True, timeout=60
    )
    assert written.returncode == 0, written.stderr
    assert "queued 1" in written.stdout and "for the workers beside this process" in written.stdout
    assert fake_slack.calls_to("chat.postMessage") == []
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "sent 1" in again.stdout  # what a worker does next
    assert len(fake_slack.calls_to("chat.postMessage")) == 1

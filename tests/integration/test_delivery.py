"""Exactly once across crashes: a process killed between the send and its record, an answer
lost on the network, workers racing for rows, a database that goes away and comes back."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

import handlers.outbox
from bot.app import web_client
from bot.settings import load_settings
from handlers.deps import Deps
from handlers.outbox import METADATA_EVENT
from sandbox.webapi import SlackStandIn
from scheduling.clock import JOBS, run_and_send, tick
from scheduling.common import queue
from scheduling.worker import Worker
from storage.db import Database
from storage.models import OutboxMessage
from storage.outbox import claim_batch
from tests.conftest import BOT_TOKEN, TEAM_ID, RunningApp, app_env, repo_root
from tests.integration.digest_support import run_digest
from tests.integration.test_debrief_modal import form
from tests.integration.test_weekly_digest import DUE, seed_team_with_every_kind_of_deal
from tests.support.tcp_proxy import CuttableProxy

DUE_AT = datetime.fromisoformat(DUE)
LATER = (DUE_AT + timedelta(minutes=1)).isoformat()  # within the grace period
SETTLED = (DUE_AT + timedelta(minutes=5)).isoformat()  # past it


def statuses(db: Database, kind: str = "weekly-digest") -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(select(OutboxMessage.status).where(OutboxMessage.kind == kind)).all()
        )


def digests(fake: SlackStandIn) -> list[dict]:
    return [c.params for c in fake.calls_to("chat.postMessage")]


class Killed(BaseException):
    """A process dying where it stands: nothing after this line runs."""


def die(*_args: object, **_kwargs: object) -> None:
    raise Killed


def test_every_message_carries_its_outbox_key(db: Database, fake_slack: SlackStandIn) -> None:
    seed_team_with_every_kind_of_deal(db)
    run_digest(db, fake_slack, DUE)
    [digest] = digests(fake_slack)
    assert digest["metadata"] == {
        "event_type": METADATA_EVENT,
        "event_payload": {"key": f"weekly-digest:{TEAM_ID}:U_MGR:2026-W49"},
    }


def test_killed_between_send_and_record_settles_from_history_without_resending(
    db: Database, fake_slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_team_with_every_kind_of_deal(db)
    monkeypatch.setattr(handlers.outbox, "mark_sent", die)
    with pytest.raises(Killed):
        run_digest(db, fake_slack, DUE)
    monkeypatch.undo()
    assert statuses(db) == ["sending"] and len(digests(fake_slack)) == 1
    report = run_digest(db, fake_slack, LATER)  # within the grace period: left alone
    assert report.outcomes["settled_sent"] == 0 and statuses(db) == ["sending"]
    assert fake_slack.calls_to("conversations.history") == []
    report = run_digest(db, fake_slack, SETTLED)
    assert report.outcomes["settled_sent"] == 1
    assert len(digests(fake_slack)) == 1  # found in the conversation, not sent again
    [history] = fake_slack.calls_to("conversations.history")
    assert history.params["include_all_metadata"] in ("1", "true", True)
    assert float(history.params["oldest"]) > 0  # only what came since the send
    posted_ts = fake_slack.calls_to("chat.postMessage")[0].response["ts"]
    with db.session() as session:
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "weekly-digest")
        ).one()
    assert (row.status, row.message_ts) == ("sent", posted_ts)


def test_killed_before_the_request_left_is_sent_once_after_the_grace_period(
    db: Database, fake_slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_team_with_every_kind_of_deal(db)
    monkeypatch.setattr(handlers.outbox, "post", die)
    with pytest.raises(Killed):
        run_digest(db, fake_slack, DUE)
    monkeypatch.undo()
    assert digests(fake_slack) == [] and statuses(db) == ["sending"]
    report = run_digest(db, fake_slack, SETTLED)
    assert report.outcomes["settled_sent"] == 1
    assert len(digests(fake_slack)) == 1 and statuses(db) == ["sent"]
    run_digest(db, fake_slack, (DUE_AT + timedelta(minutes=30)).isoformat())
    assert len(digests(fake_slack)) == 1


def test_an_answer_lost_after_slack_posted_is_not_sent_again(
    db: Database, fake_slack: SlackStandIn
) -> None:
    """The fake posts, then answers too late: the client gives up with a timeout."""
    seed_team_with_every_kind_of_deal(db)
    fake_slack.delay("chat.postMessage", 2.0)
    impatient = WebClient(token=BOT_TOKEN, base_url=fake_slack.url, timeout=0.5)
    deps = Deps(db=db, default_zone=ZoneInfo("UTC"), now=lambda: DUE_AT)
    report = run_and_send(JOBS["weekly-digest"], deps, impatient, DUE_AT)
    assert report.outcomes["unknown"] == 1
    fake_slack.delay("chat.postMessage", 0)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # it did reach Slack
    report = run_digest(db, fake_slack, SETTLED)
    assert report.outcomes["settled_sent"] == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_server_error_is_checked_in_the_history_before_sending_again(
    db: Database, fake_slack: SlackStandIn
) -> None:
    seed_team_with_every_kind_of_deal(db)
    fake_slack.fail_next("chat.postMessage", status=503)
    report = run_digest(db, fake_slack, DUE)
    assert report.outcomes["sent"] == 1
    assert len(fake_slack.calls_to("conversations.history")) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_history_refused_leaves_it_unsettled_for_the_operator(
    db: Database, fake_slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_team_with_every_kind_of_deal(db)
    monkeypatch.setattr(handlers.outbox, "post", die)
    with pytest.raises(Killed):
        run_digest(db, fake_slack, DUE)
    monkeypatch.undo()
    fake_slack.fail_next("conversations.history", status=200, error="missing_scope")
    report = run_digest(db, fake_slack, SETTLED)
    assert report.outcomes["settled_unknown"] == 1
    assert digests(fake_slack) == [] and statuses(db) == ["sending"]  # never sent blind
    env = {**app_env(db, fake_slack), "PYTHONPATH": str(repo_root()), "PATH": "/usr/bin:/bin"}
    shown = subprocess.run(
        [sys.executable, "-m", "bot", "deliveries", "--as-of", SETTLED],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 1, shown.stderr
    assert "weekly-digest" in shown.stdout
    assert f"weekly-digest:{TEAM_ID}:U_MGR:2026-W49" in shown.stderr
    assert "missing_scope" in shown.stderr
    report = run_digest(db, fake_slack, (DUE_AT + timedelta(minutes=10)).isoformat())
    assert report.outcomes["settled_sent"] == 1 and len(digests(fake_slack)) == 1


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the death
def test_a_confirmation_killed_after_its_send_is_settled_not_repeated(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, fake = running_app, running_app.fake
    monkeypatch.setattr(handlers.outbox, "mark_all_sent", die)
    answer = app.slack.view_submission("debrief", form(), view_id="V_KILLED")
    assert answer.status == 200 and answer.body in ("", "{}")
    fake.wait_for("chat.postMessage")
    time.sleep(0.2)  # the process died after the send, before its mark was written
    monkeypatch.undo()
    assert statuses(app.db, "debrief-confirmation") == ["sending"]
    settings = load_settings(app_env(app.db, fake))
    deps = Deps(db=app.db, default_zone=ZoneInfo("UTC"), now=app.clock.now)
    worker = Worker(deps, web_client(settings, patient=True))
    report = worker.drain(app.clock.now() + timedelta(minutes=5))
    worker.close()
    assert report.outcomes["settled_sent"] == 1
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert statuses(app.db, "debrief-confirmation") == ["sent"]


def test_a_confirmation_whose_request_never_left_is_sent_by_a_worker(
    running_app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, fake = running_app, running_app.fake
    monkeypatch.setattr(handlers.outbox, "post", die)
    app.slack.view_submission("debrief", form(), view_id="V_NEVER")
    deadline = time.monotonic() + 5
    while statuses(app.db, "debrief-confirmation") != ["sending"] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    monkeypatch.undo()
    assert fake.calls_to("chat.postMessage") == []
    settings = load_settings(app_env(app.db, fake))
    deps = Deps(db=app.db, default_zone=ZoneInfo("UTC"), now=app.clock.now)
    worker = Worker(deps, web_client(settings, patient=True))
    worker.drain(app.clock.now() + timedelta(minutes=1))
    assert fake.calls_to("chat.postMessage") == []  # not before the grace period
    worker.drain(app.clock.now() + timedelta(minutes=5))
    worker.close()
    [sent] = fake.calls_to("chat.postMessage")
    assert "debrief-confirmation" in sent.params["metadata"]["event_payload"]["key"]


def _queue_many(db: Database, count: int, now: datetime) -> None:
    from handlers.views.debrief_messages import Rendered

    for i in range(count):
        queue(
            db,
            keys=[f"test:{i}"],
            team_id=f"T{i % 3}",
            kind="test",
            recipient=f"U{i:03d}",
            channel=f"U{i:03d}",
            render=lambda _keys, i=i: Rendered(text=f"message {i}", blocks=[]),
            now=now,
        )


def test_workers_racing_for_the_outbox_send_each_message_once(
    db: Database, fake_slack: SlackStandIn
) -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    _queue_many(db, 60, now)
    settings = load_settings(app_env(db, fake_slack))
    deps = Deps(db=db, default_zone=ZoneInfo("UTC"), now=lambda: now)
    workers = [Worker(deps, web_client(settings, patient=True), batch=4) for _ in range(3)]
    threads = [threading.Thread(target=w.drain, args=(now,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for worker in workers:
        worker.close()
    texts = sorted(c.params["text"] for c in fake_slack.calls_to("chat.postMessage"))
    assert texts == sorted(f"message {i}" for i in range(60))
    assert set(statuses(db, "test")) == {"sent"}


def test_postgresql_claims_skip_rows_another_worker_holds(
    db: Database, fake_slack: SlackStandIn
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's")
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    _queue_many(db, 6, now)
    with db.session() as first:
        mine = claim_batch(first, now=now, limit=3)
        with db.session() as second:  # while the first transaction still holds its rows
            theirs = claim_batch(second, now=now, limit=10)
    assert len(mine) == 3 and len(theirs) == 3
    assert not {r.key for r in mine} & {r.key for r in theirs}


def test_a_slow_workspace_does_not_hold_up_another(db: Database, fake_slack: SlackStandIn) -> None:
    """Ten messages to one workspace's single channel (a second apart), one to another: the
    other goes at once, on a lane of its own."""
    from handlers.views.debrief_messages import Rendered

    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    for i in range(6):
        queue(
            db,
            keys=[f"slow:{i}"],
            team_id="T_SLOW",
            kind="test",
            recipient="C_BUSY",
            channel="C_BUSY",
            render=lambda _keys, i=i: Rendered(text=f"slow {i}", blocks=[]),
            now=now,
        )
    queue(
        db,
        keys=["fast"],
        team_id="T_FAST",
        kind="test",
        recipient="C_OTHER",
        channel="C_OTHER",
        render=lambda _keys: Rendered(text="fast", blocks=[]),
        now=now,
    )
    settings = load_settings(app_env(db, fake_slack))
    deps = Deps(db=db, default_zone=ZoneInfo("UTC"), now=lambda: now)
    worker = Worker(deps, web_client(settings, patient=True), batch=3)
    started = time.monotonic()
    worker.drain(now)
    worker.close()
    calls = fake_slack.calls_to("chat.postMessage")
    at = {c.params["text"]: c.at - started for c in calls}
    assert len(calls) == 7
    slow = sorted(t for text, t in at.items() if text.startswith("slow"))
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(slow))
    # Not behind the slow workspace's 5 seconds of pacing: before its third message (a
    # wall-clock bound would fail on a loaded machine, the pacing's own clock does not).
    assert at["fast"] < slow[2]


def _through_proxy(db: Database, proxy: CuttableProxy) -> Database:
    url = make_url(db.url).set(host="127.0.0.1", port=proxy.port)
    return Database(url.render_as_string(hide_password=False))


def test_a_worker_waits_for_the_database_and_carries_on(
    db: Database, fake_slack: SlackStandIn
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("a database server to lose")
    proxy = CuttableProxy(make_url(db.url).port or 5432)
    cut_off = _through_proxy(db, proxy)
    settings = load_settings(app_env(db, fake_slack))
    worker = Worker(
        Deps(db=cut_off, default_zone=ZoneInfo("UTC")), web_client(settings, patient=True)
    )
    stop = threading.Event()
    thread = worker.start(stop)
    try:
        proxy.cut()
        _queue_many(db, 3, datetime.now(UTC))  # written beside the worker's lost connection
        time.sleep(2.0)
        assert fake_slack.calls_to("chat.postMessage") == []
        proxy.restore()
        fake_slack.wait_for("chat.postMessage", count=3, timeout=40)
    finally:
        stop.set()
        worker.wake.set()
        thread.join(timeout=10)
        worker.close()
        cut_off.dispose()
        proxy.close()


def test_a_clock_tick_waits_for_the_database(db: Database, fake_slack: SlackStandIn) -> None:
    if db.dialect != "postgresql":
        pytest.skip("a database server to lose")
    seed_team_with_every_kind_of_deal(db)
    proxy = CuttableProxy(make_url(db.url).port or 5432)
    cut_off = _through_proxy(db, proxy)
    deps = Deps(db=cut_off, default_zone=ZoneInfo("UTC"), now=lambda: DUE_AT)
    client = web_client(load_settings(app_env(db, fake_slack)), patient=True)
    proxy.cut()
    threading.Timer(2.0, proxy.restore).start()
    try:
        tick(JOBS["weekly-digest"], deps, client, waits=(0.5, 1.0, 2.0, 4.0))
    finally:
        cut_off.dispose()
        proxy.close()
    assert statuses(db) == ["pending"]  # written for the workers, after the outage


def test_the_worker_process_sends_and_stops_cleanly(db: Database, fake_slack: SlackStandIn) -> None:
    """`python -m bot worker`: sends what the outbox holds; SIGTERM puts back nothing taken
    and ends it with 0."""
    _queue_many(db, 5, datetime.now(UTC))
    env = {**app_env(db, fake_slack), "PYTHONPATH": str(repo_root()), "PATH": "/usr/bin:/bin"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        fake_slack.wait_for("chat.postMessage", count=5, timeout=30)
    finally:
        worker.terminate()
        _out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "Traceback" not in err
    assert set(statuses(db, "test")) == {"sent"}


def test_a_send_left_by_the_at_most_once_outbox_is_never_settled_or_resent(
    db: Database, fake_slack: SlackStandIn
) -> None:
    """Rows from before metadata carried keys: posted or not, nothing can be looked up, so
    they stay as they were (never sent twice)."""
    with db.engine.begin() as conn:
        conn.execute(
            OutboxMessage.__table__.insert(),
            {
                "key": "weekly-digest:T0001:U_OLD:2026-W40",
                "team_id": TEAM_ID,
                "kind": "weekly-digest",
                "recipient": "U_OLD",
                "status": "sending",
                "attempts": 1,
                "claimed_at": DUE_AT - timedelta(days=60),
            },
        )
    settings = load_settings(app_env(db, fake_slack))
    deps = Deps(db=db, default_zone=ZoneInfo("UTC"), now=lambda: DUE_AT)
    worker = Worker(deps, web_client(settings, patient=True))
    report = worker.drain(DUE_AT + timedelta(days=1))
    worker.close()
    assert not report.outcomes
    assert fake_slack.calls == [] and statuses(db) == ["sending"]

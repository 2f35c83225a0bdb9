"""A rep whose Slack is in Arabic uses the whole product in Arabic: the post-call message typed
in Arabic, its threaded answer, the modal, the Home tab; their manager's digest is in Arabic;
a channel's nudge is in the workspace's language. English people in the same workspace keep
English, and users.info is asked once for both the zone and the locale."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import Debrief, SlackUser
from storage.teams import set_team
from storage.workspace_settings import write_setting
from tests.conftest import TEAM_ID, RunningApp
from tests.integration.coaching_support import run_job
from tests.integration.digest_support import run_digest, seed

MONDAY = date(2026, 11, 30)
ARABIC = {"tz": "Asia/Dubai", "locale": "ar-AE"}
MESSAGE = (
    "ملخص شركة الأفق & Co\n"
    "الجدول الزمني: نعم\n"
    "صاحب القرار: لا\n"
    "الخطوة التالية: عرض Demo للمدير المالي\n"
    "تاريخ الخطوة التالية: ٢٠٢٦-١٢-١٥\n"
    "ما نجح: شرحوا المشكلة بأرقامهم (ROI 20%)\n"
    "العميل يستخدم Salesforce حاليًا"
)


def text_of(call) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(call.params.get("blocks") or call.params.get("view"), ensure_ascii=False)


def test_an_arabic_post_call_message_is_stored_as_typed_and_answered_in_arabic(
    running_app: RunningApp,
) -> None:
    running_app.fake.users["U_REP1"] = ARABIC
    event = running_app.slack.message_event(MESSAGE.replace("&", "&amp;"), ts="1764500000.000100")
    assert running_app.slack.event(event).status == 200
    reply = running_app.fake.wait_for("chat.postMessage")[0]
    text = text_of(reply)
    assert "سجّلت ملخصًا لصفقة" in text and "لم يتم الوصول إلى صاحب القرار" in text
    assert "\u2067شركة الأفق &amp; Co\u2069" in text  # isolated right to left, escaped
    assert "صحّحه" in text and "Recorded" not in text
    [info] = running_app.fake.calls_to("users.info")
    assert str(info.params.get("include_locale")).lower() in ("1", "true")
    with running_app.db.session() as session:
        debrief = session.scalars(select(Debrief)).one()
        user = session.get(SlackUser, (TEAM_ID, "U_REP1"))
    assert debrief.timeline_qualified is True and debrief.authority_reached is False
    assert debrief.next_step == "عرض Demo للمدير المالي"
    assert debrief.next_step_date == date(2026, 12, 15)
    assert debrief.went_well == "شرحوا المشكلة بأرقامهم (ROI 20%)"
    assert debrief.notes == "العميل يستخدم Salesforce حاليًا"
    assert user is not None and user.locale == "ar-AE" and user.tz == "Asia/Dubai"

    # The same person's /debrief opens in Arabic at once: the locale is cached, not asked again.
    running_app.fake.reset()
    running_app.slack.command("/debrief", "شركة الأفق", user_id="U_REP1")
    view = running_app.fake.wait_for("views.open")[0].params["view"]
    assert view["title"]["text"] == "سجّل ملخص مكالمة"
    timeline = next(b for b in view["blocks"] if b.get("block_id") == "timeline")
    assert timeline["label"]["text"] == "هل تأكدت من الجدول الزمني للشراء؟"
    assert running_app.fake.calls_to("users.info") == []


def test_a_first_time_arabic_rep_gets_the_modal_corrected_into_arabic(
    running_app: RunningApp,
) -> None:
    running_app.fake.users["U_NEW"] = ARABIC
    running_app.slack.command("/debrief", "Acme", user_id="U_NEW")
    opened = running_app.fake.wait_for("views.open")[0].params["view"]
    assert opened["title"]["text"] == "Debrief a call"  # the workspace's language, until known
    updated = running_app.fake.wait_for("views.update")[0].params["view"]
    assert updated["title"]["text"] == "سجّل ملخص مكالمة"
    assert [b.get("block_id") for b in updated["blocks"]] == [
        b.get("block_id") for b in opened["blocks"]
    ]


def test_a_workspace_language_speaks_to_those_whose_locale_we_do_not(
    running_app: RunningApp,
) -> None:
    with running_app.db.session() as session:
        write_setting(session, TEAM_ID, "language", "ar")
    running_app.fake.users["U_FR"] = {"locale": "fr-FR"}
    running_app.fake.users["U_EN"] = {"locale": "en-GB"}
    response = running_app.slack.command("/debrief", "help", user_id="U_FR")
    assert "يفتح نموذجًا" in response.body
    running_app.slack.event(
        running_app.slack.message_event("debrief Acme\ntimeline: no", user="U_EN")
    )
    reply = running_app.fake.wait_for("chat.postMessage")[0]
    assert "Recorded a debrief" in text_of(reply)


def test_the_home_tab_speaks_the_readers_language(running_app: RunningApp) -> None:
    running_app.fake.users["U_REP1"] = ARABIC
    seed(running_app.db, "Acme", "U_REP1", MONDAY, timeline=False, authority=True)
    running_app.slack.event(
        {"type": "app_home_opened", "user": "U_REP1", "channel": "D1", "tab": "home",
         "event_ts": "1764500000.000100"}
    )  # fmt: skip
    view = text_of(running_app.fake.wait_for("views.publish")[0])
    assert "صفقاتك المفتوحة" in view and "الجدول الزمني للشراء غير مؤكَّد" in view
    assert "Your open deals" not in view


def _east(db: Database) -> None:
    with db.session() as session:
        set_team(session, TEAM_ID, "East", ["U_MGR_AR", "U_MGR_EN"], ["U_REP1"], "C_EAST")


def test_each_manager_reads_the_digest_in_their_language(running_app: RunningApp) -> None:
    db, fake = running_app.db, running_app.fake
    fake.users["U_MGR_AR"] = ARABIC | {"tz": "UTC"}
    _east(db)
    seed(db, "Acme", "U_REP1", MONDAY - timedelta(days=10), authority=False)
    seed(db, "Acme", "U_REP1", MONDAY - timedelta(days=3), authority=False)
    report = run_digest(db, fake, "2026-11-30T10:00:00+00:00")
    assert report.outcomes["sent"] == 2
    digests = {c.params["channel"]: c for c in fake.calls_to("chat.postMessage")}
    arabic, english = text_of(digests["U_MGR_AR"]), text_of(digests["U_MGR_EN"])
    assert "المراجعة الأسبوعية للصفقات" in arabic and "لم يتم الوصول إلى صاحب القرار" in arabic
    assert "اثنتان" not in arabic and "واحدة منها تفتقر إلى" in arabic
    assert "Decision authority not reached" in english and "authority" in english


def test_a_channels_nudge_is_in_the_workspaces_language(running_app: RunningApp) -> None:
    db, fake = running_app.db, running_app.fake
    _east(db)
    for i in range(3):
        seed(db, f"Deal {i}", "U_REP1", MONDAY - timedelta(days=i + 1), authority=False)
    with db.session() as session:
        write_setting(session, TEAM_ID, "language", "ar")
    run_job("coaching-nudges", db, fake, "2026-11-30T10:30:00+00:00")
    [nudge] = [c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == "C_EAST"]
    text = text_of(nudge)
    assert "محور هذا الأسبوع" in text and "الوصول إلى صاحب القرار" in text
    assert "سجّل الفريق ملخصات 3 مكالمات" in text


def test_settings_check_the_framework_and_the_language(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.test_cli import one_line_error, run_cli

    env = {"DATABASE_URL": db.url}
    ok = run_cli("settings", "set", "language", "ar", "--workspace", TEAM_ID, env=env)
    assert ok.returncode == 0 and ok.stdout.strip() == "language = ar"
    bad = run_cli("settings", "set", "language", "fr", "--workspace", TEAM_ID, env=env)
    assert bad.returncode == 2
    assert "language must be one of en, ar, got 'fr'" in one_line_error(bad.stderr)
    bad = run_cli("settings", "set", "framework", "medic", "--workspace", TEAM_ID, env=env)
    assert bad.returncode == 2 and "not one of default, bant, meddicc, spiced" in bad.stderr
    broken = tmp_path / "ours.yaml"
    broken.write_text("name: Ours\ncriteria:\n  - key: Bad Key\n", encoding="utf-8")
    bad = run_cli("settings", "set", "framework", str(broken), "--workspace", TEAM_ID, env=env)
    error = one_line_error(bad.stderr)
    assert bad.returncode == 2 and "criterion 1 (Bad Key): key must be" in error
    assert "gates must be true or false" in error and "question is missing" in error
    ok = run_cli("settings", "set", "framework", "meddicc", "--workspace", TEAM_ID, env=env)
    assert ok.returncode == 0
    listed = run_cli("settings", "list", "--workspace", TEAM_ID, env=env).stdout
    assert "framework = meddicc\n" in listed and "language = ar\n" in listed
    assert "min_debriefs = 2  (default)" in listed

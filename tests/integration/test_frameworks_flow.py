"""A team on another qualification framework, end to end: the modal and the post-call message
ask and read its criteria, the confirmation and the digest speak its words, and switching
framework on a workspace with history keeps every answer (and exports it)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from sqlalchemy import select

from coaching.debrief import DebriefInput
from sandbox.payloads import datepicker, external_select, plain, radio
from storage.db import Database
from storage.debriefs import Delivery, record_debrief
from storage.models import Deal, Debrief, DebriefAnswer
from storage.workspace_settings import write_setting
from tests.conftest import TEAM_ID, RunningApp
from tests.integration.digest_support import run_digest, team
from tests.integration.test_cli import CONTRACT_COLUMNS, run_cli

MONDAY = date(2026, 11, 30)
DIGEST_TIME = "2026-11-30T10:00:00+00:00"
MEDDICC = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "paper_process",
    "pain",
    "champion",
    "competition",
)
EXPORT_TAIL = ["notes", "deal_status", "team_id", "debrief_id", "updated_at"]


def use_framework(db: Database, choice: str) -> None:
    with db.session() as session:
        write_setting(session, TEAM_ID, "framework", choice)


def record(
    db: Database, deal: str, rep: str, day: date, criteria: dict[str, bool], **fields: object
) -> None:
    entry = DebriefInput(deal=deal, call_date=day, criteria=criteria, **fields)  # type: ignore[arg-type]
    key = f"seed:{deal}:{day}:{sorted(criteria.items())}:{sorted(fields.items())}"
    with db.session() as session:
        record_debrief(session, TEAM_ID, rep, entry, Delivery("modal", key))


def answers_of(db: Database, deal_name: str) -> list[dict[str, bool]]:
    """Each debrief of the deal (oldest first): its answers by criterion key, every kind."""
    with db.session() as session:
        debriefs = session.scalars(
            select(Debrief).join(Deal).where(Deal.name == deal_name).order_by(Debrief.id)
        ).all()
        rows = session.scalars(select(DebriefAnswer)).all()
        result = []
        for debrief in debriefs:
            answers = {r.criterion: r.answer for r in rows if r.debrief_id == debrief.id}
            if debrief.timeline_qualified is not None:
                answers["timeline"] = debrief.timeline_qualified
            if debrief.authority_reached is not None:
                answers["authority"] = debrief.authority_reached
            result.append(answers)
        return result


def meddicc_form(**answers: str) -> dict:
    values = {
        "deal": {"deal": external_select("new:Globex", "Globex")},
        "call_date": {"call_date": datepicker("2026-11-30")},
        "next_step": {"next_step": plain("Meet the CFO")},
        "next_step_date": {"next_step_date": datepicker(None)},
        "went_well": {"went_well": plain(None)},
        "improve": {"improve": plain(None)},
        "notes": {"notes": plain(None)},
    }
    for key, value in answers.items():
        values[key] = {key: radio(value)}
    return values


def test_a_meddicc_team_debriefs_by_modal_and_by_message_in_meddiccs_words(
    running_app: RunningApp,
) -> None:
    use_framework(running_app.db, "meddicc")
    running_app.slack.command("/debrief", "Globex")
    view = running_app.fake.wait_for("views.open")[0].params["view"]
    ids = [b.get("block_id") for b in view["blocks"]]
    assert [i for i in ids if i in MEDDICC] == list(MEDDICC)
    assert "timeline" not in ids and "authority" not in ids
    assert {"deal", "call_date", "next_step", "next_step_date", "went_well", "improve"} <= set(ids)
    buyer = next(b for b in view["blocks"] if b.get("block_id") == "economic_buyer")
    assert buyer["label"]["text"] == "Have you reached the economic buyer?"

    running_app.fake.reset()
    form = meddicc_form(economic_buyer="no", champion="yes", pain="yes", metrics="no")
    response = running_app.slack.view_submission("debrief", form, view_id="V1")
    assert response.status == 200 and "errors" not in response.body
    dm = json.dumps(running_app.fake.wait_for("chat.postMessage")[0].params["blocks"])
    assert "Economic buyer not reached" in dm and "Success metrics not agreed" in dm
    assert "Champion found:* yes" in dm and "Buying timeline" not in dm
    assert answers_of(running_app.db, "Globex") == [
        {"economic_buyer": False, "champion": True, "pain": True, "metrics": False}
    ]

    running_app.fake.reset()
    message = "debrief Initech\neconomic buyer: yes\nIdentify pain: no\ntimeline: yes\nchampion: y"
    running_app.slack.event(running_app.slack.message_event(message))
    reply = json.dumps(running_app.fake.wait_for("chat.postMessage")[0].params["blocks"])
    assert "Pain not identified" in reply and "Economic buyer reached:* yes" in reply
    # "timeline" is not a MEDDICC keyword: the line is kept as a note, as typed.
    [debrief] = [d for d in _debriefs(running_app.db) if d.source == "message"]
    assert debrief.notes == "timeline: yes" and debrief.timeline_qualified is None
    assert answers_of(running_app.db, "Initech") == [
        {"economic_buyer": True, "pain": False, "champion": True}
    ]


def _debriefs(db: Database) -> list[Debrief]:
    with db.session() as session:
        return list(session.scalars(select(Debrief).order_by(Debrief.id)))


def test_the_digest_flags_a_missing_economic_buyer_as_it_flags_missing_authority(
    running_app: RunningApp,
) -> None:
    db = running_app.db
    use_framework(db, "meddicc")
    team(db, "East", ["U_MGR"], ["U_REP1"])
    # Two debriefs: the grace is over, and the latest says no to the economic buyer.
    record(db, "Globex", "U_REP1", MONDAY - timedelta(days=5), {"economic_buyer": True})
    record(db, "Globex", "U_REP1", MONDAY - timedelta(days=2), {"economic_buyer": False})
    # A "no" to a criterion that does not gate (competition) flags nothing.
    record(db, "Umbrella", "U_REP1", MONDAY - timedelta(days=9), {"competition": False})
    record(db, "Umbrella", "U_REP1", MONDAY - timedelta(days=1), {"competition": False})
    # Paper process gates only after 4 debriefs or 30 days: 2 debriefs, 10 days is too soon.
    record(db, "Hooli", "U_REP1", MONDAY - timedelta(days=10), {"paper_process": False})
    record(db, "Hooli", "U_REP1", MONDAY - timedelta(days=3), {"paper_process": False})
    running_app.fake.reset()
    report = run_digest(db, running_app.fake, DIGEST_TIME)
    assert report.outcomes["sent"] == 1
    [digest] = [c for c in running_app.fake.calls_to("chat.postMessage")]
    text = json.dumps(digest.params["blocks"])
    assert "*Economic buyer not reached* (1)" in text
    assert "1 stuck of 3 open deals; 1 of them lacks access to the economic buyer" in text
    assert "Who can approve spending on this without asking anyone else" in text
    assert "Umbrella" not in text and "Hooli" not in text


def test_switching_framework_keeps_old_answers_flags_by_the_new_one_and_exports_both(
    running_app: RunningApp,
) -> None:
    db = running_app.db
    team(db, "East", ["U_MGR"], ["U_REP1"])
    # History under the default framework: Acme never qualified its timeline.
    record(db, "Acme", "U_REP1", MONDAY - timedelta(days=9), {}, timeline_qualified=False)
    record(db, "Acme", "U_REP1", MONDAY - timedelta(days=4), {}, timeline_qualified=False)

    use_framework(db, "meddicc")
    record(db, "Globex", "U_REP1", MONDAY - timedelta(days=8), {"economic_buyer": False})
    record(db, "Globex", "U_REP1", MONDAY - timedelta(days=3), {"economic_buyer": False})
    assert answers_of(db, "Acme") == [{"timeline": False}, {"timeline": False}]

    running_app.fake.reset()
    run_digest(db, running_app.fake, DIGEST_TIME)
    text = json.dumps(running_app.fake.calls_to("chat.postMessage")[0].params["blocks"])
    assert "Economic buyer not reached" in text and "Globex" in text
    assert "timeline" not in text.lower() and "Acme" not in text  # MEDDICC asks no timeline

    result = run_cli("export", "debriefs", env={"DATABASE_URL": db.url})
    assert result.returncode == 0, result.stderr
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert header == [*CONTRACT_COLUMNS, *EXPORT_TAIL, *MEDDICC]
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    acme = [r for r in rows if r["deal"] == "Acme"]
    globex = [r for r in rows if r["deal"] == "Globex"]
    assert [r["timeline_qualified"] for r in acme] == ["no", "no"]
    assert all(r["economic_buyer"] == "" for r in acme)
    assert [r["economic_buyer"] for r in globex] == ["no", "no"]
    assert all(r["timeline_qualified"] == "" and r["champion"] == "" for r in globex)

    # Back to the default framework: Acme's timeline is flagged again, nothing was lost, and
    # the answers MEDDICC asked still have their columns.
    use_framework(db, "default")
    running_app.fake.reset()
    run_digest(db, running_app.fake, "2026-12-07T10:00:00+00:00")
    text = json.dumps(running_app.fake.calls_to("chat.postMessage")[0].params["blocks"])
    assert "Buying timeline not qualified" in text and "Acme" in text
    assert "Economic buyer" not in text
    result = run_cli("export", "debriefs", env={"DATABASE_URL": db.url})
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert header == [*CONTRACT_COLUMNS, *EXPORT_TAIL, "economic_buyer"]


def test_correcting_an_old_debrief_under_a_new_framework_keeps_what_it_does_not_ask(
    running_app: RunningApp,
) -> None:
    db = running_app.db
    use_framework(db, "bant")
    record(db, "Acme", "U_REP1", MONDAY, {"budget": True, "need": False}, timeline_qualified=True)
    [debrief] = _debriefs(db)
    use_framework(db, "default")
    form = {
        "deal": {"deal": external_select("new:Acme", "Acme")},
        "call_date": {"call_date": datepicker("2026-11-30")},
        "timeline": {"timeline": radio("no")},
        "authority": {"authority": radio("yes")},
        "next_step": {"next_step": plain("Pilot")},
    }
    meta = json.dumps({"debrief_id": debrief.id})
    response = running_app.slack.view_submission("debrief", form, private_metadata=meta)
    assert response.status == 200 and "errors" not in response.body
    assert answers_of(db, "Acme") == [
        {"budget": True, "need": False, "timeline": False, "authority": True}
    ]


def test_a_custom_framework_file_by_path(running_app: RunningApp, tmp_path) -> None:
    path = tmp_path / "ours.yaml"
    path.write_text(
        "name: Ours\ncriteria:\n  - key: pilot\n    gates: true\n    keywords: [pilot]\n"
        "    label: Pilot\n    question: Did they agree to a pilot?\n"
        "    missing: No pilot agreed\n    ask: Shall we try it on one team first?\n",
        encoding="utf-8",
    )
    result = run_cli(
        "settings", "set", "framework", str(path), "--workspace", TEAM_ID,
        env={"DATABASE_URL": running_app.db.url},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    running_app.slack.event(running_app.slack.message_event("debrief Acme\npilot: no"))
    reply = json.dumps(running_app.fake.wait_for("chat.postMessage")[0].params["blocks"])
    assert "No pilot agreed" in reply and "Shall we try it on one team first?" in reply

"""Every shipped framework, in every language: its modal fits Block Kit, its post-call keywords
are read, and its stall rules flag each gating criterion exactly at the boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from coaching.answers import LEGACY_KEYS, answer, split_answers
from coaching.debrief import DebriefInput
from coaching.debrief_message import parse_debrief_message
from coaching.frameworks import SHIPPED, Criterion, Framework, load_framework
from coaching.gaps import LatestAnswers, gaps_of
from coaching.i18n import available_languages, use_language
from coaching.nudges import TeamCallStats, gap_order, most_common_gap
from coaching.stalls import DealSnapshot, StallThresholds, find_stalled, reason_order, stalls_of
from handlers.views.debrief_messages import command_help, confirmation, message_format
from handlers.views.debrief_modal import ModalPrefill, debrief_modal
from handlers.views.digest import TeamDigest, weekly_digest
from sandbox.blockkit import problems_in_call

TODAY = date(2026, 11, 30)
THRESHOLDS = StallThresholds()
CASES = [(name, language) for name in SHIPPED for language in ("en", "ar")]


def _snapshot(framework: Framework, criterion: Criterion, said: bool | None, **changes: object):
    timeline, authority, others = split_answers({criterion.key: said})
    base = DealSnapshot(
        deal_id=1,
        name="Acme",
        rep_user_id="U1",
        status="open",
        snoozed_until=None,
        debrief_count=1,
        first_call=TODAY,
        last_call=TODAY,
        timeline_qualified=timeline,
        authority_reached=authority,
        next_step=None,
        next_step_date=None,
        criteria=others,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _all_answers(framework: Framework, value: bool) -> dict[str, bool]:
    return {key: value for key in framework.keys}


@pytest.mark.parametrize(("name", "language"), CASES)
def test_the_modal_asks_every_question_within_block_kits_limits(name: str, language: str) -> None:
    framework = load_framework(name)
    timeline, authority, others = split_answers(_all_answers(framework, True))
    prefill = ModalPrefill(
        deal="x" * 100,
        timeline_qualified=timeline,
        authority_reached=authority,
        criteria=others,
        notes="n" * 2500,
        debrief_id=7,
    )
    with use_language(language):
        view = debrief_modal(prefill, TODAY, {"debrief_id": 7}, framework)
    assert problems_in_call("views.open", {"trigger_id": "t", "view": view}) == []
    ids = [block.get("block_id") for block in view["blocks"]]
    assert [i for i in ids if framework.has(str(i))] == list(framework.keys)
    for block in view["blocks"]:
        if framework.has(str(block.get("block_id"))):
            assert {o["value"] for o in block["element"]["options"]} == {"yes", "no"}
            assert block["element"]["initial_option"]["value"] == "yes"


@pytest.mark.parametrize(("name", "language"), CASES)
def test_the_confirmation_and_the_digest_fit_with_every_gap(name: str, language: str) -> None:
    framework = load_framework(name)
    timeline, authority, others = split_answers(_all_answers(framework, False))
    entry = DebriefInput(
        deal="Acme",
        call_date=TODAY,
        timeline_qualified=timeline,
        authority_reached=authority,
        criteria=others,
    )
    latest = LatestAnswers(timeline, authority, None, None, others)
    gaps = gaps_of(latest, framework)
    assert gaps == [*framework.keys, "next_step"]
    stalled = find_stalled(
        [
            _snapshot(
                framework,
                c,
                False,
                deal_id=i,
                debrief_count=3,
                first_call=TODAY - timedelta(days=40),
            )
            for i, c in enumerate(framework.criteria)
        ],
        TODAY,
        THRESHOLDS,
        framework,
    )
    with use_language(language):
        message = confirmation(entry, "Acme", gaps, corrected=False, framework=framework)
        digest = weekly_digest("2026-W49", [TeamDigest("East", 20, stalled)], framework)
        help_text = command_help(framework)
    for rendered in (message, digest):
        params = {"channel": "D1", "text": rendered.text, "blocks": rendered.blocks}
        assert problems_in_call("chat.postMessage", params) == []
    assert len(help_text) < 3000


CRITERIA = [(name, c.key) for name in SHIPPED for c in load_framework(name).criteria]


def _flagged(framework: Framework, criterion: Criterion, said: bool | None, count: int, days: int):
    deal = _snapshot(
        framework,
        criterion,
        said,
        debrief_count=count,
        first_call=TODAY - timedelta(days=days),
        last_call=TODAY,
    )
    return criterion.key in [s.reason for s in stalls_of(deal, TODAY, THRESHOLDS, framework)]


@pytest.mark.parametrize(("name", "key"), CRITERIA)
def test_every_gating_criterion_is_flagged_exactly_at_its_boundaries(name: str, key: str) -> None:
    framework = load_framework(name)
    criterion = framework.criterion(key)
    assert criterion is not None
    min_debriefs = criterion.min_debriefs or THRESHOLDS.min_debriefs
    grace = criterion.grace_days if criterion.grace_days is not None else THRESHOLDS.grace_days
    if not criterion.gates:
        assert key not in reason_order(framework)
        assert not _flagged(framework, criterion, False, 50, 500)
        return
    assert key in reason_order(framework)
    # Only a "no" counts, once the deal has enough debriefs or its first call is old enough.
    assert not _flagged(framework, criterion, False, min_debriefs - 1, grace - 1)
    assert _flagged(framework, criterion, False, min_debriefs - 1, grace)
    assert _flagged(framework, criterion, False, min_debriefs, 0)
    assert not _flagged(framework, criterion, None, 50, 500)
    assert not _flagged(framework, criterion, True, 50, 500)


def test_the_workspaces_thresholds_apply_unless_the_criterion_has_its_own() -> None:
    framework = load_framework("meddicc")
    buyer, paper = framework.criterion("economic_buyer"), framework.criterion("paper_process")
    assert buyer is not None and paper is not None
    strict = StallThresholds(min_debriefs=1, grace_days=0)
    one_today = {"debrief_count": 1, "first_call": TODAY}
    buyer_deal = _snapshot(framework, buyer, False, **one_today)
    paper_deal = _snapshot(framework, paper, False, **one_today)
    assert [s.reason for s in stalls_of(buyer_deal, TODAY, strict, framework)] == ["economic_buyer"]
    assert stalls_of(paper_deal, TODAY, strict, framework) == ()  # 4 debriefs or 30 days


def test_criteria_lead_quiet_and_overdue_and_the_latest_answer_stands() -> None:
    framework = load_framework("spiced")
    pain = framework.criterion("pain")
    assert pain is not None
    deal = _snapshot(
        framework,
        pain,
        False,
        debrief_count=3,
        first_call=TODAY - timedelta(days=30),
        last_call=TODAY - timedelta(days=20),
        next_step_date=TODAY - timedelta(days=5),
    )
    assert [s.reason for s in stalls_of(deal, TODAY, THRESHOLDS, framework)] == [
        "pain",
        "quiet",
        "overdue",
    ]
    [found] = find_stalled([deal], TODAY, THRESHOLDS, framework)
    assert found.lacks_qualification
    answered = replace(deal, criteria={"pain": True})
    assert [s.reason for s in stalls_of(answered, TODAY, THRESHOLDS, framework)] == [
        "quiet",
        "overdue",
    ]


@pytest.mark.parametrize(("name", "language"), CASES)
def test_every_keyword_is_read_in_a_post_call_message(name: str, language: str) -> None:
    framework = load_framework(name)
    for criterion in framework.criteria:
        for index, keyword in enumerate(criterion.keywords[language]):
            said = index % 2 == 0
            word = ("نعم" if said else "لا") if language == "ar" else ("yes" if said else "no")
            parsed = parse_debrief_message(f"debrief Acme\n{keyword}: {word}", framework)
            assert answer(parsed, criterion.key) is said, (name, keyword)
            assert parsed.notes is None


@pytest.mark.parametrize(("name", "language"), CASES)
def test_the_example_message_reads_back_as_a_debrief(name: str, language: str) -> None:
    framework = load_framework(name)
    with use_language(language):
        example = message_format(framework).strip("`")
    parsed = parse_debrief_message(example, framework)
    assert parsed.notes is None and parsed.next_step and parsed.next_step_date
    assert all(answer(parsed, key) is not None for key in framework.keys)


def test_the_nudge_aims_at_the_frameworks_most_common_gap() -> None:
    framework = load_framework("meddicc")
    stats = TeamCallStats(
        10, 0, 0, 9, {key: 9 for key in framework.keys} | {"champion": 2, "pain": 2}
    )
    assert most_common_gap(stats, gap_order(framework.keys)) == "pain"  # first on a tie
    everything = TeamCallStats(4, 0, 0, 4, {key: 4 for key in framework.keys})
    assert most_common_gap(everything, gap_order(framework.keys)) == "discovery"


def test_the_default_framework_keeps_the_columns_it_always_had() -> None:
    assert load_framework("default").extra_keys == ()
    assert set(LEGACY_KEYS) == {"timeline", "authority"}
    assert "ar" in available_languages()

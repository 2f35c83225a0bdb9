"""Golden files: what a person reads, rendered from fixed data and compared with reviewed text
in tests/golden/<language>/. A change in wording shows up here as a diff to review.

Regenerate after an intended change with DEALCOACH_UPDATE_GOLDEN=1, then read the diff.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date

import pytest

from coaching.debrief import DebriefInput
from coaching.gaps import Gap, LatestAnswers
from coaching.i18n import current_language, use_language
from coaching.metrics import WeekFigures, qualification, stall_causes
from coaching.nudges import TeamCallStats
from coaching.prompts import load_prompts, pick_prompts
from coaching.stalls import DealSnapshot, StallThresholds, find_stalled
from handlers.views.coaching import nudge
from handlers.views.debrief_messages import confirmation, thread_reply
from handlers.views.debrief_modal import ModalPrefill, debrief_modal
from handlers.views.digest import TeamDigest, weekly_digest
from handlers.views.home import HomeData, ManagerBoard, RepWeeks, home_view
from storage.debriefs import OpenDeal
from tests.conftest import repo_root
from tests.support.render import rendered_text, view_text

TODAY = date(2026, 11, 30)
GOLDEN = repo_root() / "tests" / "golden"


def _snapshot(
    deal_id: int,
    name: str,
    rep: str,
    first: int,
    last: int,
    *,
    timeline: bool | None = True,
    authority: bool | None = True,
    next_step: str | None = None,
    due: int | None = None,
    status: str = "open",
    count: int = 2,
) -> DealSnapshot:
    """A deal whose first and last calls were `first` and `last` days before TODAY."""
    return DealSnapshot(
        deal_id=deal_id,
        name=name,
        rep_user_id=rep,
        status=status,
        snoozed_until=None,
        debrief_count=count,
        first_call=date.fromordinal(TODAY.toordinal() - first),
        last_call=date.fromordinal(TODAY.toordinal() - last),
        timeline_qualified=timeline,
        authority_reached=authority,
        next_step=next_step,
        next_step_date=None if due is None else date.fromordinal(TODAY.toordinal() - due),
    )


SNAPSHOTS = [
    _snapshot(1, "Acme Corp", "U1ANA", 18, 9, timeline=False, authority=False),
    _snapshot(2, "Globex (EMEA)", "U2FARID", 30, 16, next_step="Send the contract", due=4),
    _snapshot(3, "Initech", "U1BEN", 12, 5, authority=False, next_step="Pilot review", due=3),
    _snapshot(4, "شركة الريادة", "U2FARID", 6, 2, next_step="عرض للمدير المالي", due=-5),
    _snapshot(5, "Umbrella 2027", "U1ANA", 3, 1, timeline=None, next_step="Call back", due=-2),
    _snapshot(6, "Hooli", "U1BEN", 40, 20, status="lost", timeline=False),
]
OPEN = [s for s in SNAPSHOTS if s.status == "open"]


def _confirmation() -> str:
    entry = DebriefInput(
        deal="Acme Corp",
        call_date=TODAY,
        timeline_qualified=False,
        authority_reached=True,
        next_step="Demo for the CFO <v2>",
        went_well="They shared their budget",
        improve="Ask who else decides",
    )
    saved = confirmation(entry, "Acme Corp", [Gap.TIMELINE, Gap.NEXT_STEP], corrected=False)
    entry = DebriefInput(
        deal="شركة الريادة",
        call_date=TODAY,
        timeline_qualified=True,
        authority_reached=True,
        next_step="عرض Demo للمدير المالي",
        next_step_date=date(2026, 12, 4),
    )
    corrected = confirmation(entry, "شركة الريادة", [], corrected=True)
    reply = thread_reply(entry, "شركة الريادة", [Gap.AUTHORITY], 7)
    return "\n".join(rendered_text(m.blocks, m.text) for m in (saved, corrected, reply))


def _digest() -> str:
    stalled = find_stalled(OPEN, TODAY, StallThresholds())
    busy = weekly_digest("2026-W49", [TeamDigest("East", len(OPEN), stalled)])
    calm = weekly_digest("2026-W49", [TeamDigest("East", 3, [])])
    return "\n".join(rendered_text(m.blocks, m.text) for m in (busy, calm))


def _weeks(*pairs: tuple[int, int]) -> list[WeekFigures]:
    labels = [f"2026-W{n}" for n in range(43, 43 + len(pairs))]
    return [
        WeekFigures(label, calls, effective)
        for label, (calls, effective) in zip(labels, pairs, strict=True)
    ]


def _home() -> str:
    mine = RepWeeks("U1ANA", _weeks((0, 0), (2, 1), (3, 3), (1, 0), (4, 2), (2, 2), (3, 1)))
    deals = [
        OpenDeal(1, "Acme Corp", date(2026, 11, 21), LatestAnswers(False, False, None, None)),
        OpenDeal(
            5,
            "Umbrella 2027",
            date(2026, 11, 29),
            LatestAnswers(None, True, "Call back", date(2026, 12, 2)),
        ),
    ]
    rep = home_view(HomeData(deals=deals, total_deals=2, mine=mine, board=None))
    stalled = find_stalled(OPEN, TODAY, StallThresholds())
    stuck = {s.deal.deal_id for s in stalled}
    board = ManagerBoard(
        teams=["East"],
        open_deals=len(OPEN),
        stalled=stalled,
        others=[s for s in OPEN if s.deal_id not in stuck],
        reps=[mine, RepWeeks("U1BEN", _weeks(*[(1, 1)] * 7))],
        causes=stall_causes(SNAPSHOTS, TODAY, StallThresholds(), stalled),
        qualification=qualification(OPEN),
        cadence=4.5,
    )
    manager = home_view(HomeData(deals=[], total_deals=0, mine=mine, board=board))
    return view_text(rep) + "\n" + view_text(manager)


def _nudge() -> str:
    prompts = pick_prompts(load_prompts(current_language()), "authority", set(), 3, seed=7)
    message = nudge("East", "authority", TeamCallStats(4, 4, 1, 4), prompts)
    return rendered_text(message.blocks, message.text)


def _modal() -> str:
    view = debrief_modal(ModalPrefill(deal="Acme Corp", timeline_qualified=True), TODAY, {})
    return view_text(view)


SCENARIOS: dict[str, Callable[[], str]] = {
    "confirmation": _confirmation,
    "digest": _digest,
    "home": _home,
    "nudge": _nudge,
    "modal": _modal,
}


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_rendered_text_matches_the_reviewed_file(language: str, name: str) -> None:
    with use_language(language):
        text = SCENARIOS[name]()
    path = GOLDEN / language / f"{name}.txt"
    if os.environ.get("DEALCOACH_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}: run with DEALCOACH_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")

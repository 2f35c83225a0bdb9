"""How the digest says when a deal was last debriefed, at the edges of its day count."""

from __future__ import annotations

from datetime import date

import pytest

from coaching.stalls import DealSnapshot, Reason, Stall, StalledDeal
from handlers.views.digest import TeamDigest, reason_words, weekly_digest


def _stalled(days_since_last_call: int) -> StalledDeal:
    deal = DealSnapshot(
        deal_id=1,
        name="Acme",
        rep_user_id="U1",
        status="open",
        snoozed_until=None,
        debrief_count=2,
        first_call=date(2026, 11, 2),
        last_call=date(2026, 11, 20),
        timeline_qualified=False,
        authority_reached=True,
        next_step=None,
        next_step_date=None,
    )
    stalls = (Stall(Reason.TIMELINE, 18),)
    return StalledDeal(deal, stalls, days_since_last_call)


def _digest_text(stalled: StalledDeal) -> str:
    rendered = weekly_digest("2026-W48", [TeamDigest("East", 1, [stalled])])
    return str(rendered.blocks)


@pytest.mark.parametrize(
    ("days", "expected"),
    [(-2, "last debrief today"), (0, "last debrief today"), (1, "last debrief 1 day ago")],
)
def test_last_debrief_never_in_the_future(days: int, expected: str) -> None:
    text = _digest_text(_stalled(days))
    assert expected in text
    assert "-2" not in text
    assert "timeline" in reason_words(_stalled(days)).lower()

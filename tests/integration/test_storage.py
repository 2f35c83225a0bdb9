"""Storage on both databases: migrations match the models, deals are shared by name, a
delivery key stores once even when two requests race."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from coaching.debrief import DebriefInput
from storage.db import Database
from storage.debriefs import Delivery, latest_answers, record_debrief
from storage.models import Base, Deal, Debrief


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def _entry(deal: str, day: int = 1, timeline: bool | None = None) -> DebriefInput:
    return DebriefInput(deal=deal, call_date=date(2026, 11, day), timeline_qualified=timeline)


def test_racing_deliveries_store_one_debrief_and_one_deal(db: Database) -> None:
    def deliver(i: int) -> bool:
        with db.session() as session:
            return record_debrief(
                session,
                "T1",
                f"U{i % 3}",
                _entry("  New  Deal "),
                Delivery("message", "message:C1:1.000"),
            ).created

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(deliver, range(16)))
    assert created.count(True) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Debrief)) == 1
        assert session.scalars(select(Deal.name)).all() == ["New Deal"]


def test_racing_new_deal_names_share_one_deal(db: Database) -> None:
    def deliver(i: int) -> int:
        with db.session() as session:
            name = ["acme", "ACME", " Acme "][i % 3]
            return record_debrief(
                session, "T1", f"U{i}", _entry(name), Delivery("modal", f"view:V{i}")
            ).deal_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        deal_ids = set(pool.map(deliver, range(12)))
    assert len(deal_ids) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Debrief)) == 12


def test_workspaces_are_separate(db: Database) -> None:
    with db.session() as session:
        a = record_debrief(session, "T1", "U1", _entry("Acme"), Delivery("modal", "view:V1"))
        b = record_debrief(session, "T2", "U1", _entry("Acme"), Delivery("modal", "view:V1"))
    assert a.created and b.created and a.deal_id != b.deal_id


def test_latest_answer_is_latest_call_then_last_recorded(db: Database) -> None:
    with db.session() as session:
        first = record_debrief(
            session, "T1", "U1", _entry("Acme", day=5, timeline=True), Delivery("modal", "view:1")
        )
        # Recorded later but about an earlier call: it does not override.
        record_debrief(
            session, "T1", "U1", _entry("Acme", day=3, timeline=False), Delivery("modal", "view:2")
        )
        answers = latest_answers(session, "T1", first.deal_id)
        assert answers is not None and answers.timeline_qualified is True
        # Same call date, recorded last: it stands.
        record_debrief(
            session, "T1", "U1", _entry("Acme", day=5, timeline=False), Delivery("modal", "view:3")
        )
        answers = latest_answers(session, "T1", first.deal_id)
        assert answers is not None and answers.timeline_qualified is False


def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    try:
        with db.session() as session:
            record_debrief(session, "T1", "U1", _entry("Acme"), Delivery("modal", "view:1"))
            raise RuntimeError("crash half-way")
    except RuntimeError:
        pass
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Deal)) == 0


def test_the_deal_summary_matches_its_debriefs_in_any_order(db: Database) -> None:
    """Debriefs recorded out of call order, with shared dates, and one corrected to another
    deal: each deal's summary equals what its debriefs say."""
    import random

    from storage.debriefs import refresh_summary, update_debrief

    rnd = random.Random(7)
    with db.session() as session:
        ids = []
        for i in range(60):
            day = rnd.randint(1, 20)
            recorded = record_debrief(
                session, "T1", "U1", _entry(f"Deal {i % 4}", day=day), Delivery("modal", f"v{i}")
            )
            ids.append(recorded.debrief_id)
        moved = update_debrief(session, "T1", "U1", ids[0], _entry("Deal 9", day=25))
        assert moved is not None
    with db.session() as session:
        for deal in session.scalars(select(Deal)):
            rows = session.execute(
                select(Debrief.id, Debrief.call_date).where(Debrief.deal_id == deal.id)
            ).all()
            latest = max(rows, key=lambda r: (r[1], r[0]))
            assert deal.debrief_count == len(rows)
            assert deal.first_call == min(r[1] for r in rows)
            assert deal.last_call == latest[1]
            assert deal.latest_debrief_id == latest[0]
            assert refresh_summary(session, deal.id) == latest[0]


def test_sql_effective_calls_agree_with_the_definition(db: Database) -> None:
    """storage.metrics counts effective calls in SQL; coaching.metrics.is_effective is the
    definition users read. Every combination of answers must give the same verdict."""
    from itertools import product

    from coaching.metrics import is_effective
    from storage.metrics import daily_calls

    answers = (True, False, None)
    combos = list(product(answers, answers, (date(2026, 11, 9), None)))
    with db.session() as session:
        for i, (timeline, authority, next_date) in enumerate(combos):
            entry = DebriefInput(
                deal=f"Deal {i}",
                call_date=date(2026, 11, 2),
                timeline_qualified=timeline,
                authority_reached=authority,
                next_step_date=next_date,
            )
            record_debrief(session, "T1", "U1", entry, Delivery("modal", f"v{i}"))
        [(_, calls, effective)] = daily_calls(session, "T1", ["U1"], date(2026, 11, 1))["U1"]
    assert calls == len(combos)
    assert effective == sum(is_effective(*combo) for combo in combos)

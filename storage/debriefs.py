"""Queries for deals and debriefs. Every function takes the workspace (`team_id`) first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Date, Integer, Table, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from coaching.debrief import DebriefInput, deal_key, normalise_deal_name
from coaching.gaps import LatestAnswers
from storage.models import Deal, Debrief, utcnow
from storage.upsert import dialect_insert, dialect_of, insert_ignore

DEBRIEF_TABLE: Table = Debrief.__table__  # type: ignore[assignment]
DEAL_TABLE: Table = Deal.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Delivery:
    """Where a debrief came from: a modal submission or a message, and its unique key."""

    source: str  # "modal" or "message"
    key: str  # e.g. "message:C123:1700000000.000100" or "view:V123"
    channel_id: str | None = None
    message_ts: str | None = None


@dataclass(frozen=True)
class Recorded:
    debrief_id: int
    deal_id: int
    deal_name: str
    created: bool  # False when the same delivery was already recorded
    answers: LatestAnswers | None = None  # what stands for the deal now, when known


@dataclass(frozen=True)
class DealRow:
    id: int
    name: str


@cache
def _deal_upsert(dialect: str) -> Any:
    statement = dialect_insert(dialect, DEAL_TABLE)
    return statement.on_conflict_do_update(
        index_elements=["team_id", "name_key"],
        set_={"updated_at": statement.excluded.updated_at},
    ).returning(DEAL_TABLE.c.id, DEAL_TABLE.c.name)


def get_or_create_deal(session: Session, team_id: str, name: str, owner_user_id: str) -> DealRow:
    """The deal of that name in the workspace, created (owned by this rep) on first mention;
    either way marked as just touched. One statement: an upsert that returns the row (run on
    the session's connection: this is every submission's path, and the ORM layer would cost
    more than the statement).

    Two reps naming a new deal at once both end up on the same row: the unique key decides,
    and the owner stays whoever was first.
    """
    now = utcnow()
    values = {
        "team_id": team_id,
        "name": normalise_deal_name(name),
        "name_key": deal_key(name),
        "owner_user_id": owner_user_id,
        "status": "open",
        "created_at": now,
        "updated_at": now,
    }
    row = session.connection().execute(_deal_upsert(dialect_of(session)), values).one()
    return DealRow(int(row[0]), str(row[1]))


def _build_summary_update() -> Any:
    """Every right-hand side reads the row as it was (SQL evaluates SET from the old row)."""
    call_date = bindparam("summary_call_date", type_=Date())
    debrief_id = bindparam("summary_debrief_id", type_=Integer())
    newest = (DEAL_TABLE.c.last_call.is_(None)) | (DEAL_TABLE.c.last_call <= call_date)
    return (
        update(DEAL_TABLE)
        .where(DEAL_TABLE.c.id == bindparam("summary_deal_id", type_=Integer()))
        .values(
            debrief_count=DEAL_TABLE.c.debrief_count + 1,
            first_call=case(
                (
                    (DEAL_TABLE.c.first_call.is_(None)) | (DEAL_TABLE.c.first_call > call_date),
                    call_date,
                ),
                else_=DEAL_TABLE.c.first_call,
            ),
            last_call=case((newest, call_date), else_=DEAL_TABLE.c.last_call),
            latest_debrief_id=case((newest, debrief_id), else_=DEAL_TABLE.c.latest_debrief_id),
        )
        .returning(DEAL_TABLE.c.latest_debrief_id)
    )


_SUMMARY_UPDATE = _build_summary_update()


def add_to_summary(session: Session, deal_id: int, debrief_id: int, call_date: date) -> int:
    """Count a newly recorded debrief into its deal's summary; returns the deal's latest
    debrief id. The deal's row is locked since this transaction's upsert: no lost update."""
    params = {
        "summary_deal_id": deal_id,
        "summary_debrief_id": debrief_id,
        "summary_call_date": call_date,
    }
    return int(session.connection().execute(_SUMMARY_UPDATE, params).scalar_one())


def refresh_summary(session: Session, deal_id: int) -> int | None:
    """Recount a deal's debriefs and point it at its latest one; returns that debrief's id.

    Runs in the transaction that saved a debrief. That transaction began by upserting the
    deal's row, which locks it, so two debriefs of one deal saved at once take turns here and
    the second counts the first.
    """
    of_deal = Debrief.deal_id == deal_id
    latest = (
        select(Debrief.id)
        .where(of_deal)
        .order_by(Debrief.call_date.desc(), Debrief.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    latest_id = session.execute(
        update(Deal)
        .where(Deal.id == deal_id)
        .values(
            debrief_count=select(func.count()).where(of_deal).scalar_subquery(),
            first_call=select(func.min(Debrief.call_date)).where(of_deal).scalar_subquery(),
            last_call=select(func.max(Debrief.call_date)).where(of_deal).scalar_subquery(),
            latest_debrief_id=latest,
        )
        .returning(Deal.latest_debrief_id)
        .execution_options(synchronize_session=False)
    ).scalar()
    return int(latest_id) if latest_id is not None else None


def _answers(entry: DebriefInput) -> LatestAnswers:
    return LatestAnswers(
        entry.timeline_qualified, entry.authority_reached, entry.next_step, entry.next_step_date
    )


def _debrief_values(entry: DebriefInput) -> dict[str, object]:
    return {
        "call_date": entry.call_date,
        "timeline_qualified": entry.timeline_qualified,
        "authority_reached": entry.authority_reached,
        "next_step": entry.next_step,
        "next_step_date": entry.next_step_date,
        "went_well": entry.went_well,
        "improve": entry.improve,
        "notes": entry.notes,
        "coaching_requested": entry.coaching_requested,
    }


def record_debrief(
    session: Session, team_id: str, rep_user_id: str, entry: DebriefInput, delivery: Delivery
) -> Recorded:
    """Store a new debrief once per delivery key; a repeat returns the first one's ids."""
    deal = get_or_create_deal(session, team_id, entry.deal, rep_user_id)
    now = utcnow()
    new_id = insert_ignore(
        session,
        DEBRIEF_TABLE,
        {
            "team_id": team_id,
            "deal_id": deal.id,
            "rep_user_id": rep_user_id,
            "source": delivery.source,
            "delivery_key": delivery.key,
            "channel_id": delivery.channel_id,
            "message_ts": delivery.message_ts,
            "created_at": now,
            "updated_at": now,
            **_debrief_values(entry),
        },
        ["team_id", "delivery_key"],
    )
    if new_id is not None:
        latest = add_to_summary(session, deal.id, int(new_id), entry.call_date)
        answers = _answers(entry) if latest == new_id else None
        return Recorded(int(new_id), deal.id, deal.name, created=True, answers=answers)
    existing = session.execute(
        select(Debrief.id, Deal.id, Deal.name)
        .join(Deal, Deal.id == Debrief.deal_id)
        .where(Debrief.team_id == team_id, Debrief.delivery_key == delivery.key)
    ).one()
    return Recorded(existing[0], existing[1], existing[2], created=False)


def update_debrief(
    session: Session, team_id: str, rep_user_id: str, debrief_id: int, entry: DebriefInput
) -> Recorded | None:
    """Correct a rep's own debrief; None when it is not theirs or no longer exists."""
    debrief = session.scalars(
        select(Debrief)
        .where(
            Debrief.team_id == team_id,
            Debrief.id == debrief_id,
            Debrief.rep_user_id == rep_user_id,
        )
        .with_for_update()
    ).one_or_none()
    if debrief is None:
        return None
    deal = get_or_create_deal(session, team_id, entry.deal, rep_user_id)
    previous_deal = debrief.deal_id
    debrief.deal_id = deal.id
    for name, value in _debrief_values(entry).items():
        setattr(debrief, name, value)
    debrief.updated_at = utcnow()
    session.flush()
    if previous_deal != deal.id:
        refresh_summary(session, previous_deal)
    latest = refresh_summary(session, deal.id)
    answers = _answers(entry) if latest == debrief.id else None
    return Recorded(debrief.id, deal.id, deal.name, created=False, answers=answers)


def get_rep_debrief(
    session: Session, team_id: str, rep_user_id: str, debrief_id: int
) -> tuple[Debrief, str] | None:
    """A rep's own debrief with its deal's name; None for anyone else's."""
    row = session.execute(
        select(Debrief, Deal.name)
        .join(Deal, Deal.id == Debrief.deal_id)
        .where(
            Debrief.team_id == team_id,
            Debrief.id == debrief_id,
            Debrief.rep_user_id == rep_user_id,
        )
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def get_deal_name_of_rep(
    session: Session, team_id: str, rep_user_id: str, deal_id: int
) -> str | None:
    """The name of a deal the rep owns; None for anyone else's (ids can be edited in payloads)."""
    return session.scalar(
        select(Deal.name).where(
            Deal.team_id == team_id, Deal.id == deal_id, Deal.owner_user_id == rep_user_id
        )
    )


def search_rep_open_deals(
    session: Session, team_id: str, rep_user_id: str, typed: str, limit: int
) -> list[tuple[int, str]]:
    """The rep's own open deals whose name contains what they typed, most recent first."""
    query = (
        select(Deal.id, Deal.name)
        .where(
            Deal.team_id == team_id,
            Deal.owner_user_id == rep_user_id,
            Deal.status == "open",
        )
        .order_by(Deal.updated_at.desc(), Deal.id.desc())
        .limit(limit)
    )
    key = deal_key(typed)
    if key:
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Deal.name_key.like(f"%{escaped}%", escape="\\"))
    return [(row[0], row[1]) for row in session.execute(query)]


def latest_answers(session: Session, team_id: str, deal_id: int) -> LatestAnswers | None:
    """The answers that stand for a deal: its latest call, and among equal dates the last
    recorded."""
    row = session.execute(
        select(
            Debrief.timeline_qualified,
            Debrief.authority_reached,
            Debrief.next_step,
            Debrief.next_step_date,
        )
        .where(Debrief.team_id == team_id, Debrief.deal_id == deal_id)
        .order_by(Debrief.call_date.desc(), Debrief.id.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    return LatestAnswers(row[0], row[1], row[2], row[3])


@dataclass(frozen=True)
class ExportRow:
    team_id: str
    debrief_id: int
    deal: str
    rep: str
    call_date: date
    timeline_qualified: bool | None
    authority_reached: bool | None
    next_step: str | None
    next_step_date: date | None
    went_well: str | None
    improve: str | None
    source: str
    created_at: datetime
    notes: str | None
    deal_status: str
    updated_at: datetime


def iter_export_rows(session: Session, batch_size: int = 1000) -> Iterator[ExportRow]:
    """Every debrief of every workspace, streamed with a server-side cursor: constant memory."""
    query = (
        select(
            Debrief.team_id,
            Debrief.id,
            Deal.name,
            Debrief.rep_user_id,
            Debrief.call_date,
            Debrief.timeline_qualified,
            Debrief.authority_reached,
            Debrief.next_step,
            Debrief.next_step_date,
            Debrief.went_well,
            Debrief.improve,
            Debrief.source,
            Debrief.created_at,
            Debrief.notes,
            Deal.status,
            Debrief.updated_at,
        )
        .join(Deal, Deal.id == Debrief.deal_id)
        .order_by(Debrief.team_id, Debrief.id)
        .execution_options(yield_per=batch_size)
    )
    for row in session.execute(query):
        values: tuple[Any, ...] = tuple(row)
        yield ExportRow(*values)


@dataclass(frozen=True)
class OpenDeal:
    deal_id: int
    name: str
    last_call: date
    answers: LatestAnswers


def rep_open_deals(session: Session, team_id: str, rep_user_id: str, limit: int) -> list[OpenDeal]:
    """A rep's own open deals with the answers that stand, most recently called first; one
    query, whatever the number of deals."""
    ranked = (
        select(
            Debrief.deal_id,
            Debrief.call_date,
            Debrief.timeline_qualified,
            Debrief.authority_reached,
            Debrief.next_step,
            Debrief.next_step_date,
            func.row_number()
            .over(
                partition_by=Debrief.deal_id,
                order_by=(Debrief.call_date.desc(), Debrief.id.desc()),
            )
            .label("rank"),
        )
        .join(Deal, Deal.id == Debrief.deal_id)
        .where(
            Debrief.team_id == team_id,
            Deal.owner_user_id == rep_user_id,
            Deal.status == "open",
        )
        .subquery()
    )
    rows = session.execute(
        select(
            Deal.id,
            Deal.name,
            ranked.c.call_date,
            ranked.c.timeline_qualified,
            ranked.c.authority_reached,
            ranked.c.next_step,
            ranked.c.next_step_date,
        )
        .join(ranked, ranked.c.deal_id == Deal.id)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.call_date.desc(), Deal.id.desc())
        .limit(limit)
    )
    return [
        OpenDeal(row[0], row[1], row[2], LatestAnswers(row[3], row[4], row[5], row[6]))
        for row in rows
    ]


def count_rep_open_deals(session: Session, team_id: str, rep_user_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Deal)
            .where(
                Deal.team_id == team_id,
                Deal.owner_user_id == rep_user_id,
                Deal.status == "open",
            )
        )
        or 0
    )

"""Queries for deals and debriefs. Every function takes the workspace (`team_id`) first."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Date, Integer, Table, bindparam, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from coaching.answers import LEGACY_KEYS, NO_ANSWERS
from coaching.debrief import DebriefInput, deal_key, normalise_deal_name
from coaching.gaps import LatestAnswers
from storage.models import Deal, Debrief, DebriefAnswer, utcnow
from storage.upsert import dialect_insert, dialect_of, insert_ignore

DEBRIEF_TABLE: Table = Debrief.__table__  # type: ignore[assignment]
DEAL_TABLE: Table = Deal.__table__  # type: ignore[assignment]
ANSWER_TABLE: Table = DebriefAnswer.__table__  # type: ignore[assignment]


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
        entry.timeline_qualified,
        entry.authority_reached,
        entry.next_step,
        entry.next_step_date,
        entry.criteria,
    )


def _debrief_values(entry: DebriefInput, asked: Collection[str] = LEGACY_KEYS) -> dict[str, object]:
    """The debrief's columns; timeline and authority only when the form `asked` them, so a
    correction made under another framework keeps the answers it did not ask again."""
    values: dict[str, object] = {
        "call_date": entry.call_date,
        "next_step": entry.next_step,
        "next_step_date": entry.next_step_date,
        "went_well": entry.went_well,
        "improve": entry.improve,
        "notes": entry.notes,
        "coaching_requested": entry.coaching_requested,
    }
    if "timeline" in asked:
        values["timeline_qualified"] = entry.timeline_qualified
    if "authority" in asked:
        values["authority_reached"] = entry.authority_reached
    return values


def _store_answers(
    session: Session, team_id: str, debrief_id: int, answers: Mapping[str, bool]
) -> None:
    rows = [
        {"debrief_id": debrief_id, "criterion": key, "team_id": team_id, "answer": value}
        for key, value in answers.items()
        if key not in LEGACY_KEYS
    ]
    if rows:
        session.connection().execute(insert(ANSWER_TABLE), rows)


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
        _store_answers(session, team_id, int(new_id), entry.criteria)
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
    session: Session,
    team_id: str,
    rep_user_id: str,
    debrief_id: int,
    entry: DebriefInput,
    asked: Collection[str] = LEGACY_KEYS,
) -> Recorded | None:
    """Correct a rep's own debrief; None when it is not theirs or no longer exists. Only the
    criteria the form `asked` are replaced: answers to another framework's stay."""
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
    for name, value in _debrief_values(entry, asked).items():
        setattr(debrief, name, value)
    debrief.updated_at = utcnow()
    session.flush()
    replaced = [key for key in asked if key not in LEGACY_KEYS]
    if replaced:
        session.execute(
            delete(DebriefAnswer).where(
                DebriefAnswer.debrief_id == debrief.id, DebriefAnswer.criterion.in_(replaced)
            )
        )
        _store_answers(
            session, team_id, debrief.id, {k: v for k, v in entry.criteria.items() if k in asked}
        )
    if previous_deal != deal.id:
        refresh_summary(session, previous_deal)
    latest = refresh_summary(session, deal.id)
    answers = _answers(entry) if latest == debrief.id else None
    return Recorded(debrief.id, deal.id, deal.name, created=False, answers=answers)


def answers_of_debriefs(
    session: Session, team_id: str, debrief_ids: Iterable[int]
) -> dict[int, dict[str, bool]]:
    """The answers stored beside these debriefs (every criterion but timeline and authority),
    per debrief."""
    ids = list(debrief_ids)
    result: dict[int, dict[str, bool]] = {}
    if not ids:
        return result
    rows = session.execute(
        select(DebriefAnswer.debrief_id, DebriefAnswer.criterion, DebriefAnswer.answer).where(
            DebriefAnswer.team_id == team_id, DebriefAnswer.debrief_id.in_(ids)
        )
    )
    for debrief_id, criterion, value in rows:
        result.setdefault(debrief_id, {})[criterion] = bool(value)
    return result


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
            Debrief.id,
        )
        .where(Debrief.team_id == team_id, Debrief.deal_id == deal_id)
        .order_by(Debrief.call_date.desc(), Debrief.id.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    others = answers_of_debriefs(session, team_id, [row[4]]).get(row[4], NO_ANSWERS)
    return LatestAnswers(row[0], row[1], row[2], row[3], others)


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
    answers: Mapping[str, bool] = field(default_factory=dict)  # the other criteria, by key


def answered_criteria(session: Session) -> list[str]:
    """Every criterion key with an answer stored beside a debrief, in any workspace."""
    return list(
        session.scalars(
            select(DebriefAnswer.criterion).distinct().order_by(DebriefAnswer.criterion)
        )
    )


def iter_export_rows(session: Session, batch_size: int = 1000) -> Iterator[ExportRow]:
    """Every debrief of every workspace with its answers, streamed with a server-side cursor:
    constant memory. A debrief's answer rows arrive together (ordered by its id), so each is
    gathered before its row is yielded."""
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
            DebriefAnswer.criterion,
            DebriefAnswer.answer,
        )
        .join(Deal, Deal.id == Debrief.deal_id)
        .outerjoin(DebriefAnswer, DebriefAnswer.debrief_id == Debrief.id)
        .order_by(Debrief.team_id, Debrief.id)
        .execution_options(yield_per=batch_size)
    )
    pending: list[Any] | None = None
    for row in session.execute(query):
        *values, criterion, value = tuple(row)
        if pending is None or values[:2] != pending[:2]:
            if pending is not None:
                yield ExportRow(*pending)
            pending = [*values, {}]
        if criterion is not None:
            pending[-1][criterion] = bool(value)
    if pending is not None:
        yield ExportRow(*pending)


@dataclass(frozen=True)
class OpenDeal:
    deal_id: int
    name: str
    last_call: date
    answers: LatestAnswers


def rep_open_deals(
    session: Session,
    team_id: str,
    rep_user_id: str,
    limit: int,
    criteria: Collection[str] = (),
) -> list[OpenDeal]:
    """A rep's own open deals with the answers that stand, most recently called first; one
    query, whatever the number of deals (and one more for the answers to `criteria` other than
    timeline and authority)."""
    ranked = (
        select(
            Debrief.id,
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
        # From the rep's deals (ix_deals_owner_status) to their debriefs
        # (ix_debriefs_deal_latest): a join from the debriefs side read every debrief of the
        # workspace, 100,000 of them for one manager's Home in bench/home.py.
        .where(
            Debrief.deal_id.in_(  # a deal's debriefs are its workspace's
                select(Deal.id).where(
                    Deal.team_id == team_id,
                    Deal.owner_user_id == rep_user_id,
                    Deal.status == "open",
                )
            )
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
            ranked.c.id,
        )
        .join(ranked, ranked.c.deal_id == Deal.id)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.call_date.desc(), Deal.id.desc())
        .limit(limit)
    ).all()
    others: dict[int, dict[str, bool]] = {}
    if any(key not in LEGACY_KEYS for key in criteria):
        others = answers_of_debriefs(session, team_id, [row[7] for row in rows])
    return [
        OpenDeal(
            row[0],
            row[1],
            row[2],
            LatestAnswers(row[3], row[4], row[5], row[6], others.get(row[7], NO_ANSWERS)),
        )
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

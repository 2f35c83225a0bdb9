"""What managers do to a deal from the digest: snooze it, close it as won or lost, and what
the rep writes about it afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from storage.models import Deal, PostMortem, utcnow
from storage.upsert import insert_ignore

POST_MORTEM_TABLE: Table = PostMortem.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class DealRef:
    id: int
    name: str
    owner_user_id: str
    status: str


def get_deal(session: Session, team_id: str, deal_id: int) -> DealRef | None:
    row = session.execute(
        select(Deal.id, Deal.name, Deal.owner_user_id, Deal.status).where(
            Deal.team_id == team_id, Deal.id == deal_id
        )
    ).one_or_none()
    return DealRef(row[0], row[1], row[2], row[3]) if row is not None else None


def snooze(session: Session, team_id: str, deal_id: int, until: date) -> None:
    session.execute(
        update(Deal)
        .where(Deal.team_id == team_id, Deal.id == deal_id)
        .values(snoozed_until=until, updated_at=utcnow())
    )


def close(session: Session, team_id: str, deal_id: int, outcome: str) -> bool:
    """Mark an open deal won or lost; False when it was already closed."""
    result = session.execute(
        update(Deal)
        .where(Deal.team_id == team_id, Deal.id == deal_id, Deal.status == "open")
        .values(status=outcome, closed_at=utcnow(), updated_at=utcnow())
        .returning(Deal.id)
    )
    return result.scalar() is not None


def record_post_mortem(
    session: Session,
    team_id: str,
    deal_id: int,
    rep_user_id: str,
    outcome: str,
    main_reason: str | None,
    went_well: str | None,
    improve: str | None,
    delivery_key: str,
) -> bool:
    """Store a post-mortem once per delivery key; True when it is new."""
    created = insert_ignore(
        session,
        POST_MORTEM_TABLE,
        {
            "team_id": team_id,
            "deal_id": deal_id,
            "rep_user_id": rep_user_id,
            "outcome": outcome,
            "main_reason": main_reason,
            "went_well": went_well,
            "improve": improve,
            "delivery_key": delivery_key,
            "created_at": utcnow(),
        },
        ["delivery_key"],
    )
    return created is not None

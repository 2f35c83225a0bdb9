"""Bulk data for benchmarks: many deals with their debriefs, written as fast as the database
takes them, with the deals' debrief summary computed by the migration's own BACKFILL.

``seed(db, Spec(open_deals=100_000))`` fills a freshly migrated scratch database (see
bench/scratch.py) with:

- workspace ``T1``: ``open_deals`` open deals, plus ``closed_share`` of that many won or lost
  ones, each with ``debriefs_per_deal`` debriefs; ``deals_per_rep`` deals per rep;
- workspace ``T2``: ``other_workspace_deals`` open deals named exactly as T1's first ones (deal
  names are unique per workspace only), so a query that forgets ``team_id`` shows at once.

The data is random but reproducible (``Spec.seed``) and shaped against a fixed ``today``: the
latest call of a deal is recent for most deals, two weeks to two months old for some (quiet),
older for a few; calls go back up to about six months; timeline and authority answers are
mixed yes / no / unanswered; most debriefs agree a next step a few days to three weeks after
the call (so some are overdue); a few deals are snoozed; about a fifth of the deals had a
debrief recorded out of call order (an older call recorded last), and some calls share a date,
so "the latest debrief" (latest call date, then the last recorded) is not simply the last row.

Rows go in through the raw driver connection, in chunks of ``chunk_deals`` deals: SQLite by
``executemany``, PostgreSQL by ``COPY``; each value is first converted by its column type's own
bind processor, so the stored text (dates and timestamps on SQLite) is exactly what the app
writes. Then one statement, ``BACKFILL`` from migration 0002, sets every deal's debrief_count,
first_call, last_call and latest_debrief_id; ``verify`` checks a sample of deals against a
direct query over their debriefs. Finally the database is brought to a steady state: PostgreSQL
is vacuumed and analysed (as autovacuum would have done), SQLite's WAL is checkpointed.
"""

from __future__ import annotations

import importlib
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection, Dialect

from coaching.debrief import deal_key, normalise_deal_name
from storage.db import Database
from storage.models import Deal, Debrief

BACKFILL: str = importlib.import_module(
    "storage.migrations.versions.0002_teams_and_outbox"
).BACKFILL

TODAY = date(2026, 11, 30)
MAIN_TEAM = "T1"
OTHER_TEAM = "T2"

DEAL_TABLE: Table = Deal.__table__  # type: ignore[assignment]
DEBRIEF_TABLE: Table = Debrief.__table__  # type: ignore[assignment]

DEAL_COLUMNS = (
    "id",
    "team_id",
    "name",
    "name_key",
    "owner_user_id",
    "status",
    "snoozed_until",
    "closed_at",
    "created_at",
    "updated_at",
)
DEBRIEF_COLUMNS = (
    "team_id",
    "deal_id",
    "rep_user_id",
    "call_date",
    "timeline_qualified",
    "authority_reached",
    "next_step",
    "next_step_date",
    "went_well",
    "improve",
    "notes",
    "source",
    "delivery_key",
    "channel_id",
    "message_ts",
    "created_at",
    "updated_at",
)

COMPANIES = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Soylent",
    "Tyrell",
    "Wonka",
    "Cyberdyne",
    "Vandelay",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Aperture",
)
PRODUCTS = ("Renewal", "Expansion", "Pilot", "Platform", "Analytics", "Security", "EMEA", "APAC")
NEXT_STEPS = (
    "Demo for the CFO",
    "Send the proposal",
    "Security review call",
    "Pricing call with procurement",
    "Pilot kickoff",
    "Intro to the economic buyer",
)
WENT_WELL = (
    "Clear pain around manual reporting",
    "Champion brought two colleagues",
    "They shared their budget cycle",
)
IMPROVE = (
    "Ask who else signs off",
    "Pin down a decision date",
    "Talk less during discovery",
)
NOTES = (
    "Competitor also in the running; they liked our onboarding story.",
    "Legal wants our DPA before the next call. Procurement is new to the process.",
)
# Answers: True (yes), False (no: a stall reason), None (not answered).
TIMELINE_ANSWERS = (True,) * 14 + (False,) * 4 + (None,) * 2
AUTHORITY_ANSWERS = (True,) * 12 + (False,) * 5 + (None,) * 3


@dataclass(frozen=True)
class Spec:
    open_deals: int
    debriefs_per_deal: int = 10
    closed_share: float = 0.02  # won or lost deals of T1, as a share of open_deals
    other_workspace_deals: int = 200  # T2's open deals
    deals_per_rep: int = 100
    chunk_deals: int = 5_000
    today: date = TODAY
    seed: int = 20261130

    def __post_init__(self) -> None:
        if self.open_deals < 1 or self.debriefs_per_deal < 2:  # a first and a latest call
            raise ValueError("at least 1 open deal and 2 debriefs per deal")


@dataclass
class Seeded:
    spec: Spec
    deals: int = 0  # every row of deals (both workspaces, open and closed)
    debriefs: int = 0
    main_open_ids: range = range(0)  # T1's open deals: ids 1..open_deals
    timings: dict[str, float] = field(default_factory=dict)  # phase -> seconds

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


# --------------------------------------------------------------------------- values


class Encoder:
    """Python values as the driver receives them from SQLAlchemy: each column type's bind
    processor (dialect_impl, as SQLAlchemy itself resolves it), cached per distinct value."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._cache: dict[tuple[str, str, object], object] = {}
        self._processors: dict[tuple[str, str], Callable[[Any], Any] | None] = {}

    def processor(self, table: Table, column: str) -> Callable[[Any], Any] | None:
        key = (table.name, column)
        if key not in self._processors:
            kind = table.c[column].type
            self._processors[key] = kind.dialect_impl(self.dialect).bind_processor(self.dialect)
        return self._processors[key]

    def __call__(self, table: Table, column: str, value: object) -> object:
        if value is None:
            return None
        key = (table.name, column, value)
        try:
            return self._cache[key]
        except KeyError:
            process = self.processor(table, column)
            encoded = value if process is None else process(value)
            self._cache[key] = encoded
            return encoded


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, clock(hour, 0), tzinfo=UTC)


class _Values:
    """Lookup tables of encoded values, so the row loops do no conversion of their own."""

    def __init__(self, encode: Encoder, today: date) -> None:
        first = today.toordinal() - 400
        last = today.toordinal() + 60
        days = [date.fromordinal(o) for o in range(first, last + 1)]
        self.first = first
        self.call_date = [encode(DEBRIEF_TABLE, "call_date", d) for d in days]
        self.step_date = [encode(DEBRIEF_TABLE, "next_step_date", d) for d in days]
        self.recorded = [encode(DEBRIEF_TABLE, "created_at", _moment(d, 17)) for d in days]
        self.deal_at = [encode(DEAL_TABLE, "created_at", _moment(d, 9)) for d in days]
        self.snoozed = [encode(DEAL_TABLE, "snoozed_until", d) for d in days]
        self.closed = [encode(DEAL_TABLE, "closed_at", _moment(d, 12)) for d in days]
        self.timeline = [encode(DEBRIEF_TABLE, "timeline_qualified", a) for a in TIMELINE_ANSWERS]
        self.authority = [encode(DEBRIEF_TABLE, "authority_reached", a) for a in AUTHORITY_ANSWERS]

    def at(self, table: list[object], ordinal: int) -> object:
        return table[ordinal - self.first]


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class _DealPlan:
    id: int
    team_id: str
    name: str
    owner: str
    status: str


def _plans(spec: Spec) -> list[_DealPlan]:
    """T1's open deals (ids 1..open_deals), T1's closed deals, then T2's open deals."""
    reps = max(5, spec.open_deals // spec.deals_per_rep)
    plans = []

    def name(i: int) -> str:
        company = COMPANIES[i % len(COMPANIES)]
        product = PRODUCTS[(i // len(COMPANIES)) % len(PRODUCTS)]
        return f"{company} {product} {i:06d}"

    for i in range(spec.open_deals):
        plans.append(_DealPlan(i + 1, MAIN_TEAM, name(i), f"U{1000 + i % reps:05d}", "open"))
    closed = round(spec.open_deals * spec.closed_share)
    for j in range(closed):
        i = spec.open_deals + j
        status = "won" if j % 2 == 0 else "lost"
        plans.append(_DealPlan(i + 1, MAIN_TEAM, name(i), f"U{1000 + j % reps:05d}", status))
    start = spec.open_deals + closed
    for j in range(spec.other_workspace_deals):
        # The same names as T1's first deals: unique per workspace, not across workspaces.
        plans.append(_DealPlan(start + j + 1, OTHER_TEAM, name(j), f"W{2000 + j % 7:05d}", "open"))
    return plans


def _rows(
    plans: Sequence[_DealPlan], spec: Spec, values: _Values, rnd: random.Random
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """A chunk's deal and debrief rows, encoded, in DEAL_COLUMNS and DEBRIEF_COLUMNS order."""
    today = spec.today.toordinal()
    per_deal = spec.debriefs_per_deal
    at = values.at
    deals: list[tuple[object, ...]] = []
    debriefs: list[tuple[object, ...]] = []
    randint, random_, choice = rnd.randint, rnd.random, rnd.choice
    for plan in plans:
        # Days since the latest call: most deals are moving, some quiet, a few long quiet.
        roll = random_()
        if roll < 0.60:
            last_ago = randint(0, 13)
        elif roll < 0.88:
            last_ago = randint(14, 60)
        else:
            last_ago = randint(61, 150)
        first_ago = last_ago + randint(9, 180 - last_ago)
        calls = [today - first_ago, today - last_ago]
        calls += [randint(today - first_ago, today - last_ago) for _ in range(per_deal - 2)]
        calls.sort()
        if random_() < 0.2:  # an older call recorded after the later ones
            calls.append(calls.pop(randint(0, len(calls) - 2)))
        snoozed: object = None
        if plan.status == "open" and random_() < 0.04:
            snoozed = at(values.snoozed, today + randint(-10, 30))  # some snoozes have ended
        closed: object = None
        if plan.status != "open":
            closed = at(values.closed, today - last_ago + randint(0, 5))
        deals.append(
            (
                plan.id,
                plan.team_id,
                normalise_deal_name(plan.name),
                deal_key(plan.name),
                plan.owner,
                plan.status,
                snoozed,
                closed,
                at(values.deal_at, calls[0]),
                at(values.recorded, today - last_ago),
            )
        )
        for k, call in enumerate(calls):
            step: object = None
            step_date: object = None
            if random_() < 0.85:
                step = choice(NEXT_STEPS)
                step_date = at(values.step_date, call + randint(1, 21))
            by_message = random_() < 0.2
            channel = "C0000SALES" if by_message else None
            ts = f"{1_780_000_000 + plan.id * 16 + k}.000100" if by_message else None
            key = f"message:{channel}:{ts}" if by_message else f"view:V{plan.id:08d}{k:02d}"
            recorded = at(values.recorded, call)
            debriefs.append(
                (
                    plan.team_id,
                    plan.id,
                    plan.owner,
                    at(values.call_date, call),
                    choice(values.timeline),
                    choice(values.authority),
                    step,
                    step_date,
                    choice(WENT_WELL) if random_() < 0.5 else None,
                    choice(IMPROVE) if random_() < 0.5 else None,
                    choice(NOTES) if random_() < 0.3 else None,
                    "message" if by_message else "modal",
                    key,
                    channel,
                    ts,
                    recorded,
                    recorded,
                )
            )
    return deals, debriefs


def _chunks(items: Sequence[_DealPlan], size: int) -> Iterator[Sequence[_DealPlan]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------- writing


def _write(conn: Connection, table: Table, columns: Sequence[str], rows: list[Any]) -> None:
    """Rows through the raw driver connection: COPY on PostgreSQL, executemany on SQLite."""
    names = ", ".join(columns)
    cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
    finally:
        cursor.close()


def seed(db: Database, spec: Spec, progress: Callable[[str], None] | None = None) -> Seeded:
    """Fill a freshly migrated, empty database; returns what was written and how long it took."""
    result = Seeded(spec, main_open_ids=range(1, spec.open_deals + 1))
    rnd = random.Random(spec.seed)
    values = _Values(Encoder(db.engine.dialect), spec.today)
    plans = _plans(spec)
    generate = write = 0.0
    with db.engine.begin() as conn:
        for chunk in _chunks(plans, spec.chunk_deals):
            started = time.perf_counter()
            deals, debriefs = _rows(chunk, spec, values, rnd)
            written = time.perf_counter()
            _write(conn, DEAL_TABLE, DEAL_COLUMNS, deals)
            _write(conn, DEBRIEF_TABLE, DEBRIEF_COLUMNS, debriefs)
            generate += written - started
            write += time.perf_counter() - written
            result.deals += len(deals)
            result.debriefs += len(debriefs)
        result.timings["generate"] = generate
        result.timings["insert"] = write
        started = time.perf_counter()
        conn.execute(text(BACKFILL))
        result.timings["backfill"] = time.perf_counter() - started
        if conn.dialect.name == "postgresql":  # deals got explicit ids: move the sequence on
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('deals', 'id'), :last)"),
                {"last": len(plans)},
            )
    if progress:
        progress(
            f"wrote {result.deals:,} deals and {result.debriefs:,} debriefs "
            f"(generate {generate:.1f} s, insert {write:.1f} s, "
            f"backfill {result.timings['backfill']:.1f} s)"
        )
    started = time.perf_counter()
    settle(db)
    result.timings["settle"] = time.perf_counter() - started
    return result


def settle(db: Database) -> None:
    """A steady state, as a long-running database would be in: PostgreSQL vacuumed (the
    backfill left a dead version of every deal) and analysed; SQLite's WAL checkpointed into
    the database file, so reads do not go through a WAL of a million fresh rows."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text("VACUUM (ANALYZE) deals, debriefs"))
        else:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            conn.commit()


# --------------------------------------------------------------------------- checking


def verify(db: Database, seeded: Seeded, sample: int = 50) -> list[str]:
    """Problems with the seeded data, [] when none: the row counts, and the summary columns of
    ``sample`` random deals (of both workspaces) against a direct query over their debriefs."""
    problems: list[str] = []
    rnd = random.Random(seeded.spec.seed + 1)
    ids = rnd.sample(range(1, seeded.deals + 1), min(sample, seeded.deals))
    ids[-1] = seeded.deals  # always one of T2's deals (the last ones written)
    with db.session() as session:
        deals = session.execute(select(func.count()).select_from(Deal)).scalar_one()
        debriefs = session.execute(select(func.count()).select_from(Debrief)).scalar_one()
        counted = session.execute(select(func.sum(Deal.debrief_count))).scalar_one()
        if (deals, debriefs) != (seeded.deals, seeded.debriefs):
            problems.append(
                f"rows: {deals} deals, {debriefs} debriefs; wrote {seeded.deals}, {seeded.debriefs}"
            )
        if counted != debriefs:
            problems.append(f"sum(deals.debrief_count) is {counted}, debriefs has {debriefs}")
        stored = {
            row.id: (row.debrief_count, row.first_call, row.last_call, row.latest_debrief_id)
            for row in session.execute(
                select(
                    Deal.id,
                    Deal.debrief_count,
                    Deal.first_call,
                    Deal.last_call,
                    Deal.latest_debrief_id,
                ).where(Deal.id.in_(ids))
            )
        }
        aggregates = {
            row.deal_id: (row.n, row.first, row.last)
            for row in session.execute(
                select(
                    Debrief.deal_id,
                    func.count().label("n"),
                    func.min(Debrief.call_date).label("first"),
                    func.max(Debrief.call_date).label("last"),
                )
                .where(Debrief.deal_id.in_(ids))
                .group_by(Debrief.deal_id)
            )
        }
        rank = (
            func.row_number()
            .over(
                partition_by=Debrief.deal_id,
                order_by=(Debrief.call_date.desc(), Debrief.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(Debrief.deal_id, Debrief.id, rank).where(Debrief.deal_id.in_(ids)).subquery()
        )
        latest: dict[int, int] = dict(
            session.execute(select(ranked.c.deal_id, ranked.c.id).where(ranked.c.rank == 1))
            .tuples()
            .all()
        )
    for deal_id in ids:
        n, first, last = aggregates.get(deal_id, (0, None, None))
        expected = (n, first, last, latest.get(deal_id))
        if stored.get(deal_id) != expected:
            problems.append(
                f"deal {deal_id}: stored {stored.get(deal_id)}, debriefs say {expected}"
            )
    return problems

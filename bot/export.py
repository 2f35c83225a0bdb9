"""`export debriefs`: every debrief as CSV, streamed row by row in constant memory."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from typing import TextIO

from storage.debriefs import ExportRow

# The contract fixes the first eleven columns and their order; the others follow.
COLUMNS = (
    "deal",
    "rep",
    "call_date",
    "timeline_qualified",
    "authority_reached",
    "next_step",
    "next_step_date",
    "went_well",
    "improve",
    "source",
    "created_at",
    "notes",
    "deal_status",
    "team_id",
    "debrief_id",
    "updated_at",
)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _iso(value: date | datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _row(row: ExportRow) -> list[str]:
    return [
        row.deal,
        row.rep,
        _iso(row.call_date),
        _yes_no(row.timeline_qualified),
        _yes_no(row.authority_reached),
        row.next_step or "",
        _iso(row.next_step_date),
        row.went_well or "",
        row.improve or "",
        row.source,
        _iso(row.created_at),
        row.notes or "",
        row.deal_status,
        row.team_id,
        str(row.debrief_id),
        _iso(row.updated_at),
    ]


def write_csv(rows: Iterable[ExportRow], out: TextIO) -> int:
    """Write the header and every row; returns the number of debriefs written."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(_row(row))
        count += 1
    return count

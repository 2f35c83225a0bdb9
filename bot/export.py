"""`export debriefs`: every debrief as CSV, streamed row by row in constant memory.

After the contract's columns and the others every export has come one column per criterion of
a qualification framework other than timeline and authority (which have their contract
columns): those of the frameworks the workspaces use, in their order, then any other criterion
a debrief has an answer to (a framework a workspace used before). An export of workspaces on
the default framework has exactly the columns it always had."""

from __future__ import annotations

import csv
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from coaching.answers import LEGACY_KEYS
from coaching.frameworks import FrameworkError, load_framework
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


def criterion_columns(frameworks: Iterable[str], answered: Iterable[str]) -> list[str]:
    """The criteria columns after the fixed ones: the chosen frameworks' criteria in their order
    (a framework that no longer loads is skipped), then every other answered criterion, sorted.
    """
    columns: list[str] = []
    for choice in frameworks:
        try:
            keys = load_framework(choice).keys
        except FrameworkError:
            continue
        columns += [key for key in keys if key not in LEGACY_KEYS and key not in columns]
    columns += sorted(key for key in set(answered) - set(columns) if key not in LEGACY_KEYS)
    return columns


def _row(row: ExportRow, criteria: Sequence[str]) -> list[str]:
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
        *(_yes_no(row.answers.get(key)) for key in criteria),
    ]


# A spreadsheet reads a cell starting with one of these as a formula (or, for a tab or a
# carriage return, may strip it and read what follows): OWASP's CSV-injection advice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """The cell, with a single quote before it when a spreadsheet would run it as a formula:
    the quote makes it text there, and shows as typed."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def write_csv(
    rows: Iterable[ExportRow],
    out: TextIO,
    criteria: Sequence[str] = (),
    *,
    for_spreadsheets: bool = False,
) -> int:
    """Write the header and every row, with a column for each of `criteria` after the fixed
    ones; returns the number of debriefs written.

    Cells are exactly as typed, unless `for_spreadsheets`: then spreadsheet_safe() each."""
    writer = csv.writer(out)
    writer.writerow([*COLUMNS, *criteria])
    count = 0
    for row in rows:
        cells = _row(row, criteria)
        writer.writerow([spreadsheet_safe(c) for c in cells] if for_spreadsheets else cells)
        count += 1
    return count


PRIVATE = 0o600  # a new export file: its owner reads and writes it, nobody else


class ExportTargetError(Exception):
    """The export cannot go where it was pointed; `bad_name` when the name itself is wrong."""

    def __init__(self, message: str, *, bad_name: bool = False) -> None:
        super().__init__(message)
        self.bad_name = bad_name


def write_to_file(name: str, write: Callable[[TextIO], int]) -> int:
    """Run `write` on the file `name` (UTF-8), returning what it returns.

    A regular file (or a link to one) is written beside the target and renamed over it at the
    end: a failure leaves the old file, never half a new one. A new file is readable by its
    owner only (0600), whatever the umask, since it holds every rep's notes; a file that
    existed keeps the permissions its owner gave it. Anything else that exists (a pipe, a
    device) is written to directly."""
    if not name.strip() or name.endswith(os.sep):
        raise ExportTargetError(f"cannot write {name!r}: give a file name", bad_name=True)
    real = Path(os.path.realpath(name))
    if real.is_dir():
        raise ExportTargetError(f"cannot write {name}: it is a directory", bad_name=True)
    try:
        if real.exists() and not real.is_file():
            with real.open("w", newline="", encoding="utf-8") as out:
                return write(out)
        handle, partial_name = tempfile.mkstemp(
            dir=real.parent, prefix=f".{real.name}.", suffix=".partial"
        )
    except OSError as exc:
        raise ExportTargetError(f"cannot write {name}: {exc.strerror or exc}") from None
    partial = Path(partial_name)
    try:
        mode = stat.S_IMODE(real.stat().st_mode) if real.exists() else PRIVATE
        os.chmod(partial, mode)
        with open(handle, "w", newline="", encoding="utf-8") as out:
            count = write(out)
        os.replace(partial, real)
        return count
    except OSError as exc:
        with suppress(OSError):
            partial.unlink()
        raise ExportTargetError(f"cannot write {name}: {exc.strerror or exc}") from None
    except BaseException:
        with suppress(OSError):
            partial.unlink()
        raise

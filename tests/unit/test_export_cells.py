"""`export debriefs --spreadsheet-safe`: OWASP's advice against CSV injection, cell by cell."""

from __future__ import annotations

import pytest

from bot.export import spreadsheet_safe


@pytest.mark.parametrize(
    ("typed", "exported"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+33 1 23 45 67 89", "'+33 1 23 45 67 89"),
        ("-10% discount", "'-10% discount"),
        ("@budget holder", "'@budget holder"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_a_quote(typed: str, exported: str) -> None:
    assert spreadsheet_safe(typed) == exported


@pytest.mark.parametrize("typed", ["", "Acme Corp", "send the = sign", " =1", "2026-12-01", "'x"])
def test_other_cells_are_as_typed(typed: str) -> None:
    assert spreadsheet_safe(typed) == typed

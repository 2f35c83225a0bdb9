"""The digest's weekly effective-call share chart: a real PNG of the right size, from any thread."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from matplotlib.image import imread

from scheduling.charts import WeekShare, effective_share_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

EIGHT_WEEKS = [
    WeekShare("2026-W45", 7, 3),
    WeekShare("2026-W46", 0, 0),
    WeekShare("2026-W47", 5, 5),
    WeekShare("2026-W48", 2, 0),
    WeekShare("2026-W49", 10, 6),
    WeekShare("2026-W50", 0, 0),
    WeekShare("2026-W51", 4, 1),
    WeekShare("2026-W52", 3, 2),
]


def chart(weeks: list[WeekShare], team: str = "West") -> bytes:
    return effective_share_chart(team, weeks, "Effective calls", "Effective share", "no calls")


def pixels(png: bytes) -> np.ndarray:
    assert png.startswith(PNG_SIGNATURE)
    return imread(io.BytesIO(png), format="png")


def test_renders_a_png_of_the_expected_size() -> None:
    image = pixels(chart(EIGHT_WEEKS))
    assert image.shape[:2] == (400, 800)  # rows x columns
    assert image[..., :3].std() > 0  # something was drawn, not a blank canvas


def test_weeks_without_calls_still_render() -> None:
    assert pixels(chart([WeekShare(f"2026-W{n:02d}", 0, 0) for n in range(1, 9)])).shape[:2] == (
        400,
        800,
    )
    assert pixels(chart([])).shape[:2] == (400, 800)


def test_caller_text_is_not_mathtext_and_bad_counts_do_not_crash() -> None:
    # An unbalanced "$" would raise in mathtext; more effective calls than calls is clamped.
    png = effective_share_chart("$ales $quad", [WeekShare("odd", 2, 5)], "$", "%", "$")
    assert pixels(png).shape[:2] == (400, 800)


def test_same_input_gives_same_bytes() -> None:
    assert chart(EIGHT_WEEKS) == chart(EIGHT_WEEKS)
    assert chart(EIGHT_WEEKS) != chart(EIGHT_WEEKS, team="East")


def test_eight_weeks_render() -> None:
    # Meant to be fast (tens of ms); no timing assertion, the suite's duration shows it.
    for _ in range(3):
        assert chart(EIGHT_WEEKS).startswith(PNG_SIGNATURE)


def test_renders_from_several_threads_at_once() -> None:
    expected = chart(EIGHT_WEEKS)
    teams = [f"Team {i}" for i in range(12)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda team: chart(EIGHT_WEEKS, team=team), teams))
        again = list(pool.map(lambda _: chart(EIGHT_WEEKS), range(8)))
    assert all(pixels(png).shape[:2] == (400, 800) for png in results)
    assert len(set(results)) == len(teams)
    assert all(png == expected for png in again)

"""The weekly effective-call share chart attached to a manager's digest, rendered as a PNG.

Only matplotlib's object API with the Agg canvas is used (never ``pyplot``): no display, no
global "current figure", nothing a GUI backend could grab. Matplotlib still does not promise
thread safety (fonts and caches are shared), so rendering is serialised by a module lock; a
chart takes tens of milliseconds and digests are sent a few at a time, so nobody waits long.

Every string drawn comes from the caller, already translated; caller text is drawn with
``parse_math=False`` so a ``$`` in a team name is not read as mathtext.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["WeekShare", "effective_share_chart"]

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.0, 100  # 800 x 400 px
BAR_COLOR = "#2E7D5B"
MUTED_COLOR = "#8A8F98"
TEXT_COLOR = "#1D1C1D"
# Head room above 100 % so a full bar's "7/7" label stays inside the axes.
Y_TOP = 112.0

_RENDER_LOCK = threading.Lock()


@dataclass(frozen=True)
class WeekShare:
    week: str  # ISO week label like "2026-W49"
    calls: int  # debriefed calls that week
    effective: int  # of them, effective calls


def _week_tick(week: str) -> str:
    """ "2026-W49" -> "W49"; anything else is shown as given."""
    _, sep, tail = week.rpartition("-")
    return tail if sep and tail[:1] in ("W", "w") else week


def _share(week: WeekShare) -> float | None:
    """Effective share in percent, None for a week without calls (bad counts are clamped)."""
    if week.calls <= 0:
        return None
    return 100.0 * min(max(week.effective, 0), week.calls) / week.calls


def effective_share_chart(
    team: str,
    weeks: Sequence[WeekShare],
    title: str,
    y_label: str,
    no_calls_label: str,
) -> bytes:
    """A bar chart of each week's effective/calls share (0-100 %) as PNG bytes, 800x400 px.

    Bars carry their counts ("3/7") on top; a week with no calls has no bar and
    ``no_calls_label`` written in its slot instead. ``title`` heads the chart and ``team`` is
    shown above it. Same input, same bytes (no timestamp or software version in the file).
    """
    with _RENDER_LOCK:
        return _render(team, list(weeks), title, y_label, no_calls_label)


def _render(
    team: str, weeks: list[WeekShare], title: str, y_label: str, no_calls_label: str
) -> bytes:
    # Imported here: matplotlib takes a fifth of a second to load, and every CLI command and
    # process start would pay it for a chart drawn once a week per manager.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    crowded = len(weeks) > 12
    small = 7 if crowded else 9
    positions = list(range(len(weeks)))
    shares = [_share(w) for w in weeks]

    drawn = [(x, s, w) for x, s, w in zip(positions, shares, weeks, strict=True) if s is not None]
    if drawn:
        ax.bar([x for x, _, _ in drawn], [s for _, s, _ in drawn], width=0.6, color=BAR_COLOR)
    for x, share, week in zip(positions, shares, weeks, strict=True):
        if share is None:
            ax.text(
                x,
                3,
                no_calls_label,
                rotation=90,
                ha="center",
                va="bottom",
                fontsize=small,
                color=MUTED_COLOR,
                fontstyle="italic",
                parse_math=False,
            )
        else:
            ax.text(
                x,
                share + 1.5,
                f"{min(max(week.effective, 0), week.calls)}/{week.calls}",
                ha="center",
                va="bottom",
                fontsize=small,
                color=TEXT_COLOR,
            )

    ax.set_xticks(positions, [_week_tick(w.week) for w in weeks], fontsize=small)
    ax.set_xlim(-0.6, max(len(weeks) - 1, 0) + 0.6)
    ax.set_ylim(0, Y_TOP)
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.set_ylabel(y_label, parse_math=False)
    ax.grid(axis="y", color="#E6E6E6", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold", parse_math=False)
    if team:
        fig.suptitle(team, x=0.01, ha="left", fontsize=10, color=MUTED_COLOR, parse_math=False)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()

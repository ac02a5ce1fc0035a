"""Figures for the page: the visit timeline, a trend's values over time, each hop's attention.

Each function builds a fresh :class:`matplotlib.figure.Figure` without pyplot,
because pyplot keeps global state and the page draws for several sessions at
once in worker threads.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from datetime import datetime

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from clinimem.answer import Answer
from clinimem.memory.entry import MemoryEntry
from clinimem.ui.views import HOP_TOP, Series

# Lanes top to bottom: the visit first, then findings, then what was done.
LANES = (
    "encounter",
    "condition",
    "allergy",
    "observation",
    "report",
    "note",
    "procedure",
    "imaging",
    "immunization",
    "medication",
    "careplan",
    "device",
    "goal",
)
BASE = "#9aa5b1"
CITED = "#d1495b"
VISIT = "#2e86ab"


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time as a naive datetime (matplotlib plots those); None if unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value[:10])
        except ValueError:
            return None
    return parsed.replace(tzinfo=None)


def _date_axis(ax) -> None:  # noqa: ANN001 - a matplotlib Axes
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _margins(
    fig: Figure, left: float, *, right: float = 0.25, top: float = 0.45, bottom: float = 0.5, gap: float = 0.0
) -> None:
    """Margins in inches. Fixed margins, not a constrained layout: that solver was a third of the draw time."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        hspace=gap,
    )


def _message(text: str, size: tuple[float, float] = (10, 2.2)) -> Figure:
    fig = Figure(figsize=size, dpi=100)
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, color="#555555")
    ax.set_axis_off()
    return fig


def timeline_figure(entries: Sequence[MemoryEntry], cited_ids: Sequence[str] = ()) -> Figure:
    """Every dated entry as a dot in its kind's lane, visits as faint lines, cited entries in red."""
    cited = set(cited_ids)
    dated = [(e, parse_time(e.time)) for e in entries if e.kind in LANES]
    points = [(e, t) for e, t in dated if t is not None]
    if not points:
        return _message("No dated entries in this patient's memory.")
    lanes = [k for k in LANES if any(e.kind == k for e, _ in points)]
    row = {kind: i for i, kind in enumerate(reversed(lanes))}
    fig = Figure(figsize=(10, 0.42 * len(lanes) + 1.2), dpi=100)
    _margins(fig, left=1.05)
    ax = fig.add_subplot()
    visit_times = [when for entry, when in points if entry.kind == "encounter"]
    if visit_times:
        # One collection, not a line per visit: a long record has hundreds of visits.
        ax.vlines(visit_times, -0.7, len(lanes) - 0.3, color=VISIT, alpha=0.15, linewidth=1, zorder=0)
    plain = [(t, row[e.kind]) for e, t in points if e.entry_id not in cited]
    if plain:
        ax.scatter(*zip(*plain, strict=True), s=22, color=BASE, alpha=0.6, zorder=2, label="entry")
    marked = [(t, row[e.kind]) for e, t in points if e.entry_id in cited]
    if marked:
        ax.scatter(
            *zip(*marked, strict=True),
            s=90,
            color=CITED,
            edgecolor="black",
            linewidth=0.6,
            zorder=3,
            label="cited by the answer",
        )
    ax.set_yticks(range(len(lanes)), list(reversed(lanes)))
    ax.set_ylim(-0.7, len(lanes) - 0.3)
    _date_axis(ax)
    ax.grid(axis="y", color="#eeeeee")
    title = f"{len(visit_times)} visits, {len(points)} dated entries"
    if cited:
        title += f"; {len(marked)} cited"
        # Above the plot, right-aligned: inside it would cover the top lane.
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, fontsize=8, frameon=False)
    ax.set_title(title, fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def trend_figure(series: Sequence[Series]) -> Figure:
    """Each cited quantity's values over time; the points the answer read are red."""
    shown = [s for s in series if s.values][:3]
    if not shown:
        return _message("No numeric values were cited, so there is no trend to draw.")
    fig = Figure(figsize=(10, 2.6 * len(shown) + 0.4), dpi=100)
    _margins(fig, left=0.9, top=0.35, bottom=0.45, gap=0.5)
    axes = fig.subplots(len(shown), 1, squeeze=False)[:, 0]
    for ax, s in zip(axes, shown, strict=True):
        times = [parse_time(t) for t in s.times]
        pairs = [(t, v, c) for t, v, c in zip(times, s.values, s.cited, strict=True) if t is not None]
        ax.plot([p[0] for p in pairs], [p[1] for p in pairs], color=BASE, marker="o", markersize=4, zorder=1)
        red = [(t, v) for t, v, c in pairs if c]
        if red:
            ax.scatter(*zip(*red, strict=True), s=70, color=CITED, edgecolor="black", linewidth=0.6, zorder=2)
        ax.set_title(s.label, fontsize=10, loc="left")
        if s.unit:
            ax.set_ylabel(s.unit)
        _date_axis(ax)
        ax.grid(color="#eeeeee")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig


def hops_figure(answer: Answer, entries: Mapping[str, MemoryEntry], top: int = HOP_TOP) -> Figure:
    """One bar chart per hop, stacked: the entries it read most strongly; cited entries in red."""
    hops = [h for h in answer.hops if h.attended][:4]
    if not hops:
        return _message("This answer has no hop trace (the system reads the memory in one step).")
    cited = {c.entry_id for c in answer.citations}
    fig = Figure(figsize=(8, (0.26 * top + 0.75) * len(hops) + 0.3), dpi=100)
    _margins(fig, left=3.6, top=0.35, bottom=0.5, gap=0.55)
    axes = fig.subplots(len(hops), 1, squeeze=False)[:, 0]
    for ax, hop in zip(axes, hops, strict=True):
        ranked = sorted(hop.attended, key=lambda item: -item[1])[:top]
        labels = []
        for entry_id, _ in ranked:
            entry = entries.get(entry_id)
            text = f"{entry.date or ''} {entry.text}" if entry else entry_id[:8]
            labels.append(textwrap.shorten(text, width=58, placeholder="…"))
        weights = [w for _, w in ranked]
        colors = [CITED if e in cited else BASE for e, _ in ranked]
        ax.barh(range(len(ranked)), weights, color=colors)
        ax.set_yticks(range(len(ranked)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, max(max(weights, default=0) * 1.1, 0.05))
        ax.set_title(f"hop {hop.hop}: red = cited by the answer", fontsize=9, loc="left")
        ax.tick_params(axis="x", labelsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[-1].set_xlabel("attention weight", fontsize=8)
    return fig

"""What the page draws, as data the browser draws: the timeline, a trend's values, each hop's reads.

The server only shapes data (plain functions, no gradio, no matplotlib): an
answer's text reaches the page without waiting for a figure to be rendered and
encoded, and a chart of many points costs the server a JSON dump. The timeline
is a small SVG chart drawn by :data:`TIMELINE_JS` in the browser (hover shows the
entry, a click opens its card, a drag zooms to a period); the trend is a table
for Gradio's native scatter plot; the hop view is HTML whose labels wrap.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pandas as pd

from clinimem.answer import Answer
from clinimem.memory.entry import MemoryEntry
from clinimem.ui.views import HOP_TOP, Series, format_value

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
# One line, shown wherever a weight is: a citation weight and a hop's attention answer different questions.
WEIGHT_NOTE = (
    "**Weight**: how strongly the answer leans on this entry (the controller's evidence score for it, "
    "0 to 1, each entry scored on its own). It can differ from the *attention* in \u201cAttention by hop\u201d: "
    "each hop shares one unit of attention among all of the patient's entries to decide what to read "
    "next, so an entry the answer relies on fully may get little of any one hop's attention."
)
TREND_COLUMNS = ("date", "value", "point", "what")
CITED_POINT, OTHER_POINT = "cited by the answer", "other values"


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime; None if unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value[:10])
        except ValueError:
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _label(entry: MemoryEntry) -> str:
    value = format_value(entry.value, entry.unit) if entry.kind != "patient" else ""
    text = entry.text if not value or value in entry.text else f"{entry.text}: {value}"
    return f"{entry.date or ''} · {entry.kind} · {text}"[:160]


def timeline_data(entries: Sequence[MemoryEntry], cited_ids: Sequence[str] = ()) -> dict:
    """The chart's data: its lanes and, per dated entry, [epoch ms, lane, cited, entry id, label]."""
    cited = set(cited_ids)
    points = [(e, parse_time(e.time)) for e in entries if e.kind in LANES]
    dated = [(e, t) for e, t in points if t is not None]
    lanes = [k for k in LANES if any(e.kind == k for e, _ in dated)]
    lane = {kind: i for i, kind in enumerate(lanes)}
    return {
        "lanes": lanes,
        "points": [
            [int(t.timestamp() * 1000), lane[e.kind], int(e.entry_id in cited), e.entry_id, _label(e)]
            for e, t in dated
        ],
        "visits": sum(1 for e, _ in dated if e.kind == "encounter"),
        "cited": sum(1 for e, _ in dated if e.entry_id in cited),
    }


def timeline_html(entries: Sequence[MemoryEntry], cited_ids: Sequence[str] = ()) -> str:
    """The timeline for :data:`TIMELINE_JS` to draw: its data in an attribute (escaped: labels are record text)."""
    data = timeline_data(entries, cited_ids)
    if not data["points"]:
        return '<p class="cm-empty">No dated entries in this patient\'s memory.</p>'
    payload = html.escape(json.dumps(data, separators=(",", ":")), quote=True)
    return f'<div class="cm-tl" data-chart="{payload}"></div>'


# Draws the chart the server sent (re-drawn when it sends another): the points in their kind's
# lanes; hovering shows the entry, a click asks the server for its card (the `select` event), a
# drag over the chart zooms to that period, the buttons pick a period and "All" or a double click
# zooms back out. Record text is only ever put into the page as text (textContent), never as HTML.
TIMELINE_JS = r"""
const NS = 'http://www.w3.org/2000/svg';
const DAY = 86400000;
const svgEl = (name, attrs) => {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
};
const ticks = (lo, hi) => {
  const span = hi - lo, out = [];
  const start = new Date(lo);
  if (span > 3 * 365 * DAY) {
    const step = Math.max(1, Math.ceil(span / 365 / DAY / 10));
    for (let y = start.getUTCFullYear(); ; y += step) {
      const t = Date.UTC(y, 0, 1);
      if (t > hi) break;
      if (t >= lo) out.push([t, String(y)]);
    }
  } else {
    const months = span / 30 / DAY, step = months > 24 ? 3 : months > 8 ? 2 : 1;
    for (let y = start.getUTCFullYear(), m = start.getUTCMonth(); ; m += step) {
      const t = Date.UTC(y, m, 1);
      if (t > hi) break;
      const d = new Date(t);
      if (t >= lo) out.push([t, d.toISOString().slice(0, 7)]);
    }
  }
  return out;
};
const draw = () => {
  const host = element.querySelector('.cm-tl');
  if (!host) return;
  const data = JSON.parse(host.dataset.chart);
  const pts = data.points;
  const times = pts.map(p => p[0]);
  const first = Math.min(...times), last = Math.max(...times);
  const pad = Math.max((last - first) * 0.02, 15 * DAY);
  const full = [first - pad, last + pad];
  if (host.dataset.key !== host.dataset.chart) { host._view = full; host.dataset.key = host.dataset.chart; }
  const view = host._view || full;
  host.replaceChildren();
  const bar = document.createElement('div');
  bar.className = 'cm-tl-bar';
  const info = document.createElement('span');
  const shown = pts.filter(p => p[0] >= view[0] && p[0] <= view[1]).length;
  info.textContent = `${data.visits} visits, ${pts.length} dated entries` +
    (data.cited ? `; ${data.cited} cited (red)` : '') +
    (shown < pts.length ? ` · showing ${new Date(view[0]).toISOString().slice(0, 10)} to ` +
      `${new Date(view[1]).toISOString().slice(0, 10)} (${shown})` : '') +
    ' · drag to zoom to a period, click a point to open it';
  bar.append(info);
  const button = (label, range) => {
    const b = document.createElement('button');
    b.type = 'button'; b.textContent = label; b.className = 'cm-tl-zoom';
    b.addEventListener('click', () => { host._view = range(); draw(); });
    bar.append(b);
  };
  button('Last year', () => [last - 365 * DAY, last + pad]);
  button('Last 5 years', () => [last - 5 * 365 * DAY, last + pad]);
  if (data.cited) {
    const cited = pts.filter(p => p[2]).map(p => p[0]);
    button('Cited', () => {
      const lo = Math.min(...cited), hi = Math.max(...cited), m = Math.max((hi - lo) * 0.1, 60 * DAY);
      return [lo - m, hi + m];
    });
  }
  button('All', () => full);
  host.append(bar);

  const left = 100, right = 16, top = 8, laneH = 26;
  const width = Math.max(host.clientWidth || 900, 400);
  const height = top + laneH * data.lanes.length + 28;
  const plotW = width - left - right;
  const x = t => left + (t - view[0]) / (view[1] - view[0]) * plotW;
  const y = lane => top + laneH * lane + laneH / 2;
  const svg = svgEl('svg', {width, height, class: 'cm-tl-svg', role: 'img'});
  data.lanes.forEach((name, i) => {
    svg.append(svgEl('line', {x1: left, x2: width - right, y1: y(i), y2: y(i), class: 'cm-tl-lane'}));
    const label = svgEl('text', {x: left - 8, y: y(i) + 4, 'text-anchor': 'end', class: 'cm-tl-lanelabel'});
    label.textContent = name;
    svg.append(label);
  });
  const axisY = top + laneH * data.lanes.length + 4;
  for (const [t, text] of ticks(view[0], view[1])) {
    svg.append(svgEl('line', {x1: x(t), x2: x(t), y1: top, y2: axisY, class: 'cm-tl-grid'}));
    const label = svgEl('text', {x: x(t), y: axisY + 14, 'text-anchor': 'middle', class: 'cm-tl-tick'});
    label.textContent = text;
    svg.append(label);
  }
  const tip = document.createElement('div');
  tip.className = 'cm-tl-tip';
  const order = pts.map((p, i) => i).sort((a, b) => pts[a][2] - pts[b][2]);  // cited ones on top
  for (const i of order) {
    const p = pts[i];
    if (p[0] < view[0] || p[0] > view[1]) continue;
    const dot = svgEl('circle', {
      cx: x(p[0]), cy: y(p[1]), r: p[2] ? 6 : 4,
      class: 'cm-tl-point' + (p[2] ? ' cm-tl-cited' : '') + (host._picked === p[3] ? ' cm-tl-picked' : ''),
      'data-entry': p[3], tabindex: 0,
    });
    const title = svgEl('title');
    title.textContent = p[4];
    dot.append(title);
    dot.addEventListener('mouseenter', () => {
      tip.textContent = p[4];
      tip.style.left = `${Math.min(x(p[0]) + 10, width - 320)}px`;
      tip.style.top = `${y(p[1]) + 40}px`;
      tip.style.display = 'block';
    });
    dot.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
    const open = () => { host._picked = p[3]; trigger('select', {entry_id: p[3]}); draw(); };
    dot.addEventListener('click', (ev) => { ev.stopPropagation(); open(); });
    dot.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') open(); });
    svg.append(dot);
  }
  // Drag over the chart: zoom to the period dragged over.
  let from = null, box = null;
  const at = ev => ev.clientX - svg.getBoundingClientRect().left;
  svg.addEventListener('mousedown', ev => {
    if (ev.target.classList.contains('cm-tl-point')) return;
    from = Math.max(left, Math.min(at(ev), width - right));
    box = svgEl('rect', {x: from, y: top, width: 0, height: laneH * data.lanes.length, class: 'cm-tl-brush'});
    svg.append(box);
    ev.preventDefault();
  });
  svg.addEventListener('mousemove', ev => {
    if (from === null) return;
    const to = Math.max(left, Math.min(at(ev), width - right));
    box.setAttribute('x', Math.min(from, to));
    box.setAttribute('width', Math.abs(to - from));
  });
  const release = ev => {
    if (from === null) return;
    const to = Math.max(left, Math.min(at(ev), width - right));
    const [a, b] = [Math.min(from, to), Math.max(from, to)];
    from = null;
    if (b - a < 6) { box.remove(); return; }
    const t = px => view[0] + (px - left) / plotW * (view[1] - view[0]);
    host._view = [t(a), t(b)];
    draw();
  };
  svg.addEventListener('mouseup', release);
  svg.addEventListener('mouseleave', release);
  svg.addEventListener('dblclick', () => { host._view = full; draw(); });
  const frame = document.createElement('div');
  frame.className = 'cm-tl-frame';
  frame.append(svg, tip);
  host.append(frame);
};
draw();
watch('value', draw);
"""

TIMELINE_CSS = """
.cm-tl-bar { display: flex; flex-wrap: wrap; gap: 0.4em; align-items: center; font-size: 0.85em; margin-bottom: 0.3em; }
.cm-tl-bar span { flex: 1 1 auto; color: var(--body-text-color-subdued); }
#timeline button.cm-tl-zoom { font-size: 12px; font-weight: normal; line-height: 1.4; border: 1px solid var(--border-color-primary);
  border-radius: 4px; padding: 1px 8px; margin: 0; background: var(--background-fill-secondary); cursor: pointer; }
.cm-tl-frame { position: relative; }
.cm-tl-svg { display: block; user-select: none; cursor: crosshair; }
.cm-tl-lane { stroke: #eeeeee; }
.cm-tl-grid { stroke: #f3f3f3; }
.cm-tl-lanelabel, .cm-tl-tick { font-size: 11px; fill: var(--body-text-color); }
.cm-tl-point { fill: #9aa5b1; fill-opacity: 0.7; cursor: pointer; }
.cm-tl-point:hover { stroke: #1f2328; stroke-width: 1.5; }
.cm-tl-cited { fill: #d1495b; fill-opacity: 1; stroke: #1f2328; stroke-width: 0.8; }
.cm-tl-picked { stroke: #2e86ab; stroke-width: 3; }
.cm-tl-brush { fill: #2e86ab; fill-opacity: 0.15; }
.cm-tl-tip { display: none; position: absolute; max-width: 320px; padding: 0.3em 0.5em; font-size: 0.85em;
  background: #1f2328; color: #ffffff; border-radius: 4px; pointer-events: none; z-index: 5; }
"""


def trend_frame(series: Sequence[Series]) -> pd.DataFrame:
    """The first cited quantity's values over time for the native scatter plot; ``point`` marks the cited ones."""
    shown = next((s for s in series if s.values), None)
    rows = []
    if shown is not None:
        what = f"{shown.label} ({shown.unit})" if shown.unit else shown.label
        for time, value, cited in zip(shown.times, shown.values, shown.cited, strict=True):
            when = parse_time(time)
            if when is not None:
                rows.append((when.replace(tzinfo=None), value, CITED_POINT if cited else OTHER_POINT, what))
    return pd.DataFrame(rows, columns=list(TREND_COLUMNS))


def trend_limits(frame: pd.DataFrame) -> tuple[list[float] | None, list[float] | None]:
    """Axis limits with room around the points (epoch seconds, values): tight ones hide points in the axes."""
    if frame.empty:
        return None, None
    times = [t.replace(tzinfo=UTC).timestamp() for t in frame["date"]]
    lo, hi = min(times), max(times)
    pad_t = max((hi - lo) * 0.05, 30 * 86400)
    low, high = float(frame["value"].min()), float(frame["value"].max())
    pad_v = max((high - low) * 0.15, abs(high) * 0.02, 0.5)
    return [lo - pad_t, hi + pad_t], [low - pad_v, high + pad_v]


def trend_title(series: Sequence[Series]) -> str:
    shown = [s for s in series if s.values]
    if not shown:
        return "No numeric values were cited, so there is no trend to draw."
    first = shown[0]
    title = (
        f"{first.label}" + (f" ({first.unit})" if first.unit else "") + ": every value, the cited ones in red"
    )
    if len(shown) > 1:
        title += "; also cited: " + ", ".join(s.label for s in shown[1:])
    return title


def hops_html(answer: Answer, entries: Mapping[str, MemoryEntry], top: int = HOP_TOP) -> str:
    """Per hop, the entries it read most strongly as labelled bars; the whole label shown, wrapped."""
    hops = [h for h in answer.hops if h.attended]
    if not hops:
        return (
            '<p class="cm-empty">This answer has no hop trace (the system reads the memory in one step).</p>'
        )
    cited = {c.entry_id for c in answer.citations}
    parts = []
    for hop in hops:
        ranked = sorted(hop.attended, key=lambda item: -item[1])[:top]
        scale = max((w for _, w in ranked), default=0.0) or 1.0
        rows = []
        for entry_id, weight in ranked:
            entry = entries.get(entry_id)
            text = f"{entry.date or ''} · {entry.kind} · {entry.text}" if entry else f"(entry {entry_id[:8]})"
            mark = " cm-hop-cited" if entry_id in cited else ""
            rows.append(
                f'<div class="cm-hop-row{mark}"><span class="cm-hop-label">{html.escape(text)}</span>'
                f'<span class="cm-hop-bar"><span style="width:{100 * weight / scale:.1f}%"></span></span>'
                f'<span class="cm-hop-weight">{weight:.3f}</span></div>'
            )
        parts.append(f'<div class="cm-hop"><h4>Hop {hop.hop}</h4>{"".join(rows)}</div>')
    legend = (
        '<p class="cm-note">Red: cited by the answer. The bars are each hop\'s attention: one unit shared '
        "among all entries, so it is not the citation weight.</p>"
    )
    return legend + "".join(parts)


HOPS_CSS = """
#hops .cm-hop h4 { margin: 0.6em 0 0.2em; }
#hops .cm-hop-row { display: grid; grid-template-columns: minmax(0, 1fr) 160px 4em; gap: 0.5em; align-items: center;
  font-size: 0.85em; padding: 0.1em 0; border-bottom: 1px solid var(--border-color-primary); }
#hops .cm-hop-label { white-space: normal; overflow-wrap: anywhere; }
#hops .cm-hop-bar { background: #f0f0f0; height: 0.8em; border-radius: 2px; }
#hops .cm-hop-bar span { display: block; height: 100%; background: #9aa5b1; border-radius: 2px; }
#hops .cm-hop-cited .cm-hop-bar span { background: #d1495b; }
#hops .cm-hop-cited .cm-hop-label { font-weight: bold; }
#hops .cm-hop-weight { text-align: right; font-variant-numeric: tabular-nums; }
"""

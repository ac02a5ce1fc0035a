"""What each op computes from its target entries: the one definition of the gold answers.

The generator picks a template's target entries (the last hop of the
evidence) and calls :func:`compute`; the oracle baseline calls the same
function on the gold evidence, so it is the executor's upper bound.

Rules (documented in the package docstring too):

- time is compared by calendar day (``YYYY-MM-DD``): "before D" is a day
  < D, "after D" a day > D, "since D" a day >= D;
- trend: over the window's values in time order, relative change
  ``(last - first) / |first|`` > +5% is ``increasing``, < -5% ``decreasing``,
  else ``stable`` (absolute change against 0.05 when ``first`` is 0);
- compare: is the latest value strictly higher than the one before it;
- count: distinct resources; list: distinct displays, sorted case-insensitively.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clinimem.controller.executor import TREND_THRESHOLD  # noqa: F401 - re-exported for the docs and tests
from clinimem.controller.executor import trend_label as executor_trend_label
from clinimem.memory.entry import MemoryEntry
from clinimem_eval.questions.facts import is_current, is_number, is_resolved
from clinimem_eval.questions.names import SYSTOLIC


def trend_label(values: Sequence[float]) -> str:
    """``increasing``/``decreasing``/``stable`` by the relative change of last vs first.

    The controller's executor applies the very same rule (one definition, in the core).
    """
    label = executor_trend_label([float(v) for v in values])
    if label is None:
        raise ValueError("a trend needs at least two values")
    return label


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def distinct_displays(entries: Sequence[MemoryEntry]) -> list[str]:
    seen: dict[str, str] = {}
    for entry in entries:
        display = entry.display or entry.text
        seen.setdefault(display.lower(), display)
    return sorted(seen.values(), key=str.lower)


def _by_time(entries: Sequence[MemoryEntry]) -> list[MemoryEntry]:
    return sorted(entries, key=lambda e: (e.time or "", e.resource, e.path))


def _pick(op: str, entries: Sequence[MemoryEntry]) -> MemoryEntry:
    ordered = _by_time(entries)
    # first/after read the earliest; last/before (and a single lookup) the latest
    return ordered[0] if op in ("first", "after") else ordered[-1]


def note_says(mentions: Sequence[MemoryEntry], params: dict[str, Any]) -> bool:
    """A note question (:mod:`.notes`): family history is any family mention; anything else needs a
    mention of the patient's own that is affirmed (no flag but "historical"). Denied, hypothetical,
    uncertain and family-only mentions say no; no mention at all says no."""
    if params.get("basis") in ("family", "no-family-mention"):
        return any("family" in m.flags for m in mentions)
    return any(set(m.flags) <= {"historical"} for m in mentions)


def compute(op: str, kind: str, targets: Sequence[MemoryEntry], params: dict[str, Any]) -> dict[str, Any]:
    """The gold answer ``{"kind", "value", ("unit")}`` of ``op`` over ``targets``."""
    if kind == "none" or op == "abstain":
        return {"kind": "none", "value": None}
    if kind == "boolean" and params.get("check") == "note":
        return {"kind": "boolean", "value": note_says(targets, params)}
    if not targets:
        raise ValueError(f"op {op} ({kind}) needs target entries")
    if kind == "value":
        entry = _pick(op, [t for t in targets if is_number(t.value)])
        return {"kind": "value", "value": float(entry.value), "unit": entry.unit}  # type: ignore[arg-type]
    if kind == "text":
        # a blood pressure panel: its components' values, systolic first ("137/91") whatever
        # the component order (Synthea writes diastolic first)
        parts = sorted(
            (t for t in targets if t.path != "$" and is_number(t.value)),
            key=lambda t: (t.code != SYSTOLIC, t.path),
        )
        unit = parts[0].unit if parts else None
        return {"kind": "text", "value": "/".join(number_text(float(p.value)) for p in parts), "unit": unit}  # type: ignore[arg-type]
    if kind == "date":
        return {"kind": "date", "value": _pick(op, targets).date}
    if kind == "list":
        return {"kind": "list", "value": distinct_displays(targets)}
    if kind == "count":
        return {"kind": "count", "value": len({t.resource for t in targets})}
    if kind == "trend":
        values = [float(t.value) for t in _by_time(targets) if is_number(t.value)]  # type: ignore[arg-type]
        return {"kind": "trend", "value": trend_label(values)}
    if kind == "boolean":
        if op == "compare":
            ordered = [t for t in _by_time(targets) if is_number(t.value)]
            return {"kind": "boolean", "value": float(ordered[-1].value) > float(ordered[-2].value)}  # type: ignore[arg-type]
        check = params.get("check")
        if check == "current":
            return {"kind": "boolean", "value": any(is_current(t) for t in targets)}
        if check == "resolved":
            return {"kind": "boolean", "value": is_resolved(_by_time(targets)[-1])}
        raise ValueError(f"boolean op {op} needs params.check")
    raise ValueError(f"unknown answer kind {kind!r}")

"""A cited entry as a card a clinician reads: what, when, value with unit and range, status, visit, who.

Plain functions (no gradio). The card is built from the stored entry, its
source FHIR resource and the patient's visit entries; every piece of record
text is HTML-escaped. The raw resource stays one click away (the page's
"Source FHIR resource" toggle).

>>> from clinimem.memory.entry import MemoryEntry
>>> e = MemoryEntry("p1", "observation", "Observation/o1", "$", "Body weight 80 kg", "lab: Body weight",
...                 time="2020-01-02T10:00:00Z", value=80.0, unit="kg", status="final", display="Body weight")
>>> "80 kg" in card_html(entry_card(e, {"referenceRange": [{"low": {"value": 50, "unit": "kg"}}]}))
True
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clinimem.memory.entry import MemoryEntry
from clinimem.ui.views import format_value

# Where FHIR resources name who recorded, asserted, performed or asked for something.
_WHO_FIELDS = ("performer", "recorder", "asserter", "requester", "author", "practitioner", "participant")


@dataclass(frozen=True)
class Card:
    """What the card shows, each field already in words (None: the record does not say)."""

    title: str
    kind: str
    code: str | None
    when: str | None
    value: str | None
    reference_range: str | None
    interpretation: str | None
    status: str | None
    visit: str | None
    who: str | None
    source: str
    flags: tuple[str, ...]
    weight: float | None


def _component(resource: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """The part of the resource an entry path points at (``$.component[1]``); the resource for ``$``."""
    if path.startswith("$.component[") and path.endswith("]"):
        try:
            return resource.get("component", [])[int(path[len("$.component[") : -1])]
        except (ValueError, IndexError, TypeError):
            return resource
    return resource


def _quantity(q: Mapping[str, Any] | None) -> str | None:
    if not isinstance(q, Mapping) or q.get("value") is None:
        return None
    return format_value(q.get("value"), q.get("unit") or q.get("code"))


def reference_range(part: Mapping[str, Any]) -> str | None:
    """The first reference range in words: "50 kg to 90 kg", "at least 50 kg", or its text."""
    ranges = part.get("referenceRange") or []
    first = ranges[0] if ranges and isinstance(ranges[0], Mapping) else None
    if first is None:
        return None
    low, high = _quantity(first.get("low")), _quantity(first.get("high"))
    if low and high:
        text = f"{low} to {high}"
    elif low:
        text = f"at least {low}"
    elif high:
        text = f"at most {high}"
    else:
        text = None
    return first.get("text") or text


def _concept_text(concept: Any) -> str | None:
    if isinstance(concept, list):
        concept = concept[0] if concept else None
    if not isinstance(concept, Mapping):
        return None
    codings = concept.get("coding") or [{}]
    return concept.get("text") or codings[0].get("display") or codings[0].get("code")


def _names(value: Any) -> list[str]:
    """Display names of references (a reference, a list of them, or participants holding them)."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        ref = item.get("individual") or item.get("actor") or item
        if isinstance(ref, Mapping) and (ref.get("display") or ref.get("reference")):
            names.append(str(ref.get("display") or ref.get("reference")))
    return names


def who(resource: Mapping[str, Any]) -> str | None:
    """Who recorded or performed it, and the system it came from (``meta.source``), in one line."""
    names = [n for field in _WHO_FIELDS for n in _names(resource.get(field))]
    source = (resource.get("meta") or {}).get("source")
    parts = list(dict.fromkeys(names))
    if source:
        parts.append(f"from {source}")
    return "; ".join(parts) or None


def _when(entry: MemoryEntry) -> str | None:
    if not entry.time:
        return None
    start = entry.time.replace("T", " ")[:16]
    return f"{start} to {entry.end_time.replace('T', ' ')[:16]}" if entry.end_time else start


def visit_text(entry: MemoryEntry, visits: Mapping[str, MemoryEntry]) -> str | None:
    """The visit an entry belongs to: its number, date and what kind of visit it was."""
    if not entry.encounter:
        return None
    visit = visits.get(entry.encounter)
    parts = [f"visit {entry.visit}" if entry.visit else "a visit"]
    if visit is not None:
        parts.append(f"on {visit.date}" if visit.date else "")
        parts.append(f"({visit.display or visit.text})")
    return " ".join(p for p in parts if p)


def entry_card(
    entry: MemoryEntry,
    resource: Mapping[str, Any] | None,
    visits: Mapping[str, MemoryEntry] | None = None,
    weight: float | None = None,
) -> Card:
    """The card's fields, from the entry first and its source resource for what the entry does not keep."""
    resource = resource or {}
    part = _component(resource, entry.path)
    code = (
        f"{entry.code_system.rsplit('/', 1)[-1]} {entry.code}"
        if entry.code and entry.code_system
        else entry.code
    )
    status = entry.status or resource.get("status")
    verification = _concept_text(resource.get("verificationStatus"))
    return Card(
        title=entry.display or entry.text,
        kind=entry.kind,
        code=code,
        when=_when(entry),
        value=format_value(entry.value, entry.unit) or None if entry.kind != "patient" else None,
        reference_range=reference_range(part),
        interpretation=_concept_text(part.get("interpretation")),
        status=f"{status} ({verification})" if status and verification else status or verification,
        visit=visit_text(entry, visits or {}),
        who=who(resource),
        source=f"{entry.resource} · {entry.path}",
        flags=entry.flags,
        weight=weight,
    )


def card_html(card: Card) -> str:
    """The card as HTML; empty fields are left out, so what shows is what the record says."""
    esc = html.escape
    rows = [
        ("When", card.when),
        ("Value", card.value),
        ("Reference range", card.reference_range),
        ("Interpretation", card.interpretation),
        ("Status", card.status),
        ("Visit", card.visit),
        ("Recorded by", card.who),
        ("Code", card.code),
        ("Note flags", ", ".join(card.flags) if card.flags else None),
        (
            "Weight",
            f"{card.weight:.3f}: how strongly the answer leans on this entry"
            if card.weight is not None
            else None,
        ),
        ("Source", card.source),
    ]
    body = "".join(
        f'<div class="cm-card-row"><dt>{esc(label)}</dt><dd>{esc(str(value))}</dd></div>'
        for label, value in rows
        if value
    )
    return (
        f'<div class="cm-card"><div class="cm-card-kind">{esc(card.kind)}</div>'
        f'<h3 class="cm-card-title">{esc(card.title)}</h3><dl>{body}</dl></div>'
    )


def visits_by_resource(entries: Sequence[MemoryEntry]) -> dict[str, MemoryEntry]:
    """The patient's visit entries by their resource (``Encounter/abc``), for :func:`visit_text`."""
    return {e.resource: e for e in entries if e.kind == "encounter" and e.path == "$"}


CARD_CSS = """
#card .cm-card { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 0.6em 0.8em; }
#card .cm-card-kind { text-transform: uppercase; font-size: 0.75em; letter-spacing: 0.05em; color: var(--body-text-color-subdued); }
#card .cm-card-title { margin: 0.1em 0 0.5em; }
#card dl { margin: 0; }
#card .cm-card-row { display: grid; grid-template-columns: 9em 1fr; gap: 0.5em; padding: 0.15em 0; }
#card dt { color: var(--body-text-color-subdued); }
#card dd { margin: 0; overflow-wrap: anywhere; }
"""

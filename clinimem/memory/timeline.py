"""A patient's memory in time order, grouped by visit."""

from __future__ import annotations

from dataclasses import dataclass, replace

from clinimem.memory.entry import MemoryEntry

# Within one instant the visit comes first, then what was found, then what was done.
_KIND_ORDER = {
    "patient": 0,
    "encounter": 1,
    "condition": 2,
    "allergy": 3,
    "observation": 4,
    "report": 5,
    "note": 6,
    "procedure": 7,
    "immunization": 8,
    "medication": 9,
    "careplan": 10,
    "goal": 11,
    "imaging": 12,
    "device": 13,
}


@dataclass(frozen=True)
class Visit:
    """One encounter and the entries tied to it (``ordinal`` 0 holds entries with no visit)."""

    ordinal: int
    encounter: str | None
    start: str | None
    entries: tuple[MemoryEntry, ...]


def sort_key(entry: MemoryEntry) -> tuple[str, int, str, str]:
    return (entry.time or "", _KIND_ORDER.get(entry.kind, 99), entry.resource, entry.path)


def visit_ordinals(entries: list[MemoryEntry]) -> dict[str, int]:
    """Encounter reference -> its 1-based ordinal in the patient's timeline (of the encounters given)."""
    encounters = sorted((e for e in entries if e.kind == "encounter"), key=sort_key)
    return {e.resource: i for i, e in enumerate(encounters, start=1)}


def order_entries(entries: list[MemoryEntry]) -> list[MemoryEntry]:
    """Entries in time order, each with ``visit`` set to its encounter's ordinal.

    Ordinals are computed here, at read time, from the encounters the memory
    holds now, so they stay right when visits are loaded out of order.
    """
    ordinal = visit_ordinals(entries)
    ordered = []
    for entry in sorted(entries, key=sort_key):
        visit = ordinal.get(entry.encounter) if entry.encounter else None
        ordered.append(entry if entry.visit == visit else replace(entry, visit=visit))
    return ordered


def group_by_visit(entries: list[MemoryEntry]) -> list[Visit]:
    """Visits in time order; entries without a visit come first under ordinal 0."""
    ordered = order_entries(entries)
    by_visit: dict[int, list[MemoryEntry]] = {}
    for entry in ordered:
        by_visit.setdefault(entry.visit or 0, []).append(entry)
    visits = []
    for ordinal in sorted(by_visit):
        items = by_visit[ordinal]
        encounter = next((e for e in items if e.kind == "encounter"), None)
        visits.append(
            Visit(
                ordinal=ordinal,
                encounter=encounter.resource if encounter else None,
                start=encounter.time if encounter else None,
                entries=tuple(items),
            )
        )
    return visits

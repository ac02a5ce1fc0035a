"""A patient's memory entries, read straight from a bundle, indexed for question templates.

The entries are made exactly as the ingest makes them (``iter_payload`` then
``map_resource``), with ``entered-in-error`` resources left out as the store
leaves them out, and ordered with visit ordinals as the store orders them. So
every gold entry id names an entry that a loaded store holds, and no store is
needed to write questions.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from clinimem.fhir.resource import Reject
from clinimem.fhir.validate import iter_payload
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers import map_resource
from clinimem.memory.timeline import order_entries
from clinimem_eval.questions.names import BP_PANELS, DIASTOLIC, SPOKEN, SYSTOLIC, clean_display

# Statuses that mean "this is not a result": never counted, never asked about.
_NOT_A_RESULT = frozenset({"entered-in-error", "cancelled"})
_RESOLVED = frozenset({"resolved", "inactive", "remission"})


def bundle_entries(bundle: dict[str, Any], source: str = "bundle") -> dict[str, list[MemoryEntry]]:
    """Patient id -> that patient's entries in time order, as a store would hold them."""
    by_patient: dict[str, list[MemoryEntry]] = defaultdict(list)
    for item in iter_payload(bundle, source):
        if isinstance(item, Reject):
            continue
        mapped = map_resource(item)
        if isinstance(mapped, Reject) or mapped.removed:
            continue
        for entry in mapped.entries:
            by_patient[entry.patient_id].append(entry)
    return {pid: order_entries(entries) for pid, entries in by_patient.items()}


def read_bundle(path: str | Path) -> dict[str, list[MemoryEntry]]:
    with Path(path).open(encoding="utf-8") as handle:
        return bundle_entries(json.load(handle), str(path))


def is_current(entry: MemoryEntry) -> bool:
    """A medication still taken: active and not ended (Synthea leaves stopped ones without an end)."""
    return entry.status == "active" and entry.end_time is None


def is_resolved(entry: MemoryEntry) -> bool:
    """A problem that is over: resolved/inactive/remission, or with an abatement date."""
    return entry.status in _RESOLVED or entry.end_time is not None


def is_number(value: Any) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Anchor:
    """An event a question can hang on: a drug started or a problem diagnosed (its first entry)."""

    entry: MemoryEntry
    kind: str  # "started" | "diagnosed"
    name: str

    @property
    def date(self) -> str:
        return self.entry.date or ""

    @property
    def clause(self) -> str:
        """ "metformin was started" / "hypertension was diagnosed"."""
        return f"{self.name} was {self.kind}"

    @property
    def noun(self) -> str:
        """ "starting metformin" / "the hypertension diagnosis"."""
        return f"starting {self.name}" if self.kind == "started" else f"the {self.name} diagnosis"

    def params(self) -> dict[str, Any]:
        return {
            "kind": "medication" if self.kind == "started" else "condition",
            "event": self.kind,
            "code": self.entry.code,
            "display": self.entry.display,
            "name": self.name,
            "time": self.entry.time,
            "date": self.date,
            "resource": self.entry.resource,
        }


@dataclass(frozen=True)
class PatientFacts:
    """One patient's entries and the indexes the templates read.

    ``names`` maps a code to the word a clinician uses (from the synthetic
    ground truth when there is one); ``absent`` is the truth's list of
    problems and drugs the record does not support; ``truth`` the whole
    truth document (both None for real records).
    """

    patient_id: str
    entries: tuple[MemoryEntry, ...]
    names: dict[str, str] = field(default_factory=dict)
    absent: dict[str, Any] | None = None
    truth: dict[str, Any] | None = field(default=None, repr=False)

    # -- who ---------------------------------------------------------------------------

    @cached_property
    def sex(self) -> str | None:
        patient = next((e for e in self.entries if e.kind == "patient"), None)
        return str(patient.value) if patient and patient.value else None

    def name(self, entry: MemoryEntry) -> str:
        if entry.code and entry.code in self.names:
            return self.names[entry.code]
        if entry.kind == "observation" and entry.code in SPOKEN:
            return SPOKEN[entry.code]
        return clean_display(entry.display or entry.concept.split(": ", 1)[-1], entry.kind)

    # -- what --------------------------------------------------------------------------

    def of_kind(self, kind: str) -> list[MemoryEntry]:
        return [e for e in self.entries if e.kind == kind and e.time and e.status not in _NOT_A_RESULT]

    @cached_property
    def series(self) -> dict[str, list[MemoryEntry]]:
        """Code -> numeric results of that code in time order (panel components included)."""
        out: dict[str, list[MemoryEntry]] = defaultdict(list)
        for entry in self.of_kind("observation"):
            if entry.code and is_number(entry.value) and entry.code not in BP_PANELS:
                out[entry.code].append(entry)
        return dict(out)

    @cached_property
    def blood_pressures(self) -> list[tuple[MemoryEntry, MemoryEntry, MemoryEntry]]:
        """(panel, systolic, diastolic) entries of every blood pressure panel, in time order."""
        parts: dict[str, dict[str, MemoryEntry]] = defaultdict(dict)
        for entry in self.of_kind("observation"):
            if entry.path == "$" and entry.code in BP_PANELS:
                parts[entry.resource]["panel"] = entry
            elif entry.path != "$" and entry.code in (SYSTOLIC, DIASTOLIC) and is_number(entry.value):
                parts[entry.resource][entry.code] = entry
        return [
            (p["panel"], p[SYSTOLIC], p[DIASTOLIC])
            for p in parts.values()
            if {"panel", SYSTOLIC, DIASTOLIC} <= set(p)
        ]

    def grouped(self, kind: str) -> dict[str, list[MemoryEntry]]:
        """Code -> entries of ``kind`` with that code, in time order."""
        out: dict[str, list[MemoryEntry]] = defaultdict(list)
        for entry in self.of_kind(kind):
            if entry.code:
                out[entry.code].append(entry)
        return dict(out)

    @cached_property
    def conditions(self) -> dict[str, list[MemoryEntry]]:
        return self.grouped("condition")

    @cached_property
    def medications(self) -> dict[str, list[MemoryEntry]]:
        return self.grouped("medication")

    @cached_property
    def encounters(self) -> list[MemoryEntry]:
        return self.of_kind("encounter")

    @cached_property
    def anchors(self) -> list[Anchor]:
        """Every drug's first prescription and every problem's first diagnosis."""
        out = [Anchor(e[0], "started", self.name(e[0])) for e in self.medications.values()]
        out += [Anchor(e[0], "diagnosed", self.name(e[0])) for e in self.conditions.values()]
        return sorted(out, key=lambda a: (a.entry.time or "", a.entry.resource))

    @cached_property
    def words(self) -> str:
        """Every display and text of the record, lower-cased: what 'the record mentions'."""
        return "\n".join(f"{e.display or ''} {e.text}".lower() for e in self.entries)

    @cached_property
    def codes(self) -> frozenset[str]:
        return frozenset(e.code for e in self.entries if e.code)


def names_from_truth(truth: dict[str, Any] | None) -> dict[str, str]:
    """Code -> short name from a synthetic truth file (every coded fact carries ``name``)."""
    names: dict[str, str] = {}
    if not truth:
        return names
    for section in ("observations", "medications", "conditions", "allergies", "immunizations", "procedures"):
        for fact in truth.get(section) or []:
            if fact.get("code") and fact.get("name"):
                names.setdefault(str(fact["code"]), str(fact["name"]))
    return names


def facts_for(
    entries_by_patient: dict[str, list[MemoryEntry]], truths: Iterable[dict[str, Any]] = ()
) -> list[PatientFacts]:
    """One :class:`PatientFacts` per patient, enriched by the truth file of the same patient."""
    truth_by_id = {t["patient_id"]: t for t in truths}
    out = []
    for pid, entries in entries_by_patient.items():
        truth = truth_by_id.get(pid)
        out.append(
            PatientFacts(
                patient_id=pid,
                entries=tuple(entries),
                names=names_from_truth(truth),
                absent=truth.get("absent") if truth else None,
                truth=truth,
            )
        )
    return out

"""The memory entry: one clinical fact, tied to its patient, visit and time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from typing import Any

# Fixed namespace so that ids are the same on every machine and every run.
ENTRY_NAMESPACE = uuid.UUID("6f1c1f0e-3c4b-5d7a-9e2f-0c11d1e5a001")

KINDS = (
    "patient",
    "encounter",
    "condition",
    "observation",
    "medication",
    "procedure",
    "immunization",
    "allergy",
    "report",
    "careplan",
    "goal",
    "imaging",
    "device",
    "note",
)

Value = float | str | bool | None


def entry_id_for(resource: str, path: str) -> str:
    """Deterministic id of the entry read from ``path`` inside ``resource``."""
    return str(uuid.uuid5(ENTRY_NAMESPACE, f"{resource}|{path}"))


@dataclass(frozen=True)
class MemoryEntry:
    """One clinical fact.

    ``concept`` is what gets embedded: the kind of fact without its value and
    date ("lab: Hemoglobin A1c"), so that many entries share one vector and the
    encoder is not on the ingest path. ``text`` is the line shown to a user.
    ``time`` and ``end_time`` are ISO 8601 strings; ``visit`` is the 1-based
    ordinal of the entry's encounter in the patient's timeline, where known.
    """

    patient_id: str
    kind: str
    resource: str  # "Observation/123", exactly as in the source
    path: str  # JSON path inside the resource: "$" or "$.component[1]"
    text: str
    concept: str
    time: str | None = None
    end_time: str | None = None
    encounter: str | None = None  # "Encounter/abc"
    visit: int | None = None
    code_system: str | None = None
    code: str | None = None
    display: str | None = None
    value: Value = None
    unit: str | None = None
    status: str | None = None
    category: str | None = None
    version: str | None = None
    flags: tuple[str, ...] = ()
    span: tuple[int, int] | None = None
    entry_id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.entry_id:
            object.__setattr__(self, "entry_id", entry_id_for(self.resource, self.path))

    @property
    def date(self) -> str | None:
        return self.time[:10] if self.time else None

    def payload(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every field and was a fifth of write time.
        data = {name: getattr(self, name) for name in _FIELDS}
        data["flags"] = list(self.flags)
        data["span"] = list(self.span) if self.span else None
        return data

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> MemoryEntry:
        data: dict[str, Any] = {k: payload.get(k) for k in _FIELDS}
        data["flags"] = tuple(data["flags"] or ())
        span = data["span"]
        data["span"] = tuple(span) if span else None
        if not data["entry_id"]:
            data["entry_id"] = entry_id_for(data["resource"], data["path"])
        # Straight into the instance: a frozen dataclass's __init__ sets each of its 21 fields
        # through object.__setattr__, and a patient's read builds a few hundred entries.
        entry = object.__new__(cls)
        entry.__dict__.update(data)
        return entry


_FIELDS = tuple(f.name for f in fields(MemoryEntry))

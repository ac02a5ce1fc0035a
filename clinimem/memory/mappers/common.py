"""Pieces every mapper uses: codes, references, times, status and removal."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from clinimem.fhir.resource import Reject, SourcedResource
from clinimem.memory.entry import MemoryEntry


@dataclass(frozen=True)
class MappedResource:
    """The memory entries of one resource, ready to be written.

    ``removed`` is set for an ``entered-in-error`` resource: its entries, if
    stored before, are deleted and nothing is written.
    """

    ref: str
    resource_type: str
    patient_id: str
    entries: tuple[MemoryEntry, ...]
    content_hash: str
    last_updated: str | None
    removed: bool = False
    source: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    # ``source`` as canonical JSON text (the text that ``content_hash`` hashes). The store
    # keeps this string rather than the dict: embedded Qdrant round-trips every payload
    # through JSON and pickles it, and a nested resource cost a quarter of the write time.
    source_json: str | None = field(default=None, repr=False, compare=False)

    def __deepcopy__(self, memo: dict[int, Any]) -> MappedResource:
        # Immutable; Haystack deep-copies values passed between components.
        return self


@dataclass(frozen=True)
class ResourceBatch:
    """A batch of validated resources, passed whole into the indexing pipeline.

    Haystack deep-copies a list input element by element (type checks on each,
    ~10 µs a resource, twice per run: 5% of warm ingest); one immutable object
    is passed as is. A plain list is accepted too.
    """

    items: tuple[SourcedResource, ...]
    # Per item, what ``map_resource`` already made of it (in the reader process), or None:
    # the mapper component maps only the items without one.
    mapped: tuple[MappedResource | Reject | None, ...] | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> ResourceBatch:
        return self

    def __iter__(self) -> Iterator[SourcedResource]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class MappedBatch:
    """The mapped resources of one batch, passed whole between pipeline components."""

    items: tuple[MappedResource, ...]

    def __deepcopy__(self, memo: dict[int, Any]) -> MappedBatch:
        # Haystack deep-copies values between components, walking every list and
        # dict; one immutable object keeps that O(1).
        return self

    def concepts(self) -> list[str]:
        return list(dict.fromkeys(e.concept for item in self.items for e in item.entries))


@dataclass(frozen=True)
class ConceptVectors:
    """Concept text -> unit vector, for the concepts of one batch."""

    vectors: dict[str, Any]

    def __deepcopy__(self, memo: dict[int, Any]) -> ConceptVectors:
        return self

    def __getitem__(self, concept: str) -> Any:
        return self.vectors[concept]


def canonical_json(data: dict[str, Any]) -> str:
    """Compact JSON with sorted keys: the same resource gives the same text whatever its key order."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hash_text(raw: str) -> str:
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def content_hash(data: dict[str, Any]) -> str:
    return hash_text(canonical_json(data))


def mapped(resource: SourcedResource, patient_id: str, entries: list[MemoryEntry]) -> MappedResource:
    raw = canonical_json(resource.data)  # serialised once: hashed here, stored as is by the writer
    return MappedResource(
        ref=resource.ref,
        resource_type=resource.resource_type,
        patient_id=patient_id,
        entries=tuple(entries),
        content_hash=hash_text(raw),
        last_updated=(resource.data.get("meta") or {}).get("lastUpdated"),
        removed=is_entered_in_error(resource.data),
        source=resource.data,
        source_json=raw,
    )


def is_entered_in_error(data: dict[str, Any]) -> bool:
    if data.get("status") == "entered-in-error":
        return True
    return concept_code(data.get("verificationStatus")) == "entered-in-error"


def ref_of(value: Any) -> str | None:
    if isinstance(value, dict):
        ref = value.get("reference")
        return ref if isinstance(ref, str) else None
    return None


def patient_of(resource: SourcedResource) -> str | None:
    """The Patient id a resource is about (its own id for a Patient)."""
    if resource.resource_type == "Patient":
        return resource.id
    data = resource.data
    for key in ("subject", "patient", "beneficiary"):
        ref = ref_of(data.get(key))
        if ref and ref.startswith("Patient/"):
            return ref.split("/", 1)[1].split("/_history", 1)[0]
    return None


def encounter_of(data: dict[str, Any]) -> str | None:
    ref = ref_of(data.get("encounter")) or ref_of((data.get("context") or {}).get("encounter"))
    if ref is None and isinstance((data.get("context") or {}).get("encounter"), list):
        encounters = data["context"]["encounter"]
        ref = ref_of(encounters[0]) if encounters else None
    return ref if ref and ref.startswith("Encounter/") else None


def first_coding(concept: Any) -> dict[str, Any]:
    if isinstance(concept, dict):
        codings = concept.get("coding") or []
        if codings:
            return codings[0]
    return {}


def concept_code(concept: Any) -> str | None:
    return first_coding(concept).get("code")


def concept_text(concept: Any, default: str = "") -> str:
    """A human name for a CodeableConcept: text, else the first coding's display or code."""
    if not isinstance(concept, dict):
        return default
    if concept.get("text"):
        return str(concept["text"])
    coding = first_coding(concept)
    return str(coding.get("display") or coding.get("code") or default)


def code_fields(concept: Any) -> dict[str, Any]:
    coding = first_coding(concept)
    return {
        "code_system": coding.get("system"),
        "code": coding.get("code"),
        "display": concept_text(concept) or None,
    }


def period_start(data: dict[str, Any], prefix: str) -> str | None:
    """``{prefix}DateTime`` or ``{prefix}Period.start`` (or ``{prefix}Instant``/``{prefix}String``)."""
    for suffix in ("DateTime", "Instant"):
        if data.get(prefix + suffix):
            return str(data[prefix + suffix])
    period = data.get(prefix + "Period")
    if isinstance(period, dict) and period.get("start"):
        return str(period["start"])
    return None


def period_end(data: dict[str, Any], prefix: str) -> str | None:
    period = data.get(prefix + "Period")
    if isinstance(period, dict) and period.get("end"):
        return str(period["end"])
    return None


def day(time: str | None) -> str:
    return time[:10] if time else "date unknown"


def format_number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:.1f}"

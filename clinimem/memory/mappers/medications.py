"""MedicationRequest / MedicationStatement -> medication entries with start, stop and status."""

from __future__ import annotations

from typing import Any

from clinimem.fhir.resource import SourcedResource
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers.common import (
    code_fields,
    concept_text,
    day,
    encounter_of,
    period_end,
    period_start,
)


def medication_concept(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    concept = data.get("medicationCodeableConcept")
    if concept:
        return concept_text(concept, "Medication"), code_fields(concept)
    reference = data.get("medicationReference") or {}
    name = reference.get("display") or reference.get("reference") or "Medication"
    return str(name), {"code_system": None, "code": None, "display": str(name)}


def reasons(data: dict[str, Any]) -> list[str]:
    named = [concept_text(c) for c in data.get("reasonCode") or [] if concept_text(c)]
    named += [r.get("display") for r in data.get("reasonReference") or [] if r.get("display")]
    return named


def map_medication_request(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name, codes = medication_concept(data)
    start = data.get("authoredOn")
    validity = (data.get("dispenseRequest") or {}).get("validityPeriod") or {}
    end = validity.get("end")
    status = data.get("status")
    text = f"{name}: {status or 'status unknown'}, prescribed {day(start)}"
    if end:
        text += f", until {day(end)}"
    why = reasons(data)
    if why:
        text += f", for {', '.join(why)}"
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="medication",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"medication: {name}",
            time=start,
            end_time=end,
            encounter=encounter_of(data),
            status=status,
            category=data.get("intent"),
            **codes,
        )
    ]


def map_medication_statement(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    """MedicationStatement and MedicationAdministration: taken over ``effective[x]``."""
    data = resource.data
    name, codes = medication_concept(data)
    start = period_start(data, "effective") or data.get("dateAsserted")
    end = period_end(data, "effective")
    status = data.get("status")
    verb = "taken" if resource.resource_type == "MedicationStatement" else "given"
    text = f"{name}: {status or 'status unknown'}, {verb} from {day(start)}"
    if end:
        text += f" to {day(end)}"
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="medication",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"medication: {name}",
            time=start,
            end_time=end,
            encounter=encounter_of(data),
            status=status,
            category=resource.resource_type,
            **codes,
        )
    ]

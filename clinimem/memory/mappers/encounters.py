"""Encounter -> one visit entry; the visit every other entry hangs on."""

from __future__ import annotations

from clinimem.fhir.resource import SourcedResource
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers.common import code_fields, concept_text, day


def map_encounter(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    types = data.get("type") or []
    kind_of_visit = concept_text(types[0], "Encounter") if types else "Encounter"
    visit_class = data.get("class")
    class_code = visit_class.get("code") if isinstance(visit_class, dict) else None
    period = data.get("period") or {}
    reasons = [concept_text(r) for r in data.get("reasonCode") or [] if concept_text(r)]
    text = f"Visit: {kind_of_visit}"
    if class_code:
        text += f" ({class_code})"
    text += f" on {day(period.get('start'))}"
    if reasons:
        text += f", reason: {', '.join(reasons)}"
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="encounter",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"visit: {kind_of_visit}",
            time=period.get("start"),
            end_time=period.get("end"),
            encounter=resource.ref,
            status=data.get("status"),
            category=class_code,
            **code_fields(types[0] if types else None),
        )
    ]

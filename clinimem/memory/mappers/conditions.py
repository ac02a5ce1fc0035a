"""Condition and AllergyIntolerance -> problem entries with onset, abatement and status."""

from __future__ import annotations

from clinimem.fhir.resource import SourcedResource
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers.common import code_fields, concept_code, concept_text, day, encounter_of


def map_condition(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name = concept_text(data.get("code"), "Condition")
    status = concept_code(data.get("clinicalStatus"))
    onset = (
        data.get("onsetDateTime") or (data.get("onsetPeriod") or {}).get("start") or data.get("recordedDate")
    )
    abatement = data.get("abatementDateTime") or (data.get("abatementPeriod") or {}).get("start")
    verification = concept_code(data.get("verificationStatus"))
    text = f"{name}: {status or 'status unknown'}, onset {day(onset)}"
    if abatement:
        text += f", resolved {day(abatement)}"
    if verification and verification not in ("confirmed", "entered-in-error"):
        text += f" ({verification})"
    categories = data.get("category") or []
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="condition",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"condition: {name}",
            time=onset,
            end_time=abatement,
            encounter=encounter_of(data),
            status=status,
            category=concept_code(categories[0]) if categories else None,
            **code_fields(data.get("code")),
        )
    ]


def map_allergy(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name = concept_text(data.get("code"), "Allergy")
    status = concept_code(data.get("clinicalStatus"))
    onset = data.get("onsetDateTime") or data.get("recordedDate")
    reactions = [
        concept_text(m)
        for reaction in data.get("reaction") or []
        for m in reaction.get("manifestation") or []
        if concept_text(m)
    ]
    subject = name if name.lower().startswith("allergy") else f"Allergy to {name}"
    text = f"{subject}: {status or 'status unknown'}, recorded {day(onset)}"
    if data.get("criticality"):
        text += f", criticality {data['criticality']}"
    if reactions:
        text += f", reaction: {', '.join(reactions)}"
    categories = data.get("category") or []
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="allergy",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"allergy: {name}",
            time=onset,
            end_time=data.get("lastOccurrence"),
            encounter=encounter_of(data),
            status=status,
            category=str(categories[0]) if categories else None,
            value=data.get("criticality"),
            **code_fields(data.get("code")),
        )
    ]

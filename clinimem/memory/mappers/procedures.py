"""Procedures, immunizations, care plans, goals, imaging and devices."""

from __future__ import annotations

from clinimem.fhir.resource import SourcedResource
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers.common import (
    code_fields,
    concept_code,
    concept_text,
    day,
    encounter_of,
    period_end,
    period_start,
)


def map_procedure(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name = concept_text(data.get("code"), "Procedure")
    start = period_start(data, "performed")
    reasons = [concept_text(c) for c in data.get("reasonCode") or [] if concept_text(c)]
    text = f"Procedure: {name}, {data.get('status') or 'status unknown'} on {day(start)}"
    if reasons:
        text += f", for {', '.join(reasons)}"
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="procedure",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"procedure: {name}",
            time=start,
            end_time=period_end(data, "performed"),
            encounter=encounter_of(data),
            status=data.get("status"),
            **code_fields(data.get("code")),
        )
    ]


def map_immunization(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name = concept_text(data.get("vaccineCode"), "Vaccine")
    time = data.get("occurrenceDateTime") or data.get("recorded")
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="immunization",
            resource=resource.ref,
            path="$",
            text=f"Immunization: {name}, {data.get('status') or 'status unknown'} on {day(time)}",
            concept=f"immunization: {name}",
            time=time,
            encounter=encounter_of(data),
            status=data.get("status"),
            **code_fields(data.get("vaccineCode")),
        )
    ]


def map_careplan(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    categories = data.get("category") or []
    name = concept_text(categories[-1], "Care plan") if categories else "Care plan"
    activities = [
        concept_text((a.get("detail") or {}).get("code"))
        for a in data.get("activity") or []
        if concept_text((a.get("detail") or {}).get("code"))
    ]
    period = data.get("period") or {}
    text = f"Care plan: {name}, {data.get('status') or 'status unknown'} from {day(period.get('start'))}"
    if period.get("end"):
        text += f" to {day(period['end'])}"
    if activities:
        text += f"; activities: {', '.join(dict.fromkeys(activities))}"
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="careplan",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"care plan: {name}",
            time=period.get("start"),
            end_time=period.get("end"),
            encounter=encounter_of(data),
            status=data.get("status"),
            **code_fields(categories[-1] if categories else None),
        )
    ]


def map_goal(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name = concept_text(data.get("description"), "Goal")
    status = data.get("lifecycleStatus")
    achievement = concept_code(data.get("achievementStatus"))
    start = data.get("startDate") or data.get("statusDate")
    text = f"Goal: {name}, {status or 'status unknown'}"
    if achievement:
        text += f" ({achievement})"
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="goal",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"goal: {name}",
            time=start,
            status=status,
            value=achievement,
            **code_fields(data.get("description")),
        )
    ]


def map_imaging_study(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    series = data.get("series") or []
    parts = []
    for s in series:
        body = (s.get("bodySite") or {}).get("display")
        modality = (s.get("modality") or {}).get("display") or (s.get("modality") or {}).get("code")
        parts.append(" of ".join(p for p in (modality, body) if p))
    procedure = concept_text((data.get("procedureCode") or [{}])[0]) if data.get("procedureCode") else ""
    name = procedure or (parts[0] if parts else "Imaging study")
    text = f"Imaging: {name} on {day(data.get('started'))}"
    if parts and procedure:
        text += f" ({', '.join(p for p in parts if p)})"
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="imaging",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"imaging: {name}",
            time=data.get("started"),
            encounter=encounter_of(data),
            status=data.get("status"),
            **code_fields((data.get("procedureCode") or [None])[0]),
        )
    ]


def map_device(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name = concept_text(data.get("type"), "Device")
    start = data.get("manufactureDate")
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="device",
            resource=resource.ref,
            path="$",
            text=f"Device: {name}, {data.get('status') or 'status unknown'}",
            concept=f"device: {name}",
            time=start,
            end_time=data.get("expirationDate"),
            status=data.get("status"),
            **code_fields(data.get("type")),
        )
    ]

"""Patient -> one demographics entry (name in ``display``, sex in ``value``, birth in ``time``)."""

from __future__ import annotations

from clinimem.fhir.resource import SourcedResource
from clinimem.memory.entry import MemoryEntry


def patient_name(data: dict) -> str:
    for name in data.get("name") or []:
        if name.get("text"):
            return str(name["text"])
        parts = [*(name.get("given") or []), name.get("family") or ""]
        joined = " ".join(p for p in parts if p)
        if joined:
            return joined
    return "(no name)"


def map_patient(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name = patient_name(data)
    gender = data.get("gender") or "unknown"
    birth = data.get("birthDate")
    deceased = data.get("deceasedDateTime")
    text = f"Patient {name}, {gender}, born {birth or 'date unknown'}"
    if deceased:
        text += f", died {deceased[:10]}"
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="patient",
            resource=resource.ref,
            path="$",
            text=text,
            concept="patient demographics: sex and date of birth",
            time=birth,
            end_time=deceased,
            display=name,
            value=gender,
            status="deceased" if deceased or data.get("deceasedBoolean") else "alive",
        )
    ]

"""Observation and DiagnosticReport -> measurement entries.

Each component of a panel (systolic, diastolic, ...) is its own entry; the
panel itself keeps an entry too, so a visit's blood pressure reads as one line.
"""

from __future__ import annotations

from typing import Any

from clinimem.fhir.resource import SourcedResource
from clinimem.memory.entry import MemoryEntry, Value
from clinimem.memory.mappers.common import (
    code_fields,
    concept_code,
    concept_text,
    encounter_of,
    format_number,
    period_start,
)
from clinimem.memory.mappers.documents import first_text_attachment, note_mention_entries


def observation_value(data: dict[str, Any]) -> tuple[Value, str | None]:
    """The value[x] of an Observation or component, and its unit."""
    quantity = data.get("valueQuantity")
    if isinstance(quantity, dict) and quantity.get("value") is not None:
        return float(quantity["value"]), quantity.get("unit") or quantity.get("code")
    if data.get("valueCodeableConcept") is not None:
        return concept_text(data["valueCodeableConcept"]) or None, None
    for key in ("valueString", "valueBoolean", "valueDateTime", "valueTime"):
        if data.get(key) is not None:
            return data[key], None
    if data.get("valueInteger") is not None:
        return float(data["valueInteger"]), None
    return None, None


def value_text(value: Value, unit: str | None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{format_number(value)} {unit}".strip() if unit else format_number(value)
    return str(value) if value is not None else "no value"


def map_observation(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name = concept_text(data.get("code"), "Observation")
    categories = data.get("category") or []
    category = concept_code(categories[0]) if categories else None
    time = period_start(data, "effective") or data.get("issued")
    common: dict[str, Any] = {
        "patient_id": patient_id,
        "kind": "observation",
        "resource": resource.ref,
        "time": time,
        "encounter": encounter_of(data),
        "status": data.get("status"),
        "category": category,
    }
    label = category or "observation"
    entries: list[MemoryEntry] = []
    components = data.get("component") or []
    value, unit = observation_value(data)
    if components:
        parts = []
        for comp in components:
            comp_value, comp_unit = observation_value(comp)
            parts.append(f"{concept_text(comp.get('code'))} {value_text(comp_value, comp_unit)}")
        panel_text = f"{name}: " + ", ".join(parts)
    else:
        panel_text = f"{name} {value_text(value, unit)}"
    entries.append(
        MemoryEntry(
            path="$",
            text=panel_text,
            concept=f"{label}: {name}",
            value=value,
            unit=unit,
            **code_fields(data.get("code")),
            **common,
        )
    )
    for index, comp in enumerate(components):
        comp_name = concept_text(comp.get("code"), name)
        comp_value, comp_unit = observation_value(comp)
        entries.append(
            MemoryEntry(
                path=f"$.component[{index}]",
                text=f"{comp_name} {value_text(comp_value, comp_unit)}",
                concept=f"{label}: {comp_name}",
                value=comp_value,
                unit=comp_unit,
                **code_fields(comp.get("code")),
                **common,
            )
        )
    return entries


def map_diagnostic_report(resource: SourcedResource, patient_id: str) -> list[MemoryEntry]:
    data = resource.data
    name = concept_text(data.get("code"), "Report")
    results = [r.get("display") for r in data.get("result") or [] if r.get("display")]
    conclusion = data.get("conclusion")
    text = f"Report: {name}"
    if results:
        text += f" ({', '.join(results[:8])}{', ...' if len(results) > 8 else ''})"
    if conclusion:
        text += f": {conclusion}"
    categories = data.get("category") or []
    time = period_start(data, "effective") or data.get("issued")
    entries = [
        MemoryEntry(
            patient_id=patient_id,
            kind="report",
            resource=resource.ref,
            path="$",
            text=text,
            concept=f"report: {name}",
            time=time,
            encounter=encounter_of(data),
            status=data.get("status"),
            category=concept_code(categories[0]) if categories else None,
            **code_fields(data.get("code")),
        )
    ]
    # A report's text (presentedForm) is a note: one entry per mention in it.
    found = first_text_attachment(data.get("presentedForm") or [])
    if found is not None:
        index, decoded, content_type = found
        entries += note_mention_entries(
            decoded,
            content_type,
            resource=resource,
            patient_id=patient_id,
            path=f"$.presentedForm[{index}]",
            time=time,
            encounter=encounter_of(data),
        )
    return entries

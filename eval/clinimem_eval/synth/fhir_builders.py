"""Render a patient's facts as one FHIR R4 transaction Bundle (plain dicts).

Plain dicts, no pydantic: building models per resource would cost more than
the whole generator; the tests validate sample bundles with
``fhir.resources.R4B`` instead. Inside the bundle every reference is the
target's ``urn:uuid:`` fullUrl, as Synthea writes them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clinimem_eval.synth import vocab as v
from clinimem_eval.synth.facts import (
    Allergy,
    BloodPressure,
    CarePlan,
    Condition,
    Encounter,
    Fact,
    Immunization,
    Medication,
    Note,
    Observation,
    PatientInfo,
    Procedure,
    Report,
)
from clinimem_eval.synth.record import PatientRecord
from clinimem_eval.synth.vocab import Concept, Test

Json = dict[str, Any]

IDENTIFIER_SYSTEM = "urn:clinimem:synth"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"


@dataclass(frozen=True)
class Context:
    """What rendering one fact needs beyond the fact itself."""

    patient_id: str
    encounter_start: dict[str, datetime]


def iso(when: datetime) -> str:
    """FHIR dateTime/instant in UTC (naive datetimes mean UTC here)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def uref(fact_id: str, display: str | None = None) -> Json:
    out: Json = {"reference": f"urn:uuid:{fact_id}"}
    if display:
        out["display"] = display
    return out


def codeable(concept: Concept) -> Json:
    return {
        "coding": [{"system": concept.system, "code": concept.code, "display": v.display(concept)}],
        "text": v.display(concept),
    }


def status_code(system: str, code: str) -> Json:
    return {"coding": [{"system": f"{TERMINOLOGY}/{system}", "code": code}]}


def quantity(test: Test, value: float) -> Json:
    return {"value": value, "unit": test.unit, "system": v.UCUM, "code": test.unit}


def patient(info: PatientInfo, seed: int, index: int) -> Json:
    return {
        "resourceType": "Patient",
        "id": info.id,
        "identifier": [{"system": IDENTIFIER_SYSTEM, "value": f"synth-{seed}-{index}"}],
        "name": [{"use": "official", "family": info.family, "given": [info.given]}],
        "gender": info.sex,
        "birthDate": info.birth_date.isoformat(),
    }


def _encounter(f: Encounter, ctx: Context) -> Json:
    out: Json = {
        "resourceType": "Encounter",
        "id": f.id,
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "EMER" if f.kind == "emergency" else "AMB",
        },
        "type": [codeable(f.concept)],
        "subject": uref(ctx.patient_id),
        "period": {"start": iso(f.start), "end": iso(f.end)},
    }
    if f.reason is not None:
        out["reasonCode"] = [codeable(f.reason)]
    return out


def _condition(f: Condition, ctx: Context) -> Json:
    out: Json = {
        "resourceType": "Condition",
        "id": f.id,
        "clinicalStatus": status_code("condition-clinical", f.clinical_status),
        "verificationStatus": status_code("condition-ver-status", "confirmed"),
        "category": [status_code("condition-category", f.category)],
        "code": codeable(f.concept),
        "subject": uref(ctx.patient_id),
        "encounter": uref(f.encounter),
        "onsetDateTime": iso(f.onset),
    }
    if f.abatement is not None:
        out["abatementDateTime"] = iso(f.abatement)
    # Recorded at the visit; an acute problem's onset may be days before it.
    out["recordedDate"] = iso(max(f.onset, ctx.encounter_start[f.encounter]))
    return out


def _medication(f: Medication, ctx: Context) -> Json:
    out: Json = {"resourceType": "MedicationRequest", "id": f.id, "status": f.status}
    if f.stop_reason:
        out["statusReason"] = {"text": f.stop_reason}
    out |= {
        "intent": "order",
        "medicationCodeableConcept": codeable(f.drug.concept),
        "subject": uref(ctx.patient_id),
        "encounter": uref(f.encounter),
        "authoredOn": iso(f.start),
    }
    if f.reason:
        out["reasonReference"] = [uref(f.reason)]
    out["dosageInstruction"] = [{"sequence": 1, "text": f.drug.sig}]
    period = {"start": iso(f.start)}
    if f.end is not None:
        period["end"] = iso(f.end)
    out["dispenseRequest"] = {"validityPeriod": period}
    return out


def _category(test: Test) -> list[Json]:
    display = "Laboratory" if test.category == "laboratory" else "Vital Signs"
    return [
        {
            "coding": [
                {
                    "system": f"{TERMINOLOGY}/observation-category",
                    "code": test.category,
                    "display": display,
                }
            ]
        }
    ]


def _observation(f: Observation, ctx: Context) -> Json:
    return {
        "resourceType": "Observation",
        "id": f.id,
        "status": f.status,
        "category": _category(f.test),
        "code": codeable(f.test.concept),
        "subject": uref(ctx.patient_id),
        "encounter": uref(f.encounter),
        "effectiveDateTime": iso(f.time),
        "issued": iso(f.time),
        "valueQuantity": quantity(f.test, f.value),
    }


def _blood_pressure(f: BloodPressure, ctx: Context) -> Json:
    return {
        "resourceType": "Observation",
        "id": f.id,
        "status": f.status,
        "category": _category(v.SYSTOLIC),
        "code": codeable(v.BP_PANEL),
        "subject": uref(ctx.patient_id),
        "encounter": uref(f.encounter),
        "effectiveDateTime": iso(f.time),
        "issued": iso(f.time),
        "component": [
            {"code": codeable(v.SYSTOLIC.concept), "valueQuantity": quantity(v.SYSTOLIC, f.systolic)},
            {"code": codeable(v.DIASTOLIC.concept), "valueQuantity": quantity(v.DIASTOLIC, f.diastolic)},
        ],
    }


def _report(f: Report, ctx: Context) -> Json:
    return {
        "resourceType": "DiagnosticReport",
        "id": f.id,
        "status": "final",
        "category": [
            {"coding": [{"system": f"{TERMINOLOGY}/v2-0074", "code": "LAB", "display": "Laboratory"}]}
        ],
        "code": codeable(f.concept),
        "subject": uref(ctx.patient_id),
        "encounter": uref(f.encounter),
        "effectiveDateTime": iso(f.time),
        "issued": iso(f.time),
        "result": [uref(r) for r in f.results],
    }


def _allergy(f: Allergy, ctx: Context) -> Json:
    return {
        "resourceType": "AllergyIntolerance",
        "id": f.id,
        "clinicalStatus": status_code("allergyintolerance-clinical", "active"),
        "verificationStatus": status_code("allergyintolerance-verification", "confirmed"),
        "type": "allergy",
        "category": [f.category],
        "criticality": f.criticality,
        "code": codeable(f.concept),
        "patient": uref(ctx.patient_id),
        "encounter": uref(f.encounter),
        "onsetDateTime": iso(f.onset),
        "recordedDate": iso(f.recorded),
        "reaction": [{"manifestation": [codeable(r) for r in f.reactions], "severity": f.severity}],
    }


def _immunization(f: Immunization, ctx: Context) -> Json:
    return {
        "resourceType": "Immunization",
        "id": f.id,
        "status": "completed",
        "vaccineCode": codeable(f.concept),
        "patient": uref(ctx.patient_id),
        "encounter": uref(f.encounter),
        "occurrenceDateTime": iso(f.time),
        "primarySource": True,
    }


def _procedure(f: Procedure, ctx: Context) -> Json:
    out: Json = {
        "resourceType": "Procedure",
        "id": f.id,
        "status": "completed",
        "code": codeable(f.concept),
        "subject": uref(ctx.patient_id),
        "encounter": uref(f.encounter),
        "performedPeriod": {"start": iso(f.start), "end": iso(f.end)},
    }
    if f.reason:
        out["reasonReference"] = [uref(f.reason)]
    return out


def _care_plan(f: CarePlan, ctx: Context) -> Json:
    return {
        "resourceType": "CarePlan",
        "id": f.id,
        "status": "active",
        "intent": "plan",
        "category": [codeable(f.concept)],
        "subject": uref(ctx.patient_id),
        "encounter": uref(f.encounter),
        "period": {"start": iso(f.start)},
        "addresses": [uref(f.addresses)],
        "activity": [{"detail": {"code": codeable(a), "status": "in-progress"}} for a in f.activities],
    }


def _note(f: Note, ctx: Context) -> Json:
    return {
        "resourceType": "DocumentReference",
        "id": f.id,
        "status": "current",
        "docStatus": "final",
        "type": codeable(f.concept),
        "category": [
            {
                "coding": [
                    {
                        "system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                        "code": "clinical-note",
                        "display": "Clinical Note",
                    }
                ]
            }
        ],
        "subject": uref(ctx.patient_id),
        "date": iso(f.time),
        "content": [
            {
                "attachment": {
                    "contentType": f.content_type,
                    "language": "en-US",
                    "data": base64.b64encode(f.text.encode("utf-8")).decode("ascii"),
                    "title": v.display(f.concept),
                    "creation": iso(f.time),
                }
            }
        ],
        "context": {"encounter": [uref(f.encounter)]},
    }


RENDER: dict[type, Callable[[Any, Context], Json]] = {
    Encounter: _encounter,
    Condition: _condition,
    Medication: _medication,
    Observation: _observation,
    BloodPressure: _blood_pressure,
    Report: _report,
    Allergy: _allergy,
    Immunization: _immunization,
    Procedure: _procedure,
    CarePlan: _care_plan,
    Note: _note,
}


def entry(resource: Json) -> Json:
    rid, rtype = resource["id"], resource["resourceType"]
    return {"fullUrl": f"urn:uuid:{rid}", "resource": resource, "request": {"method": "POST", "url": rtype}}


def bundle(rec: PatientRecord, seed: int, index: int) -> Json:
    """The transaction Bundle: the Patient, then each visit with everything recorded at it."""
    facts = rec.facts()
    starts = {e.id: e.start for e in rec.of(Encounter)}
    ctx = Context(rec.info.id, starts)

    def order(item: tuple[int, Fact]) -> tuple[datetime, str, int, int]:
        n, fact = item
        if isinstance(fact, Encounter):
            return (fact.start, fact.id, 0, n)
        return (starts[fact.encounter], fact.encounter, 1, n)

    entries = [entry(patient(rec.info, seed, index))]
    for _, fact in sorted(enumerate(facts), key=order):
        entries.append(entry(RENDER[type(fact)](fact, ctx)))
    return {"resourceType": "Bundle", "id": f"synth-{seed}-{index}", "type": "transaction", "entry": entries}

"""A small cohort of FHIR R4 bundles written in code, each planting exactly the evidence a criterion reads.

Every patient has a few yearly check-ups with routine labs and blood pressure
(so there is something to not cite), and on top of that the planted series:
HbA1c, LDL and eGFR values and medication orders. The expected verdict of
each criteria file, and the resources that must be cited, are known by
construction.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from clinimem_eval.synth import vocab as v
from clinimem_eval.synth.vocab import Drug, Test

NS = uuid.UUID("0b6f4d1e-8a41-4c55-9d0c-5e3b7d2c9a10")
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"
Json = dict[str, Any]


def _id(*parts: object) -> str:
    return str(uuid.uuid5(NS, "/".join(map(str, parts))))


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _codeable(concept: v.Concept) -> Json:
    return {
        "coding": [{"system": concept.system, "code": concept.code, "display": concept.display}],
        "text": concept.display,
    }


def _ref(rid: str) -> Json:
    return {"reference": f"urn:uuid:{rid}"}


@dataclass
class PlantedPatient:
    """One patient's bundle and what was planted: test name -> [(resource, value)], drug -> resource."""

    patient_id: str
    name: str
    entries: list[Json] = field(default_factory=list)
    series: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    drugs: dict[str, str] = field(default_factory=dict)

    def bundle(self) -> Json:
        return {"resourceType": "Bundle", "type": "transaction", "entry": self.entries}

    def add(self, resource: Json) -> str:
        self.entries.append(
            {
                "fullUrl": f"urn:uuid:{resource['id']}",
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
        )
        return f"{resource['resourceType']}/{resource['id']}"


def build_patient(
    name: str,
    *,
    hba1c: list[float] = (),
    ldl: list[float] = (),
    egfr: list[float] = (),
    drugs: dict[str, int] | None = None,
    first_year: int = 2018,
) -> PlantedPatient:
    """A patient with one check-up a year from ``first_year``; the i-th value of each series at visit i.

    ``drugs`` maps a drug name of the synth vocabulary (``metformin``, ``insulin``,
    ``simvastatin``, ``atorvastatin``) to the check-up after which it was started,
    at a follow-up visit 40 days later.
    Series shorter than the visits leave the later visits without that test.
    """
    pid = _id("patient", name)
    given, family = name.split(" ", 1)
    patient = PlantedPatient(pid, name)
    patient.add(
        {
            "resourceType": "Patient",
            "id": pid,
            "name": [{"use": "official", "family": family, "given": [given]}],
            "gender": "female" if len(name) % 2 else "male",
            "birthDate": "1956-03-14",
        }
    )
    visits = max(len(hba1c), len(ldl), len(egfr), 4)
    drug_table = {d.concept.name: d for d in (v.METFORMIN, v.INSULIN, v.SIMVASTATIN, v.ATORVASTATIN)}
    for i in range(visits):
        start = datetime(first_year + i, 3, 10, 9, 0) + timedelta(days=17 * i)
        enc = _id(pid, "encounter", i)
        patient.add(
            {
                "resourceType": "Encounter",
                "id": enc,
                "status": "finished",
                "class": {"system": f"{TERMINOLOGY}/v3-ActCode", "code": "AMB"},
                "type": [_codeable(v.ENC_CHECKUP)],
                "subject": _ref(pid),
                "period": {"start": _iso(start), "end": _iso(start + timedelta(minutes=30))},
            }
        )
        _blood_pressure(patient, enc, start + timedelta(minutes=3), 124 + i, 78)
        _observation(patient, enc, v.SODIUM, start + timedelta(minutes=10), 139 + (i % 3))
        _observation(patient, enc, v.GLUCOSE, start + timedelta(minutes=10), 96 + 3 * i)
        for test, values in ((v.HBA1C, hba1c), (v.LDL, ldl), (v.EGFR, egfr)):
            if i < len(values):
                resource = _observation(patient, enc, test, start + timedelta(minutes=12), values[i])
                patient.series.setdefault(test.concept.name, []).append((resource, values[i]))
        started = [name for name, visit in (drugs or {}).items() if visit == i]
        if started:
            # Drugs are started at a follow-up visit of their own, weeks after the check-up,
            # so that "the last eGFR before metformin was started" is not a same-day tie.
            when = start + timedelta(days=40)
            follow_up = _id(pid, "follow-up", i)
            patient.add(
                {
                    "resourceType": "Encounter",
                    "id": follow_up,
                    "status": "finished",
                    "class": {"system": f"{TERMINOLOGY}/v3-ActCode", "code": "AMB"},
                    "type": [_codeable(v.ENC_FOLLOWUP)],
                    "subject": _ref(pid),
                    "period": {"start": _iso(when), "end": _iso(when + timedelta(minutes=20))},
                }
            )
            for drug_name in started:
                patient.drugs[drug_name] = _medication(patient, follow_up, drug_table[drug_name], when)
    return patient


def _observation(patient: PlantedPatient, enc: str, test: Test, when: datetime, value: float) -> str:
    rid = _id(patient.patient_id, test.concept.code, when.isoformat())
    return patient.add(
        {
            "resourceType": "Observation",
            "id": rid,
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": f"{TERMINOLOGY}/observation-category",
                            "code": test.category,
                            "display": "Laboratory" if test.category == "laboratory" else "Vital Signs",
                        }
                    ]
                }
            ],
            "code": _codeable(test.concept),
            "subject": _ref(patient.patient_id),
            "encounter": _ref(enc),
            "effectiveDateTime": _iso(when),
            "issued": _iso(when),
            "valueQuantity": {"value": value, "unit": test.unit, "system": v.UCUM, "code": test.unit},
        }
    )


def _blood_pressure(
    patient: PlantedPatient, enc: str, when: datetime, systolic: float, diastolic: float
) -> str:
    def quantity(test: Test, value: float) -> Json:
        return {"value": value, "unit": test.unit, "system": v.UCUM, "code": test.unit}

    return patient.add(
        {
            "resourceType": "Observation",
            "id": _id(patient.patient_id, "bp", when.isoformat()),
            "status": "final",
            "category": [
                {"coding": [{"system": f"{TERMINOLOGY}/observation-category", "code": "vital-signs"}]}
            ],
            "code": _codeable(v.BP_PANEL),
            "subject": _ref(patient.patient_id),
            "encounter": _ref(enc),
            "effectiveDateTime": _iso(when),
            "component": [
                {"code": _codeable(v.SYSTOLIC.concept), "valueQuantity": quantity(v.SYSTOLIC, systolic)},
                {"code": _codeable(v.DIASTOLIC.concept), "valueQuantity": quantity(v.DIASTOLIC, diastolic)},
            ],
        }
    )


def _medication(patient: PlantedPatient, enc: str, drug: Drug, when: datetime) -> str:
    start = when + timedelta(minutes=25)
    return patient.add(
        {
            "resourceType": "MedicationRequest",
            "id": _id(patient.patient_id, drug.concept.code),
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": _codeable(drug.concept),
            "subject": _ref(patient.patient_id),
            "encounter": _ref(enc),
            "authoredOn": _iso(start),
            "dosageInstruction": [{"sequence": 1, "text": drug.sig}],
            "dispenseRequest": {"validityPeriod": {"start": _iso(start)}},
        }
    )


def write_bundles(patients: list[PlantedPatient], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in patients:
        path = folder / f"{p.patient_id}.json"
        path.write_text(json.dumps(p.bundle(), indent=1))
        paths.append(path)
    return paths

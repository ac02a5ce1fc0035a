"""Small FHIR R4 resources and sample folders for the memory, load and command tests.

Plain dict builders (what an export holds), plus helpers that read the sample
bundles with nothing but ``json`` so that counts checked against clinimem's
output are computed independently of it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from clinimem.fhir.resource import Origin, SourcedResource
from clinimem.fhir.validate import check_resource

REPO = Path(__file__).resolve().parents[1]
PID = "p1"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"

# Types the memory does not store (clinimem.memory.mappers.OUT_OF_SCOPE), as seen in Synthea.
SYNTHEA_OUT_OF_SCOPE = {"Claim", "ExplanationOfBenefit", "Organization", "Practitioner"}


def _meta(last_updated: str | None) -> dict[str, Any]:
    return {"meta": {"lastUpdated": last_updated}} if last_updated else {}


def patient(pid: str = PID, given: str = "Ada", family: str = "Lovelace") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "name": [{"given": [given], "family": family}],
        "gender": "female",
        "birthDate": "1960-04-01",
    }


def encounter(eid: str, start: str, pid: str = PID, kind: str = "General examination") -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": eid,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "type": [{"coding": [{"system": SNOMED, "code": "162673000", "display": kind}], "text": kind}],
        "subject": {"reference": f"Patient/{pid}"},
        "period": {"start": start, "end": start},
    }


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}


def observation(
    oid: str,
    value: float = 7.9,
    *,
    time: str = "2019-04-02T10:15:00+00:00",
    encounter_id: str | None = None,
    pid: str = PID,
    status: str = "final",
    last_updated: str | None = None,
) -> dict[str, Any]:
    """An HbA1c result."""
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        **_meta(last_updated),
        "status": status,
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": "4548-4", "display": "Hemoglobin A1c"}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": time,
        "valueQuantity": _quantity(value, "%"),
    }
    if encounter_id:
        data["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    return data


def bp_panel(
    oid: str,
    systolic: float = 142.0,
    diastolic: float | None = 91.0,
    *,
    time: str = "2019-04-02T10:15:00+00:00",
    encounter_id: str | None = None,
    pid: str = PID,
    status: str = "final",
    last_updated: str | None = None,
) -> dict[str, Any]:
    """A blood pressure panel; ``diastolic=None`` leaves that component out."""
    components = [
        {
            "code": {"coding": [{"system": LOINC, "code": "8480-6", "display": "Systolic Blood Pressure"}]},
            "valueQuantity": _quantity(systolic, "mm[Hg]"),
        }
    ]
    if diastolic is not None:
        components.append(
            {
                "code": {
                    "coding": [{"system": LOINC, "code": "8462-4", "display": "Diastolic Blood Pressure"}]
                },
                "valueQuantity": _quantity(diastolic, "mm[Hg]"),
            }
        )
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        **_meta(last_updated),
        "status": status,
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": "85354-9", "display": "Blood Pressure"}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": time,
        "component": components,
    }
    if encounter_id:
        data["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    return data


def condition(
    cid: str,
    display: str = "Acute bronchitis",
    *,
    onset: str = "2018-01-10T09:00:00+00:00",
    abatement: str | None = None,
    status: str = "active",
    verification: str = "confirmed",
    pid: str = PID,
    encounter_id: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "Condition",
        "id": cid,
        "clinicalStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": status}]
        },
        "verificationStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}
            ]
        },
        "code": {"coding": [{"system": SNOMED, "code": "10509002", "display": display}], "text": display},
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": onset,
    }
    if abatement:
        data["abatementDateTime"] = abatement
    if encounter_id:
        data["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    return data


def medication_request(
    mid: str,
    display: str = "Metformin hydrochloride 500 MG Oral Tablet",
    *,
    authored: str = "2018-03-01T09:00:00+00:00",
    status: str = "active",
    reason: str | None = "Diabetes mellitus type 2",
    pid: str = PID,
    encounter_id: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": mid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": "860975",
                    "display": display,
                }
            ],
            "text": display,
        },
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": authored,
    }
    if reason:
        data["reasonCode"] = [{"coding": [{"system": SNOMED, "code": "44054006", "display": reason}]}]
    if encounter_id:
        data["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    return data


def document_reference(
    did: str,
    text: str,
    *,
    content_type: str = "text/plain",
    date: str = "2019-04-02T10:30:00+00:00",
    pid: str = PID,
    encounter_id: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": did,
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": "34117-2", "display": "History and physical note"}]},
        "subject": {"reference": f"Patient/{pid}"},
        "date": date,
        "content": [
            {
                "attachment": {
                    "contentType": content_type,
                    "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                }
            }
        ],
    }
    if encounter_id:
        data["context"] = {"encounter": [{"reference": f"Encounter/{encounter_id}"}]}
    return data


def claim(cid: str, pid: str = PID) -> dict[str, Any]:
    return {
        "resourceType": "Claim",
        "id": cid,
        "status": "active",
        "type": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "institutional"}
            ]
        },
        "use": "claim",
        "patient": {"reference": f"Patient/{pid}"},
        "created": "2019-04-02T10:15:00+00:00",
        "provider": {"display": "Clinic"},
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "Cigna"}}],
        "total": {"value": 120.0, "currency": "USD"},
    }


def bundle(*resources: dict[str, Any], bundle_type: str = "transaction") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": bundle_type,
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['id']}",
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources
        ],
    }


def write_json(path: Path, obj: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def sourced(data: dict[str, Any], source: str = "test.json") -> SourcedResource:
    """A resource as the connectors hand it over: validated with the R4B model."""
    checked = check_resource(data, Origin(source))
    assert isinstance(checked, SourcedResource), checked
    return checked


# -- reading the sample bundles independently -------------------------------------------------------


def raw_resources(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every resource of every bundle file in ``folder``, read with plain ``json`` only."""
    found = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found.extend((path, entry["resource"]) for entry in data["entry"])
    return found


def type_counts(folder: Path) -> Counter[str]:
    return Counter(r["resourceType"] for _, r in raw_resources(folder))


def expected_entry_count(resource: dict[str, Any]) -> int:
    """Entries the design asks for: one per fact, plus one per component of a panel."""
    if resource["resourceType"] in SYNTHEA_OUT_OF_SCOPE:
        return 0
    return 1 + len(resource.get("component") or [])


def resolve_urns(data: dict[str, Any]) -> dict[str, Any]:
    """A bundle with every ``urn:uuid:`` reference replaced by ``Type/id``, so it can be split."""
    refs = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in data["entry"]}
    text = json.dumps(data)
    for urn, ref in refs.items():
        text = text.replace(f'"{urn}"', f'"{ref}"')
    return json.loads(text)


def split_by_visit(data: dict[str, Any], cut: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(early, late): encounters before ``cut`` (by start time) with their resources, and the rest.

    Resources tied to no encounter go with the late half, so a load of
    late-then-early sees the last visits and the patient first.
    """
    data = resolve_urns(data)
    encounters = sorted(
        (e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Encounter"),
        key=lambda r: r["period"]["start"],
    )
    early_ids = {f"Encounter/{r['id']}" for r in encounters[:cut]}
    early, late = [], []
    for entry in data["entry"]:
        res = entry["resource"]
        ref = f"Encounter/{res['id']}" if res["resourceType"] == "Encounter" else None
        ref = ref or (res.get("encounter") or {}).get("reference")
        (early if ref in early_ids else late).append(entry)
    return {**data, "entry": early}, {**data, "entry": late}


# -- a folder of mixed good and bad files ----------------------------------------------------------------


def smallest_bundles(synthea_dir: Path, n: int) -> list[Path]:
    return sorted(synthea_dir.glob("*.json"), key=lambda p: p.stat().st_size)[:n]


def bad_folder(root: Path, synthea_dir: Path) -> dict[str, Any]:
    """Two good Synthea bundles and three broken files; returns what a load must report.

    - ``truncated.json``: a bundle cut off mid-file -> one ``unreadable`` reject for the file;
    - ``wrong-type.json``: a good Patient, a good Observation and an Observation whose
      ``valueQuantity.value`` is a word -> that one ``fhir-invalid``, the rest loads;
    - ``unknown-type.json``: a bundle holding an ``Observatoin`` -> ``unknown-type``, the rest loads.
    """
    root.mkdir(parents=True, exist_ok=True)
    good = smallest_bundles(synthea_dir, 2)
    for path in good:
        shutil.copy(path, root / path.name)
    raw = good[0].read_bytes()
    (root / "truncated.json").write_bytes(raw[: len(raw) // 3])
    bad_value = observation("obs-bad", pid="bad-p")
    bad_value["valueQuantity"]["value"] = "seven point nine"
    write_json(
        root / "wrong-type.json",
        bundle(patient("bad-p", "Bea", "Broken"), observation("obs-good", pid="bad-p"), bad_value),
    )
    misspelled = {**observation("obs-typo", pid="typo-p"), "resourceType": "Observatoin"}
    write_json(
        root / "unknown-type.json",
        bundle(patient("typo-p", "Tom", "Typo"), misspelled, observation("obs-typo-ok", pid="typo-p")),
    )
    in_good = Counter(r["resourceType"] for path in good for _, r in raw_resources_of(path))
    loaded = Counter({t: n for t, n in in_good.items() if t not in SYNTHEA_OUT_OF_SCOPE})
    loaded.update({"Patient": 2, "Observation": 2})
    rejected = Counter({t: n for t, n in in_good.items() if t in SYNTHEA_OUT_OF_SCOPE})
    rejected.update({"(file)": 1, "Observation": 1, "Observatoin": 1})
    out_of_scope = sum(n for t, n in in_good.items() if t in SYNTHEA_OUT_OF_SCOPE)
    return {
        "good": good,
        "loaded": loaded,
        "rejected": rejected,
        "codes": {"unreadable": 1, "fhir-invalid": 1, "unknown-type": 1, "out-of-scope": out_of_scope},
    }


def raw_resources_of(path: Path) -> list[tuple[Path, dict[str, Any]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(path, entry["resource"]) for entry in data["entry"]]


# -- running clinimem in another process -------------------------------------------------------------------


def run_python(
    code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``code`` with ``args`` in a fresh interpreter (no model, cache or store lock inherited)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``clinimem ARGS`` in a new process, as a user types it."""
    return subprocess.run(
        [sys.executable, "-m", "clinimem.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200"},
    )

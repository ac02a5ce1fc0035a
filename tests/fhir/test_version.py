"""FHIR version detection on real exports (Synthea R4, STU3, DSTU2) and on single resources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinimem.fhir.resource import Origin
from clinimem.fhir.version import detect_version, version_evidence, version_reject


def _load(test_data: Path, relative: str) -> dict:
    return json.loads((test_data / relative).read_bytes())


def test_synthea_r4_bundles_are_never_taken_for_another_version(synthea_dir: Path) -> None:
    files = sorted(synthea_dir.glob("*.json"))
    assert len(files) == 23
    for path in files:
        bundle = json.loads(path.read_bytes())
        assert detect_version(bundle) in ("R4", None), path.name
        assert version_reject(bundle, Origin(path.name)) is None


@pytest.mark.parametrize(
    ("relative", "version", "release"),
    [
        ("other-versions/stu3_patient_bundle.json", "STU3", "3.0"),
        ("other-versions/dstu2_patient_bundle.json", "DSTU2", "1.0"),
    ],
)
def test_old_bundles_are_refused_whole_with_the_version_named(
    test_data: Path, relative: str, version: str, release: str
) -> None:
    bundle = _load(test_data, relative)
    assert detect_version(bundle) == version
    reject = version_reject(bundle, Origin(relative))
    assert reject is not None
    assert reject.code == "fhir-version"
    assert reject.resource_type == "Bundle"
    assert f"FHIR {version} ({release})" in reject.reason
    assert relative in reject.reason
    assert "Convert the export to R4" in reject.reason


def test_evidence_names_the_marker_and_the_resource(test_data: Path) -> None:
    bundle = _load(test_data, "other-versions/dstu2_patient_bundle.json")
    evidence = version_evidence(bundle)
    assert evidence is not None
    assert evidence.version == "DSTU2"
    assert evidence.entry is not None
    assert evidence.resource and "/" in evidence.resource


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ({"resourceType": "MedicationOrder", "id": "m"}, "DSTU2"),
        ({"resourceType": "Encounter", "class": "outpatient"}, "DSTU2"),
        (
            {"resourceType": "Encounter", "class": {"code": "AMB"}, "patient": {"reference": "Patient/1"}},
            "DSTU2",
        ),
        ({"resourceType": "Condition", "patient": {"reference": "Patient/1"}}, "DSTU2"),
        ({"resourceType": "Observation", "category": {"text": "laboratory"}}, "DSTU2"),
        ({"resourceType": "Immunization", "wasNotGiven": False}, "DSTU2"),
        (
            {"resourceType": "Condition", "clinicalStatus": "active", "subject": {"reference": "Patient/1"}},
            "STU3",
        ),
        ({"resourceType": "AllergyIntolerance", "clinicalStatus": "active"}, "STU3"),
        ({"resourceType": "Immunization", "notGiven": False, "date": "2010-01-01"}, "STU3"),
        ({"resourceType": "Immunization", "date": "2010-01-01"}, "STU3"),
        ({"resourceType": "ProcedureRequest", "id": "p"}, "STU3"),
        ({"resourceType": "ReferralRequest", "id": "r"}, "STU3"),
        ({"resourceType": "Observation", "context": {"reference": "Encounter/1"}}, "STU3"),
        ({"resourceType": "Encounter", "class": [{"text": "ambulatory"}]}, "R5"),
        ({"resourceType": "Encounter", "actualPeriod": {"start": "2020-01-01"}}, "R5"),
        ({"resourceType": "MedicationRequest", "medication": {"concept": {"text": "metformin"}}}, "R5"),
        (
            {"resourceType": "Encounter", "class": {"code": "AMB"}, "subject": {"reference": "Patient/1"}},
            "R4",
        ),
        (
            {
                "resourceType": "Patient",
                "meta": {"profile": ["http://hl7.org/fhir/STU3/StructureDefinition/Patient"]},
            },
            "STU3",
        ),
        ({"resourceType": "CapabilityStatement", "fhirVersion": "5.0.0"}, "R5"),
        ({"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"}, "R4"),
        ({"resourceType": "Patient", "id": "p"}, None),
        ({"resourceType": "Condition", "clinicalStatus": {"coding": [{"code": "active"}]}}, None),
        ({"resourceType": "Immunization", "occurrenceDateTime": "2010-01-01"}, None),
        ({"resourceType": "MedicationRequest", "medicationCodeableConcept": {"text": "metformin"}}, None),
    ],
)
def test_single_resource_markers(resource: dict, expected: str | None) -> None:
    assert detect_version(resource) == expected


def test_one_old_resource_outranks_r4_votes_in_a_bundle() -> None:
    r4 = {
        "resourceType": "Encounter",
        "id": "e",
        "class": {"code": "AMB"},
        "subject": {"reference": "Patient/1"},
    }
    stu3 = {"resourceType": "Condition", "id": "c", "clinicalStatus": "active"}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r4}, {"resource": stu3}]}
    evidence = version_evidence(bundle)
    assert evidence is not None
    assert (evidence.version, evidence.resource, evidence.entry) == ("STU3", "Condition/c", 1)


def test_dstu2_wins_over_stu3_shapes_it_shares() -> None:
    # A DSTU2 Condition has a string clinicalStatus too: the bundle must still read as DSTU2.
    shared = {"resourceType": "Condition", "id": "c", "clinicalStatus": "active"}
    dstu2 = {"resourceType": "MedicationOrder", "id": "m"}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": shared}, {"resource": dstu2}],
    }
    assert detect_version(bundle) == "DSTU2"


def test_single_resource_reject_carries_its_ref() -> None:
    reject = version_reject({"resourceType": "MedicationOrder", "id": "m1"}, Origin("order.json"))
    assert reject is not None
    assert reject.ref == "MedicationOrder/m1"
    assert reject.path == "$"

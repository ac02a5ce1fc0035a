"""FHIR resource -> memory entries, per resource family, on resources validated with the R4B models."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from clinimem_connectors.bundle import read_json_file
from fhir_samples import (
    SYNTHEA_OUT_OF_SCOPE,
    bp_panel,
    claim,
    condition,
    document_reference,
    encounter,
    expected_entry_count,
    medication_request,
    observation,
    patient,
    smallest_bundles,
    sourced,
)

from clinimem.fhir.resource import Reject, SourcedResource
from clinimem.memory.entry import entry_id_for
from clinimem.memory.mappers import MappedResource, map_resource
from clinimem.memory.mappers.documents import note_text


def mapped(data: dict) -> MappedResource:
    result = map_resource(sourced(data))
    assert isinstance(result, MappedResource), result
    return result


def test_blood_pressure_panel_gives_the_panel_and_one_entry_per_component() -> None:
    result = mapped(bp_panel("bp1", 142.0, 91.0, encounter_id="e1"))
    by_path = {e.path: e for e in result.entries}
    assert list(by_path) == ["$", "$.component[0]", "$.component[1]"]

    systolic, diastolic = by_path["$.component[0]"], by_path["$.component[1]"]
    assert (systolic.value, systolic.unit, systolic.code) == (142.0, "mm[Hg]", "8480-6")
    assert (diastolic.value, diastolic.unit, diastolic.code) == (91.0, "mm[Hg]", "8462-4")
    assert systolic.text == "Systolic Blood Pressure 142 mm[Hg]"
    # The concept is what gets embedded: the kind of fact without its value.
    assert systolic.concept == "vital-signs: Systolic Blood Pressure"
    assert "142" not in systolic.concept

    panel = by_path["$"]
    assert panel.code == "85354-9" and panel.value is None
    assert "142 mm[Hg]" in panel.text and "91 mm[Hg]" in panel.text
    for entry in result.entries:
        assert entry.patient_id == "p1"
        assert entry.kind == "observation"
        assert entry.resource == "Observation/bp1"
        assert entry.encounter == "Encounter/e1"
        assert entry.time == "2019-04-02T10:15:00+00:00"
        assert entry.status == "final" and entry.category == "vital-signs"
        assert entry.entry_id == entry_id_for("Observation/bp1", entry.path)
    assert len({e.entry_id for e in result.entries}) == 3


def test_single_value_observation() -> None:
    (entry,) = mapped(observation("a1c", 7.9, time="2020-01-05T08:00:00+00:00")).entries
    assert (entry.value, entry.unit, entry.code, entry.code_system) == (
        7.9,
        "%",
        "4548-4",
        "http://loinc.org",
    )
    assert entry.text == "Hemoglobin A1c 7.9 %"
    assert entry.concept == "laboratory: Hemoglobin A1c"
    assert entry.date == "2020-01-05"


def test_entry_ids_are_deterministic_and_differ_per_resource() -> None:
    first = mapped(observation("a1c", 7.9)).entries[0]
    again = mapped(observation("a1c", 8.4)).entries[0]
    other = mapped(observation("a1c-2", 7.9)).entries[0]
    assert first.entry_id == again.entry_id  # same resource, same path: a new version overwrites
    assert first.entry_id != other.entry_id


def test_condition_onset_abatement_and_status() -> None:
    (resolved,) = mapped(
        condition(
            "c1",
            "Acute bronchitis",
            onset="2018-01-10T09:00:00+00:00",
            abatement="2018-01-24T09:00:00+00:00",
            status="resolved",
            encounter_id="e1",
        )
    ).entries
    assert resolved.kind == "condition"
    assert (resolved.time, resolved.end_time) == ("2018-01-10T09:00:00+00:00", "2018-01-24T09:00:00+00:00")
    assert resolved.status == "resolved"
    assert resolved.text == "Acute bronchitis: resolved, onset 2018-01-10, resolved 2018-01-24"
    assert resolved.concept == "condition: Acute bronchitis"
    assert resolved.encounter == "Encounter/e1"

    (active,) = mapped(condition("c2", "Hypertension", onset="2015-06-01T00:00:00+00:00")).entries
    assert active.status == "active" and active.end_time is None
    assert "resolved" not in active.text


def test_medication_request_status_and_time() -> None:
    (entry,) = mapped(
        medication_request("m1", authored="2018-03-01T09:00:00+00:00", status="stopped", encounter_id="e2")
    ).entries
    assert entry.kind == "medication"
    assert entry.status == "stopped"
    assert entry.time == "2018-03-01T09:00:00+00:00"
    assert entry.code == "860975"
    assert entry.encounter == "Encounter/e2"
    assert entry.text.startswith("Metformin hydrochloride 500 MG Oral Tablet: stopped, prescribed 2018-03-01")
    assert "for Diabetes mellitus type 2" in entry.text
    assert entry.concept == "medication: Metformin hydrochloride 500 MG Oral Tablet"


def test_document_reference_text_is_decoded() -> None:
    note = "Chief complaint: cough for 3 days.\nNo fever. Denies chest pain."
    data = document_reference("d1", note, encounter_id="e3")
    assert note not in json.dumps(data)  # the note is base64 in the resource
    entry, *mentions = mapped(data).entries  # the note, then one entry per mention (tests/notes)
    assert [m.display for m in mentions] == ["cough", "fever", "chest pain"]
    assert entry.kind == "note"
    assert entry.text == "Note: History and physical note on 2019-04-02: Chief complaint: cough for 3 days."
    assert entry.encounter == "Encounter/e3"
    assert note_text(data) == note


def test_html_note_is_reduced_to_text() -> None:
    data = document_reference(
        "d2",
        "<div><p>Assessment: asthma &amp; rhinitis</p><p>Plan: inhaler</p></div>",
        content_type="text/html",
    )
    assert note_text(data) == "Assessment: asthma & rhinitis\nPlan: inhaler"
    entry = mapped(data).entries[0]
    assert entry.text.endswith(": Assessment: asthma & rhinitis")


def test_patient_and_encounter() -> None:
    (demographics,) = mapped(patient()).entries
    assert (demographics.patient_id, demographics.display) == ("p1", "Ada Lovelace")
    assert (demographics.value, demographics.time) == ("female", "1960-04-01")
    (visit,) = mapped(encounter("e1", "2019-04-02T10:00:00+00:00")).entries
    assert visit.kind == "encounter" and visit.encounter == "Encounter/e1"
    assert visit.text == "Visit: General examination (AMB) on 2019-04-02"


@pytest.mark.parametrize(
    "data",
    [
        observation("o-err", 99.0, status="entered-in-error"),
        bp_panel("bp-err", status="entered-in-error"),
        condition("c-err", verification="entered-in-error"),
        medication_request("m-err", status="entered-in-error"),
    ],
    ids=["observation", "panel", "condition", "medication"],
)
def test_entered_in_error_is_flagged_for_removal(data: dict) -> None:
    assert mapped(data).removed is True


def test_ordinary_resources_are_not_removed() -> None:
    assert mapped(observation("o1")).removed is False
    assert mapped(condition("c1", verification="unconfirmed")).removed is False


def test_claim_is_rejected_as_out_of_scope() -> None:
    result = map_resource(sourced(claim("cl1")))
    assert isinstance(result, Reject)
    assert (result.code, result.resource_type, result.resource_id) == ("out-of-scope", "Claim", "cl1")
    assert "billing" in result.reason


def test_resource_without_patient_is_rejected() -> None:
    orphan = observation("o-orphan")
    del orphan["subject"]
    result = map_resource(sourced(orphan))
    assert isinstance(result, Reject)
    assert (result.code, result.resource_type, result.resource_id) == (
        "no-patient",
        "Observation",
        "o-orphan",
    )
    assert "Observation/o-orphan" in result.reason

    group_subject = observation("o-group")
    group_subject["subject"] = {"reference": "Group/g1"}
    assert map_resource(sourced(group_subject)).code == "no-patient"


def test_every_resource_of_a_synthea_bundle_maps(synthea_dir: Path) -> None:
    path = smallest_bundles(synthea_dir, 1)[0]
    raw = {
        f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
        for e in json.loads(path.read_text())["entry"]
    }
    (patient_id,) = [r["id"] for r in raw.values() if r["resourceType"] == "Patient"]
    kinds: Counter[str] = Counter()
    for item in read_json_file(path):
        assert isinstance(item, SourcedResource)
        result = map_resource(item)
        expected = expected_entry_count(raw[item.ref])
        if item.resource_type in SYNTHEA_OUT_OF_SCOPE:
            assert isinstance(result, Reject) and result.code == "out-of-scope"
            continue
        assert isinstance(result, MappedResource), result
        assert len(result.entries) == expected, item.ref
        for entry in result.entries:
            assert entry.patient_id == patient_id
            assert entry.resource == item.ref
            assert entry.text and entry.concept
            kinds[entry.kind] += 1
            if entry.kind not in ("patient", "careplan", "goal"):
                assert entry.time, entry  # every clinical fact is placed in time
            # Synthea ties every clinical fact to its visit, and the bundle holds that visit.
            if entry.kind not in ("patient", "goal", "careplan"):
                assert entry.encounter in raw, entry
    assert kinds["encounter"] == sum(1 for r in raw.values() if r["resourceType"] == "Encounter")

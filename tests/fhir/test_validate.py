"""Validation with the R4B models, reference resolution and bundle payloads (real fhir.resources parsing)."""

from __future__ import annotations

import copy

import pytest

from clinimem.fhir.resource import Origin, Reject, SourcedResource
from clinimem.fhir.validate import (
    DEFAULT_POLICY,
    FULL_POLICY,
    SHALLOW_POLICY,
    check_resource,
    iter_payload,
    resolve_references,
)

PATIENT_URL = "urn:uuid:11111111-1111-4111-8111-111111111111"
ENCOUNTER_URL = "urn:uuid:22222222-2222-4222-8222-222222222222"


def observation(oid: str = "123", value: object = 7.9) -> dict:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}], "text": "HbA1c"},
        "subject": {"reference": PATIENT_URL},
        "encounter": {"reference": ENCOUNTER_URL},
        "effectiveDateTime": "2018-06-02T10:15:00+00:00",
        "valueQuantity": {"value": value, "unit": "%"},
    }


def bundle(*resources: dict, bundle_type: str = "transaction") -> dict:
    entries = []
    for res in resources:
        entry: dict = {"resource": res}
        if res.get("id"):
            entry["fullUrl"] = f"urn:uuid:{res['id']}"
        entries.append(entry)
    return {"resourceType": "Bundle", "type": bundle_type, "entry": entries}


def patient() -> dict:
    return {"resourceType": "Patient", "id": PATIENT_URL.removeprefix("urn:uuid:"), "gender": "female"}


def encounter() -> dict:
    return {
        "resourceType": "Encounter",
        "id": ENCOUNTER_URL.removeprefix("urn:uuid:"),
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": PATIENT_URL},
    }


def test_valid_resource_keeps_its_plain_dict() -> None:
    result = check_resource(observation(), Origin("o.json"))
    assert isinstance(result, SourcedResource)
    assert result.ref == "Observation/123"
    assert type(result.data) is dict
    assert result.data["valueQuantity"]["value"] == 7.9


def test_wrong_value_type_names_file_resource_and_json_path() -> None:
    result = check_resource(observation(value="abc"), Origin("export/p.json", entry=12))
    assert isinstance(result, Reject)
    assert result.code == "fhir-invalid"
    assert result.ref == "Observation/123"
    assert result.path == "$.entry[12].resource.valueQuantity.value"
    assert "export/p.json#entry[12]" in result.reason
    assert "Observation/123" in result.reason
    assert "$.entry[12].resource.valueQuantity.value" in result.reason
    assert "'abc'" in result.reason
    assert "Fix this element" in result.reason


def test_error_path_inside_a_list() -> None:
    obs = observation()
    obs["component"] = [
        {"code": {"text": "systolic"}, "valueQuantity": {"value": 120}},
        {"code": {"text": "diastolic"}, "valueQuantity": {"value": "high"}},
    ]
    result = check_resource(obs, Origin("o.json"))
    assert isinstance(result, Reject)
    assert result.path == "$.component[1].valueQuantity.value"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"status": None}, "$.status"),
        ({"bogusElement": 1}, "$.bogusElement"),
        ({"effectiveDateTime": "2018-13-45"}, "$.effectiveDateTime"),
        ({"valueString": "also a value"}, "$"),  # two value[x]: the error is on the resource
    ],
)
def test_other_invalid_shapes(change: dict, path: str) -> None:
    obs = observation()
    for key, value in change.items():
        if value is None:
            obs.pop(key)
        else:
            obs[key] = value
    result = check_resource(obs, Origin("o.json"))
    assert isinstance(result, Reject), change
    assert result.code == "fhir-invalid"
    assert result.path == path


def test_object_given_as_string_is_explained() -> None:
    enc = encounter()
    enc["class"] = "AMB"
    result = check_resource(enc, Origin("e.json"))
    assert isinstance(result, Reject)
    assert result.path == "$.class"
    assert "expected an object, got a string" in result.reason


def test_unknown_resource_type() -> None:
    result = check_resource({"resourceType": "Observaton", "id": "x"}, Origin("b.json", entry=3))
    assert isinstance(result, Reject)
    assert result.code == "unknown-type"
    assert result.ref == "Observaton/x"
    assert result.path == "$.entry[3].resource.resourceType"
    assert "not a FHIR R4 resource type" in result.reason


def test_missing_id_is_taken_from_full_url_or_derived_with_a_warning() -> None:
    obs = observation()
    del obs["id"]
    taken = check_resource(obs, Origin("b.json", entry=0), full_url="urn:uuid:abc-1")
    assert isinstance(taken, SourcedResource)
    assert taken.id == "abc-1" and taken.warnings == ()
    assert "id" not in obs  # the caller's dict is not modified

    restful = check_resource(obs, Origin("b.json", entry=0), full_url="http://example.org/fhir/Observation/9")
    assert isinstance(restful, SourcedResource) and restful.id == "9"

    # id is optional on a standalone resource: a deterministic id from origin and content, said so.
    first = check_resource(obs, Origin("b.json", entry=0))
    again = check_resource(dict(obs), Origin("b.json", entry=0))
    other = check_resource({**obs, "status": "amended"}, Origin("b.json", entry=0))
    assert isinstance(first, SourcedResource) and isinstance(again, SourcedResource)
    assert isinstance(other, SourcedResource)
    assert first.id == again.id != other.id and first.id.startswith("cm-")
    assert first.data["id"] == first.id
    (warning,) = first.warnings
    assert (warning.code, warning.severity, warning.path) == (
        "id-assigned",
        "warning",
        "$.entry[0].resource.id",
    )
    assert "has no id" in warning.reason and first.id in warning.reason


def test_no_resource_type() -> None:
    result = check_resource({"id": "1"}, Origin("x.json"))
    assert isinstance(result, Reject)
    assert result.code == "fhir-invalid"
    assert result.path == "$.resourceType"


def test_references_resolved_anywhere_and_input_untouched() -> None:
    report = {
        "resourceType": "DiagnosticReport",
        "id": "dr1",
        "status": "final",
        "code": {"text": "panel"},
        "subject": {"reference": PATIENT_URL},
        "result": [{"reference": "urn:uuid:obs-1"}, {"reference": "Observation/already"}],
        "extension": [{"url": "http://example.org/x", "valueReference": {"reference": ENCOUNTER_URL}}],
        "performer": [{"reference": "urn:uuid:not-in-bundle"}],
    }
    original = copy.deepcopy(report)
    refs = {
        PATIENT_URL: "Patient/p1",
        ENCOUNTER_URL: "Encounter/e1",
        "urn:uuid:obs-1": "Observation/obs-1",
    }
    result = check_resource(report, Origin("b.json", entry=1), refs=refs)
    assert isinstance(result, SourcedResource)
    assert result.data["subject"] == {"reference": "Patient/p1"}
    assert result.data["result"] == [{"reference": "Observation/obs-1"}, {"reference": "Observation/already"}]
    assert result.data["extension"][0]["valueReference"] == {"reference": "Encounter/e1"}
    assert result.data["performer"] == [{"reference": "urn:uuid:not-in-bundle"}]  # dangling: left as is
    assert report == original


def test_resolve_references_copies_only_what_changes() -> None:
    data = {"a": {"reference": "x"}, "b": {"text": "unchanged"}}
    out = resolve_references(data, {"x": "Patient/1"})
    assert out["a"] == {"reference": "Patient/1"}
    assert out["b"] is data["b"]
    assert resolve_references(data, {"y": "Patient/2"}) is data


def test_transaction_bundle_resolves_urn_uuid_and_numbers_entries() -> None:
    items = list(iter_payload(bundle(patient(), encounter(), observation()), "p.json"))
    assert all(isinstance(i, SourcedResource) for i in items)
    assert [i.origin.entry for i in items] == [0, 1, 2]
    obs = items[2]
    assert obs.data["subject"]["reference"] == f"Patient/{PATIENT_URL.removeprefix('urn:uuid:')}"
    assert obs.data["encounter"]["reference"] == f"Encounter/{ENCOUNTER_URL.removeprefix('urn:uuid:')}"


def test_resource_without_id_gets_it_from_full_url_in_a_bundle() -> None:
    obs = observation()
    del obs["id"]
    doc = bundle(patient(), obs)
    doc["entry"][1]["fullUrl"] = "urn:uuid:33333333-3333-4333-8333-333333333333"
    items = list(iter_payload(doc, "p.json"))
    assert isinstance(items[1], SourcedResource)
    assert items[1].id == "33333333-3333-4333-8333-333333333333"


@pytest.mark.parametrize(
    "bundle_type", ["transaction", "batch", "collection", "searchset", "document", "message"]
)
def test_every_bundle_type_is_read(bundle_type: str) -> None:
    items = list(iter_payload(bundle(patient(), observation(), bundle_type=bundle_type), "b.json"))
    assert [type(i).__name__ for i in items] == ["SourcedResource", "SourcedResource"]


def test_unknown_bundle_type_is_one_reject() -> None:
    items = list(iter_payload(bundle(patient(), bundle_type="pile"), "b.json"))
    assert len(items) == 1
    assert isinstance(items[0], Reject)
    assert items[0].path == "$.type"


def test_single_resource_document_has_root_origin() -> None:
    (item,) = iter_payload(patient(), "patient.json")
    assert isinstance(item, SourcedResource)
    assert item.origin == Origin("patient.json")


def test_entries_without_resource_are_reported_not_dropped() -> None:
    doc = bundle(patient(), bundle_type="history")
    doc["entry"].append(
        {
            "fullUrl": "http://example.org/fhir/Observation/9",
            "request": {"method": "DELETE", "url": "Observation/9"},
            "response": {"status": "410 Gone"},
        }
    )
    doc["entry"].append({"fullUrl": "http://example.org/fhir/Condition/4"})
    items = list(iter_payload(doc, "h.json"))
    assert len(items) == 3
    deleted, empty = items[1], items[2]
    assert isinstance(deleted, Reject) and deleted.code == "out-of-scope"
    assert deleted.ref == "Observation/9"
    assert "deletion" in deleted.reason
    assert isinstance(empty, Reject) and empty.code == "fhir-invalid"
    assert empty.ref == "Condition/4"
    assert empty.path == "$.entry[2].resource"


def test_search_outcome_is_out_of_scope() -> None:
    doc = bundle(patient(), bundle_type="searchset")
    doc["entry"][0]["search"] = {"mode": "match"}
    doc["entry"].append(
        {
            "resource": {
                "resourceType": "OperationOutcome",
                "id": "oo",
                "issue": [{"severity": "warning", "code": "informational"}],
            },
            "search": {"mode": "outcome"},
        }
    )
    items = list(iter_payload(doc, "s.json"))
    assert isinstance(items[0], SourcedResource)
    outcome = items[1]
    assert isinstance(outcome, Reject)
    assert (outcome.code, outcome.ref, outcome.origin.entry) == ("out-of-scope", "OperationOutcome/oo", 1)


def test_bad_entries_are_rejected_one_by_one() -> None:
    doc = bundle(
        patient(), observation("bad", value="abc"), {"resourceType": "Alien", "id": "z"}, observation("ok")
    )
    items = list(iter_payload(doc, "p.json"))
    assert [type(i).__name__ for i in items] == ["SourcedResource", "Reject", "Reject", "SourcedResource"]
    assert items[1].code == "fhir-invalid"
    assert items[1].path == "$.entry[1].resource.valueQuantity.value"
    assert items[2].code == "unknown-type"


def test_non_r4_payload_is_one_version_reject() -> None:
    stu3 = {
        "resourceType": "Condition",
        "id": "c",
        "clinicalStatus": "active",
        "subject": {"reference": "Patient/1"},
    }
    items = list(iter_payload(bundle(patient(), stu3, observation()), "old.json"))
    assert len(items) == 1
    assert items[0].code == "fhir-version"
    assert "STU3" in items[0].reason


def test_billing_types_get_the_shallow_check_by_default() -> None:
    claim = {
        "resourceType": "Claim",
        "id": "cl1",
        "status": "active",
        "type": {"text": "institutional"},
        "use": "claim",
        "patient": {"reference": "Patient/1"},
        "created": "2020-01-01",
        "provider": {"reference": "Organization/o"},
        "priority": {"text": "normal"},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "x"}}],
        "total": {"value": "not a number"},
    }
    assert isinstance(check_resource(claim, Origin("c.json"), policy=DEFAULT_POLICY), SourcedResource)
    full = check_resource(claim, Origin("c.json"), policy=FULL_POLICY)
    assert isinstance(full, Reject) and full.path == "$.total.value"
    claim["notAnElement"] = 1
    shallow = check_resource(claim, Origin("c.json"), policy=DEFAULT_POLICY)
    assert isinstance(shallow, Reject) and shallow.path == "$.notAnElement"


def test_shallow_policy_still_needs_known_type() -> None:
    no_id = check_resource({"resourceType": "Patient"}, Origin("p.json"), policy=SHALLOW_POLICY)
    assert isinstance(no_id, SourcedResource) and [w.code for w in no_id.warnings] == ["id-assigned"]
    result = check_resource({"resourceType": "Nope", "id": "1"}, Origin("p.json"), policy=SHALLOW_POLICY)
    assert isinstance(result, Reject) and result.code == "unknown-type"


def test_response_entry_without_resource_is_out_of_scope() -> None:
    doc = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [{"response": {"status": "201 Created", "location": "Patient/p9/_history/1"}}],
    }
    (item,) = iter_payload(doc, "r.json")
    assert isinstance(item, Reject)
    assert (item.code, item.ref) == ("out-of-scope", "Patient/p9")
    assert "return=representation" in item.reason


def test_id_must_be_a_string() -> None:
    result = check_resource({"resourceType": "Patient", "id": 42}, Origin("p.json"))
    assert isinstance(result, Reject)
    assert "id must be a string" in result.reason


def test_the_types_validated_in_full_are_the_types_the_memory_reads() -> None:
    from clinimem.fhir.validate import MEMORY_TYPES
    from clinimem.memory.mappers import MAPPERS

    assert set(MAPPERS) == MEMORY_TYPES


def test_r4b_errors_reject_only_the_types_the_memory_reads() -> None:
    # valid R4 (a primitive extension on an extension's valueString) that the R4B model refuses
    code_system = {
        "resourceType": "CodeSystem",
        "id": "v2-0061",
        "status": "active",
        "content": "complete",
        "concept": [
            {"code": "x", "extension": [{"url": "http://e", "valueString": "a", "_valueString": {}}]}
        ],
    }
    assert isinstance(check_resource(code_system, Origin("c.json")), SourcedResource)
    full = check_resource(code_system, Origin("c.json"), policy=FULL_POLICY)
    assert isinstance(full, Reject) and full.code == "fhir-invalid"
    observation = {"resourceType": "Observation", "id": "o", "status": "final", "code": {"text": "x"}}
    observation["valueQuantity"] = {"value": "abc"}
    assert check_resource(observation, Origin("o.json")).code == "fhir-invalid"

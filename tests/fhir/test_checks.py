"""Required value sets and plausibility checks of single resources (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime

from clinimem.fhir.plausibility import check_birth, check_plausibility
from clinimem.fhir.resource import Origin, Reject, SourcedResource
from clinimem.fhir.validate import check_resource
from clinimem.fhir.valuesets import check_codes

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _condition(*codings: dict) -> dict:
    return {"resourceType": "Condition", "clinicalStatus": {"coding": list(codings)}}


def test_valid_codes_pass_untouched() -> None:
    data = {"resourceType": "MedicationRequest", "status": "active", "intent": "order"}
    fixed, problems = check_codes(data)
    assert fixed is data and problems == []


def test_case_blanks_and_underscores_are_normalised_with_a_warning() -> None:
    data = {"resourceType": "MedicationRequest", "status": "Entered_In_Error", "intent": "ORDER"}
    fixed, problems = check_codes(data)
    assert (fixed["status"], fixed["intent"]) == ("entered-in-error", "order")
    assert data["status"] == "Entered_In_Error"  # the caller's dict is not changed
    assert [(p.severity, p.path) for p in problems] == [("warning", "status"), ("warning", "intent")]


def test_unknown_code_is_an_error_naming_the_allowed_ones() -> None:
    fixed, problems = check_codes({"resourceType": "Immunization", "status": "given"})
    (problem,) = problems
    assert problem.severity == "error" and problem.path == "status"
    assert "allowed: completed, entered-in-error, not-done" in problem.message
    assert fixed["status"] == "given"


def test_concept_from_the_required_system_is_moved_first() -> None:
    data = _condition(
        {"system": "http://snomed.info/sct", "code": "55561003"},
        {"system": CLINICAL, "code": "Resolved"},
    )
    fixed, problems = check_codes(data)
    assert fixed["clinicalStatus"]["coding"][0] == {"system": CLINICAL, "code": "resolved"}
    assert sorted(p.severity for p in problems) == ["warning", "warning"]


def test_concept_without_a_coding_of_the_set_is_an_error() -> None:
    _, problems = check_codes(_condition({"system": "http://snomed.info/sct", "code": "55561003"}))
    assert [p.severity for p in problems] == ["error"]
    assert "no coding from " + CLINICAL in problems[0].message


def test_extensible_encounter_class_fixes_case_only() -> None:
    fixed, problems = check_codes({"resourceType": "Encounter", "class": {"system": ACT, "code": "emer"}})
    assert fixed["class"]["code"] == "EMER" and problems[0].severity == "warning"
    fixed, problems = check_codes({"resourceType": "Encounter", "class": {"system": ACT, "code": "XYZ"}})
    assert problems == []


def test_unit_dimension_against_loinc_also_in_components() -> None:
    panel = {
        "resourceType": "Observation",
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "valueQuantity": {"value": 120, "unit": "mm[Hg]"},
            },
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                "valueQuantity": {"value": 80, "unit": "kg"},
            },
        ],
    }
    (problem,) = check_plausibility(panel, NOW)
    assert problem.severity == "error" and problem.path == "component[1].valueQuantity.unit"
    assert "LOINC 8462-4 (diastolic blood pressure)" in problem.message


def test_future_times_are_errors_unless_planned() -> None:
    obs = {"resourceType": "Observation", "effectiveDateTime": "2027-06-01"}
    assert [p.severity for p in check_plausibility(obs, NOW)] == ["error"]
    planned = {"resourceType": "Encounter", "status": "planned", "period": {"start": "2027-06-01"}}
    assert check_plausibility(planned, NOW) == []
    assert check_plausibility({"resourceType": "CarePlan", "period": {"start": "2027-06-01"}}, NOW) == []
    assert (
        check_plausibility({**obs, "effectiveDateTime": "2026-01-01T10:00:00-05:00"}, NOW) == []
    )  # a time zone


def test_before_birth_is_a_warning() -> None:
    obs = {"resourceType": "Observation", "effectiveDateTime": "1950-01-01"}
    (problem,) = check_birth(obs, "1960-04-02")
    assert problem.severity == "warning" and "before the patient's birth" in problem.message
    assert check_birth({**obs, "effectiveDateTime": "1960-04-02"}, "1960-04-02") == []


def test_check_resource_never_raises_on_odd_input() -> None:
    odd = {
        "resourceType": "DiagnosticReport",
        "id": "d1",
        "status": "final",
        "code": {"text": "x"},
        "contained": [{"resourceType": "SpecimnType", "id": "s"}, "not an object"],
    }
    result = check_resource(odd, Origin("f.json"))
    assert isinstance(result, Reject) and result.code == "unknown-type"
    assert result.path == "$.contained[0].resourceType"
    stu3 = {**odd, "contained": [{"resourceType": "ProcedureRequest", "id": "p"}]}
    result = check_resource(stu3, Origin("f.json"))
    assert isinstance(result, Reject) and result.code == "fhir-version" and "STU3" in result.reason


def test_r5_element_is_named_as_r5() -> None:
    r5 = {
        "resourceType": "Condition",
        "id": "c",
        "subject": {"reference": "Patient/1"},
        "participant": [{"actor": {"reference": "Patient/1"}}],
    }
    result = check_resource(r5, Origin("f.json"))
    assert isinstance(result, Reject)
    assert "it is a FHIR R5 element of Condition" in result.reason


def test_good_resource_has_no_warnings() -> None:
    ok = {
        "resourceType": "Observation",
        "id": "o",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2"}]},
        "subject": {"reference": "Patient/1"},
        "effectiveDateTime": "2019-01-01",
        "valueQuantity": {"value": 180, "unit": "cm", "system": "http://unitsofmeasure.org", "code": "cm"},
    }
    result = check_resource(ok, Origin("f.json"))
    assert isinstance(result, SourcedResource) and result.warnings == ()


def test_list_of_codes_is_checked_item_by_item() -> None:
    fixed, problems = check_codes({"resourceType": "AllergyIntolerance", "category": ["Food", "drug"]})
    assert fixed["category"] == ["Food", "drug"]  # an error: nothing is changed
    assert [(p.severity, p.path) for p in problems] == [("warning", "category[0]"), ("error", "category[1]")]
    fixed, problems = check_codes({"resourceType": "AllergyIntolerance", "category": ["Food", "medication"]})
    assert fixed["category"] == ["food", "medication"] and len(problems) == 1

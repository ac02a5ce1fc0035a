"""Bad input never becomes a wrong answer (issue 15): every file of ``tests/data/bad-input``.

Each file has an expected outcome below (what loads, what is rejected with which
code, what is warned about); the tests check it at the connector stage (real
R4B validation, no store), through a real load into embedded Qdrant (duplicates,
quarantine, totals), and by asking the trained controller the question that went
wrong before ("currently taking" after a capitalised status).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest
from clinimem_connectors.sources import iter_sources

from clinimem.fhir.resource import Reject, SourcedResource
from clinimem.ingest.load import load_sources
from clinimem.memory.store import release_shared_store, shared_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from input_count import count_resources  # noqa: E402

BAD = Path(__file__).resolve().parents[1] / "data" / "bad-input"

# file -> (loaded at the connector stage, rejects per code, warnings per code)
EXPECTED: dict[str, tuple[int, dict[str, int], dict[str, int]]] = {
    "status-case.json": (5, {}, {"normalised": 4}),
    "status-invalid.json": (1, {"fhir-invalid": 2}, {}),
    "duplicate-ids.json": (7, {}, {}),  # duplicates are judged by the load (see below)
    "duplicate-fullurl.json": (4, {"duplicate": 1}, {}),
    "contained-unknown.json": (2, {"unknown-type": 1}, {}),
    "contained-stu3.json": (0, {"fhir-version": 1}, {}),
    "misspelt-type.json": (0, {"unknown-type": 1}, {}),
    "r4-only-type.json": (0, {"out-of-scope": 1}, {}),
    "stu3-export.ndjson": (0, {"fhir-version": 1}, {}),
    "dstu2-export.ndjson": (0, {"fhir-version": 1}, {}),
    "r5-conditions.ndjson": (0, {"fhir-version": 1}, {}),
    "implausible.json": (4, {"implausible": 2}, {"implausible": 3, "normalised": 1}),
    "orphan.ndjson": (1, {}, {}),  # quarantined by the load (see below)
    "before-birth.ndjson": (2, {}, {}),  # warned by the load, which knows the Patient (see below)
    "no-id-patient.json": (1, {}, {"id-assigned": 1}),
    "many-errors.json": (0, {"fhir-invalid": 1}, {}),
    "empty.ndjson": (0, {"empty": 1}, {}),
}


def _outcome(path: Path) -> tuple[int, dict[str, int], dict[str, int], list[Reject], list[Reject]]:
    loaded, rejects, warnings = 0, [], []
    for item in iter_sources([path]):
        if isinstance(item, Reject):
            rejects.append(item)
        else:
            assert isinstance(item, SourcedResource)
            loaded += 1
            warnings.extend(item.warnings)
    return (
        loaded,
        dict(Counter(r.code for r in rejects)),
        dict(Counter(w.code for w in warnings)),
        rejects,
        warnings,
    )


def test_every_file_has_its_expected_outcome() -> None:
    assert sorted(p.name for p in BAD.iterdir() if p.is_file() and p.name != "README.md") == sorted(EXPECTED)
    for name, (loaded, rejected, warned) in EXPECTED.items():
        got_loaded, got_rejected, got_warned, rejects, warnings = _outcome(BAD / name)
        assert (got_loaded, got_rejected, got_warned) == (loaded, rejected, warned), name
        for reject in [*rejects, *warnings]:
            # every reject and warning names the file, and says where
            assert str(BAD / name) in reject.reason, reject
            assert reject.path or reject.resource_type is None, reject  # a whole-file reject names no path


def test_wrong_case_status_is_normalised_and_said() -> None:
    items = [i for i in iter_sources([BAD / "status-case.json"]) if isinstance(i, SourcedResource)]
    by_ref = {i.ref: i for i in items}
    assert by_ref["MedicationRequest/mr-case"].data["status"] == "active"
    assert by_ref["Immunization/imm-case"].data["status"] == "completed"
    assert by_ref["Observation/obs-case"].data["status"] == "final"
    condition = by_ref["Condition/cond-case"]
    assert condition.data["clinicalStatus"]["coding"][0]["code"] == "active"
    (warning,) = condition.warnings
    assert warning.severity == "warning"
    assert warning.path == "$.entry[2].resource.clinicalStatus.coding[0].code"
    assert "'Active' normalised to 'active'" in warning.reason
    assert "Condition/cond-case" in warning.reason


def test_code_outside_the_value_set_is_rejected_with_path_and_allowed_codes() -> None:
    *_, rejects, _ = _outcome(BAD / "status-invalid.json")
    by_ref = {r.ref: r for r in rejects}
    finalised = by_ref["Observation/obs-finalised"]
    assert finalised.path == "$.entry[1].resource.status"
    assert "'finalised' is not in the required value set" in finalised.reason
    assert "allowed: amended, cancelled, corrected, entered-in-error, final, preliminary" in finalised.reason
    ongoing = by_ref["Condition/cond-bad"]
    assert ongoing.path == "$.entry[2].resource.clinicalStatus.coding[0].code"
    assert "active, inactive, recurrence, relapse, remission, resolved" in ongoing.reason


def test_unknown_contained_type_rejects_that_resource_only() -> None:
    loaded, _, _, rejects, _ = _outcome(BAD / "contained-unknown.json")
    (reject,) = rejects
    assert reject.ref == "DiagnosticReport/dr-typo"
    assert reject.path == "$.entry[1].resource.contained[0].resourceType"
    assert "'SpecimnType'" in reject.reason
    assert loaded == 2  # the Patient and the good Observation of the same file


def test_other_versions_are_refused_whole_with_the_version_named() -> None:
    for name, version, marker in (
        ("stu3-export.ndjson", "STU3", "Condition.clinicalStatus is a plain string"),
        ("dstu2-export.ndjson", "DSTU2", "MedicationOrder"),
        ("r5-conditions.ndjson", "R5", "Condition.participant"),
        ("contained-stu3.json", "STU3", "ProcedureRequest"),
    ):
        items = list(iter_sources([BAD / name]))
        assert len(items) == 1, name  # one reject for the whole file: nothing half-loaded
        (reject,) = items
        assert isinstance(reject, Reject) and reject.code == "fhir-version"
        assert f"FHIR {version}" in reject.reason and marker in reject.reason, reject.reason


def test_every_error_of_a_resource_is_listed() -> None:
    *_, rejects, _ = _outcome(BAD / "many-errors.json")
    (reject,) = rejects
    assert "3 errors:" in reject.reason
    for path in ("$.effectiveDateTime", "$.valueQuantity.value", "$.notAnElement"):
        assert path in reject.reason


def test_plausibility_rejects_and_warnings_say_why() -> None:
    _, _, _, rejects, warnings = _outcome(BAD / "implausible.json")
    reasons = {r.ref: r.reason for r in rejects}
    assert "unit 'kg' measures mass, but LOINC 8302-2 (body height)" in reasons["Observation/obs-height-kg"]
    assert "2099-01-01 is in the future" in reasons["Observation/obs-2099"]
    warned = {(w.ref, w.code, w.path) for w in warnings}
    assert ("Encounter/enc-backwards", "implausible", "$.entry[5].resource.period.end") in warned
    assert ("Patient/p-odd", "implausible", "$.entry[0].resource.name[0].family") in warned
    assert ("Observation/obs-before-birth", "implausible", "$.entry[4].resource.effectiveDateTime") in warned
    (before,) = [w for w in warnings if w.ref == "Observation/obs-before-birth"]
    assert "before the patient's birth (1960-04-02)" in before.reason


def test_r4_types_removed_in_r4b_are_named_as_such() -> None:
    (reject,) = list(iter_sources([BAD / "r4-only-type.json"]))
    assert isinstance(reject, Reject) and reject.code == "out-of-scope"
    assert "FHIR R4 (4.0.1) resource type that R4B removed" in reject.reason


@pytest.fixture(scope="module")
def bad_load(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - (LoadResult, location)
    location = str(tmp_path_factory.mktemp("bad-input") / "store")
    result = load_sources([BAD], store_location=location, reader_process=False)
    yield result, location
    release_shared_store(shared_store(location))


def test_load_totals_add_up_per_type(bad_load) -> None:  # noqa: ANN001
    report = bad_load[0].report
    for rtype in report.seen:
        assert report.seen[rtype] == report.loaded[rtype] + report.rejected[rtype]
    # against the files themselves: a file refused whole (another version) counts what it held
    assert dict(report.seen) == dict(count_resources(BAD))
    assert report.total_rejected == sum(sum(n for _, n in r.counts) or 1 for r in report.rejects)
    assert sum(report.by_code().values()) == report.total_rejected


def test_duplicates_are_reported_never_silently_last_wins(bad_load) -> None:  # noqa: ANN001
    result, location = bad_load
    dups = [r for r in result.report.rejects if r.code == "duplicate"]
    by_ref: dict[str, list[Reject]] = {}
    for reject in dups:
        by_ref.setdefault(str(reject.ref), []).append(reject)
    # the 2013 height is older (meta.lastUpdated): it is the one rejected, both origins named
    (height,) = by_ref["Observation/obs-height"]
    assert height.origin.entry == 2 and "duplicate-ids.json#entry[1]" in height.reason
    assert "is older" in height.reason
    # an identical copy counts once
    (weight,) = by_ref["Observation/obs-weight"]
    assert "identical copy" in weight.reason
    # no lastUpdated: the later copy is kept, the earlier goes to the report
    (bmi,) = by_ref["Observation/obs-bmi"]
    assert bmi.origin.entry == 5 and "duplicate-ids.json#entry[6] is kept" in bmi.reason
    # two id-less entries under one urn:uuid fullUrl: one identity, both reported
    assert "Observation/5d0b2c2e-1111-4c1e-9a11-000000000002" in by_ref
    assert "Observation/rr-2" in by_ref  # one fullUrl for two identities

    # a superseded copy is never written: what the memory wrote is what the report loaded
    stats = result.stats
    assert stats.added + stats.updated + stats.removed == result.report.total_loaded
    assert stats.updated == 0  # a fresh store

    values = {(e.resource, e.value) for e in shared_store(location).entries("p-dup")}
    assert ("Observation/obs-height", 180.0) in values and ("Observation/obs-height", 185.8) not in values
    assert ("Observation/obs-bmi", 24.7) in values and ("Observation/obs-bmi", 24.1) not in values


def test_orphan_is_quarantined_and_no_phantom_patient(bad_load) -> None:  # noqa: ANN001
    result, location = bad_load
    (orphan,) = [r for r in result.report.rejects if r.code == "unknown-patient"]
    assert orphan.ref == "Observation/obs-orphan"
    assert "Patient/p-nobody" in orphan.reason and "quarantined" in orphan.reason
    store = shared_store(location)
    assert store.patient("p-nobody") is None
    assert store.entries("p-nobody") == []


def test_warnings_reach_the_report(bad_load, tmp_path: Path) -> None:  # noqa: ANN001
    report = bad_load[0].report
    assert report.warnings_by_code() == Counter({"normalised": 5, "implausible": 4, "id-assigned": 1})
    assert "warnings (loaded): id-assigned 1, implausible 4, normalised 5" in report.render()
    (nd,) = [w for w in report.warnings if w.ref == "Observation/obs-nd-before-birth"]
    assert nd.origin.line == 2 and "before its patient's birth (1990-05-05)" in nd.reason
    written = (report.write_rejects(tmp_path / "rej.jsonl")).read_text(encoding="utf-8").splitlines()
    assert len(written) == len(report.rejects) + len(report.warnings)
    assert sum('"severity": "warning"' in line for line in written) == len(report.warnings)


def test_currently_taking_answers_after_a_normalised_status(bad_load) -> None:  # noqa: ANN001
    from clinimem.api import Clinimem

    _, location = bad_load
    store = shared_store(location)
    statuses = {e.status for e in store.entries("p-case") if e.kind == "medication"}
    assert statuses == {"active"}
    answer = Clinimem(store).ask("p-case", "What medications is he currently taking?")
    assert not answer.abstained, answer
    assert "Metformin" in answer.answer.text or "metformin" in answer.answer.text.lower()


def test_an_export_with_one_old_version_file_is_refused_whole() -> None:
    folder = BAD.parent / "stu3-export-by-type"
    items = list(iter_sources([folder]))
    assert [(Path(i.origin.source).name, i.code) for i in items if isinstance(i, Reject)] == [
        ("Patient.ndjson", "fhir-version"),
        ("Condition.ndjson", "fhir-version"),
        ("Encounter.ndjson", "fhir-version"),
    ]
    assert len(items) == 3  # nothing loaded: the Encounters look like R4 but belong to an STU3 export
    assert "same export (folder) as Condition.ndjson, which is FHIR STU3" in items[2].reason


def test_the_reader_process_reports_the_same(bad_load, tmp_path: Path) -> None:  # noqa: ANN001
    result, _ = bad_load
    location = str(tmp_path / "store")
    try:
        other = load_sources([BAD], store_location=location, reader_process=True)
    finally:
        release_shared_store(shared_store(location))
    assert other.report.loaded == result.report.loaded
    assert other.report.rejected == result.report.rejected
    assert [r.as_dict() for r in other.report.rejects] == [r.as_dict() for r in result.report.rejects]
    assert [w.as_dict() for w in other.report.warnings] == [w.as_dict() for w in result.report.warnings]

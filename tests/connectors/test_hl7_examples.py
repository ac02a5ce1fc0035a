"""Official HL7 FHIR examples through a real load (issue 15): every kept file has its expected outcome.

``tests/data/hl7-examples`` keeps 44 small files of the HL7 example packages (CC0, see its
``NOTICE.md``): ``r4/`` (R4 4.0.1, with its package manifest), ``stu3/`` and ``r5/`` (files of the
STU3 and R5 packages without their manifest: each file is judged on its own) and ``r5-package/``
(R5 files with the R5 manifest: the manifest names the version of all of them). Each folder is
one load into its own embedded store, as a user would load it; per file the test checks how many
of its resources load and which reject codes the others get, and per folder that the load's
``seen`` equals, per resource type, what the files hold (counted without clinimem).

The outcomes are the load's own and are right: an R4 clinical resource of a patient in the load
loads, one whose patient is not in the load is quarantined (``unknown-patient``), catalogue and
workflow resources are ``out-of-scope``, and a file of another version is refused with the
version named (``fhir-version``): by the manifest, by a type or element only that version has,
or because it fails R4 but is a valid resource of that version. What a file of another version
cannot show (an R5 Patient or Condition shaped exactly as in R4) loads: ``r5/`` keeps two of
them to say so.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from clinimem.fhir.resource import Reject
from clinimem.ingest.load import LoadResult, load_sources
from clinimem.memory.store import release_shared_store, shared_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from input_count import count_resources  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "hl7-examples"

Outcome = tuple[int, dict[str, int]]  # (resources loaded, rejected resources per code)

EXPECTED: dict[str, dict[str, Outcome]] = {
    "r4": {
        # Patient/example and what points to it
        "Patient-example.json": (1, {}),
        "CarePlan-obesity-narrative.json": (1, {}),
        "Condition-family-history.json": (1, {}),
        "Encounter-example.json": (1, {}),
        "Observation-eye-color.json": (1, {}),
        "Procedure-appendectomy-narrative.json": (1, {}),
        "Procedure-colon-biopsy.json": (1, {}),
        # Patient/pat1 and its drugs (statement, request, administration)
        "Patient-pat1.json": (1, {}),
        "MedicationAdministration-medadmin0312.json": (1, {}),
        "MedicationRequest-medrx002.json": (1, {}),
        "MedicationStatement-example005.json": (1, {}),
        # their patient (Patient/infant, Patient/mom) is not in the load: quarantined
        "AllergyIntolerance-nka.json": (0, {"unknown-patient": 1}),
        "Observation-bloodgroup.json": (0, {"unknown-patient": 1}),
        "Observation-vomiting.json": (0, {"unknown-patient": 1}),
        # subject is only a display name
        "Procedure-ob.json": (0, {"no-patient": 1}),
        # not clinical facts of a patient, or R4 types that R4B removed
        "CommunicationRequest-example.json": (0, {"out-of-scope": 1}),
        "Flag-example-encounter.json": (0, {"out-of-scope": 1}),
        "Medication-medicationexample1.json": (0, {"out-of-scope": 1}),
        "MedicinalProductContraindication-example.json": (0, {"out-of-scope": 1}),
        "Organization-hl7pay.json": (0, {"out-of-scope": 1}),
        "ServiceRequest-example.json": (0, {"out-of-scope": 1}),
        "SubstanceSpecification-example.json": (0, {"out-of-scope": 1}),
        "package.json": (0, {"out-of-scope": 1}),  # the package manifest (FHIR R4): read, not loaded
        # bundles: Practitioners, a transaction of requests without resources, a search outcome
        "Bundle-3ad0687e-f477-468c-afd5-fcc2bf897819.json": (0, {"out-of-scope": 2}),
        "Bundle-bundle-request-simplesummary.json": (0, {"out-of-scope": 4}),
        "Bundle-bundle-search-warning.json": (0, {"out-of-scope": 1}),
        # holds another Patient/example than Patient-example.json: the later in the input is kept
        "Bundle-bundle-response-medsallergies.json": (0, {"duplicate": 1, "out-of-scope": 4}),
        # R4's Evidence is not R4B's: the R4B model refuses it, but it is valid R4 and out of scope
        "Evidence-example.json": (0, {"out-of-scope": 1}),
    },
    "stu3": {
        # a type only STU3 has
        "DataElement-xhtml.json": (0, {"fhir-version": 1}),
        "ProcedureRequest-appendectomy-narrative.json": (0, {"fhir-version": 1}),
        # an element only STU3 has
        "CommunicationRequest-example.json": (0, {"fhir-version": 1}),
        "Device-ihe-pcd.json": (0, {"fhir-version": 1}),
        # fails R4, a valid STU3 resource
        "Contract-C-123.json": (0, {"fhir-version": 1}),
        "Media-sound.json": (0, {"fhir-version": 1}),
        # shaped as in R4: its patient is not in the load
        "Observation-eye-color.json": (0, {"unknown-patient": 1}),
        "Procedure-ob.json": (0, {"no-patient": 1}),
    },
    "r5": {
        "Encounter-example.json": (0, {"fhir-version": 1}),  # Encounter.class is a list
        "GenomicStudy-example-lungMass.json": (0, {"fhir-version": 1}),  # a type only R5 has
        "MedicationRequest-medrx0302.json": (0, {"fhir-version": 1}),  # medication is a CodeableReference
        # shaped exactly as in R4: nothing in the file tells R5 (the manifest would, see r5-package)
        "Patient-example.json": (1, {}),
        "Condition-example.json": (1, {}),
    },
    "r5-package": {
        "package.json": (0, {"out-of-scope": 1}),  # fhirVersions ["5.0.0"]
        "Patient-example.json": (0, {"fhir-version": 1}),
        "Observation-eye-color.json": (0, {"fhir-version": 1}),
    },
}


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LoadResult]:
    """Each folder loaded on its own into a fresh store (the reader process off: same result, less CPU)."""
    results: dict[str, LoadResult] = {}
    for folder in EXPECTED:
        location = str(tmp_path_factory.mktemp(folder) / "store")
        results[folder] = load_sources([EXAMPLES / folder], store_location=location, reader_process=False)
        release_shared_store(shared_store(location))
    return results


def _outcomes(folder: str, result: LoadResult) -> dict[str, Outcome]:
    got: dict[str, Outcome] = {}
    for path in sorted((EXAMPLES / folder).iterdir()):
        held = sum(count_resources(path).values())
        codes: Counter[str] = Counter()
        for reject in result.report.rejects:
            if Path(reject.origin.source).name == path.name:
                codes[reject.code] += sum(n for _, n in reject.counts) or 1
        got[path.name] = (held - sum(codes.values()), dict(codes))
    return got


def test_the_kept_files_are_the_expected_ones() -> None:
    for folder, files in EXPECTED.items():
        assert sorted(p.name for p in (EXAMPLES / folder).iterdir()) == sorted(files), folder


@pytest.mark.parametrize("folder", list(EXPECTED))
def test_every_file_has_its_expected_outcome(loads: dict[str, LoadResult], folder: str) -> None:
    assert _outcomes(folder, loads[folder]) == EXPECTED[folder]


@pytest.mark.parametrize("folder", list(EXPECTED))
def test_seen_is_what_the_files_hold_per_type(loads: dict[str, LoadResult], folder: str) -> None:
    report = loads[folder].report
    assert dict(report.seen) == dict(count_resources(EXAMPLES / folder))
    assert report.total_seen == report.total_loaded + report.total_rejected
    assert sum(report.by_code().values()) == report.total_rejected


def test_versions_are_named_and_every_reject_says_where(loads: dict[str, LoadResult]) -> None:
    for folder, result in loads.items():
        for reject in result.report.rejects:
            assert isinstance(reject, Reject)
            assert reject.origin.source in reject.reason, reject  # the file
            if reject.resource_type and reject.resource_id and reject.code != "duplicate":
                assert reject.ref in reject.reason, reject  # the resource
            if reject.code == "fhir-version":
                expected = {"stu3": "FHIR STU3", "r5": "FHIR R5", "r5-package": "FHIR R5"}[folder]
                assert expected in reject.reason, reject
                assert "R4" in reject.reason and "load it again" in reject.reason, reject  # what to do
    (refused,) = [
        r for r in loads["r5-package"].report.rejects if r.origin.source.endswith("Patient-example.json")
    ]
    assert "package.json" in refused.reason and refused.counts == (("Patient", 1),)


def test_the_whole_kept_set_in_one_load(tmp_path: Path) -> None:
    """Every kept example and every hand-made broken file in one load: it ends (no crash) and what it
    saw is what the files hold, per type (duplicates across folders included)."""
    sources = [EXAMPLES, EXAMPLES.parent / "bad-input"]
    location = str(tmp_path / "store")
    try:
        result = load_sources(sources, store_location=location, reader_process=False)
    finally:
        release_shared_store(shared_store(location))
    report = result.report
    assert dict(report.seen) == dict(count_resources(*sources))
    assert report.total_loaded > 0 and sum(report.by_code().values()) == report.total_rejected

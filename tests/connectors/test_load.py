"""Loading sources into the memory: nothing silently dropped, idempotent, bad files rejected one by one."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from clinimem_connectors.report import FILE_ROW
from fhir_samples import (
    SYNTHEA_OUT_OF_SCOPE,
    bad_folder,
    expected_entry_count,
    raw_resources,
    raw_resources_of,
)

from clinimem.ingest.load import load_sources
from clinimem.memory.mappers import OUT_OF_SCOPE
from clinimem.memory.store import release_shared_store, shared_store


def test_all_synthea_bundles_load_with_zero_silent_drops(synthea_store, synthea_dir: Path) -> None:
    raw = raw_resources(synthea_dir)
    in_files = Counter(r["resourceType"] for _, r in raw)
    report = synthea_store.result.report
    assert report.total_seen == len(raw) == 7023
    for rtype, count in in_files.items():
        assert report.loaded[rtype] + report.rejected[rtype] == count, rtype
    assert set(report.seen) == set(in_files)  # no type appears that the files do not hold

    # Every reject is explained: only billing and directory types, each with its reason.
    assert {rtype for rtype, n in report.rejected.items() if n} == SYNTHEA_OUT_OF_SCOPE
    assert sum(report.rejected.values()) == sum(in_files[t] for t in SYNTHEA_OUT_OF_SCOPE)
    for reject in report.rejects:
        assert reject.code == "out-of-scope"
        assert OUT_OF_SCOPE[reject.resource_type] in reject.reason
        assert reject.resource_id and reject.origin.entry is not None

    # What was loaded is in the memory: per patient every resource, in all one entry per fact.
    store = synthea_store.store
    by_patient = Counter(
        (r["id"] if r["resourceType"] == "Patient" else r.get("subject", r.get("patient", {}))["reference"])
        for _, r in raw
        if r["resourceType"] not in SYNTHEA_OUT_OF_SCOPE
    )
    summaries = {p.patient_id: p for p in store.patients()}
    assert len(summaries) == 23
    for summary in summaries.values():
        resources = by_patient[summary.patient_id] + by_patient[f"urn:uuid:{summary.patient_id}"]
        assert summary.resources == resources, summary
        assert summary.name and summary.birth_date
    expected_entries = sum(expected_entry_count(r) for _, r in raw)
    assert store.count() == expected_entries == sum(p.entries for p in summaries.values())
    assert synthea_store.result.stats.added == report.total_loaded


def test_loading_the_same_bundles_again_changes_nothing(synthea_store, synthea_dir: Path) -> None:
    store = synthea_store.store
    ids_before, count_before = store.entry_ids(), store.count()
    patients_before = store.patients()

    again = load_sources([synthea_dir], store_location=synthea_store.location)

    stats = again.stats
    assert stats.unchanged == again.report.total_loaded == synthea_store.result.report.total_loaded
    assert (stats.added, stats.updated, stats.removed, stats.stale) == (0, 0, 0, 0)
    assert (stats.entries_written, stats.entries_deleted, again.concepts_encoded) == (0, 0, 0)
    assert store.count() == count_before
    assert store.entry_ids() == ids_before
    assert store.patients() == patients_before


@pytest.mark.parametrize(("name", "version"), [("stu3", "STU3"), ("dstu2", "DSTU2")])
def test_older_fhir_versions_are_refused_by_name(other_versions_dir: Path, tmp_path, name, version) -> None:
    path = other_versions_dir / f"{name}_patient_bundle.json"
    location = str(tmp_path / "store")
    try:
        result = load_sources([path], store_location=location)
        report = result.report
        # one reject for the whole bundle, counting every resource it held under its type
        (reject,) = report.rejects
        held = json.loads(path.read_text(encoding="utf-8"))["entry"]
        assert report.total_loaded == 0 and report.total_rejected == len(held) == sum(
            n for _, n in reject.counts
        )
        assert reject.code == "fhir-version"
        assert f"FHIR {version}" in reject.reason and "R4" in reject.reason
        assert reject.origin.source == str(path)
        assert shared_store(location).count() == 0
    finally:
        release_shared_store(shared_store(location))


def test_bad_files_are_rejected_one_by_one_and_the_rest_loads(synthea_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    expected = bad_folder(folder, synthea_dir)
    location = str(tmp_path / "store")
    try:
        result = load_sources([folder], store_location=location)
        report = result.report
        assert +report.loaded == expected["loaded"]
        assert +report.rejected == expected["rejected"]
        assert report.by_code() == Counter(expected["codes"])
        assert report.total_seen == report.total_loaded + report.total_rejected

        not_billing = {r.code: r for r in report.rejects if r.code != "out-of-scope"}
        assert not_billing["unreadable"].origin.source == str(folder / "truncated.json")
        assert "invalid JSON" in not_billing["unreadable"].reason
        invalid = not_billing["fhir-invalid"]
        assert (invalid.resource_type, invalid.resource_id) == ("Observation", "obs-bad")
        assert invalid.path == "$.entry[2].resource.valueQuantity.value"
        unknown = not_billing["unknown-type"]
        assert (unknown.resource_type, unknown.resource_id) == ("Observatoin", "obs-typo")
        assert report.rejected[FILE_ROW] == 1

        store = shared_store(location)
        names = {p.name for p in store.patients()}
        assert {"Bea Broken", "Tom Typo"} <= names and len(names) == 4
        resources = {e.resource for p in ("bad-p", "typo-p") for e in store.entries(p)}
        assert resources == {
            "Patient/bad-p",
            "Observation/obs-good",
            "Patient/typo-p",
            "Observation/obs-typo-ok",
        }
        good_entries = sum(
            expected_entry_count(r) for path in expected["good"] for _, r in raw_resources_of(path)
        )
        assert store.count() == good_entries + 4
    finally:
        release_shared_store(shared_store(location))

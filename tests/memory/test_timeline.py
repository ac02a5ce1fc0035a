"""A patient's memory in time order, grouped by visit, whatever order the visits were loaded in."""

from __future__ import annotations

import json
from pathlib import Path

from fhir_samples import resolve_urns, smallest_bundles, split_by_visit, write_json

from clinimem.ingest.load import load_sources
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.store import release_shared_store, shared_store
from clinimem.memory.timeline import group_by_visit, order_entries


def entry(resource: str, kind: str, time: str | None, encounter: str | None = None) -> MemoryEntry:
    return MemoryEntry(
        patient_id="p1",
        kind=kind,
        resource=resource,
        path="$",
        text=resource,
        concept=kind,
        time=time,
        encounter=encounter,
    )


def test_order_and_visit_ordinals_from_time_not_from_input_order() -> None:
    late_visit = entry("Encounter/b", "encounter", "2021-05-01T09:00:00Z", "Encounter/b")
    early_visit = entry("Encounter/a", "encounter", "2019-01-01T09:00:00Z", "Encounter/a")
    late_lab = entry("Observation/2", "observation", "2021-05-01T09:30:00Z", "Encounter/b")
    early_lab = entry("Observation/1", "observation", "2019-01-01T09:20:00Z", "Encounter/a")
    condition_at_visit_start = entry("Condition/1", "condition", "2019-01-01T09:00:00Z", "Encounter/a")
    loose = entry("Patient/p1", "patient", "1960-04-01")
    ordered = order_entries([late_lab, late_visit, early_lab, loose, condition_at_visit_start, early_visit])
    assert [e.resource for e in ordered] == [
        "Patient/p1",
        "Encounter/a",  # at one instant the visit comes before what was found at it
        "Condition/1",
        "Observation/1",
        "Encounter/b",
        "Observation/2",
    ]
    assert [e.visit for e in ordered] == [None, 1, 1, 1, 2, 2]

    visits = group_by_visit([late_lab, late_visit, early_lab, loose, early_visit])
    assert [(v.ordinal, v.encounter, v.start) for v in visits] == [
        (0, None, None),
        (1, "Encounter/a", "2019-01-01T09:00:00Z"),
        (2, "Encounter/b", "2021-05-01T09:00:00Z"),
    ]
    assert [e.resource for e in visits[2].entries] == ["Encounter/b", "Observation/2"]


def test_an_earlier_visit_loaded_later_renumbers_the_visits(synthea_dir: Path, tmp_path: Path) -> None:
    """Load a patient's last visits first, then the first ones: ordinals are those of the full record."""
    source = smallest_bundles(synthea_dir, 1)[0]
    data = resolve_urns(json.loads(source.read_text(encoding="utf-8")))
    resources = [e["resource"] for e in data["entry"]]
    (patient_id,) = [r["id"] for r in resources if r["resourceType"] == "Patient"]
    # Expected ordinals, from the raw JSON: encounters by start time.
    encounters = sorted(
        (r for r in resources if r["resourceType"] == "Encounter"),
        key=lambda r: (r["period"]["start"], r["id"]),
    )
    ordinal = {f"Encounter/{r['id']}": i for i, r in enumerate(encounters, start=1)}
    assert len(ordinal) >= 4

    early, late = split_by_visit(data, cut=len(encounters) // 2)
    late_path = write_json(tmp_path / "late.json", late)
    early_path = write_json(tmp_path / "early.json", early)
    split_store, whole_store = str(tmp_path / "split"), str(tmp_path / "whole")
    try:
        load_sources([late_path], store_location=split_store)
        store = shared_store(split_store)
        first_read = store.entries(patient_id)
        assert {e.visit for e in first_read if e.kind == "encounter"} == set(
            range(1, len(encounters) - len(encounters) // 2 + 1)
        )
        load_sources([early_path], store_location=split_store)
        entries = store.entries(patient_id)  # a new store revision: not the cached first read

        times = [e.time or "" for e in entries]
        assert times == sorted(times)
        for e in entries:
            assert e.visit == ordinal.get(e.encounter), e
        visits = group_by_visit(entries)
        assert [v.encounter for v in visits if v.ordinal] == [f"Encounter/{r['id']}" for r in encounters]
        for visit in visits:
            assert all(e.encounter == visit.encounter for e in visit.entries if visit.ordinal)

        load_sources([source], store_location=whole_store)
        whole = shared_store(whole_store).entries(patient_id)
        assert [(e.entry_id, e.visit) for e in entries] == [(e.entry_id, e.visit) for e in whole]
    finally:
        release_shared_store(shared_store(split_store))
        release_shared_store(shared_store(whole_store))

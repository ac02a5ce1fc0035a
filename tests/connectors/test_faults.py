"""Loads from a misbehaving FHIR server never leave a wrong memory (issue 18, items 2-4).

The local server (``tests/fhir_server.py``) cuts bodies with and without a
Content-Length, tears an export file mid-line or at a line's end, lies in the
export manifest's ``count`` and answers 503 for good in the middle of a
patient. After each load the memory is compared entry by entry with a clean
load of the same records from files: a fault that is retried gives the same
memory, one that is not leaves the previous version of every patient it
touched (or none), never half a patient.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clinimem_connectors.http import RetryPolicy, cut_json
from clinimem_connectors.rest import FhirRestClient
from fhir_samples import run_cli, split_by_visit, write_json

from clinimem.errors import SourceError
from clinimem.ingest.load import load_sources
from clinimem.memory.store import release_shared_store, shared_store

SMALL = "Buster_Hoeger_ad2e3fc5-2b5d-4cb9-8d03-9ea0f4ac8423.json"  # 66 resources
OTHER = "Jacob_Larson_0b324782-31d1-4659-89ab-58e075d6e61f.json"  # 107 resources


def patient_id(synthea_dir: Path, name: str) -> str:
    return json.loads((synthea_dir / name).read_text())["entry"][0]["resource"]["id"]


def earlier_version(synthea_dir: Path, name: str, folder: Path) -> Path:
    """The record as it stood after 3 visits (the patient and those visits): a previous load."""
    data = json.loads((synthea_dir / name).read_text())
    early, late = split_by_visit(data, 3)
    first = next(e for e in late["entry"] if e["resource"]["resourceType"] == "Patient")
    return write_json(folder / f"early-{name}", {**early, "entry": [first, *early["entry"]]})


def memory(location: str) -> dict[str, Any]:
    """What readers see (patients, every entry of each) and how many points the store holds."""
    store = shared_store(location)
    patients = store.patients()
    return {
        "patients": patients,
        "entries": {p.patient_id: store.entries(p.patient_id) for p in patients},
        "points": store.count(),
        "open loads": store.client.count(store.loads_collection).count,
    }


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Any]:
    """Fresh store folders; ``stores.files(*paths)`` is the memory of a clean file load of ``paths``."""

    class Stores:
        made: list[str] = []

        def new(self) -> str:
            self.made.append(str(tmp_path / f"store-{len(self.made)}"))
            return self.made[-1]

        def files(self, *paths: Path) -> dict[str, Any]:
            location = self.new()
            result = load_sources([str(p) for p in paths], store_location=location)
            assert result.report.total_loaded
            return memory(location)

    made = Stores()
    yield made
    for location in made.made:
        release_shared_store(shared_store(location))


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without backoff (what is retried, and how often, stays the same)."""
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt, retry_after: 0.0)


# -- a page that answers 200 with cut JSON -------------------------------------------------------------------


def test_cut_json_is_told_from_a_page_that_is_not_json() -> None:
    whole = json.dumps({"resourceType": "Bundle", "entry": [{"resource": {"id": "a}]["}}]}).encode()
    assert not cut_json(whole)
    assert all(cut_json(whole[:n]) for n in range(1, len(whole) - 1))
    assert not cut_json(b"<html><body>Sign in</body></html>")
    assert not cut_json(b'{"a": 1}}')  # malformed, not cut


def test_a_page_cut_with_status_200_is_fetched_again(fhir_server, synthea_dir, stores, caplog) -> None:
    pid = patient_id(synthea_dir, SMALL)
    path = f"Patient/{pid}/$everything"
    fhir_server.page_size = 20
    # The second page: 200, no Content-Length, half the JSON, then the connection closes. Twice.
    fhir_server.inject(path, status=0, cut="close", skip=1, times=2)
    location = stores.new()
    with caplog.at_level(logging.WARNING, logger="clinimem_connectors"):
        load_sources([fhir_server.base_url], store_location=location, patient_ids=[pid], batch_size=15)
    assert len(fhir_server.calls(path)) == 4 + 2  # 66 resources in 4 pages, the second asked 3 times
    assert memory(location) == stores.files(synthea_dir / SMALL)
    cuts = [r.getMessage() for r in caplog.records if "was cut" in r.getMessage()]
    assert len(cuts) == 2 and pid not in " ".join(cuts)


def test_a_page_cut_on_every_attempt_says_the_transfer_was_cut(fhir_server, synthea_dir) -> None:
    pid = patient_id(synthea_dir, SMALL)
    fhir_server.inject(f"Patient/{pid}/$everything", status=0, cut="close", times=100)
    with FhirRestClient(fhir_server.base_url, max_retries=2) as client, pytest.raises(SourceError) as caught:
        list(client.everything(pid))
    text = str(caught.value)
    assert "HTTP 200 with JSON that ends early on each of 3 attempts" in text
    assert "the transfer was cut" in text and "login redirect" not in text


# -- a page that fails for good in the middle of a patient ---------------------------------------------------


@pytest.mark.parametrize("loaded_before", [False, True])
def test_a_patient_whose_page_fails_for_good_keeps_its_previous_version(
    fhir_server, synthea_dir, stores, tmp_path, loaded_before
) -> None:
    small, other = patient_id(synthea_dir, SMALL), patient_id(synthea_dir, OTHER)
    location = stores.new()
    before = [earlier_version(synthea_dir, OTHER, tmp_path / "in")] if loaded_before else []
    if before:
        load_sources([str(p) for p in before], store_location=location)
    fhir_server.page_size = 20
    # Pages 1-3 of the second patient come, page 4 answers 503 for good (Retry-After: 0).
    path = f"Patient/{other}/$everything"
    fhir_server.inject(path, status=503, times=1000, skip=3, retry_after="0")
    with pytest.raises(SourceError, match="HTTP 503"):
        # batch_size 15: the second patient's first pages are written before page 4 fails.
        load_sources(
            [fhir_server.base_url], store_location=location, patient_ids=[small, other], batch_size=15
        )
    assert len(fhir_server.calls(path)) == 3 + 6
    # The first patient, read whole, is in; the second is as it was: its earlier version, or absent.
    assert memory(location) == stores.files(synthea_dir / SMALL, *before)

    fhir_server.reset()
    fhir_server.page_size = 20
    load_sources([fhir_server.base_url], store_location=location, patient_ids=[small, other], batch_size=15)
    assert memory(location) == stores.files(synthea_dir / SMALL, synthea_dir / OTHER)


def test_ingest_exits_1_and_patients_lists_no_partial_patient(fhir_server, synthea_dir, tmp_path) -> None:
    other = patient_id(synthea_dir, OTHER)
    fhir_server.page_size = 20
    fhir_server.inject(f"Patient/{other}/$everything", status=503, times=1000, skip=2, retry_after="0")
    location = str(tmp_path / "store")
    args = ["--store", location, "--batch-size", "10", "--no-progress"]
    ingest = run_cli("ingest", fhir_server.base_url, "--patient", other, *args)
    assert ingest.returncode == 1, ingest.stdout + ingest.stderr
    assert "HTTP 503" in ingest.stderr
    listed = run_cli("patients", "--store", location)
    assert listed.returncode == 0, listed.stderr
    assert other not in listed.stdout and "Larson" not in listed.stdout


# -- $export files cut short or disagreeing with the manifest ------------------------------------------------


def export_source(server) -> str:
    return f"{server.base_url}/Patient/$export"


@pytest.mark.parametrize("ranges", [False, True], ids=["whole-again", "ranged"])
@pytest.mark.parametrize("cut", ["close", "line"], ids=["torn-line", "at-line-end"])
def test_an_export_file_cut_without_content_length_is_fetched_again(
    fhir_server, synthea_dir, stores, cut, ranges
) -> None:
    pid = patient_id(synthea_dir, SMALL)
    fhir_server.export_ranges = ranges
    fhir_server.inject("$export-files/*/Observation-0.ndjson", status=0, cut=cut, times=1)
    location = stores.new()
    load_sources([export_source(fhir_server)], store_location=location, patient_ids=[pid], batch_size=15)
    calls = [r for r in fhir_server.requests if r.path.endswith("/Observation-0.ndjson")]
    assert len(calls) == 2
    assert calls[0].range is None
    if ranges:  # the second asks for the rest only, from the end of the last whole line
        assert calls[1].range is not None and calls[1].range.startswith("bytes=")
        assert int(calls[1].range[6:-1]) > 0
    else:
        assert calls[1].range is None
    assert memory(location) == stores.files(synthea_dir / SMALL)


@pytest.mark.parametrize("cut", ["close", "short"], ids=["no-content-length", "content-length"])
def test_an_export_file_cut_on_every_attempt_fails_naming_it_and_changes_nothing(
    fhir_server, synthea_dir, stores, tmp_path, cut
) -> None:
    pid = patient_id(synthea_dir, SMALL)
    location = stores.new()
    earlier = earlier_version(synthea_dir, SMALL, tmp_path / "in")
    load_sources([str(earlier)], store_location=location)
    fhir_server.inject("$export-files/*/Observation-0.ndjson", status=0, cut=cut, times=1000)
    with pytest.raises(SourceError) as caught:
        load_sources([export_source(fhir_server)], store_location=location, patient_ids=[pid], batch_size=15)
    text = str(caught.value)
    assert "Observation-0.ndjson is incomplete after 6 attempts" in text
    expected = "its last line is cut off" if cut == "close" else "the connection broke"
    assert expected in text
    assert memory(location) == stores.files(earlier)


def test_a_manifest_count_the_file_does_not_reach_fails_naming_it(fhir_server, synthea_dir, stores) -> None:
    pid = patient_id(synthea_dir, SMALL)
    fhir_server.export_count_extra = 1  # the file holds one resource fewer than the manifest says
    fhir_server.export_count_files = "Observation-0.ndjson"  # after Condition, Encounter, ... files
    location = stores.new()
    with pytest.raises(SourceError) as caught:
        load_sources([export_source(fhir_server)], store_location=location, patient_ids=[pid], batch_size=15)
    text = str(caught.value)
    assert "Observation-0.ndjson is incomplete after 6 attempts" in text
    assert "where the manifest's count says" in text
    assert memory(location) == {"patients": [], "entries": {}, "points": 0, "open loads": 0}


def test_more_lines_than_the_manifest_count_fail_at_once(fhir_server, synthea_dir) -> None:
    from clinimem_connectors.bulk import BulkExportClient

    pid = patient_id(synthea_dir, SMALL)
    fhir_server.export_count_extra = -1
    with (
        BulkExportClient(fhir_server.base_url, poll_interval=0.01) as client,
        pytest.raises(SourceError) as caught,
    ):
        list(client.export(level="patient", patient_ids=[pid], types=["Observation"]))
    assert "after 1 attempts" in str(caught.value)
    assert len([r for r in fhir_server.requests if r.path.endswith("/Observation-0.ndjson")]) == 1

"""The Bulk Data $export connector against a real HTTP server serving the Synthea bundles."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from clinimem_connectors.bulk import BulkExportClient
from clinimem_connectors.remote import iter_url_source

from clinimem.errors import SourceError
from clinimem.fhir.resource import Reject, SourcedResource

# Organization and Practitioner are in no patient's compartment.
SHARED_TYPES = {"Organization", "Practitioner"}


@pytest.fixture(scope="module")
def all_resources(synthea_dir: Path) -> dict[str, str]:
    """``Type/id`` -> the patient file it came from, for every resource of the 23 bundles.

    Organizations and Practitioners shared by several bundles count once, as on a server.
    """
    refs: dict[str, str] = {}
    for path in sorted(synthea_dir.glob("*.json")):
        for entry in json.loads(path.read_text())["entry"]:
            refs.setdefault(f"{entry['resource']['resourceType']}/{entry['resource']['id']}", path.name)
    return refs


def by_type(refs) -> Counter[str]:
    return Counter(ref.split("/", 1)[0] for ref in refs)


def split(items) -> tuple[list[SourcedResource], list[Reject]]:
    items = list(items)
    return [i for i in items if isinstance(i, SourcedResource)], [i for i in items if isinstance(i, Reject)]


def client_for(server, **kwargs) -> BulkExportClient:
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("poll_interval", 0.01)
    return BulkExportClient(server.base_url, **kwargs)


def test_system_export_equals_all_bundles(fhir_server, all_resources):
    fhir_server.export_polls = 2
    with client_for(fhir_server) as client:
        resources, rejects = split(client.export(level="system"))
    assert not rejects, rejects[:3]
    refs = [r.ref for r in resources]
    assert len(refs) == len(set(refs))
    assert by_type(refs) == by_type(all_resources)
    assert set(refs) == set(all_resources)
    # Kick-off, two 202 polls, the manifest, one GET a file (Observation spans 4), then DELETE.
    statuses = [r for r in fhir_server.requests if r.path.startswith("$export-status/")]
    assert [r.method for r in statuses] == ["GET", "GET", "GET", "DELETE"]
    files = [r for r in fhir_server.requests if r.path.startswith("$export-files/")]
    assert sum("/Observation-" in r.path for r in files) == 4
    observation = next(r for r in resources if r.resource_type == "Observation")
    assert "/$export-files/" in observation.origin.source and observation.origin.line is not None


def test_patient_export_is_the_compartments(fhir_server, all_resources):
    with client_for(fhir_server) as client:
        resources, rejects = split(client.export(level="patient"))
    assert not rejects
    expected = {ref for ref in all_resources if ref.split("/")[0] not in SHARED_TYPES}
    assert by_type(r.ref for r in resources) == by_type(expected)


def test_type_filter_and_since(fhir_server, all_resources):
    with client_for(fhir_server) as client:
        resources, _ = split(
            client.export(types=["Condition", "AllergyIntolerance"], since="2000-01-01T00:00:00Z")
        )
    kickoff = fhir_server.calls("$export")[0]
    assert kickoff.query == {"_type": "Condition,AllergyIntolerance", "_since": "2000-01-01T00:00:00Z"}
    expected = {r for r in all_resources if r.split("/")[0] in {"Condition", "AllergyIntolerance"}}
    assert {r.ref for r in resources} == expected


def test_export_for_some_patients_posts_parameters(fhir_server, all_resources):
    wanted = sorted({f for f in all_resources.values()})[:2]
    patient_ids = [
        ref.split("/")[1] for ref, f in all_resources.items() if f in wanted and ref.startswith("Patient/")
    ]
    items = list(
        iter_url_source(fhir_server.base_url, patient_ids=patient_ids, export=True, poll_interval=0.01)
    )
    resources, rejects = split(items)
    assert not rejects
    expected = {
        ref for ref, f in all_resources.items() if f in wanted and ref.split("/")[0] not in SHARED_TYPES
    }
    assert {r.ref for r in resources} == expected
    assert fhir_server.calls("Patient/$export")[0].method == "POST"


def test_export_error_entries_are_rejects(fhir_server):
    fhir_server.export_errors = [
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": "error", "code": "processing", "diagnostics": "Observation/xyz: cannot be read"}
            ],
        }
    ]
    with client_for(fhir_server) as client:
        resources, rejects = split(client.export(types=["Condition"]))
    assert len(resources) == 151
    assert len(rejects) == 1
    reject = rejects[0]
    assert reject.code == "unreadable"
    assert "Observation/xyz: cannot be read" in reject.reason
    assert reject.origin.source.endswith("/errors.ndjson") and reject.origin.line == 1


def test_bearer_token_on_every_call_and_file(fhir_server):
    fhir_server.token = "bulk-token"
    with client_for(fhir_server, token="bulk-token") as client:
        resources, _ = split(client.export(types=["CarePlan"]))
    assert len(resources) == 71
    assert {r.authorization for r in fhir_server.requests} == {"Bearer bulk-token"}
    assert any(r.path.startswith("$export-files/") for r in fhir_server.requests)


def test_retries_while_polling_and_downloading(fhir_server):
    with client_for(fhir_server) as client:
        status_url = client.kick_off(types=["Observation"])
        job = status_url.rsplit("/", 1)[1]
        fhir_server.inject(f"$export-status/{job}", status=429, times=2, retry_after="0")
        fhir_server.inject(f"$export-files/{job}/Observation-1.ndjson", status=503, times=2)
        # The third file breaks off mid-download: it is fetched again and resumed.
        fhir_server.inject(f"$export-files/{job}/Observation-2.ndjson", status=0, times=1)
        manifest = client.wait(status_url)
        resources, rejects = split(client.download(manifest))
    assert not rejects
    refs = [r.ref for r in resources]
    assert len(refs) == len(set(refs)) == 3426
    assert len(fhir_server.calls(f"$export-files/{job}/Observation-2.ndjson")) == 2
    assert [r.origin.line for r in resources if "Observation-2" in r.origin.source] == list(range(1, 1001))


def test_persistent_failure_of_the_status_url(fhir_server):
    with client_for(fhir_server, max_retries=1) as client:
        status_url = client.kick_off(types=["Condition"])
        fhir_server.inject(status_url.split("/fhir/", 1)[1], status=503, times=10, retry_after="0")
        with pytest.raises(SourceError) as caught:
            client.wait(status_url)
    assert status_url in str(caught.value) and "HTTP 503" in str(caught.value)


def test_refused_kickoff_says_what_to_do(fhir_server):
    with client_for(fhir_server) as client, pytest.raises(SourceError) as caught:
        list(client.export(level="group", group_id="nope"))
    text = str(caught.value)
    assert "Group/nope/$export" in text and "HTTP 404" in text and "without --export" in text


def test_export_that_never_finishes_times_out(fhir_server):
    fhir_server.export_polls = 1000
    fhir_server.export_retry_after = "1"
    with (
        client_for(fhir_server, export_timeout=0.5) as client,
        pytest.raises(SourceError, match="not finished"),
    ):
        list(client.export(types=["Condition"]))


def test_url_dispatch_to_export(fhir_server, all_resources):
    source = f"fhir+{fhir_server.base_url}/Group/all/$export"
    resources, _ = split(iter_url_source(source, types=["Condition", "Patient"], poll_interval=0.01))
    assert fhir_server.calls("Group/all/$export")
    expected = {ref for ref in all_resources if ref.split("/")[0] in {"Condition", "Patient"}}
    assert {r.ref for r in resources} == expected

"""The FHIR REST connector against a real HTTP server serving the Synthea bundles."""

from __future__ import annotations

import json
import math
import socket
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from clinimem_connectors.http import RetryingHttp, RetryPolicy, parse_retry_after, resolve_link
from clinimem_connectors.remote import iter_url_source, parse_source_url
from clinimem_connectors.rest import FALLBACK_TYPES, FhirRestClient, iter_rest_source

from clinimem.errors import SourceError, UnknownPatientError
from clinimem.fhir.resource import Reject, SourcedResource
from clinimem.fhir.validate import iter_payload

# Two small records and one that spans 12 pages of 50.
SMALL = "Buster_Hoeger_ad2e3fc5-2b5d-4cb9-8d03-9ea0f4ac8423.json"
MEDIUM = "Angelic_Mueller_29d755a6-32fa-482e-8fdd-081300209df8.json"
LARGE = "Hiedi_Bruen_4cec60c1-b789-4780-a07c-71ee18f0b527.json"


def bundle_of(synthea_dir: Path, name: str) -> tuple[str, dict[str, dict]]:
    """(patient id, ``Type/id`` -> resource as read from the file with references resolved)."""
    path = synthea_dir / name
    items = list(iter_payload(json.loads(path.read_text()), str(path)))
    assert all(isinstance(i, SourcedResource) for i in items)
    resources = {i.ref: i.data for i in items}
    patient = next(i.id for i in items if i.resource_type == "Patient")
    return patient, resources


def by_type(refs) -> Counter[str]:
    return Counter(ref.split("/", 1)[0] for ref in refs)


def client_for(server, **kwargs) -> FhirRestClient:
    kwargs.setdefault("backoff", 0.01)
    return FhirRestClient(server.base_url, **kwargs)


def loaded(items) -> dict[str, dict]:
    items = list(items)
    rejects = [i for i in items if isinstance(i, Reject)]
    assert not rejects, rejects[:3]
    refs = [i.ref for i in items]
    assert len(refs) == len(set(refs)), "a resource came out twice"
    return {i.ref: i.data for i in items}


@pytest.mark.parametrize("name", [SMALL, MEDIUM, LARGE])
def test_everything_returns_exactly_the_bundle(fhir_server, synthea_dir, name):
    patient, expected = bundle_of(synthea_dir, name)
    with client_for(fhir_server) as client:
        got = loaded(client.everything(patient))
    assert by_type(got) == by_type(expected)
    assert set(got) == set(expected)
    # Same content too: the server's Type/id references equal the file's resolved urn:uuid ones.
    assert got == expected
    pages = math.ceil(len(expected) / fhir_server.page_size)
    assert len(fhir_server.calls(f"Patient/{patient}/$everything")) == pages


def test_origin_is_page_url_and_entry(fhir_server, synthea_dir):
    patient, _ = bundle_of(synthea_dir, MEDIUM)
    with client_for(fhir_server) as client:
        items = list(client.everything(patient))
    assert items[0].origin.source.startswith(f"{fhir_server.base_url}/Patient/{patient}/$everything")
    assert items[0].origin.entry == 0
    assert items[50].origin.entry == 0 and "_offset=50" in items[50].origin.source
    assert items[51].origin.entry == 1


def test_relative_next_links_and_page_size(fhir_server, synthea_dir):
    fhir_server.relative_links = True
    patient, expected = bundle_of(synthea_dir, MEDIUM)
    with client_for(fhir_server, page_size=20) as client:
        got = loaded(client.everything(patient))
    assert set(got) == set(expected)
    calls = fhir_server.calls(f"Patient/{patient}/$everything")
    assert len(calls) == math.ceil(len(expected) / 20)
    assert all(c.query["_count"] == "20" for c in calls)


# 200: an OperationOutcome saying "not-supported" instead of a Bundle.
@pytest.mark.parametrize("status", [404, 400, 501, 200])
def test_fallback_to_per_type_search(fhir_server, synthea_dir, status):
    fhir_server.everything_status = status
    fhir_server.page_size = 30
    patient, expected = bundle_of(synthea_dir, MEDIUM)
    clinical = {ref for ref in expected if ref.split("/")[0] in {*FALLBACK_TYPES, "Patient"}}
    with client_for(fhir_server) as client:
        got = loaded(client.everything(patient))
    assert set(got) == clinical
    assert by_type(got) == by_type(clinical)
    assert {ref: expected[ref] for ref in clinical} == got
    searched = {c.path for c in fhir_server.requests if c.query.get("patient") == f"Patient/{patient}"}
    assert searched == set(FALLBACK_TYPES)
    observations = by_type(clinical)["Observation"]
    assert observations > 30  # so the search was paged
    assert len(fhir_server.calls("Observation")) == math.ceil(observations / 30)


def test_unknown_patient(fhir_server):
    with client_for(fhir_server) as client, pytest.raises(UnknownPatientError, match="Patient/nobody"):
        list(client.everything("nobody"))


def test_429_and_503_are_retried_and_result_complete(fhir_server, synthea_dir):
    patient, expected = bundle_of(synthea_dir, MEDIUM)
    path = f"Patient/{patient}/$everything"
    fhir_server.inject(path, status=429, times=2, retry_after="0")
    with client_for(fhir_server) as client:
        items = client.everything(patient)
        first = next(items)
        # The next pages share the path: their first calls answer 503 without Retry-After.
        fhir_server.inject(path, status=503, times=2)
        got = loaded([first, *items])
    assert got == expected
    pages = math.ceil(len(expected) / fhir_server.page_size)
    assert len(fhir_server.calls(path)) == pages + 4


def test_retry_after_is_honoured(fhir_server):
    fhir_server.inject("Patient", status=429, times=1, retry_after="3")
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    fhir_server.inject("metadata", status=503, times=1, retry_after=when)
    waits: list[float] = []
    with RetryingHttp(policy=RetryPolicy(max_retries=2, backoff=0.01), sleep=waits.append) as http:
        assert http.get(f"{fhir_server.base_url}/Patient").status_code == 200
        assert http.get(f"{fhir_server.base_url}/metadata").status_code == 200
    assert waits[0] == 3.0
    assert 25 < waits[1] <= 30  # an HTTP date


def test_retry_after_parsing():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:09 GMT", now=now) == 9.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    # max_delay bounds the backoff; a server's Retry-After is honoured up to max_retry_after.
    assert RetryPolicy(max_delay=5, max_retry_after=300).delay(1, 120.0) == 120.0
    assert RetryPolicy(max_delay=5).delay(3, None) <= 5.0
    assert 0.5 <= RetryPolicy(backoff=1.0).delay(2, None) <= 2.0


def test_persistent_503_fails_with_a_clear_error(fhir_server, synthea_dir):
    patient, _ = bundle_of(synthea_dir, SMALL)
    path = f"Patient/{patient}/$everything"
    fhir_server.inject(path, status=503, times=100, retry_after="0")
    with client_for(fhir_server, max_retries=2) as client, pytest.raises(SourceError) as caught:
        list(client.everything(patient))
    text = str(caught.value)
    assert caught.value.code == "source"
    # The URL is named with the patient redacted: errors reach terminals and logs (issue 18).
    assert f"{fhir_server.base_url}/Patient/<redacted>/$everything" in text and patient not in text
    assert "HTTP 503" in text and "after 3 attempts" in text
    assert "try again later" in text
    assert len(fhir_server.calls(path)) == 3


def test_unreachable_server_fails_after_retries():
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = FhirRestClient(f"http://127.0.0.1:{port}/fhir", max_retries=1, backoff=0.01)
    with client, pytest.raises(SourceError, match="reachable"):
        list(client.patients())


def test_bearer_token_sent(fhir_server, synthea_dir):
    fhir_server.token = "s3cret"
    patient, expected = bundle_of(synthea_dir, SMALL)
    with client_for(fhir_server, token="s3cret") as client:
        assert set(loaded(client.everything(patient))) == set(expected)
    assert fhir_server.requests
    assert {r.authorization for r in fhir_server.requests} == {"Bearer s3cret"}


def test_bearer_token_from_environment(fhir_server, synthea_dir, monkeypatch):
    fhir_server.token = "from-env"
    monkeypatch.setenv("CLINIMEM_FHIR_TOKEN", "from-env")
    with client_for(fhir_server) as client:
        assert len(list(client.patients())) == 23


def test_missing_token_is_not_retried_and_says_what_to_do(fhir_server):
    fhir_server.token = "s3cret"
    with client_for(fhir_server) as client, pytest.raises(SourceError) as caught:
        list(client.patients())
    assert "HTTP 401" in str(caught.value) and "CLINIMEM_FHIR_TOKEN" in str(caught.value)
    assert len(fhir_server.requests) == 1


def test_token_stays_on_its_origin():
    http = RetryingHttp(token="t", token_origins=["http://fhir.example.org/r4"])
    assert http._headers("http://fhir.example.org/r4/Patient", None, True)["Authorization"] == "Bearer t"
    assert "Authorization" not in http._headers("http://elsewhere.example.org/x", None, True)
    http.close()


def test_patients_lists_every_id_across_pages(fhir_server, synthea_dir):
    expected = {json.loads(p.read_text())["entry"][0]["resource"]["id"] for p in synthea_dir.glob("*.json")}
    with client_for(fhir_server, page_size=5) as client:
        ids = list(client.patients())
        hanes = list(client.patients(family="Hane"))
    assert len(ids) == 23 and set(ids) == expected
    assert len(fhir_server.calls("Patient")) == 5 + 1
    assert len(hanes) == 2


def test_iter_rest_source_and_url_dispatch(fhir_server, synthea_dir):
    p1, e1 = bundle_of(synthea_dir, SMALL)
    p2, e2 = bundle_of(synthea_dir, MEDIUM)
    got = loaded(iter_rest_source(fhir_server.base_url, patient_ids=[p1, p2], token=None, backoff=0.01))
    assert got == {**e1, **e2}
    fhir_url = "fhir+" + fhir_server.base_url + f"/Patient/{p1}"
    assert loaded(iter_url_source(fhir_url)) == e1


def test_parse_source_url():
    base = "https://h.example/r4"
    assert parse_source_url(base + "/").base_url == base
    assert parse_source_url("fhir+" + base) == parse_source_url(base)
    assert parse_source_url(base + "/Patient/p1").patient_id == "p1"
    assert parse_source_url(base + "/Patient/p1/$everything").patient_id == "p1"
    assert parse_source_url(base + "/$export").export_level == "system"
    assert parse_source_url(base + "/Patient/$export").export_level == "patient"
    group = parse_source_url(base + "/Group/g1/$export")
    assert (group.base_url, group.export_level, group.group_id) == (base, "group", "g1")
    with pytest.raises(SourceError, match="http"):
        parse_source_url("ftp://h.example/r4")


def test_resolve_link():
    base, page = "http://h/fhir", "http://h/fhir/Patient/1/$everything?_count=5"
    assert resolve_link("http://o/x?p=2", base_url=base, page_url=page) == "http://o/x?p=2"
    assert resolve_link("Patient?p=2", base_url=base, page_url=page) == "http://h/fhir/Patient?p=2"
    assert resolve_link("?p=2", base_url=base, page_url=page) == "http://h/fhir/Patient/1/$everything?p=2"
    assert resolve_link("/other?p=2", base_url=base, page_url=page) == "http://h/other?p=2"

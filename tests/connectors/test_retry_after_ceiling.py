"""``Retry-After`` is honoured up to a ceiling (default 300 s, ``CLINIMEM_MAX_RETRY_AFTER``), issue 18.

Nothing sleeps: the clients take a ``sleep`` function, and these tests record what it was asked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from clinimem_connectors.bulk import BulkExportClient
from clinimem_connectors.http import (
    DEFAULT_MAX_RETRY_AFTER,
    MAX_RETRY_AFTER_ENV,
    RetryingHttp,
    RetryPolicy,
)
from clinimem_connectors.rest import FhirRestClient

from clinimem.errors import SourceError

URL = "https://fhir.example.org/r4/Patient/p1/$everything"


@pytest.fixture(autouse=True)
def no_ceiling_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_RETRY_AFTER_ENV, raising=False)


def answers(*responses: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport that answers ``responses`` in turn, and the requests it saw."""
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return httpx.MockTransport(handle), seen


def busy(retry_after: str, status: int = 429) -> httpx.Response:
    return httpx.Response(status, headers={"Retry-After": retry_after})


def test_a_long_retry_after_is_waited_in_full() -> None:
    # 240 s was cut to 60 s before: the client came back before the server asked.
    transport, seen = answers(busy("240"), busy("120", 503), httpx.Response(200, json={}))
    waits: list[float] = []
    with RetryingHttp(transport=transport, sleep=waits.append) as http:
        assert http.get(URL).status_code == 200
    assert waits == [240.0, 120.0]
    assert len(seen) == 3


def test_an_http_date_retry_after_is_waited_in_full() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=200), usegmt=True)
    transport, _ = answers(busy(when, 503), httpx.Response(200, json={}))
    waits: list[float] = []
    with RetryingHttp(transport=transport, sleep=waits.append) as http:
        http.get(URL)
    assert 195 < waits[0] <= 200


def test_beyond_the_ceiling_the_request_fails_at_once_saying_how_to_wait() -> None:
    transport, seen = answers(busy("3600"), httpx.Response(200, json={}))
    waits: list[float] = []
    with RetryingHttp(transport=transport, sleep=waits.append) as http, pytest.raises(SourceError) as caught:
        http.get(URL)
    assert waits == [] and len(seen) == 1  # no early return to the server, no wait either
    text = str(caught.value)
    assert "asked to retry after 3600 s" in text and f"({DEFAULT_MAX_RETRY_AFTER:.0f} s)" in text
    assert f"{MAX_RETRY_AFTER_ENV}=3600" in text
    assert "p1" not in text  # the URL is redacted like every connector error


def test_the_ceiling_is_raised_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_RETRY_AFTER_ENV, "3600")
    transport, _ = answers(busy("3600"), httpx.Response(200, json={}))
    waits: list[float] = []
    with RetryingHttp(transport=transport, sleep=waits.append) as http:
        assert http.get(URL).status_code == 200
    assert waits == [3600.0]


def test_the_ceiling_is_raised_by_the_clients_argument() -> None:
    assert RetryPolicy().ceiling == DEFAULT_MAX_RETRY_AFTER
    with FhirRestClient("https://fhir.example.org/r4", max_retry_after=900) as client:
        assert client._http.policy.ceiling == 900
    with BulkExportClient("https://fhir.example.org/r4", max_retry_after=900) as bulk:
        assert bulk._http.policy.ceiling == 900


@pytest.mark.parametrize("value", ["soon", "-5", "nan"])
def test_a_bad_ceiling_fails_before_any_request(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(MAX_RETRY_AFTER_ENV, value)
    with pytest.raises(SourceError, match=MAX_RETRY_AFTER_ENV):
        RetryPolicy()


def test_backoff_without_retry_after_stays_under_max_delay() -> None:
    policy = RetryPolicy(backoff=10.0, max_delay=60.0)
    assert all(policy.delay(attempt, None) <= 60.0 for attempt in range(1, 8))


def test_export_polls_honour_a_long_retry_after() -> None:
    # A 202 that asks for 250 s was polled again after max_poll_interval (120 s) before.
    manifest = {
        "transactionTime": "2026-01-01T00:00:00Z",
        "requiresAccessToken": False,
        "output": [],
        "error": [],
    }
    transport, _ = answers(busy("250", 202), busy("3600", 202), httpx.Response(200, json=manifest))
    waits: list[float] = []
    with BulkExportClient("https://fhir.example.org/r4", transport=transport, sleep=waits.append) as client:
        client.wait("https://fhir.example.org/r4/$export-status/1")
    # Beyond the ceiling a poll comes back early: it only costs one more 202.
    assert waits == [250.0, DEFAULT_MAX_RETRY_AFTER]

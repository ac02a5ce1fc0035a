"""FHIR REST connector: one patient's record from a FHIR server, page by page.

``Patient/{id}/$everything`` is asked first; a server that does not offer it
(404/400/405/501 or an OperationOutcome saying ``not-supported``) is read with
a ``Patient/{id}`` read and one paged search per clinical resource type instead.
Every page goes through :func:`clinimem.fhir.validate.iter_payload`, so the
resources come out validated, with their origin being the page URL and entry index.

Example::

    with FhirRestClient("https://fhir.example.org/r4", token="abc") as client:
        for item in client.everything("f7bb360f-..."):
            print(item)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from clinimem.errors import UnknownPatientError
from clinimem.fhir.resource import Reject, SourcedResource
from clinimem.fhir.validate import iter_payload
from clinimem.logs import redact

from .checkpoint import Checkpoint
from .http import (
    RetryingHttp,
    RetryPolicy,
    normalize_base_url,
    outcome_codes,
    resolve_link,
    response_json,
    source_error,
    token_from_env,
)

log = logging.getLogger(__name__)

# Searched one by one when $everything is missing: the kinds that become memory
# entries, plus the ones a record commonly cites (Goal, ImagingStudy, notes).
FALLBACK_TYPES: tuple[str, ...] = (
    "Encounter",
    "Condition",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "MedicationAdministration",
    "Procedure",
    "Immunization",
    "AllergyIntolerance",
    "DiagnosticReport",
    "CarePlan",
    "Goal",
    "ImagingStudy",
    "DocumentReference",
)

# Statuses that mean "this server has no $everything" rather than "this failed".
# 404 also means "no such patient": the fallback's Patient read tells the two apart.
_UNSUPPORTED = (400, 404, 405, 501)

SourceItem = SourcedResource | Reject


class FhirRestClient:
    """A sync FHIR REST client for reading patient records.

    ``token`` is a bearer token (default: the ``CLINIMEM_FHIR_TOKEN``
    environment variable); it is sent only to the base URL's host.
    ``page_size`` asks the server for that many entries a page (``_count``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_retry_after: float | None = None,
        page_size: int | None = None,
        fallback_types: Iterable[str] = FALLBACK_TYPES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self.page_size = page_size
        self.fallback_types = tuple(fallback_types)
        self._http = RetryingHttp(
            token=token_from_env(token),
            timeout=timeout,
            policy=RetryPolicy(max_retries=max_retries, backoff=backoff, max_retry_after=max_retry_after),
            token_origins=[self.base_url],
            transport=transport,
        )

    def __enter__(self) -> FhirRestClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def _params(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"_count": self.page_size} if self.page_size else {}
        params.update(extra or {})
        return params

    def everything(self, patient_id: str) -> Iterator[SourceItem]:
        """All resources of one patient, from ``$everything`` or per-type searches.

        Resources met twice (on two pages, or shared by two searches) are yielded once.
        Raises :class:`UnknownPatientError` if the server does not know the patient.
        """
        url = self._url(f"Patient/{quote(patient_id, safe='')}/$everything")
        # fetch_json asks again for a page whose JSON was cut off in transfer.
        first, body = self._http.fetch_json(url, params=self._params(), ok=_UNSUPPORTED)
        seen: set[str] = set()
        if body is None or "not-supported" in outcome_codes(body):
            log.info("%s has no usable $everything; reading the record by per-type searches", _host(url))
            yield from _unique(self._per_type(patient_id), seen)
            return
        yield from _unique(self._pages(first, body), seen)

    def _per_type(self, patient_id: str) -> Iterator[SourceItem]:
        pid = quote(patient_id, safe="")
        url = self._url(f"Patient/{pid}")
        response, patient = self._http.fetch_json(url, ok=(404, 410))
        if response.status_code in (404, 410):
            # The message names the id the caller asked for; the URL is redacted like any other,
            # and the command line redacts the message too (clinimem.logs).
            raise UnknownPatientError(
                f"the server has no Patient/{patient_id}",
                file=redact(url),
                resource=f"Patient/{patient_id}",
                hint="Check the id (list them with GET [base]/Patient) and the base URL",
            )
        yield from iter_payload(patient, str(response.url))
        for resource_type in self.fallback_types:
            # The typed form Patient/{id}: some servers (Medplum) ignore a bare id here.
            first, body = self._http.fetch_json(
                self._url(resource_type),
                params=self._params({"patient": f"Patient/{patient_id}"}),
                ok=_UNSUPPORTED,
            )
            if first.status_code in _UNSUPPORTED:
                log.warning(
                    "%s cannot search %s by patient (HTTP %d); skipped",
                    _host(self.base_url),
                    resource_type,
                    first.status_code,
                )
                continue
            yield from self._pages(first, body)

    def search(self, resource_type: str, **params: Any) -> Iterator[SourceItem]:
        """A paged search, e.g. ``search("Observation", patient="Patient/123", code="4548-4")``."""
        first, body = self._http.fetch_json(self._url(resource_type), params=self._params(params))
        yield from self._pages(first, body)

    def patients(self, **search: Any) -> Iterator[str]:
        """Ids of the server's patients matching a search (all of them without arguments).

        Example: ``list(client.patients(family="Hane", birthdate="ge1980"))``.
        """
        first, body = self._http.fetch_json(self._url("Patient"), params=self._params(search))
        for _page_url, bundle in self._bundles(first, body):
            for entry in bundle.get("entry") or []:
                resource = entry.get("resource") or {}
                mode = (entry.get("search") or {}).get("mode", "match")
                if resource.get("resourceType") == "Patient" and resource.get("id") and mode == "match":
                    yield resource["id"]

    def _pages(self, first: httpx.Response, body: Any = None) -> Iterator[SourceItem]:
        for page_url, bundle in self._bundles(first, body):
            yield from iter_payload(bundle, page_url)

    def _bundles(self, response: httpx.Response, body: Any = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each page of a searchset as (page URL, Bundle), following ``link[next]``.

        ``body`` is the first response's JSON when the caller has parsed it already.
        """
        visited: set[str] = set()
        while True:
            page_url = str(response.url)
            visited.add(page_url)
            if body is None:
                body = response_json(response)
            if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
                kind = body.get("resourceType") if isinstance(body, dict) else type(body).__name__
                raise source_error(
                    f"{page_url} answered a {kind}, not a Bundle",
                    page_url,
                    "Check that the base URL points at a FHIR R4 server",
                )
            yield page_url, body
            link = _next_link(body)
            if link is None:
                return
            next_url = resolve_link(link, base_url=self.base_url, page_url=page_url)
            if next_url in visited:
                # A server that links a page to itself would otherwise loop for ever.
                log.warning("%s links back to a page already read; paging stopped", _host(page_url))
                return
            response, body = self._http.fetch_json(next_url)


def _next_link(bundle: dict[str, Any]) -> str | None:
    for link in bundle.get("link") or []:
        if link.get("relation") == "next" and link.get("url"):
            return str(link["url"])
    return None


def _unique(items: Iterable[SourceItem], seen: set[str]) -> Iterator[SourceItem]:
    for item in items:
        if isinstance(item, SourcedResource):
            if item.ref in seen:
                continue
            seen.add(item.ref)
        yield item


def _host(url: str) -> str:
    return urlsplit(url).netloc


def iter_rest_source(
    url: str,
    *,
    patient_ids: list[str] | None = None,
    token: str | None = None,
    checkpoints: bool = False,
    **client_options: Any,
) -> Iterator[SourceItem | Checkpoint]:
    """Every resource of the given patients (all the server's patients if None) from a FHIR server.

    ``url`` is the FHIR base (``https://host/r4`` or ``fhir+https://host/r4``);
    ``client_options`` go to :class:`FhirRestClient` (timeout, max_retries, ...).
    ``checkpoints`` adds a :class:`Checkpoint` after each patient's last page.

    Example: ``list(iter_rest_source("http://127.0.0.1:8080/fhir", patient_ids=["123"], token=None))``.
    """
    with FhirRestClient(url, token=token, **client_options) as client:
        # Ids are listed first: a server-side paging cursor can expire while records are read.
        ids = list(patient_ids) if patient_ids is not None else list(client.patients())
        for patient_id in ids:
            yield from client.everything(patient_id)
            if checkpoints:
                yield Checkpoint()

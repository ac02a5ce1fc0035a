"""FHIR Bulk Data ``$export`` connector: kick off, poll, download NDJSON.

Follows the Bulk Data Access IG (v2): a kick-off request with
``Prefer: respond-async`` answers 202 and a status URL in ``Content-Location``;
the status URL answers 202 (with ``X-Progress`` and ``Retry-After``) until the
export is done, then 200 with a manifest listing one NDJSON file per output.
Each file is streamed through
:func:`clinimem_connectors.ndjson.iter_ndjson_lines`; the OperationOutcomes
that the manifest's ``error`` files hold come out as :class:`Reject`.

Example::

    with BulkExportClient("https://fhir.example.org/r4", token="abc") as client:
        for item in client.export(level="patient", types=["Condition", "Observation"]):
            print(item)
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from clinimem.errors import RejectCode, SourceError
from clinimem.fhir.resource import Origin, Reject, SourcedResource

from .http import (
    FHIR_JSON,
    RetryingHttp,
    RetryPolicy,
    normalize_base_url,
    operation_outcome_text,
    parse_retry_after,
    resolve_link,
    token_from_env,
)
from .ndjson import iter_ndjson_lines

log = logging.getLogger(__name__)

NDJSON = "application/fhir+ndjson"
LEVELS = ("system", "patient", "group")

SourceItem = SourcedResource | Reject


@dataclass(frozen=True)
class ExportFile:
    """One file of an export manifest: the resource type it holds and where it is."""

    type: str
    url: str
    count: int | None = None


@dataclass(frozen=True)
class ExportManifest:
    """The completed export's manifest (the status URL's 200 answer)."""

    status_url: str
    transaction_time: str | None
    requires_access_token: bool
    output: tuple[ExportFile, ...]
    error: tuple[ExportFile, ...]


def kickoff_path(level: str = "system", group_id: str | None = None) -> str:
    """The kick-off path below the base: ``$export``, ``Patient/$export`` or ``Group/{id}/$export``."""
    if level not in LEVELS:
        raise ValueError(f"export level must be one of {LEVELS}, not {level!r}")
    if level == "group":
        if not group_id:
            raise ValueError("a group-level export needs group_id")
        return f"Group/{quote(group_id, safe='')}/$export"
    return "Patient/$export" if level == "patient" else "$export"


class BulkExportClient:
    """A sync Bulk Data ``$export`` client.

    ``token`` is a bearer token (default: ``CLINIMEM_FHIR_TOKEN``). Retries
    follow the same policy as the REST connector; ``poll_interval`` is the
    first wait between status polls when the server sends no ``Retry-After``
    (it grows to ``max_poll_interval``), and ``export_timeout`` bounds the whole wait.
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
        poll_interval: float = 2.0,
        max_poll_interval: float = 120.0,
        export_timeout: float = 6 * 3600.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.export_timeout = export_timeout
        self._sleep = sleep
        # No origin restriction: the status URL and files may live on another host,
        # and the manifest's requiresAccessToken decides where the token goes.
        self._http = RetryingHttp(
            token=token_from_env(token),
            timeout=timeout,
            policy=RetryPolicy(max_retries=max_retries, backoff=backoff, max_retry_after=max_retry_after),
            transport=transport,
            sleep=sleep,
        )

    def __enter__(self) -> BulkExportClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def kick_off(
        self,
        *,
        level: str = "system",
        group_id: str | None = None,
        types: Iterable[str] | None = None,
        since: str | None = None,
        patient_ids: Iterable[str] | None = None,
    ) -> str:
        """Start an export; return its status URL.

        ``types`` becomes ``_type`` and ``since`` (an instant) ``_since``.
        ``patient_ids`` limits a patient-level export to those patients; it is
        sent as a POST with a Parameters body, the only form the IG defines for it.
        """
        url = f"{self.base_url}/{kickoff_path(level, group_id)}"
        headers = {"Accept": FHIR_JSON, "Prefer": "respond-async"}
        type_list = (types if isinstance(types, str) else ",".join(types)) if types else None
        ok = (400, 404, 405, 501)
        if patient_ids is not None:
            if level == "system":
                raise ValueError("patient_ids needs a patient- or group-level export")
            parameters: list[dict[str, Any]] = [
                {"name": "patient", "valueReference": {"reference": f"Patient/{pid}"}} for pid in patient_ids
            ]
            if type_list:
                parameters.append({"name": "_type", "valueString": type_list})
            if since:
                parameters.append({"name": "_since", "valueInstant": since})
            body = {"resourceType": "Parameters", "parameter": parameters}
            response = self._http.request(
                "POST", url, headers={**headers, "Content-Type": FHIR_JSON}, json=body, ok=ok
            )
        else:
            params = {k: v for k, v in (("_type", type_list), ("_since", since)) if v}
            response = self._http.get(url, params=params, headers=headers, ok=ok)
        if response.status_code in ok:
            detail = _outcome_of(response)
            hint = (
                "Check the _type and _since values (and the patient ids) against the server's "
                "CapabilityStatement (GET [base]/metadata)"
                if response.status_code == 400
                else "The server may not offer $export at this level: try another level "
                "(system, Patient, Group/ID) or read it as a REST source without --export"
            )
            raise SourceError(
                f"{url} refused the export (HTTP {response.status_code}){': ' + detail if detail else ''}",
                file=url,
                hint=hint,
            )
        location = response.headers.get("Content-Location")
        if response.status_code != 202 or not location:
            raise SourceError(
                f"{url} answered HTTP {response.status_code} without a status URL (Content-Location)",
                file=url,
                hint="The server does not follow the Bulk Data IG's async pattern; read it as a REST source",
            )
        status_url = resolve_link(location, base_url=self.base_url, page_url=url)
        log.info("export started on %s", _host(url))
        log.debug("export status URL: %s", status_url)
        return status_url

    def wait(self, status_url: str) -> ExportManifest:
        """Poll the status URL until the export is complete; return its manifest."""
        deadline = time.monotonic() + self.export_timeout
        interval = self.poll_interval
        while True:
            response, body = self._http.fetch_json(status_url, ok=(202,))
            if response.status_code != 202:
                return _manifest(status_url, body, self.base_url)
            progress = response.headers.get("X-Progress")
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is None:
                wait, interval = interval, min(interval * 1.5, self.max_poll_interval)
            else:
                # The server's ask is honoured up to the retry ceiling; a poll that comes back
                # early only costs a 202, so a longer ask is shortened rather than refused.
                wait = min(wait, max(self.max_poll_interval, self._http.policy.ceiling))
            if time.monotonic() + wait > deadline:
                raise SourceError(
                    f"the export at {status_url} was not finished after {self.export_timeout:.0f} s"
                    f"{' (' + progress + ')' if progress else ''}",
                    file=status_url,
                    hint="Raise export_timeout, or export fewer types (_type) or a smaller group",
                )
            log.info("export in progress%s; next poll in %.1f s", f": {progress}" if progress else "", wait)
            self._sleep(wait)

    def download(self, manifest: ExportManifest) -> Iterator[SourceItem]:
        """Every resource of the manifest's output files, then its error entries as Rejects.

        Each file is checked against what the server said (Content-Length, the manifest's
        ``count``, a whole last line); a short one is asked again, or fails naming it.
        """
        for item in manifest.output:
            log.debug("downloading %s (%s)", item.url, item.type)
            lines = self._http.iter_lines(
                item.url,
                headers={"Accept": NDJSON},
                auth=manifest.requires_access_token,
                expected=item.count,
            )
            yield from iter_ndjson_lines(lines, item.url)
        for item in manifest.error:
            lines = self._http.iter_lines(
                item.url, headers={"Accept": NDJSON}, auth=manifest.requires_access_token
            )
            yield from _error_rejects(lines, item.url)

    def delete(self, status_url: str) -> None:
        """Tell the server that the files may go (best effort: failures are only logged)."""
        try:
            self._http.request("DELETE", status_url, ok=(404, 405, 501))
        except SourceError as err:
            log.warning("could not delete the finished export on %s: %s", _host(status_url), err.message)

    def export(
        self,
        *,
        level: str = "system",
        group_id: str | None = None,
        types: Iterable[str] | None = None,
        since: str | None = None,
        patient_ids: Iterable[str] | None = None,
        delete_after: bool = True,
    ) -> Iterator[SourceItem]:
        """Kick off, wait, download: every exported resource (and every export error as a Reject)."""
        status_url = self.kick_off(
            level=level, group_id=group_id, types=types, since=since, patient_ids=patient_ids
        )
        manifest = self.wait(status_url)
        yield from self.download(manifest)
        if delete_after:
            self.delete(status_url)


def _manifest(status_url: str, body: Any, base_url: str) -> ExportManifest:
    if not isinstance(body, dict) or not isinstance(body.get("output"), list):
        raise SourceError(
            f"{status_url} answered a completed export without an output list",
            file=status_url,
            hint="The server's manifest does not follow the Bulk Data IG; report it to its operator",
        )

    def files(key: str) -> tuple[ExportFile, ...]:
        found = []
        for item in body.get(key) or []:
            if not isinstance(item, dict) or not item.get("url"):
                raise SourceError(
                    f"{status_url}: a manifest '{key}' item has no url: {item!r}",
                    file=status_url,
                    hint="The server's manifest does not follow the Bulk Data IG; report it to its operator",
                )
            url = resolve_link(str(item["url"]), base_url=base_url, page_url=status_url)
            count = item.get("count")
            # The IG's count is the number of resources (lines) in the file; anything else is ignored.
            count = count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None
            found.append(ExportFile(type=str(item.get("type") or ""), url=url, count=count))
        return tuple(found)

    if body.get("deleted"):
        # Deletions (from a _since export) are not applied: memory entries are only added or replaced.
        log.warning("the export lists %d files of deleted resources; they are ignored", len(body["deleted"]))
    return ExportManifest(
        status_url=status_url,
        transaction_time=body.get("transactionTime"),
        requires_access_token=bool(body.get("requiresAccessToken")),
        output=files("output"),
        error=files("error"),
    )


def _error_rejects(lines: Iterable[str], source: str) -> Iterator[Reject]:
    """One Reject per OperationOutcome line of an export error file."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        origin = Origin(source=source, line=number)
        try:
            outcome = json.loads(line)
        except ValueError as err:
            yield Reject(
                origin=origin, code=RejectCode.UNREADABLE, reason=f"export error line is not JSON: {err}"
            )
            continue
        detail = operation_outcome_text(outcome) or "no diagnostics given"
        # The IG has no resource id in error entries; the diagnostics usually name it.
        yield Reject(
            origin=origin, code=RejectCode.UNREADABLE, reason=f"the server could not export it: {detail}"
        )


def _outcome_of(response: httpx.Response) -> str | None:
    try:
        return operation_outcome_text(response.json())
    except ValueError:
        return None


def _host(url: str) -> str:
    return urlsplit(url).netloc


def iter_export_source(
    url: str,
    *,
    patient_ids: list[str] | None = None,
    token: str | None = None,
    level: str | None = None,
    group_id: str | None = None,
    types: Iterable[str] | None = None,
    since: str | None = None,
    **client_options: Any,
) -> Iterator[SourceItem]:
    """Every resource of a Bulk Data export from the FHIR base ``url``.

    The level defaults to ``group`` when ``group_id`` is given, else ``patient``
    (the patients' compartments, which is what memory is made of); pass
    ``level="system"`` for everything the server holds. ``client_options`` go to
    :class:`BulkExportClient` (timeout, max_retries, poll_interval, ...).

    Example: ``list(iter_export_source("https://host/r4", level="system", token=None))``.
    """
    if level is None:
        level = "group" if group_id else "patient"
    with BulkExportClient(url, token=token, **client_options) as client:
        yield from client.export(
            level=level, group_id=group_id, types=types, since=since, patient_ids=patient_ids
        )

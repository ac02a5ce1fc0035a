"""One entry point for sources given as URLs: REST server or Bulk Data export.

``clinimem ingest`` hands any ``http(s)://`` or ``fhir+http(s)://`` source here.
The URL may be the FHIR base or point further in, and says what to read:

=========================================  ===========================================
``https://host/r4``                        REST: the ``--patient`` ids, or every patient
``https://host/r4/Patient/ID``             REST: that patient (``/$everything`` too)
``https://host/r4/$export``                Bulk: system-level export
``https://host/r4/Patient/$export``        Bulk: patient-level export
``https://host/r4/Group/ID/$export``       Bulk: that group's export
=========================================  ===========================================

Example::

    for item in iter_url_source("fhir+http://127.0.0.1:8080/fhir", patient_ids=["123"]):
        print(item)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from clinimem.fhir.resource import Reject, SourcedResource

from .bulk import iter_export_source
from .checkpoint import Checkpoint
from .http import normalize_base_url
from .rest import iter_rest_source


@dataclass(frozen=True)
class RemoteTarget:
    """What a source URL asks for: the FHIR base, and the export level or patient it names."""

    base_url: str
    export_level: str | None = None  # "system" | "patient" | "group" when the URL is a $export URL
    group_id: str | None = None
    patient_id: str | None = None


def is_url_source(source: str) -> bool:
    """True for the sources :func:`iter_url_source` reads (``http(s)://``, ``fhir+http(s)://``)."""
    return source.startswith(("http://", "https://", "fhir+http://", "fhir+https://"))


def parse_source_url(url: str) -> RemoteTarget:
    """Split a source URL into the FHIR base and what it names (see the module table)."""
    parts = urlsplit(normalize_base_url(url))
    segments = parts.path.rstrip("/").split("/")

    def base(keep: int) -> str:
        return urlunsplit((parts.scheme, parts.netloc, "/".join(segments[:keep]), "", ""))

    n = len(segments)
    if segments[-1] == "$export":
        if n >= 3 and segments[-3] == "Group":
            return RemoteTarget(base(n - 3), export_level="group", group_id=unquote(segments[-2]))
        if n >= 2 and segments[-2] == "Patient":
            return RemoteTarget(base(n - 2), export_level="patient")
        return RemoteTarget(base(n - 1), export_level="system")
    if segments[-1] == "$everything" and n >= 3 and segments[-3] == "Patient":
        return RemoteTarget(base(n - 3), patient_id=unquote(segments[-2]))
    if n >= 2 and segments[-2] == "Patient" and segments[-1]:
        return RemoteTarget(base(n - 2), patient_id=unquote(segments[-1]))
    return RemoteTarget(urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", "")))


def iter_url_source(
    url: str,
    *,
    patient_ids: list[str] | None = None,
    export: bool = False,
    token: str | None = None,
    checkpoints: bool = False,
    **options: Any,
) -> Iterator[SourcedResource | Reject | Checkpoint]:
    """Every resource a source URL names, from the REST API or a Bulk Data export.

    ``export=True`` (or a ``$export`` URL) uses Bulk Data; otherwise each patient's
    ``$everything`` (all patients when neither ``patient_ids`` nor the URL names one).
    ``token`` defaults to ``CLINIMEM_FHIR_TOKEN``; ``options`` go to the client.
    ``checkpoints`` adds a :class:`Checkpoint` after each REST patient and after the whole export.
    Raises :class:`clinimem.errors.SourceError` when the server cannot be read.
    """
    target = parse_source_url(url)
    ids = list(patient_ids) if patient_ids else []
    if target.patient_id and target.patient_id not in ids:
        ids.insert(0, target.patient_id)
    if export or target.export_level:
        level = target.export_level or "patient"
        if ids and level == "system":
            # Naming patients narrows the export to their compartments, which is a patient-level export.
            level = "patient"
        yield from iter_export_source(
            target.base_url,
            patient_ids=ids or None,
            token=token,
            level=level,
            group_id=target.group_id,
            **options,
        )
        if checkpoints:
            yield Checkpoint()
        return
    yield from iter_rest_source(
        target.base_url, patient_ids=ids or None, token=token, checkpoints=checkpoints, **options
    )

"""Loading FHIR sources into the memory: batching, mapping, writing, the reader process.

The connectors (``clinimem_connectors``) read FHIR: files, folders, NDJSON exports, REST and
Bulk Data servers, each yielding validated resources and rejects. This package takes what they
read into the memory (issue 17 moved it here from the connectors, which now depend on
``clinimem.fhir``, ``clinimem.errors`` and ``clinimem.logs`` only):

- :mod:`clinimem.ingest.load`: ``load_sources`` / ``load_items``, batches through the indexing
  pipeline into the store, staged per patient;
- :mod:`clinimem.ingest.ledger`: duplicates and patients the load does not hold;
- :mod:`clinimem.ingest.reader`: the reader process that reads and maps while this one writes;
- :mod:`clinimem.ingest.audit`: ``python -m clinimem.ingest.audit DIR...``.

``clinimem/ingest/`` is the only part of the core that imports ``clinimem_connectors``
(``tests/test_layers.py`` checks it). The imports here are lazy, so ``import clinimem.ingest``
costs nothing until a load starts (``load`` pulls in Haystack).

Example::

    >>> from clinimem.ingest import is_url_source
    >>> is_url_source("https://hapi.example.org/fhir/Patient/1"), is_url_source("exports/")
    (True, False)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clinimem.ingest.load import LoadResult


def load_sources(sources: Iterable[str | Path], **options: Any) -> LoadResult:
    """Load files, folders and FHIR server URLs into the memory (:func:`clinimem.ingest.load.load_sources`)."""
    from clinimem.ingest.load import load_sources as load

    return load(sources, **options)


def is_url_source(source: str) -> bool:
    """True for a FHIR server URL, which ingest reads over HTTP instead of from disk."""
    from clinimem_connectors.remote import is_url_source as is_url

    return is_url(source)

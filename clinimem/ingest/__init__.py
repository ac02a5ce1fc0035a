"""Loading FHIR sources into the memory: the core's one door to the loader.

The loader (batching, mapping, writing, the reader process) still lives in
``clinimem_connectors.load``; issue 17 moves it here, so that the connectors only read FHIR and
the core never imports them. Until then this module is the only place in the core that imports
``clinimem_connectors``: ``clinimem ingest`` and ``clinimem demo`` load through it, and
``tests/test_layers.py`` lists it as the one remaining exception. The imports are lazy, so
``import clinimem.ingest`` costs nothing until a load starts.

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
    from clinimem_connectors.load import LoadResult


def load_sources(sources: Iterable[str | Path], **options: Any) -> LoadResult:
    """Load files, folders and FHIR server URLs into the memory (``clinimem_connectors.load.load_sources``)."""
    from clinimem_connectors.load import load_sources as load

    return load(sources, **options)


def is_url_source(source: str) -> bool:
    """True for a FHIR server URL, which ingest reads over HTTP instead of from disk."""
    from clinimem_connectors.remote import is_url_source as is_url

    return is_url(source)

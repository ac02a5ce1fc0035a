"""Moved to :mod:`clinimem.ingest.load` (issue 17): the connectors read FHIR, the core loads it.

A re-export for code that imports ``clinimem_connectors.load`` (``clinimem_eval.harness``,
scripts); import :mod:`clinimem.ingest.load` instead. It goes once nothing imports it.
"""

from clinimem.ingest.load import (
    DEFAULT_BATCH,
    LoadResult,
    fewer_gc_passes,
    iter_any_source,
    load_items,
    load_sources,
)

__all__ = ["DEFAULT_BATCH", "LoadResult", "fewer_gc_passes", "iter_any_source", "load_items", "load_sources"]

"""Moved to :mod:`clinimem.ingest.ledger` (issue 17); a re-export for old imports, import that instead."""

from clinimem.ingest.ledger import LoadLedger, safe_map

__all__ = ["LoadLedger", "safe_map"]

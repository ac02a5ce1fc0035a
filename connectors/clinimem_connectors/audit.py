"""Moved to :mod:`clinimem.ingest.audit` (issue 17): ``python -m clinimem.ingest.audit DIR...``.

``python -m clinimem_connectors.audit`` still runs it; import :mod:`clinimem.ingest.audit` instead.
"""

import sys

from clinimem.ingest.audit import audit_folder, main

__all__ = ["audit_folder", "main"]

if __name__ == "__main__":
    sys.exit(main())

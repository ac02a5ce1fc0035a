"""Moved to :mod:`clinimem.ingest.reader` (issue 17); a re-export for old imports, import that instead.

The reader process itself runs ``clinimem.ingest.reader``.
"""

from clinimem.ingest.reader import (
    Prepared,
    ReaderProcess,
    prepare,
    shared_reader,
    stop_shared_reader,
    use_reader,
)

__all__ = ["Prepared", "ReaderProcess", "prepare", "shared_reader", "stop_shared_reader", "use_reader"]

"""Copy a store folder of qdrant-client's local mode (clinimem before the edge store) to the embedded engine.

Every collection of the old folder is copied point for point (ids, payloads,
vectors), then counted and its ids compared on both sides; a difference is an
error, and the old folder is never written. The old store is opened as a
``MemoryStore`` first, so a load that a crash left half-done is settled before
the copy (as any open of it would).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clinimem.errors import StoreError
from clinimem.memory.edge import is_edge_store
from clinimem.memory.points import Dense, PointBatch
from clinimem.memory.store import MemoryStore, local_mode_folder

log = logging.getLogger(__name__)
_PAGE = 1024


@dataclass
class MigrationReport:
    old: str
    new: str
    collections: dict[str, int] = field(default_factory=dict)  # name -> points copied (and found in NEW)
    seconds: float = 0.0

    @property
    def entries(self) -> int:
        return sum(n for name, n in self.collections.items() if name.endswith("_entries"))


def migrate_store(old: str | Path, new: str | Path, *, prefix: str = "clinimem") -> MigrationReport:
    """Copy ``old`` (a local-mode folder) into a new edge store at ``new``; verify counts and ids."""
    old, new = Path(old), Path(new)
    if not local_mode_folder(old):
        raise StoreError(
            "not a store of qdrant-client's local mode",
            file=str(old),
            hint="an edge store needs no migration" if is_edge_store(old) else None,
        )
    if new.exists() and any(new.iterdir()):
        raise StoreError("the new store's folder is not empty", file=str(new), hint="give a new folder")
    started = time.perf_counter()
    report = MigrationReport(str(old), str(new))
    source = MemoryStore(old, prefix=prefix, create=False, backend="local")
    target = MemoryStore(new, prefix=prefix, backend="edge")
    try:
        _ = source.client  # opening settles an interrupted load, so what is copied is consistent
        names = sorted(c.name for c in source.client.get_collections().collections)
        for name in names:
            dense = _vector_params(source.client, name)
            if not any(c.name == name for c in target.client.get_collections().collections):
                target.client.create_collection(name, vectors_config=dense)
            report.collections[name] = _copy(source.client, target.client, name, dense is not None)
        for name in names:
            _verify(source.client, target.client, name)
        target.patients()  # writes the patient roster (the old store has none) from the copied manifests
    finally:
        source.close()
        target.close()
    report.seconds = time.perf_counter() - started
    return report


def _vector_params(client: Any, name: str) -> Dense | None:
    from qdrant_client import models as qm  # the old store is qdrant-client's: its models are loaded

    vectors = client.get_collection(name).config.params.vectors
    if not isinstance(vectors, qm.VectorParams):
        return None
    if vectors.distance != qm.Distance.COSINE:
        raise StoreError(f"{name}: the edge store keeps cosine vectors only")
    return Dense(vectors.size)


def _copy(source: Any, target: Any, name: str, dense: bool) -> int:
    copied, offset = 0, None
    while True:
        points, offset = source.scroll(
            name, limit=_PAGE, offset=offset, with_payload=True, with_vectors=dense
        )
        if points:
            payloads = [dict(p.payload or {}) for p in points]
            ids = [str(p.id) for p in points]
            # Payload-only points (manifests, load records) carry no vector.
            vectors = [list(p.vector) for p in points] if dense else None
            target.upsert(name, PointBatch(ids=ids, payloads=payloads, vectors=vectors))
            copied += len(points)
        if offset is None:
            log.info("migrated %s: %d points", name, copied)
            return copied


def _ids(client: Any, name: str) -> set[str]:
    ids: set[str] = set()
    offset = None
    while True:
        points, offset = client.scroll(name, limit=4096, offset=offset, with_payload=False)
        ids.update(str(p.id) for p in points)
        if offset is None:
            return ids


def _verify(source: Any, target: Any, name: str) -> None:
    before, after = source.count(name, exact=True).count, target.count(name, exact=True).count
    if before != after:
        raise StoreError(f"{name}: {before} points in the old store, {after} in the new one")
    missing = _ids(source, name) - _ids(target, name)
    if missing:
        raise StoreError(f"{name}: {len(missing)} ids of the old store are missing from the new one")

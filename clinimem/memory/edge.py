"""Qdrant's own engine embedded in the process (``qdrant-edge-py``), spoken to like a ``QdrantClient``.

``MemoryStore`` holds one code path for every backend: it calls the part of
qdrant-client's API listed below, and this class answers those calls from
``EdgeShard``s, one shard per collection, under one store folder::

    store/
      clinimem-edge.json     format marker (what makes a folder an edge store), the collections
      .lock                  held (flock) by the one process that has the store open
      shards/<collection>/   one EdgeShard each: segments, payload indexes, WAL

Why edge rather than qdrant-client's local mode: local mode loads every point into
Python when it opens (27 s and 2.3 GB for 300 patients) and ignores payload
indexes; an EdgeShard opens its segments memory-mapped, reads points by id from
disk, and filters through real payload indexes. All of it is public API of the
two libraries; nothing here writes into either one's private storage.

The calls answered: ``get_collections``, ``create_collection``,
``create_payload_index``, ``delete_collection``, ``retrieve``, ``scroll``,
``upsert``, ``delete``, ``count``, ``query_points``, ``close``; with the store's own
request types (:mod:`clinimem.memory.points`, no qdrant-client import). Anything else raises
``AttributeError`` as a missing method would.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import qdrant_edge as edge

from clinimem.errors import StoreError, StoreLockedError
from clinimem.memory.points import (
    Dense,
    Exclude,
    Filter,
    HasId,
    IndexSchema,
    Match,
    MatchAny,
    PayloadSelection,
    PointBatch,
)

MARKER = "clinimem-edge.json"
FORMAT = 1
# A payload-only collection (manifests, load records) still needs a vector config in an
# EdgeShard: an empty sparse vector costs nothing per point.
_NO_VECTOR = "none"
# Cold: memory-mapped, read from disk when touched (the page cache keeps what is hot). Opening a
# store then maps files instead of loading 1.5 KB of vector per entry into RAM (the engine's
# default, Cached, preloads them: 600 MB at 1,000 patients).
_COLD = edge.Memory.Cold
# No vector graph: every search is within one patient (a payload-index lookup, then a few hundred
# exact distances); a graph over all patients would cost RAM and optimize time and serve nothing.
_NO_GRAPH = edge.HnswIndexConfig(m=0, ef_construct=100, full_scan_threshold=10_000, payload_m=0)


def is_edge_store(folder: Path) -> bool:
    return (folder / MARKER).is_file()


@dataclass(slots=True)
class EdgeRecord:
    """A point as ``MemoryStore`` reads it (the attributes of qdrant-client's Record/ScoredPoint)."""

    id: str
    payload: dict[str, Any] | None = None
    vector: list[float] | None = None
    score: float = 0.0


@dataclass
class _Collection:
    shard: Any
    dense: bool
    lock: threading.Lock = field(default_factory=threading.Lock)


class EdgeClient:
    """A store folder of EdgeShards behind the QdrantClient calls that ``MemoryStore`` makes."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._collections: dict[str, _Collection] = {}
        self._guard = threading.Lock()
        self.folder.mkdir(parents=True, exist_ok=True)
        # One process owns the folder. flock is released by the kernel when the process dies,
        # so a crashed owner never leaves a stale lock behind (a lock file with a pid would).
        self._lock_file = open(self.folder / ".lock", "a+")  # noqa: SIM115 - held open for the lock's life
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            self._lock_file.seek(0)
            holder = self._lock_file.read().strip()
            self._lock_file.close()
            raise StoreLockedError(
                f"the store is open in another process ({holder or 'no process named'})",
                file=str(self.folder),
                hint="an embedded store is owned by one process: run `clinimem serve` on it and the "
                "other commands (ingest, screen, patients, ask) go through it; or wait for that "
                "process to end; or use a Qdrant server (--qdrant-url)",
            ) from err
        # Who holds it, for the message another process gets (the flock itself says nothing).
        self._lock_file.truncate(0)
        self._lock_file.write(f"pid {os.getpid()}: {_command_line()}\n")
        self._lock_file.flush()
        marker = self.folder / MARKER
        self._meta: dict[str, Any] = {"format": FORMAT, "engine": "qdrant-edge", "collections": {}}
        if marker.exists():
            self._meta = json.loads(marker.read_text())
            if self._meta.get("format") != FORMAT:
                self.close()
                raise StoreError(
                    f"edge store format {self._meta.get('format')}, this clinimem reads {FORMAT}",
                    file=str(folder),
                )
        else:
            self._write_meta()
        (self.folder / "shards").mkdir(exist_ok=True)
        try:
            for name, about in sorted(self._meta["collections"].items()):
                shard = edge.EdgeShard.load(str(self.folder / "shards" / name))
                self._collections[name] = _Collection(shard, dense=bool(about["dense"]))
        except BaseException:
            self.close()
            raise

    def _write_meta(self) -> None:
        """The marker names the collections: written after a shard is made, so it never names a missing one."""
        tmp = self.folder / (MARKER + ".tmp")
        tmp.write_text(json.dumps(self._meta, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, self.folder / MARKER)

    # -- collections ---------------------------------------------------------------------------

    def _get(self, name: str) -> _Collection:
        try:
            return self._collections[name]
        except KeyError:
            raise StoreError(f"no collection {name}", file=str(self.folder)) from None

    def get_collections(self) -> Any:
        return SimpleNamespace(collections=[SimpleNamespace(name=n) for n in sorted(self._collections)])

    def collection_exists(self, name: str) -> bool:
        return name in self._collections

    def create_collection(self, collection_name: str, vectors_config: Dense | None = None) -> bool:
        with self._guard:
            if collection_name in self._collections:
                return False
            if vectors_config is not None:
                config = edge.EdgeConfig(
                    vectors=edge.EdgeVectorParams(
                        size=vectors_config.size, distance=edge.Distance.Cosine, memory=_COLD
                    ),
                    hnsw_config=_NO_GRAPH,
                    payload_memory=_COLD,
                    id_tracker_memory=_COLD,
                )
            else:
                config = edge.EdgeConfig(
                    sparse_vectors={_NO_VECTOR: edge.EdgeSparseVectorParams()},
                    payload_memory=_COLD,
                    id_tracker_memory=_COLD,
                )
            path = self.folder / "shards" / collection_name
            if path.exists():  # a shard made by a process that died before the marker named it
                shutil.rmtree(path)
            dense = vectors_config is not None
            shard = edge.EdgeShard.create(str(path), config)
            self._collections[collection_name] = _Collection(shard, dense=dense)
            self._meta["collections"][collection_name] = {"dense": dense}
            self._write_meta()
            return True

    def delete_collection(self, collection_name: str) -> bool:
        with self._guard:
            found = self._collections.pop(collection_name, None)
            if found is None:
                return False
            found.shard.close()
            del self._meta["collections"][collection_name]
            self._write_meta()
            shutil.rmtree(self.folder / "shards" / collection_name)
            return True

    def create_payload_index(self, collection_name: str, field_name: str, field_schema: IndexSchema) -> None:
        schema = _index_params(field_schema)
        collection = self._get(collection_name)
        with collection.lock:
            collection.shard.update(edge.UpdateOperation.create_field_index(field_name, schema))

    def payload_indexes(self, collection_name: str) -> set[str]:
        return set(self._get(collection_name).shard.info().payload_schema)

    # -- points --------------------------------------------------------------------------------

    def upsert(self, collection_name: str, points: PointBatch, wait: bool = True) -> None:
        collection = self._get(collection_name)
        if collection.dense:
            if points.vectors is None:
                raise StoreError(f"{collection_name} needs a vector per point", file=str(self.folder))
            # The store hands one list per concept, shared by its entries: no copy per point.
            built = [
                edge.Point(str(i), v if isinstance(v, list) else list(v), p)
                for i, v, p in zip(points.ids, points.vectors, points.payloads, strict=True)
            ]
        else:
            built = [edge.Point(str(i), {}, p) for i, p in zip(points.ids, points.payloads, strict=True)]
        with collection.lock:
            collection.shard.update(edge.UpdateOperation.upsert_points(built))

    def delete(self, collection_name: str, ids: Sequence[str], wait: bool = True) -> None:
        if not ids:
            return
        collection = self._get(collection_name)
        with collection.lock:
            collection.shard.update(edge.UpdateOperation.delete_points([str(i) for i in ids]))

    def retrieve(
        self,
        collection_name: str,
        ids: Sequence[Any],
        with_payload: PayloadSelection = True,
        with_vectors: bool = False,
    ) -> list[EdgeRecord]:
        if not ids:
            return []
        collection = self._get(collection_name)
        records = collection.shard.retrieve(
            [str(i) for i in ids], _payload_selector(with_payload), bool(with_vectors and collection.dense)
        )
        return [_record(r, collection.dense) for r in records]

    def retrieve_payloads(
        self, collection_name: str, ids: Sequence[Any], with_payload: PayloadSelection = True
    ) -> list[dict[str, Any]]:
        """The payloads of ``ids`` (those found), without building a record per point.

        A patient's read takes a few hundred points: a record each, and the point id the engine
        hands back as a ``uuid.UUID``, were a third of the read's Python time.
        """
        if not ids:
            return []
        collection = self._get(collection_name)
        records = collection.shard.retrieve([str(i) for i in ids], _payload_selector(with_payload), False)
        return [r.payload for r in records]

    def scroll(
        self,
        collection_name: str,
        limit: int = 10,
        offset: Any = None,
        with_payload: PayloadSelection = True,
        with_vectors: bool = False,
    ) -> tuple[list[EdgeRecord], str | None]:
        collection = self._get(collection_name)
        records, next_offset = collection.shard.scroll(
            edge.ScrollRequest(
                offset=None if offset is None else str(offset),
                limit=limit,
                with_payload=_payload_selector(with_payload),
                with_vector=bool(with_vectors and collection.dense),
            )
        )
        return (
            [_record(r, collection.dense) for r in records],
            None if next_offset is None else str(next_offset),
        )

    def count(self, collection_name: str, exact: bool = True, **_: Any) -> Any:
        return SimpleNamespace(count=self._get(collection_name).shard.count(edge.CountRequest(exact=True)))

    def query_points(
        self,
        collection_name: str,
        query: Sequence[float],
        query_filter: Filter | None = None,
        limit: int = 10,
        with_payload: PayloadSelection = True,
    ) -> Any:
        collection = self._get(collection_name)
        hits = collection.shard.query(
            edge.QueryRequest(
                limit=limit,
                query=edge.Query.Nearest([float(x) for x in query]),
                filter=_filter(query_filter),
                with_payload=_payload_selector(with_payload),
            )
        )
        return SimpleNamespace(points=[_record(h, collection.dense, score=h.score) for h in hits])

    def flush(self) -> None:
        for collection in self._collections.values():
            with collection.lock:
                collection.shard.flush()

    def optimize(self) -> bool:
        """Merge segments and build the vector index (blocking; after a large load)."""
        changed = False
        for collection in self._collections.values():
            with collection.lock:
                changed = collection.shard.optimize() or changed
        return changed

    def close(self) -> None:
        with self._guard:
            for collection in self._collections.values():
                # Flush first: the engine truncates its WAL only after a flush, and an unflushed
                # WAL is replayed at the next open (2 s and more for a day's load, not 0.06 s).
                collection.shard.flush()
                collection.shard.close()
            self._collections.clear()
            if not self._lock_file.closed:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                self._lock_file.close()


def _command_line() -> str:
    import sys

    # The program and its command only: further words may name a patient.
    words = [os.path.basename(sys.argv[0]) if sys.argv else "python", *sys.argv[1:2]]
    return " ".join(words)[:80]


def _index_params(field_schema: IndexSchema) -> Any:
    """The store's index schema as edge's, kept on disk (Cold)."""
    if field_schema == "tenant":
        return edge.KeywordIndexParams(is_tenant=True, memory=_COLD)
    if field_schema == "keyword":
        return edge.KeywordIndexParams(memory=_COLD)
    if field_schema == "datetime":
        return edge.DatetimeIndexParams(memory=_COLD)
    raise StoreError(f"the edge store keeps no index of type {field_schema!r}")


def _payload_selector(with_payload: PayloadSelection) -> Any:
    if isinstance(with_payload, Exclude):
        return edge.PayloadSelector.Exclude(list(with_payload.fields))
    if isinstance(with_payload, list):
        return edge.PayloadSelector.Include(with_payload)
    return bool(with_payload)


def _record(record: Any, dense: bool, score: float = 0.0) -> EdgeRecord:
    vector = record.vector
    if isinstance(vector, dict):  # named vectors: the default ("") one, or none (payload-only)
        vector = vector.get("")
    return EdgeRecord(str(record.id), record.payload, vector if dense else None, score)


def _filter(query_filter: Filter | None) -> Any:
    """The store's conditions (match on a keyword, any-of, has-id) in edge's types."""
    if query_filter is None:
        return None

    def condition(c: Match | MatchAny | HasId) -> Any:
        if isinstance(c, HasId):
            return edge.HasIdCondition(set(c.ids))
        if isinstance(c, Match):
            return edge.FieldCondition(c.key, match=edge.MatchValue(c.value))
        return edge.FieldCondition(c.key, match=edge.MatchAny(list(c.values)))

    return edge.Filter(must=[condition(c) for c in query_filter.must])

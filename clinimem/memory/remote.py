"""An embedded store owned by another process, read and written through it over loopback.

An embedded folder is locked by the one process that opened it. While ``clinimem serve``
owns it, a screening job or an ingest in another process gets this store from
:func:`~clinimem.memory.store.shared_store`: the same methods, each one a request to the
owner (:mod:`clinimem.owner`), which runs it on its own :class:`MemoryStore`. So the page,
a screening job and an ingest work on one folder at once, and nothing is locked out.

- Reads (patients, a patient's entries, concept vectors, a source resource). A patient's
  entries are kept here with their revision and fetched again only when it changed.
- Writes: the connectors read, validate, map and embed in this process; mapped resources
  and their concepts' vectors go to the owner, which stages them in one load of its store
  (:meth:`MemoryStore.open_load`) and publishes it at the commits and at the end, each
  patient all at once, as a load in one process does. If this process dies mid-load, the
  owner rolls the load back when the next one starts, or when it stops.

Vectors travel as base64 of little-endian float32, entries as their payloads.

Both sides of the wire live here: :class:`RemoteStore` (the client) and :class:`StoreService`
(what the owner runs for it on its own store; :mod:`clinimem.owner` carries the requests and
imports nothing of the memory).
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from clinimem.errors import StoreError
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers.common import ConceptVectors, MappedResource
from clinimem.memory.store import VECTOR_SIZE, MemoryStore, PatientSummary, WriteStats

log = logging.getLogger(__name__)


def encode_vector(vector: Any) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float32)


def mapped_to_wire(item: MappedResource) -> dict[str, Any]:
    source = item.source_json
    if source is None and item.source is not None:
        from clinimem.memory.mappers.common import canonical_json

        source = canonical_json(item.source)
    return {
        "ref": item.ref,
        "resource_type": item.resource_type,
        "patient_id": item.patient_id,
        "entries": [e.payload() for e in item.entries],
        "content_hash": item.content_hash,
        "last_updated": item.last_updated,
        "removed": item.removed,
        "source_json": source,
    }


def mapped_from_wire(data: dict[str, Any]) -> MappedResource:
    return MappedResource(
        ref=data["ref"],
        resource_type=data["resource_type"],
        patient_id=data["patient_id"],
        entries=tuple(MemoryEntry.from_payload(p) for p in data["entries"]),
        content_hash=data["content_hash"],
        last_updated=data["last_updated"],
        removed=bool(data["removed"]),
        source_json=data["source_json"],
    )


class RemoteStore(MemoryStore):
    """:class:`MemoryStore` of a folder that another clinimem process owns; every call goes to it.

    A method this class does not carry (a search, compaction) fails with a
    :class:`StoreError` saying so rather than trying to open the locked folder.
    """

    def __init__(self, folder: str, record: Mapping[str, Any], *, prefix: str = "clinimem") -> None:
        super().__init__(folder, prefix=prefix, create=False, backend="edge")
        self.record = dict(record)
        self._load: str | None = None

    def describe(self) -> str:
        return f"{self.location} (through the clinimem process {self.record['pid']} that owns it)"

    def _open(self) -> Any:
        raise StoreError(
            "this operation is not served by the store's owner process",
            file=str(self.location),
            hint=f"stop the clinimem process {self.record['pid']} that owns the folder, or use a Qdrant server",
        )

    @property
    def client(self) -> Any:
        # The pipeline touches `client` to open its store early: the owner is open already.
        return self

    def _call(self, operation: str, params: dict[str, Any] | None = None, *, timeout: float = 600.0) -> Any:
        from clinimem.owner import call_owner

        return call_owner(
            self.record, f"store.{operation}", params or {}, timeout=timeout, folder=self.location
        )

    def close(self) -> None:
        if self._load is not None:
            load, self._load = self._load, None
            # An owner that is gone settles the load when the store next opens.
            with contextlib.suppress(StoreError):
                self._call("end", {"load": load, "commit": False})

    # -- reading -------------------------------------------------------------------------------

    def patients(self) -> list[PatientSummary]:
        return [PatientSummary(**p) for p in self._call("patients")]

    def patient(self, patient_id: str) -> PatientSummary | None:
        found = self._call("patient", {"patient_id": patient_id})
        return PatientSummary(**found) if found else None

    def read(self, patient_id: str) -> tuple[int, list[MemoryEntry]]:
        cached = self._cache.get(patient_id)
        reply = self._call("read", {"patient_id": patient_id, "revision": cached[0] if cached else None})
        if cached and reply["revision"] == cached[0] and reply.get("entries") is None:
            return cached
        read = (int(reply["revision"]), [MemoryEntry.from_payload(p) for p in reply["entries"]])
        with self._lock:
            self._cache[patient_id] = read
        return read

    def get_concepts(self, concepts: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(concepts))
        missing = [c for c in wanted if c not in self._concepts]
        if missing:
            found = self._call("concepts", {"concepts": missing})
            self._concepts.update({c: decode_vector(v) for c, v in found.items()})
        return {c: self._concepts[c] for c in wanted if c in self._concepts}

    def put_concepts(self, vectors: Mapping[str, np.ndarray]) -> None:
        if vectors:
            self._call("put_concepts", {"vectors": {c: encode_vector(v) for c, v in vectors.items()}})
            self._concepts.update({c: np.asarray(v, dtype=np.float32) for c, v in vectors.items()})

    def source_resource(self, resource: str) -> dict[str, Any] | None:
        return self._call("source", {"resource": resource})

    def search(
        self, vector: np.ndarray, *, patient_id: str | None = None, limit: int = 10
    ) -> list[tuple[MemoryEntry, float]]:
        hits = self._call(
            "search", {"vector": encode_vector(vector), "patient_id": patient_id, "limit": limit}
        )
        return [(MemoryEntry.from_payload(payload), float(score)) for payload, score in hits]

    def count(self) -> int:
        return int(self._call("count"))

    def optimize(self) -> bool:
        return False  # the owner's store compacts itself when it closes after a large load

    # -- writing -------------------------------------------------------------------------------

    def write(
        self, batch: Sequence[MappedResource], vectors: Mapping[str, np.ndarray] | ConceptVectors
    ) -> WriteStats:
        if not batch:
            return WriteStats()
        if self._load is None:
            with self.staging():
                return self.write(batch, vectors)
        concepts = {e.concept for item in batch for e in item.entries}
        stats = self._call(
            "write",
            {
                "load": self._load,
                "batch": [mapped_to_wire(item) for item in batch],
                "vectors": {c: encode_vector(vectors[c]) for c in concepts},
            },
        )
        self._written += int(stats["entries_written"])
        return WriteStats(**stats)

    @contextmanager
    def staging(self) -> Iterator[MemoryStore]:
        self.open_load()
        try:
            yield self
            self.commit()
        except BaseException:
            self.close_load(commit=False)
            raise
        self.close_load(commit=True)

    def open_load(self) -> str:
        if self._load is not None:
            raise StoreError("a staged load is already open on this store", file=self.describe())
        self._load = str(self._call("begin", {"pid": os.getpid()})["load"])
        return self._load

    def commit(self) -> int:
        if self._load is None:
            return 0
        return int(self._call("commit", {"load": self._load}))

    def rollback(self) -> int:
        return self.close_load(commit=False) if self._load is not None else 0

    def close_load(self, *, commit: bool) -> int:
        load, self._load = self._load, None
        if load is None:
            return 0
        return int(self._call("end", {"load": load, "commit": commit}))

    def entry_vectors(self, entries: Sequence[MemoryEntry]) -> np.ndarray:
        if not entries:
            return np.zeros((0, VECTOR_SIZE), dtype=np.float32)
        return super().entry_vectors(entries)


class StoreService:
    """The owner's side of :class:`RemoteStore`: the ``store.*`` operations run on the owner's store.

    :class:`~clinimem.owner.OwnerServer` hands each ``store.*`` request here
    (:meth:`MemoryStore.service` makes one); the reply is JSON-ready, in the wire format above.
    """

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.loads = _Loads(store)

    def run(self, operation: str, params: dict[str, Any]) -> Any:
        """The reply to one operation (its name without ``store.``)."""
        store = self.store
        if operation == "patients":
            return [dict(p.__dict__) for p in store.patients()]
        if operation == "patient":
            summary = store.patient(str(params["patient_id"]))
            return dict(summary.__dict__) if summary else None
        if operation == "read":
            revision, entries = store.read(str(params["patient_id"]))
            if params.get("revision") == revision:
                return {"revision": revision, "entries": None}  # the reader's copy is current
            return {"revision": revision, "entries": [e.payload() for e in entries]}
        if operation == "concepts":
            found = store.get_concepts([str(c) for c in params["concepts"]])
            return {c: encode_vector(v) for c, v in found.items()}
        if operation == "put_concepts":
            store.put_concepts({str(c): decode_vector(v) for c, v in params["vectors"].items()})
            return None
        if operation == "source":
            return store.source_resource(str(params["resource"]))
        if operation == "search":
            hits = store.search(
                decode_vector(params["vector"]),
                patient_id=params.get("patient_id"),
                limit=int(params["limit"]),
            )
            return [(entry.payload(), score) for entry, score in hits]
        if operation == "count":
            return store.count()
        if operation == "begin":
            return {"load": self.loads.begin(int(params["pid"]))}
        load = str(params["load"])
        if operation == "write":
            return self.loads.write(load, params["batch"], params["vectors"])
        if operation == "commit":
            return self.loads.commit(load)
        return self.loads.end(load, commit=bool(params["commit"]))

    def close(self) -> None:
        """Roll back a load still open (its process never finished it)."""
        self.loads.close()


class _Loads:
    """The one load that another process runs on the owner's store, across its requests.

    A second load waits for none: it is told which process is loading. A load whose
    process died is rolled back when the next one begins, or when the owner stops, so
    its staged patients never become visible half-written.
    """

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._current: tuple[str, int] | None = None  # (load id, the loading process's pid)

    def begin(self, pid: int) -> str:
        from clinimem.owner import process_alive

        with self._lock:
            if self._current is not None:
                holder = self._current[1]
                if process_alive(holder):
                    raise StoreError(
                        f"another load is writing to this store (process {holder})",
                        file=str(self.store.location),
                        hint="run this load again when that one has ended",
                    )
                log.warning("rolling back the load of process %d, which ended without finishing it", holder)
                self.store.close_load(commit=False)
                self._current = None
            load = self.store.open_load()
            self._current = (load, pid)
            return str(load)

    def _check(self, load: str) -> None:
        if self._current is None or self._current[0] != load:
            raise StoreError(
                "this load is no longer open on the store's owner (it was rolled back)",
                file=str(self.store.location),
                hint="run the load again",
            )

    def write(self, load: str, batch: list[dict[str, Any]], vectors: dict[str, str]) -> dict[str, int]:
        with self._lock:
            self._check(load)
            stats = self.store.write(
                [mapped_from_wire(item) for item in batch],
                {c: decode_vector(v) for c, v in vectors.items()},
            )
            return dict(stats.__dict__)

    def commit(self, load: str) -> int:
        with self._lock:
            self._check(load)
            return int(self.store.commit())

    def end(self, load: str, *, commit: bool) -> int:
        with self._lock:
            self._check(load)
            self._current = None
            return int(self.store.close_load(commit=commit))

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current = None
                self.store.close_load(commit=False)

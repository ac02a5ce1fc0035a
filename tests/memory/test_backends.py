"""The store's contract, written once and run against every backend present.

- ``edge``: Qdrant's engine embedded in the process (the default for a folder);
- ``local``: qdrant-client's local mode (the folders clinimem wrote before; kept so they
  open and can be migrated);
- ``server``: a Qdrant server at ``$CLINIMEM_TEST_QDRANT_URL``, skipped with the reason
  when none is set or reachable (none can be installed on the development machines).

The store is written directly (mapped resources, fixed per-concept vectors), so these
tests need neither the encoder nor a pipeline.
"""

from __future__ import annotations

import os
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fhir_samples import bp_panel, encounter, observation, patient, sourced

from clinimem.memory.entry import entry_id_for
from clinimem.memory.mappers import MappedResource, map_resource
from clinimem.memory.store import MemoryStore

OLD, NEW = "2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z"
BP_DIASTOLIC = entry_id_for("Observation/bp1", "$.component[1]")
INDEXED = {"patient_id", "kind", "code", "time"}


def server_url() -> str | None:
    """The test server's URL if one answers; the skip reason otherwise (as ``None`` plus the reason)."""
    return os.environ.get("CLINIMEM_TEST_QDRANT_URL") or None


def _server_reason() -> str | None:
    url = server_url()
    if not url:
        return "no Qdrant server: set CLINIMEM_TEST_QDRANT_URL to run the contract against one"
    import httpx

    try:
        httpx.get(f"{url.rstrip('/')}/readyz", timeout=2).raise_for_status()
    except httpx.HTTPError as err:
        return f"the Qdrant server at {url} does not answer: {err}"
    return None


class Backend:
    """Opens the backend's store (again, for a reopen) and removes it at the end."""

    def __init__(self, name: str, tmp_path: Path) -> None:
        self.name = name
        self.folder = tmp_path / "store"
        self.prefix = f"t{uuid.uuid4().hex[:12]}" if name == "server" else "clinimem"
        self.opened: list[MemoryStore] = []

    def open(self) -> MemoryStore:
        if self.name == "server":
            store = MemoryStore(url=server_url(), prefix=self.prefix)
        else:
            store = MemoryStore(self.folder, backend=self.name)  # type: ignore[arg-type]
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self.opened:
            if self.name == "server" and store._client is not None:
                for name in ("entries", "patients", "concepts", "loads", "staging"):
                    store.client.delete_collection(getattr(store, f"{name}_collection"))
            store.close()


@pytest.fixture(params=["edge", "local", "server"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "server" and (reason := _server_reason()):
        pytest.skip(reason)
    made = Backend(request.param, tmp_path)
    yield made
    made.close_all()


def mapped(*resources: dict[str, Any]) -> list[MappedResource]:
    out = [map_resource(sourced(r)) for r in resources]
    assert all(isinstance(m, MappedResource) for m in out), out
    return out  # type: ignore[return-value]


def vectors(batch: list[MappedResource]) -> dict[str, np.ndarray]:
    concepts = {e.concept for m in batch for e in m.entries}
    return {
        c: np.random.default_rng(zlib.crc32(c.encode())).standard_normal(384).astype(np.float32)
        for c in concepts
    }


def write(store: MemoryStore, *resources: dict[str, Any]) -> Any:
    batch = mapped(*resources)
    concept_vectors = vectors(batch)
    store.put_concepts(concept_vectors)  # as the ingest pipeline does: the concept cache beside the entries
    return store.write(batch, concept_vectors)


def version_1(pid: str = "p1") -> list[dict[str, Any]]:
    return [
        patient(pid),
        encounter(f"{pid}-e1", "2020-01-01T09:00:00+00:00", pid=pid),
        bp_panel(
            f"{pid}-bp1" if pid != "p1" else "bp1",
            142.0,
            91.0,
            pid=pid,
            encounter_id=f"{pid}-e1",
            last_updated=OLD,
        ),
        observation(
            f"{pid}-a1c" if pid != "p1" else "a1c", 7.9, pid=pid, encounter_id=f"{pid}-e1", last_updated=OLD
        ),
    ]


def test_write_then_read_one_patient(backend: Backend) -> None:
    store = backend.open()
    stats = write(store, *version_1())
    assert (stats.added, stats.entries_written) == (4, 6)
    [summary] = store.patients()
    assert (summary.patient_id, summary.name, summary.entries, summary.resources) == (
        "p1",
        "Ada Lovelace",
        6,
        4,
    )
    entries = store.entries("p1")
    assert len(entries) == 6 and store.count() == 6
    assert {e.entry_id for e in entries} == store.entry_ids()
    assert [e.time for e in entries if e.time] == sorted(e.time for e in entries if e.time)  # time order
    assert store.source_resource("Observation/a1c")["valueQuantity"]["value"] == 7.9
    assert store.source_resource("Observation/none") is None
    # A reread of the same record changes nothing.
    again = write(store, *version_1())
    assert (again.unchanged, again.entries_written) == (4, 0)
    assert store.patient("p1") == summary


def test_a_newer_version_replaces_and_entered_in_error_removes(backend: Backend) -> None:
    store = backend.open()
    write(store, *version_1())
    write(store, bp_panel("bp1", 150.0, None, encounter_id="p1-e1", last_updated=NEW))
    assert BP_DIASTOLIC not in store.entry_ids()
    values = {e.entry_id: e.value for e in store.entries("p1")}
    assert values[entry_id_for("Observation/bp1", "$.component[0]")] == 150.0
    assert store.patient("p1").entries == 5 == store.count()
    write(store, observation("a1c", 7.9, encounter_id="p1-e1", status="entered-in-error", last_updated=NEW))
    assert entry_id_for("Observation/a1c", "$") not in store.entry_ids()
    assert store.patient("p1").entries == 4 == store.count()


def test_patients_are_read_apart(backend: Backend) -> None:
    store = backend.open()
    write(store, *version_1("p1"), *version_1("p2"))
    assert [p.patient_id for p in store.patients()] == ["p1", "p2"]
    for pid in ("p1", "p2"):
        assert {e.patient_id for e in store.entries(pid)} == {pid}
        hits = store.search(np.ones(384, dtype=np.float32), patient_id=pid, limit=50)
        assert len(hits) == 6 and {e.patient_id for e, _ in hits} == {pid}
    assert len(store.search(np.ones(384, dtype=np.float32), limit=50)) == 12
    assert store.entries("nobody") == [] and store.patient("nobody") is None


def test_a_failed_load_rolls_back_to_the_previous_version(backend: Backend) -> None:
    store = backend.open()
    write(store, *version_1())
    before = (store.entries("p1"), store.entry_ids())
    with pytest.raises(RuntimeError), store.staging():
        write(store, bp_panel("bp1", 150.0, None, encounter_id="p1-e1", last_updated=NEW))
        write(store, observation("a1c-2", 8.1, time="2020-02-01T10:00:00+00:00", encounter_id="p1-e1"))
        raise RuntimeError("the source broke")
    assert (store.entries("p1"), store.entry_ids()) == before
    assert store.client.count(store.loads_collection).count == 0
    assert store.client.count(store.staging_collection).count == 0


def test_what_was_written_is_there_after_a_reopen(backend: Backend) -> None:
    store = backend.open()
    write(store, *version_1(), *version_1("p2"))
    write(store, bp_panel("bp1", 150.0, None, encounter_id="p1-e1", last_updated=NEW))
    seen = (store.patients(), store.entries("p1"), store.entries("p2"), store.entry_ids())
    store.close()
    reopened = backend.open()
    assert (reopened.patients(), reopened.entries("p1"), reopened.entries("p2"), reopened.entry_ids()) == seen
    stored = reopened.entry_vectors(reopened.entries("p2"))
    expected = vectors(mapped(*version_1("p2")))
    wanted = np.stack([expected[e.concept] for e in reopened.entries("p2")])
    # Cosine collections may keep a vector as given or scaled to unit length (the engines differ):
    # the direction is what is stored. MiniLM's vectors are unit length already.
    wanted /= np.linalg.norm(wanted, axis=1, keepdims=True)
    stored /= np.linalg.norm(stored, axis=1, keepdims=True)
    np.testing.assert_allclose(stored, wanted, atol=1e-6)


def test_entries_have_payload_indexes_where_the_engine_keeps_them(backend: Backend) -> None:
    store = backend.open()
    write(store, *version_1())
    if backend.name == "local":
        pytest.skip("qdrant-client's local mode keeps no payload indexes (it filters point by point)")
    if backend.name == "edge":
        indexed = store.client.payload_indexes(store.entries_collection)
    else:
        indexed = set(store.client.get_collection(store.entries_collection).payload_schema)
    assert indexed >= INDEXED


def test_a_store_written_before_the_roster_lists_its_patients(backend: Backend) -> None:
    """Stores of earlier clinimem have manifests and no roster: the first list writes it from them."""
    store = backend.open()
    write(store, *version_1("p1"), *version_1("p2"))
    listed = store.patients()
    store.client.delete_collection(store.roster_collection)
    store.close()
    reopened = backend.open()  # creates the missing (empty) roster collection
    assert reopened.client.count(reopened.roster_collection).count == 0
    assert reopened.patients() == listed
    assert reopened.client.count(reopened.roster_collection).count == 2


def test_an_edge_store_compacted_after_a_load_reads_the_same(tmp_path: Path, monkeypatch, capsys) -> None:
    """Closing after a large load compacts (here: any load); `clinimem store optimize` does it by hand."""
    from clinimem.cli import main
    from clinimem.memory import store as store_module

    monkeypatch.setattr(store_module, "COMPACT_AFTER", 1)
    store = MemoryStore(tmp_path / "store")
    write(store, *version_1("p1"), *version_1("p2"))
    write(store, bp_panel("bp1", 150.0, None, encounter_id="p1-e1", last_updated=NEW))  # a delete to vacuum
    seen = (store.patients(), store.entries("p1"), store.entry_ids())
    store.close()
    reopened = MemoryStore(tmp_path / "store")
    try:
        assert (reopened.patients(), reopened.entries("p1"), reopened.entry_ids()) == seen
        # The deleted diastolic entry is gone from the engine's own count too.
        info = reopened.client._collections[reopened.entries_collection].shard.info()
        assert info.points_count == len(seen[2]) == 11
    finally:
        reopened.close()
    assert main(["store", "optimize", "--store", str(tmp_path / "store")]) == 0
    assert "store" in capsys.readouterr().out


def test_a_store_written_with_flat_payloads_reads_and_updates_the_same(backend: Backend) -> None:
    """Stores written before the packed payloads (each entry's fields flat, manifests nested) still read."""
    import json

    from clinimem.memory.points import PointBatch

    store = backend.open()
    write(store, *version_1("p1"), *version_1("p2"))
    seen = (store.patients(), store.entries("p1"), store.source_resource("Patient/p1"))
    for collection in (store.entries_collection, store.patients_collection):
        points, _ = store.client.scroll(collection, limit=1000, with_payload=True, with_vectors=True)
        flat = []
        for p in points:
            payload = dict(p.payload)
            if "entry" in payload:  # an entry as clinimem wrote it before: every field at the top
                payload.update(json.loads(payload.pop("entry")))
            if isinstance(payload.get("resources"), str):
                payload["resources"] = json.loads(payload["resources"])
            flat.append(payload)
        vectors_of = [list(p.vector) for p in points] if collection == store.entries_collection else None
        store.client.upsert(
            collection, PointBatch(ids=[str(p.id) for p in points], payloads=flat, vectors=vectors_of)
        )
    store.close()
    reopened = backend.open()
    assert (reopened.patients(), reopened.entries("p1"), reopened.source_resource("Patient/p1")) == seen
    # A newer version written into the old layout replaces its entries as before.
    stats = write(reopened, bp_panel("bp1", 150.0, None, encounter_id="p1-e1", last_updated=NEW))
    assert stats.updated == 1 and stats.entries_deleted == 1
    assert BP_DIASTOLIC not in {e.entry_id for e in reopened.entries("p1")}

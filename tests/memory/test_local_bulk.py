"""The bulk insert into qdrant-client local mode gives exactly what the public ``upsert`` gives.

Compared point for point: the collection in memory (ids, payloads, deleted flags
with their dtype, normalised vectors), the rows of the sqlite file (the same
keys and pickles), what a reopened folder holds, and query results.
"""

from __future__ import annotations

import dataclasses
import pickle
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

from clinimem.memory import local_bulk
from clinimem.memory.local_bulk import insert_new_points, local_collection

DIM = 8
NAME = "entries"


def open_client(path: Path | None) -> QdrantClient:
    client = QdrantClient(path=str(path)) if path else QdrantClient(location=":memory:")
    if not client.collection_exists(NAME):
        client.create_collection(
            NAME, vectors_config=models.VectorParams(size=DIM, distance=models.Distance.COSINE)
        )
    return client


def sample(n: int, seed: int, start: int = 0) -> tuple[list[str], list[list[float]], list[dict[str, Any]]]:
    """Points whose vectors are shared between several of them (as entries share a concept)."""
    rng = np.random.default_rng(seed)
    shared = [rng.standard_normal(DIM).astype(np.float32).tolist() for _ in range(5)]
    shared.append([0.0] * DIM)  # a zero vector: not normalised
    ids = [str(uuid.uuid5(uuid.NAMESPACE_OID, f"p{start + i}")) for i in range(n)]
    vectors = [shared[int(rng.integers(len(shared)))] for _ in range(n)]
    payloads: list[dict[str, Any]] = []
    for i in range(n):
        payload: dict[str, Any] = {
            "patient_id": f"pt{i % 3}",
            "value": float(rng.standard_normal()) if i % 2 else "text é",
            "flags": ["negated"] if i % 4 == 0 else [],
            "span": [i, i + 3] if i % 5 == 0 else None,
            "nested": {"a": [1, {"b": True}], "c": None},
        }
        if i % 7 == 0:
            payload["resource_json"] = '{"resourceType":"Observation","id":"x"}'
        if i % 11 == 0:
            payload["tuple"] = (1, 2)  # not a JSON type: takes the JSON round trip
        payloads.append(payload)
    return ids, vectors, payloads


def public_upsert(client: QdrantClient, ids, vectors, payloads) -> None:
    client.upsert(NAME, models.Batch(ids=ids, vectors=vectors, payloads=payloads), wait=True)


def rows(path: Path) -> dict[str, bytes]:
    """The sqlite rows of the collection: key -> pickled point, as bytes."""
    with sqlite3.connect(path / "collection" / NAME / "storage.sqlite") as db:
        return {key: bytes(blob) for key, blob in db.execute("SELECT id, point FROM points")}


def assert_same_collection(a: QdrantClient, b: QdrantClient) -> None:
    ca, cb = a._client.collections[NAME], b._client.collections[NAME]
    assert ca.ids == cb.ids and ca.ids_inv == cb.ids_inv
    assert ca.payload == cb.payload
    assert ca.deleted.dtype == cb.deleted.dtype and np.array_equal(ca.deleted, cb.deleted)
    for name in ca.deleted_per_vector:
        assert ca.deleted_per_vector[name].dtype == cb.deleted_per_vector[name].dtype
        assert np.array_equal(ca.deleted_per_vector[name], cb.deleted_per_vector[name])
    n = len(ca.ids_inv)
    assert np.array_equal(ca.vectors[""][:n], cb.vectors[""][:n])


def test_the_installed_qdrant_client_is_a_tested_version(tmp_path: Path) -> None:
    """Fails after a qdrant-client upgrade: run these tests against it, then add it to TESTED_VERSIONS."""
    client = open_client(tmp_path / "s")
    try:
        assert local_collection(client, NAME) is not None
    finally:
        client.close()


@pytest.mark.parametrize("on_disk", [True, False])
def test_bulk_insert_equals_the_public_upsert(tmp_path: Path, on_disk: bool) -> None:
    pa, pb = (tmp_path / "a", tmp_path / "b") if on_disk else (None, None)
    a, b = open_client(pa), open_client(pb)
    try:
        for batch, (n, start) in enumerate([(40, 0), (300, 40), (1, 340)]):  # grows the vector array
            ids, vectors, payloads = sample(n, seed=batch, start=start)
            public_upsert(a, ids, vectors, payloads)
            assert insert_new_points(b, NAME, ids, vectors, payloads) == []
        assert_same_collection(a, b)
        query = np.random.default_rng(9).standard_normal(DIM).tolist()
        hits_a = a.query_points(NAME, query=query, limit=20, with_payload=True, with_vectors=True).points
        hits_b = b.query_points(NAME, query=query, limit=20, with_payload=True, with_vectors=True).points
        assert hits_a == hits_b
        flt = models.Filter(
            must=[models.FieldCondition(key="patient_id", match=models.MatchValue(value="pt1"))]
        )
        assert a.count(NAME, count_filter=flt) == b.count(NAME, count_filter=flt)
    finally:
        a.close()
        b.close()
    if not on_disk:
        return
    assert rows(pa) == rows(pb)  # byte for byte
    assert all(isinstance(pickle.loads(blob), models.PointStruct) for blob in rows(pb).values())
    a, b = open_client(pa), open_client(pb)  # reopened: the same points come back
    try:
        assert_same_collection(a, b)
        every = [str(uuid.uuid5(uuid.NAMESPACE_OID, f"p{i}")) for i in range(341)]
        assert a.retrieve(NAME, every, with_vectors=True) == b.retrieve(NAME, every, with_vectors=True)
    finally:
        a.close()
        b.close()


def test_payloads_are_copied_not_shared() -> None:
    client = open_client(None)
    ids, vectors, payloads = sample(3, seed=1)
    insert_new_points(client, NAME, ids, vectors, payloads)
    payloads[0]["nested"]["a"].append("changed later")
    stored = client.retrieve(NAME, [ids[0]])[0].payload
    assert stored["nested"]["a"] == [1, {"b": True}]
    assert client.retrieve(NAME, [ids[0]])[0].payload["tuple"] == [1, 2]


def test_existing_deleted_and_repeated_ids_are_left_to_the_public_upsert(tmp_path: Path) -> None:
    client = open_client(tmp_path / "s")
    try:
        ids, vectors, payloads = sample(6, seed=2)
        public_upsert(client, ids[:2], vectors[:2], payloads[:2])
        client.delete(NAME, points_selector=models.PointIdsList(points=[ids[1]]), wait=True)
        batch_ids = [*ids, ids[3]]  # ids[0] stored, ids[1] deleted (still known), ids[3] twice
        rest = insert_new_points(client, NAME, batch_ids, [*vectors, vectors[3]], [*payloads, payloads[3]])
        assert rest == [0, 1, 6]
        assert {str(p.id) for p in client.scroll(NAME, limit=100)[0]} == {ids[0], *ids[2:]}
    finally:
        client.close()


def test_a_bad_point_leaves_the_collection_and_file_untouched(tmp_path: Path) -> None:
    client = open_client(tmp_path / "s")
    try:
        ids, vectors, payloads = sample(5, seed=3)
        insert_new_points(client, NAME, ids[:2], vectors[:2], payloads[:2])
        more_ids, more_vectors, more_payloads = sample(3, seed=4, start=10)
        bad = [*more_vectors[:2], [1.0] * (DIM - 1)]
        with pytest.raises(ValueError, match="dimension"):
            insert_new_points(client, NAME, more_ids, bad, more_payloads)
        nan = [*more_vectors[:2], [float("nan")] * DIM]
        with pytest.raises(ValueError):
            insert_new_points(client, NAME, more_ids, nan, more_payloads)
        with pytest.raises(ValueError):
            insert_new_points(client, NAME, ["not-an-id"], more_vectors[:1], more_payloads[:1])
        assert client.count(NAME).count == 2
    finally:
        client.close()
    assert len(rows(tmp_path / "s")) == 2


def test_not_applicable_returns_none() -> None:
    client = QdrantClient(location=":memory:")
    client.create_collection(
        "named", vectors_config={"text": models.VectorParams(size=DIM, distance=models.Distance.COSINE)}
    )
    assert (
        insert_new_points(client, "named", ["00000000-0000-0000-0000-000000000001"], [[1.0] * DIM], [{}])
        is None
    )
    assert insert_new_points(client, "absent", [], [], []) is None
    client = open_client(None)
    as_array = [np.ones(DIM, dtype=np.float32)]  # not a list: the public path converts it
    assert insert_new_points(client, NAME, ["00000000-0000-0000-0000-000000000001"], as_array, [{}]) is None


def test_an_untested_version_takes_the_public_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_bulk, "_VERSION_OK", False)
    client = open_client(None)
    ids, vectors, payloads = sample(2, seed=5)
    assert insert_new_points(client, NAME, ids, vectors, payloads) is None
    assert client.count(NAME).count == 0


def test_a_store_written_in_bulk_equals_one_written_point_by_point(synthea_dir: Path, tmp_path: Path) -> None:
    """Two Synthea bundles, then a newer version and an entered-in-error removal: same store either way."""
    from clinimem_connectors.sources import iter_sources
    from fhir_samples import smallest_bundles

    from clinimem.fhir.resource import SourcedResource
    from clinimem.memory.mappers import MappedResource, map_resource
    from clinimem.memory.mappers.common import mapped
    from clinimem.memory.store import MemoryStore

    resources = [r for r in iter_sources(smallest_bundles(synthea_dir, 2)) if isinstance(r, SourcedResource)]
    batch = [m for m in map(map_resource, resources) if isinstance(m, MappedResource)]
    obs = next(r for r in resources if r.resource_type == "Observation")
    newer = {**obs.data, "meta": {"lastUpdated": "2999-01-01T00:00:00Z"}, "valueString": "changed"}
    newer.pop("valueQuantity", None)
    gone = next(m for m in batch if m.resource_type == "Condition")
    gone_src = next(r for r in resources if r.ref == gone.ref)
    second = [
        map_resource(SourcedResource(obs.resource_type, obs.id, newer, obs.origin)),
        dataclasses.replace(mapped(gone_src, gone.patient_id, []), removed=True),
    ]
    rng = np.random.default_rng(0)
    vectors = {
        e.concept: rng.standard_normal(384).astype(np.float32) for m in batch + second for e in m.entries
    }

    stores = {}
    for bulk in (True, False):
        location = str(tmp_path / f"bulk-{bulk}")
        store = MemoryStore(location)
        store.bulk_insert = bulk
        try:
            first = store.write(batch, vectors)
            again = store.write(batch, vectors)
            changed = store.write(second, vectors)
        finally:
            store.close()
        reopened = MemoryStore(location)
        try:
            patients = reopened.patients()
            stores[bulk] = (
                first,
                again,
                changed,
                reopened.entry_ids(),
                patients,
                {p.patient_id: reopened.entries(p.patient_id) for p in patients},
                reopened.client.retrieve(
                    reopened.entries_collection, sorted(reopened.entry_ids()), with_vectors=True
                ),
                reopened.source_resource(obs.ref),
            )
        finally:
            reopened.close()
    bulk, single = stores[True], stores[False]
    assert bulk[:7] == single[:7]
    assert bulk[7] == single[7] == newer
    first, again, changed = bulk[:3]
    assert first.added == len(batch) and again.unchanged == len(batch)
    assert changed.updated == 1 and changed.removed == 1 and changed.entries_deleted >= 1

"""Bulk insert of new points into a qdrant-client *local mode* collection.

Local mode applies an upsert point by point: a JSON copy of the payload, a
pydantic copy of the point, a pickle and its own sqlite transaction, an
``np.append`` that copies the whole ``deleted`` array (twice: per point and per
vector), and a numpy norm. At 67k entries that was 190 µs a point, the largest
share of warm ingest. :func:`insert_new_points` does the same work once per
batch for points that are *not yet in the collection*: one JSON round trip of
all payloads, one ``executemany`` in one transaction (rows byte-for-byte what
``CollectionPersistence.persist`` writes, so a store reopens the same), one
array extension, and the same per-row cosine normalisation as ``_add_point``.

It reads qdrant-client's local internals, so it guards itself:

- only qdrant-client versions in :data:`TESTED_VERSIONS` (the parity tests in
  ``tests/memory/test_local_bulk.py`` compare it with the public ``upsert``,
  in memory, in the sqlite file and after reopening; a new version must pass
  them before it is added);
- only a collection with exactly one unnamed dense vector and no sparse or
  multi vectors, whose attributes have the types this code expects;
- only ids not yet in the collection (a deleted id is still in it) and with no
  legacy storage key: anything else goes through the public ``upsert``.

When a guard fails, :func:`insert_new_points` returns ``None`` and the caller
uses the public API: slower, never wrong.
"""

from __future__ import annotations

import importlib.metadata
import logging
import pickle
import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# qdrant-client versions whose local mode this module was checked against (parity tests).
TESTED_VERSIONS = frozenset({"1.20.0"})


def _qdrant_version() -> str | None:
    try:
        return importlib.metadata.version("qdrant-client")
    except importlib.metadata.PackageNotFoundError:
        return None


_VERSION_OK = _qdrant_version() in TESTED_VERSIONS


def local_collection(client: Any, collection_name: str) -> Any | None:
    """The ``LocalCollection`` behind ``client`` if the bulk path can write it, else None."""
    if not _VERSION_OK:
        return None
    try:
        from qdrant_client.local.local_collection import DEFAULT_VECTOR_NAME, LocalCollection
        from qdrant_client.local.persistence import CollectionPersistence
        from qdrant_client.local.qdrant_local import QdrantLocal
    except ImportError:
        return None
    inner = getattr(client, "_client", None)
    if not isinstance(inner, QdrantLocal):
        return None
    collection = getattr(inner, "collections", {}).get(collection_name)
    if not isinstance(collection, LocalCollection):
        return None
    try:
        ok = (
            list(collection.vectors) == [DEFAULT_VECTOR_NAME]
            and not collection.sparse_vectors
            and not collection.multivectors
            and list(collection.deleted_per_vector) == [DEFAULT_VECTOR_NAME]
            and isinstance(collection.ids, dict)
            and isinstance(collection.ids_inv, list)
            and isinstance(collection.payload, list)
            and isinstance(collection.deleted, np.ndarray)
            and len(collection.ids_inv) == len(collection.payload) == len(collection.deleted)
            and len(collection.deleted_per_vector[DEFAULT_VECTOR_NAME]) == len(collection.ids_inv)
            and (
                collection.storage is None
                or (
                    isinstance(collection.storage, CollectionPersistence)
                    and isinstance(getattr(collection.storage, "_legacy_keys", None), dict)
                    and hasattr(collection.storage.storage, "executemany")
                )
            )
        )
    except AttributeError:
        return None
    return collection if ok else None


def insert_new_points(
    client: Any,
    collection_name: str,
    ids: Sequence[str],
    vectors: Sequence[list[float]],
    payloads: Sequence[dict[str, Any]],
) -> list[int] | None:
    """Insert the points whose ids are new to the collection, all at once.

    Returns the positions (in ``ids``) that were *not* inserted (already in the
    collection, or repeated within the batch): the caller writes those with the
    public ``upsert``. Returns None, inserting nothing, when the bulk path does
    not apply (see the module docstring). Atomic like a server request: if a
    point is invalid or the sqlite write fails, nothing is applied.
    """
    collection = local_collection(client, collection_name)
    if collection is None:
        return None
    from qdrant_client._pydantic_compat import construct
    from qdrant_client.http import models
    from qdrant_client.local.local_collection import DEFAULT_VECTOR_NAME, EPSILON
    from qdrant_client.local.utils import normalize_point_id

    if not (len(ids) == len(vectors) == len(payloads)):
        raise ValueError("ids, vectors and payloads must have the same length")
    storage = collection.storage
    legacy = storage._legacy_keys if storage is not None else {}
    params = collection.get_vector_params(DEFAULT_VECTOR_NAME)
    size = params.size
    cosine = params.distance == models.Distance.COSINE

    fresh: list[int] = []
    rest: list[int] = []
    seen: set[str] = set()
    norm_ids: list[str] = []
    for i, raw_id in enumerate(ids):
        point_id = normalize_point_id(raw_id, validate=True)
        if point_id in collection.ids or point_id in seen or point_id in legacy:
            rest.append(i)
            continue
        seen.add(point_id)
        fresh.append(i)
        norm_ids.append(point_id)
    if not fresh:
        return rest

    # Validate everything before writing anything (as local mode and the server do). Entries
    # that share a concept share one vector list: each distinct list is converted once.
    rows_of: dict[int, int] = {}
    unique: list[Any] = []
    index = np.empty(len(fresh), dtype=np.intp)
    for row, position in enumerate(fresh):
        vector = vectors[position]
        slot = rows_of.get(id(vector))
        if slot is None:
            if type(vector) is not list:  # the public path stores lists of floats: let it
                return None
            slot = rows_of[id(vector)] = len(unique)
            unique.append(vector)
        index[row] = slot
    matrix = np.asarray(unique, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[1] != size:
        raise ValueError(f"Wrong input: Vector dimension error: expected dim: {size}, got {matrix.shape[1:]}")
    if np.isnan(matrix).any():
        raise ValueError("Wrong input: vectors contain NaN")
    # JSON values, and no object shared with the caller (local mode round-trips each payload
    # through JSON for that); plain payloads are copied directly, the others round-trip.
    copies = [_json_copy(payloads[i]) for i in fresh]

    if storage is not None:
        rows = []
        for position, point_id, payload in zip(fresh, norm_ids, copies, strict=True):
            # As the public upsert of a models.Batch persists it: the vector under its (empty) name.
            vector = {DEFAULT_VECTOR_NAME: vectors[position]}
            point = construct(models.PointStruct, id=point_id, vector=vector, payload=payload)
            rows.append((storage.encode_key(point_id), sqlite3.Binary(pickle.dumps(point))))
        connection = storage.storage
        with connection:  # one transaction; rolled back if it fails, and then nothing is applied
            connection.executemany("INSERT OR REPLACE INTO points VALUES (?, ?)", rows)

    # Apply in memory, as n calls of LocalCollection._add_point would.
    start = len(collection.ids_inv)
    count = len(fresh)
    for offset, point_id in enumerate(norm_ids):
        collection.ids[point_id] = start + offset
    collection.ids_inv.extend(norm_ids)
    collection.payload.extend(copies)
    zeros = [0] * count  # np.append(arr, 0) promotes like this: keep the dtype local mode gets
    collection.deleted = np.append(collection.deleted, zeros)
    collection.deleted_per_vector[DEFAULT_VECTOR_NAME] = np.append(
        collection.deleted_per_vector[DEFAULT_VECTOR_NAME], zeros
    )
    stored = collection.vectors[DEFAULT_VECTOR_NAME]
    end = start + count
    if stored.shape[0] < end:  # grow by doubling, as _add_point does (rows past the end are unused)
        capacity = max(stored.shape[0], 1)
        while capacity < end:
            capacity = capacity * 2 + 1
        grown = np.zeros((capacity, stored.shape[1]), dtype=stored.dtype)
        grown[:start] = stored[:start]
        stored = grown
    if cosine:
        # Row by row with np.linalg.norm, as _add_point does (a vectorised norm may differ in
        # the last bit).
        for slot in range(len(unique)):
            norm = np.linalg.norm(matrix[slot])
            if norm > EPSILON:
                matrix[slot] = matrix[slot] / norm
    stored[start:end] = matrix[index]
    collection.vectors[DEFAULT_VECTOR_NAME] = stored
    return rest


_SCALARS = (str, int, float, bool, type(None))


class _NotPlain(Exception):
    pass


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            out[key] = item if type(item) in _SCALARS else _plain(item)
        return out
    if kind is list:
        return [item if type(item) in _SCALARS else _plain(item) for item in value]
    if kind in _SCALARS:
        return value
    raise _NotPlain


def _json_copy(payload: Any) -> Any:
    """Local mode's JSON copy of a payload (``to_jsonable_python``), without the text for payloads of plain JSON types.

    For exact str, int, float, bool, None, list and str-keyed dict values the round
    trip gives an equal structure, so copying the containers is the same; anything
    else (tuples, numpy numbers, other keys) takes local mode's own round trip.
    """
    try:
        return _plain(payload)
    except _NotPlain:
        from qdrant_client.local.local_collection import to_jsonable_python

        return to_jsonable_python(payload)

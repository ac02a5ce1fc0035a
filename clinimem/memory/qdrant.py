"""qdrant-client (a server, or a folder of its local mode) behind the store's own request types.

Only this module builds qdrant-client's models, so only a store on a server or on an old
local-mode folder imports them (see :mod:`clinimem.memory.points`). Calls the store does
not translate (``get_collection``, ``scroll``, ``count``, ...) pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qdrant_client import QdrantClient
from qdrant_client import models as qm

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


class QdrantAdapter:
    """A ``QdrantClient`` that takes the store's requests."""

    def __init__(self, client: QdrantClient) -> None:
        self.qdrant = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.qdrant, name)

    def create_collection(self, collection_name: str, vectors_config: Dense | None = None) -> bool:
        config: Any = (
            qm.VectorParams(size=vectors_config.size, distance=qm.Distance.COSINE)
            if vectors_config is not None
            else {}
        )
        return bool(self.qdrant.create_collection(collection_name, vectors_config=config))

    def create_payload_index(self, collection_name: str, field_name: str, field_schema: IndexSchema) -> None:
        schema: Any = {
            "keyword": qm.PayloadSchemaType.KEYWORD,
            "datetime": qm.PayloadSchemaType.DATETIME,
            "tenant": qm.KeywordIndexParams(type=qm.KeywordIndexType.KEYWORD, is_tenant=True),
        }[field_schema]
        self.qdrant.create_payload_index(collection_name, field_name, field_schema=schema)

    def upsert(self, collection_name: str, points: PointBatch, wait: bool = True) -> None:
        if points.vectors is None:
            structs: Any = [
                qm.PointStruct(id=i, vector={}, payload=p)
                for i, p in zip(points.ids, points.payloads, strict=True)
            ]
        else:
            structs = qm.Batch(
                ids=list(points.ids),
                vectors=[list(v) for v in points.vectors],
                payloads=list(points.payloads),
            )
        self.qdrant.upsert(collection_name, structs, wait=wait)

    def delete(self, collection_name: str, ids: Sequence[str], wait: bool = True) -> None:
        self.qdrant.delete(collection_name, points_selector=qm.PointIdsList(points=list(ids)), wait=wait)

    def retrieve(
        self,
        collection_name: str,
        ids: Sequence[str],
        with_payload: PayloadSelection = True,
        with_vectors: bool = False,
    ) -> list[Any]:
        return list(
            self.qdrant.retrieve(
                collection_name,
                ids=list(ids),
                with_payload=_selector(with_payload),
                with_vectors=with_vectors,
            )
        )

    def retrieve_payloads(
        self, collection_name: str, ids: Sequence[str], with_payload: PayloadSelection = True
    ) -> list[dict[str, Any]]:
        return [dict(r.payload or {}) for r in self.retrieve(collection_name, ids, with_payload)]

    def query_points(
        self,
        collection_name: str,
        query: Sequence[float],
        query_filter: Filter | None = None,
        limit: int = 10,
        with_payload: PayloadSelection = True,
    ) -> Any:
        return self.qdrant.query_points(
            collection_name,
            query=list(query),
            query_filter=_filter(query_filter),
            limit=limit,
            with_payload=_selector(with_payload),
        )

    def close(self) -> None:
        self.qdrant.close()


def _selector(with_payload: PayloadSelection) -> Any:
    if isinstance(with_payload, Exclude):
        return qm.PayloadSelectorExclude(exclude=list(with_payload.fields))
    return with_payload


def _filter(query_filter: Filter | None) -> qm.Filter | None:
    if query_filter is None:
        return None
    must: list[Any] = []
    for c in query_filter.must:
        if isinstance(c, HasId):
            must.append(qm.HasIdCondition(has_id=list(c.ids)))
        elif isinstance(c, Match):
            must.append(qm.FieldCondition(key=c.key, match=qm.MatchValue(value=c.value)))
        elif isinstance(c, MatchAny):
            must.append(qm.FieldCondition(key=c.key, match=qm.MatchAny(any=list(c.values))))
    return qm.Filter(must=must)

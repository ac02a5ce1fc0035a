"""Haystack components of the indexing pipeline: map, embed concepts, write.

Each holds plain settings; the store and the encoder are shared per process
and reached in ``warm_up``. Batches travel as single immutable objects
(:class:`MappedBatch`, :class:`ConceptVectors`) because Haystack deep-copies
every value passed between components.
"""

from __future__ import annotations

from typing import Any

from haystack import Pipeline, component

from clinimem.fhir.resource import Reject, SourcedResource
from clinimem.memory.embedder import shared_encoder
from clinimem.memory.mappers import map_resource
from clinimem.memory.mappers.common import ConceptVectors, MappedBatch, ResourceBatch
from clinimem.memory.store import MemoryStore, WriteStats, shared_store


class _StoreUser:
    """Settings of the store a component reads or writes; the store itself is shared."""

    def __init__(
        self, store_location: str | None = None, qdrant_url: str | None = None, prefix: str = "clinimem"
    ):
        self.store_location = store_location
        self.qdrant_url = qdrant_url
        self.prefix = prefix
        self._store: MemoryStore | None = None

    def warm_up(self) -> None:
        if self._store is None:
            self._store = shared_store(self.store_location, url=self.qdrant_url, prefix=self.prefix)
        # Open Qdrant here, not at the first read: a locked or unreachable store then fails
        # when the pipeline warms up, before a load has read any source.
        _ = self._store.client

    @property
    def store(self) -> MemoryStore:
        self.warm_up()
        assert self._store is not None
        return self._store


@component
class ResourceMapper:
    """FHIR resources -> memory entries, grouped per resource; non-clinical ones rejected.

    Items that a reader process mapped already (``ResourceBatch.mapped``) pass through as mapped.
    """

    @component.output_types(batch=MappedBatch, rejects=list[Reject])
    def run(self, resources: list[SourcedResource] | ResourceBatch) -> dict[str, Any]:
        mapped, rejects = [], []
        done = getattr(resources, "mapped", None) or (None,) * len(resources)
        for resource, already in zip(resources, done, strict=True):
            result = map_resource(resource) if already is None else already
            if isinstance(result, Reject):
                rejects.append(result)
            else:
                mapped.append(result)
        return {"batch": MappedBatch(tuple(mapped)), "rejects": rejects}


@component
class ConceptEmbedder(_StoreUser):
    """Vectors for the entries' concepts: from the cache when known, else MiniLM once."""

    @component.output_types(batch=MappedBatch, vectors=ConceptVectors, encoded=int)
    def run(self, batch: MappedBatch) -> dict[str, Any]:
        concepts = batch.concepts()
        vectors = self.store.get_concepts(concepts)
        missing = [c for c in concepts if c not in vectors]
        if missing:
            fresh = dict(zip(missing, shared_encoder().encode(missing), strict=True))
            self.store.put_concepts(fresh)
            vectors.update(fresh)
        return {"batch": batch, "vectors": ConceptVectors(vectors), "encoded": len(missing)}


@component
class MemoryWriter(_StoreUser):
    """Write entries into Qdrant (idempotent: unchanged resources are skipped)."""

    @component.output_types(stats=WriteStats)
    def run(self, batch: MappedBatch, vectors: ConceptVectors) -> dict[str, Any]:
        return {"stats": self.store.write(batch.items, vectors)}


def build_indexing_pipeline(
    store_location: str | None = None, qdrant_url: str | None = None, prefix: str = "clinimem"
) -> Pipeline:
    """resources -> ResourceMapper -> ConceptEmbedder -> MemoryWriter.

    Run it once per batch of resources:
    ``pipeline.run({"mapper": {"resources": batch}}, include_outputs_from={"mapper"})``.
    """
    pipeline = Pipeline(metadata={"name": "clinimem-indexing"})
    pipeline.add_component("mapper", ResourceMapper())
    pipeline.add_component("embedder", ConceptEmbedder(store_location, qdrant_url, prefix))
    pipeline.add_component("writer", MemoryWriter(store_location, qdrant_url, prefix))
    pipeline.connect("mapper.batch", "embedder.batch")
    pipeline.connect("embedder.batch", "writer.batch")
    pipeline.connect("embedder.vectors", "writer.vectors")
    return pipeline

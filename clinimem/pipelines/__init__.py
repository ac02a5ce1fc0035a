"""Every Haystack pipeline of clinimem is assembled here; each can be dumped to YAML."""

from __future__ import annotations

from haystack import Pipeline


def build_indexing_pipeline(
    store_location: str | None = None, qdrant_url: str | None = None, prefix: str = "clinimem"
) -> Pipeline:
    """resources -> ResourceMapper -> ConceptEmbedder -> MemoryWriter.

    Run it once per batch of resources:
    ``pipeline.run({"mapper": {"resources": batch}}, include_outputs_from={"mapper"})``.
    """
    from clinimem.memory.components import ConceptEmbedder, MemoryWriter, ResourceMapper

    pipeline = Pipeline(metadata={"name": "clinimem-indexing"})
    pipeline.add_component("mapper", ResourceMapper())
    pipeline.add_component("embedder", ConceptEmbedder(store_location, qdrant_url, prefix))
    pipeline.add_component("writer", MemoryWriter(store_location, qdrant_url, prefix))
    pipeline.connect("mapper.batch", "embedder.batch")
    pipeline.connect("embedder.batch", "writer.batch")
    pipeline.connect("embedder.vectors", "writer.vectors")
    return pipeline

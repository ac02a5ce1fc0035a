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


def build_query_pipeline(weights: str | None = None) -> Pipeline:
    """question -> QuestionReader -> ControllerReader (K hops) -> AnswerBuilder (executor).

    Inputs: ``{"question": {"question": q}, "controller": {"memory": m},
    "answer": {"memory": m, "question": q}}`` with ``m`` a :class:`clinimem.api.PatientMemory`.
    """
    from clinimem.controller.answerer import AnswerBuilder, ControllerReader, QuestionReader

    pipeline = Pipeline(metadata={"name": "clinimem-query"})
    pipeline.add_component("question", QuestionReader())
    pipeline.add_component("controller", ControllerReader(weights=weights))
    pipeline.add_component("answer", AnswerBuilder())
    pipeline.connect("question.features", "controller.features")
    pipeline.connect("controller.plan", "answer.plan")
    pipeline.connect("controller.hops", "answer.hops")
    pipeline.connect("controller.evidence_weights", "answer.evidence_weights")
    pipeline.connect("controller.grounding", "answer.grounding")
    return pipeline

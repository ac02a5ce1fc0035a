"""The ``dense`` baseline: MiniLM top-k over the patient's entries, then the reading rule."""

from __future__ import annotations

import time
from typing import Any

from haystack import Pipeline

from clinimem.answer import Answer
from clinimem.memory.patient import PatientMemory

# Below this cosine the best entry is taken to be unrelated and the system abstains
# (tuned on train-split questions: 0.35-0.45 are best, within a point).
MIN_SCORE = 0.35


def build_dense_pipeline(top_k: int = 10, min_score: float = MIN_SCORE) -> Pipeline:
    """question -> QuestionEmbedder -> DenseMemoryRetriever -> RuleReader.

    Inputs: ``{"embedder": {"question": q}, "retriever": {"memory": m},
    "reader": {"question": q, "patient_id": m.patient_id}}``.
    """
    from clinimem.baselines.components import DenseMemoryRetriever, QuestionEmbedder, RuleReader

    pipeline = Pipeline(metadata={"name": "clinimem-dense-baseline"})
    pipeline.add_component("embedder", QuestionEmbedder())
    pipeline.add_component("retriever", DenseMemoryRetriever(top_k=top_k))
    pipeline.add_component("reader", RuleReader(system="dense", min_score=min_score))
    pipeline.connect("embedder.vector", "retriever.vector")
    pipeline.connect("retriever.hits", "reader.hits")
    return pipeline


class DenseAnswerer:
    """Registered as ``dense`` in :data:`clinimem.api.SYSTEMS`."""

    name = "dense"

    def __init__(self, store: Any = None, top_k: int = 10, min_score: float = MIN_SCORE) -> None:
        self.pipeline = build_dense_pipeline(top_k, min_score)
        self.pipeline.warm_up()

    def answer(self, memory: PatientMemory, question: str) -> Answer:
        started = time.perf_counter()
        out = self.pipeline.run(
            {
                "embedder": {"question": question},
                "retriever": {"memory": memory},
                "reader": {"question": question, "patient_id": memory.patient_id},
            }
        )
        answer: Answer = out["reader"]["answer"]
        return Answer(
            **{**answer.__dict__, "timing_ms": {"pipeline": (time.perf_counter() - started) * 1000}}
        )

"""Haystack components of the baseline pipelines: embed, retrieve (dense or BM25), read.

Each component keeps plain settings in ``__init__``; the encoder and the BM25
indexes are built lazily. The retrievers take the patient's memory as input,
so one pipeline serves every patient.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from haystack import component

from clinimem.answer import Answer
from clinimem.baselines.reading import Hits, rank, read_answer
from clinimem.memory.patient import PatientMemory

_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; ISO dates and decimals stay whole ("2014-03-02", "7.5")."""
    return _TOKEN.findall(text.lower())


@component
class QuestionEmbedder:
    """Question -> unit MiniLM vector (the encoder the memory's concepts were embedded with)."""

    def warm_up(self) -> None:
        from clinimem.memory.embedder import shared_encoder

        shared_encoder().encode(["warm up"])

    @component.output_types(vector=np.ndarray)
    def run(self, question: str) -> dict[str, Any]:
        from clinimem.memory.embedder import shared_encoder

        return {"vector": shared_encoder().encode([question])[0]}


@component
class DenseMemoryRetriever:
    """Top-k of the patient's entries by cosine between the question and the entry vectors."""

    def __init__(self, top_k: int = 10) -> None:
        self.top_k = top_k

    @component.output_types(hits=Hits)
    def run(self, vector: np.ndarray, memory: PatientMemory) -> dict[str, Any]:
        if not len(memory):
            return {"hits": Hits(())}
        scores = memory.vectors @ np.asarray(vector, dtype=np.float32)  # (n,) rows are unit vectors
        return {"hits": rank(memory.entries, scores.tolist(), self.top_k)}


@component
class BM25MemoryRetriever:
    """Top-k of the patient's entries by BM25 (Okapi) over each entry's text and date.

    One index per patient, kept for the last ``cache_size`` patients and rebuilt
    when the patient's memory object changes (the API hands out a new one after
    a write).
    """

    def __init__(self, top_k: int = 10, cache_size: int = 64) -> None:
        self.top_k = top_k
        self.cache_size = cache_size
        self._indexes: OrderedDict[str, tuple[int, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _index(self, memory: PatientMemory) -> Any:
        from rank_bm25 import BM25Okapi

        with self._lock:
            cached = self._indexes.get(memory.patient_id)
            if cached and cached[0] == id(memory.entries):
                self._indexes.move_to_end(memory.patient_id)
                return cached[1]
        corpus = [tokens(f"{e.text} {e.date or ''}") or ["_"] for e in memory.entries]
        index = BM25Okapi(corpus)
        with self._lock:
            self._indexes[memory.patient_id] = (id(memory.entries), index)
            while len(self._indexes) > self.cache_size:
                self._indexes.popitem(last=False)
        return index

    @component.output_types(hits=Hits)
    def run(self, question: str, memory: PatientMemory) -> dict[str, Any]:
        if not len(memory):
            return {"hits": Hits(())}
        scores = self._index(memory).get_scores(tokens(question))
        return {"hits": rank(memory.entries, list(scores), self.top_k)}


@component
class RuleReader:
    """Hits -> the contract's answer by :func:`clinimem.baselines.reading.read_answer`."""

    def __init__(self, system: str, min_score: float) -> None:
        self.system = system
        self.min_score = min_score

    @component.output_types(answer=Answer)
    def run(self, hits: Hits, question: str, patient_id: str) -> dict[str, Any]:
        answer = read_answer(patient_id, question, hits, min_score=self.min_score, system=self.system)
        return {"answer": answer}

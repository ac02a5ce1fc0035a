"""The Python API: one engine behind the CLI, the UI, screening and evaluation.

>>> from clinimem.api import Clinimem
>>> engine = Clinimem.open(store=".clinimem/store")            # doctest: +SKIP
>>> engine.ask("f7bb360f-...", "What was her most recent HbA1c?").to_dict()  # doctest: +SKIP

Answering systems are pluggable by name (``controller`` by default; ``dense``
and ``bm25`` are the retrieval baselines). A system implements :class:`Answerer`.
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import Any, Protocol

from clinimem.answer import Answer
from clinimem.errors import QuestionError, UnknownPatientError
from clinimem.memory.patient import PatientMemory
from clinimem.memory.store import MemoryStore, PatientSummary
from clinimem.settings import Settings

__all__ = ["SYSTEMS", "Answerer", "Clinimem", "PatientMemory", "load_system"]

# name -> "module:Class"; each class is built with the engine's store and has .answer(...)
SYSTEMS: dict[str, str] = {
    "controller": "clinimem.controller.answerer:ControllerAnswerer",
    "dense": "clinimem.baselines.dense:DenseAnswerer",
    "bm25": "clinimem.baselines.bm25:BM25Answerer",
}


class Answerer(Protocol):
    """Anything that answers a question about one patient through the contract."""

    name: str

    def answer(self, memory: PatientMemory, question: str) -> Answer: ...


def load_system(name: str, store: MemoryStore, **options: Any) -> Answerer:
    """Build the answering system registered under ``name`` (see :data:`SYSTEMS`)."""
    target = SYSTEMS.get(name)
    if target is None:
        raise QuestionError(f"unknown answering system {name!r}", hint=f"choose one of {', '.join(SYSTEMS)}")
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(store=store, **options)


class Clinimem:
    """Ask questions about patients in one memory store. Thread-safe."""

    def __init__(self, store: MemoryStore, *, system: str = "controller") -> None:
        self.store = store
        self.default_system = system
        self._systems: dict[str, Answerer] = {}
        self._memories: dict[str, tuple[int, PatientMemory]] = {}
        self._lock = threading.RLock()

    @classmethod
    def open(
        cls, store: str | None = None, *, qdrant_url: str | None = None, system: str = "controller"
    ) -> Clinimem:
        """Open the store named (or the one of ``CLINIMEM_STORE`` / ``CLINIMEM_QDRANT_URL``)."""
        env = Settings.from_env()
        settings = Settings(
            store=store or env.store, qdrant_url=qdrant_url or env.qdrant_url, prefix=env.prefix
        )
        return cls(settings.open_store(), system=system)

    def system(self, name: str | None = None) -> Answerer:
        name = name or self.default_system
        with self._lock:
            if name not in self._systems:
                self._systems[name] = load_system(name, self.store)
            return self._systems[name]

    def patients(self) -> list[PatientSummary]:
        return self.store.patients()

    def memory(self, patient_id: str) -> PatientMemory:
        """A patient's memory, read once and cached until the store changes."""
        entries = self.store.entries(patient_id)
        if not entries:
            raise UnknownPatientError(
                "no such patient in the memory",
                resource=f"Patient/{patient_id}",
                hint="`clinimem patients` lists the ids; load the record with `clinimem ingest`",
            )
        with self._lock:
            cached = self._memories.get(patient_id)
            # store.entries returns the same list object while the patient is unchanged
            if cached and cached[0] == id(entries):
                return cached[1]
            memory = PatientMemory(patient_id, tuple(entries), self.store.entry_vectors(entries))
            self._memories[patient_id] = (id(entries), memory)
            return memory

    def ask(self, patient_id: str, question: str, *, system: str | None = None) -> Answer:
        """Answer one question about one patient, with citations and the hop trace."""
        if not question or not question.strip():
            raise QuestionError("the question is empty", hint="ask about the patient's record in words")
        started = time.perf_counter()
        memory = self.memory(patient_id)
        read_ms = (time.perf_counter() - started) * 1000
        answer = self.system(system).answer(memory, question.strip())
        timing = dict(answer.timing_ms)
        timing["memory_read"] = read_ms
        timing["total"] = (time.perf_counter() - started) * 1000
        return Answer(**{**answer.__dict__, "timing_ms": timing})

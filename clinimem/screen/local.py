"""Run screening in this process, and the pieces every runner shares: reading a patient's memory.

One process owns an embedded store (its folder is locked to one process), so
the runners with workers split the work the same way: the owner reads each
patient's :class:`PatientMemory` (entries and vectors, about 0.4 MB for 250
entries) and the workers only run the answering system on it. With a Qdrant
server there is no owner: each worker opens the store and reads for itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from clinimem.api import Answerer, Clinimem, PatientMemory, load_system
from clinimem.errors import StoreError
from clinimem.memory.store import MemoryStore
from clinimem.screen.criteria import Criteria
from clinimem.screen.evaluate import error_code, failed_row, screen_patient
from clinimem.screen.rows import ScreenRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScreenSpec:
    """What a worker needs to screen patients: picklable, sent once per worker."""

    criteria: Criteria
    system: str
    # "module:Class" as the driver resolved it, so a worker builds the same system even
    # when the driver registered it at run time (SYSTEMS is per process)
    system_target: str | None = None
    qdrant_url: str | None = None  # set: workers open the store themselves
    prefix: str = "clinimem"
    threads: int = 1  # torch / OpenMP threads per process (see limit_threads)


def thread_environment(threads: int) -> None:
    """Thread limits for the native libraries of this process and of the processes it starts.

    They are read when a library loads, so a driver sets them before it
    starts its workers (which inherit them), and a worker before its imports.
    """
    import os

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    # The HF tokenizers' own thread pool, one more set of threads per process
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


def limit_threads(threads: int) -> None:
    """Give each screening process ``threads`` compute threads (default 1).

    Screening gets its parallelism from processes, one patient each. Torch's
    own intra-op threads add little for one question at a time, and where
    processes already fill the cores (or other work does) its spinning
    OpenMP threads oversubscribe them: on 2 busy cores, answering with 2
    threads measured 8x slower than with 1. Ray does the same for its actors.
    """
    thread_environment(threads)
    try:
        import torch
    except ImportError:
        return
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


class DetachedStore(MemoryStore):
    """The store as seen from a worker of an embedded store: it has no client of its own.

    Answering systems are built with the engine's store; a worker is handed each
    patient's memory instead, and must not try to open the folder the owner has
    locked. A system that reads the store while answering fails here with a
    clear error (per patient, reported in its row) rather than with a lock error.
    """

    def _open(self) -> object:
        raise StoreError(
            "this screening worker reads no store: the answering system asked the store directly",
            file=self.describe(),
            hint="run in-process (no --workers), or serve the memory from a Qdrant server (--qdrant-url)",
        )


@dataclass(frozen=True)
class PackedMemory:
    """A :class:`PatientMemory` as sent to a worker: each distinct vector once.

    Entries of one concept share its vector (a patient's ~360 entries have
    ~60 distinct vectors), so this pickles to about a third of the size.
    """

    patient_id: str
    entries: tuple
    vectors: np.ndarray  # (n_distinct, 384)
    index: np.ndarray  # (n_entries,) row of ``vectors`` for each entry

    @classmethod
    def pack(cls, memory: PatientMemory) -> PackedMemory:
        rows: dict[str, int] = {}  # concept -> row of its first entry
        index = np.fromiter(
            (rows.setdefault(e.concept, len(rows)) for e in memory.entries), np.int32, len(memory.entries)
        )
        firsts = np.zeros(len(rows), dtype=np.int64)
        firsts[index[::-1]] = np.arange(len(index) - 1, -1, -1)  # the first entry of each concept
        vectors = memory.vectors[firsts]
        if not np.array_equal(vectors[index], memory.vectors):  # not one vector per concept: send all
            vectors, index = memory.vectors, np.arange(len(memory.entries), dtype=np.int32)
        return cls(memory.patient_id, memory.entries, vectors, index)

    def unpack(self) -> PatientMemory:
        return PatientMemory(self.patient_id, self.entries, self.vectors[self.index])


def read_memory(engine: Clinimem, patient_id: str) -> PatientMemory:
    """A patient's memory for one screening pass, then dropped from the engine's caches.

    ``Clinimem.memory`` and the store cache every patient read, which a UI
    wants; a screen reads each patient once, and over a cohort the caches
    would hold the whole memory. Raises ``UnknownPatientError``.
    """
    try:
        return engine.memory(patient_id)
    finally:
        # The caches are private to the engine and the store; forget this patient if they exist.
        getattr(engine, "_memories", {}).pop(patient_id, None)
        getattr(engine.store, "_cache", {}).pop(patient_id, None)


def screen_one(spec: ScreenSpec, engine: Clinimem, answerer: Answerer, patient_id: str) -> ScreenRow:
    """Read one patient's memory from ``engine`` and screen it; failures become the row's error."""
    try:
        memory = read_memory(engine, patient_id)
    except Exception as err:  # unknown patient, store failure: this patient only
        log.warning("a patient could not be read: %s", error_code(err))
        log.debug("patient %s could not be read", patient_id, exc_info=True)
        return failed_row(spec.criteria, patient_id, err, spec.system)
    return screen_memory(spec, answerer, memory)


def screen_memory(spec: ScreenSpec, answerer: Answerer, memory: PatientMemory) -> ScreenRow:
    try:
        return screen_patient(spec.criteria, memory, answerer, spec.system)
    except Exception as err:  # screen_patient catches per criterion; this is a last resort
        log.warning("a patient failed: %s", error_code(err))
        log.debug("patient %s failed", memory.patient_id, exc_info=True)
        return failed_row(spec.criteria, memory.patient_id, err, spec.system)


def worker_engine(spec: ScreenSpec, store_location: str | None = None) -> tuple[Clinimem, Answerer]:
    """The engine and answering system of a worker process or actor.

    With a server URL the worker opens the store and reads memories itself;
    otherwise it gets a :class:`DetachedStore` and is sent each memory.
    """
    import os

    from clinimem.api import SYSTEMS

    limit_threads(spec.threads)
    if spec.system_target:
        SYSTEMS.setdefault(spec.system, spec.system_target)
    if spec.qdrant_url:
        store: MemoryStore = MemoryStore(
            url=spec.qdrant_url, api_key=os.environ.get("CLINIMEM_QDRANT_API_KEY"), prefix=spec.prefix
        )
    else:
        store = DetachedStore(store_location or ":memory:", prefix=spec.prefix, create=False)
    engine = Clinimem(store, system=spec.system)
    return engine, load_system(spec.system, store)


def run_in_process(spec: ScreenSpec, engine: Clinimem, patient_ids: Iterable[str]) -> Iterator[ScreenRow]:
    """Screen patients one after the other in this process; rows in input order."""
    answerer = engine.system(spec.system)
    for patient_id in patient_ids:
        yield screen_one(spec, engine, answerer, patient_id)

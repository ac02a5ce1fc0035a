"""Load FHIR sources into the episodic memory: connectors -> indexing pipeline -> Qdrant.

The connectors (``clinimem_connectors``) read files, folders and servers into validated
resources; this module batches them through the ledger and the indexing pipeline into the
store (it moved here from ``clinimem_connectors.load``, which re-exports it; issue 17).

Every resource read is counted in one :class:`LoadReport`: loaded (its entries
are in memory, or it was an ``entered-in-error`` removal) or rejected with a
reason, at whichever stage rejected it.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from clinimem_connectors.checkpoint import Checkpoint
from clinimem_connectors.remote import is_url_source, iter_url_source
from clinimem_connectors.report import LoadReport
from clinimem_connectors.sources import iter_sources
from haystack.core.errors import PipelineRuntimeError

from clinimem.errors import ClinimemError
from clinimem.fhir.resource import Reject, SourcedResource
from clinimem.memory.components import build_indexing_pipeline
from clinimem.memory.mappers.common import MappedResource, ResourceBatch
from clinimem.memory.store import MemoryStore, WriteStats

from .ledger import LoadLedger, safe_map
from .reader import Prepared, ReaderProcess, shared_reader, use_reader

DEFAULT_BATCH = 2000

# Cyclic GC thresholds during a load (Python's default is (700, 10, 10)).
LOAD_GC_THRESHOLD = (50_000, 20, 100)
_gc_lock = threading.Lock()
_gc_depth = 0
_gc_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """Run the cyclic garbage collector less often for the duration of a load.

    A load allocates millions of short-lived, acyclic objects (JSON trees,
    pydantic models, payloads, vector lists), so with the default thresholds the
    collector runs every 700 allocations and keeps rescanning the growing heap
    (embedded Qdrant holds every payload in memory): 16-22% of warm ingest CPU,
    measured on the Synthea and synthetic sets. Collections still happen, only
    less often; the previous thresholds come back when the last load ends.
    """
    global _gc_depth, _gc_saved
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(*LOAD_GC_THRESHOLD)
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)


@dataclass
class LoadResult:
    report: LoadReport = field(default_factory=LoadReport)
    stats: WriteStats = field(default_factory=WriteStats)
    concepts_encoded: int = 0
    seconds: float = 0.0

    @property
    def resources_per_second(self) -> float:
        return self.report.total_seen / self.seconds if self.seconds else 0.0


def iter_any_source(
    sources: Iterable[str | Path],
    *,
    patient_ids: list[str] | None = None,
    export: bool = False,
    token: str | None = None,
    reader: ReaderProcess | None = None,
    checkpoints: bool = False,
) -> Iterator[SourcedResource | Reject | Prepared | Checkpoint]:
    """Files, folders and server URLs, in the order given.

    With ``reader``, files and folders are read, validated and mapped in that
    reader process (yielding :class:`Prepared` items); URLs are always read here.
    ``checkpoints`` adds a :class:`Checkpoint` after each run of files, each
    export, and each patient read from the REST API.
    """

    def files(paths: list[str | Path]) -> Iterator[SourcedResource | Reject | Prepared | Checkpoint]:
        if not paths:
            return
        yield from reader.read(paths) if reader is not None else iter_sources(paths)
        if checkpoints:
            # A patient's resources may lie in several of the files (an export's NDJSON per type).
            yield Checkpoint()

    paths: list[str | Path] = []
    for source in sources:
        if isinstance(source, str) and is_url_source(source):
            yield from files(paths)
            paths = []
            yield from iter_url_source(
                source, patient_ids=patient_ids, export=export, token=token, checkpoints=checkpoints
            )
        else:
            paths.append(source)
    yield from files(paths)


def load_items(
    items: Iterable[SourcedResource | Reject | Prepared | Checkpoint],
    *,
    store_location: str | None = None,
    qdrant_url: str | None = None,
    prefix: str = "clinimem",
    batch_size: int = DEFAULT_BATCH,
    progress: bool = False,
) -> LoadResult:
    """Run connector output through the indexing pipeline in batches.

    ``items`` are connector output (resources and Rejects) or a reader process's
    :class:`Prepared` resources (mapped already); batches hold ``batch_size``
    resources either way, so both give the same writes.

    Every resource passes a :class:`~clinimem.ingest.ledger.LoadLedger`: a second
    copy of one identity is reported (never a silent last-wins) and a resource whose
    patient is neither in the load nor in the memory is quarantined at the next
    checkpoint. Warnings of loaded resources go to the report.

    The writes are staged: each patient's new version becomes visible at a
    :class:`Checkpoint` in ``items`` or when they end, all at once. If reading
    or writing fails (or the load is interrupted), every patient not yet
    published keeps the version it had before, and the error is raised.
    """
    started = time.perf_counter()
    pipeline = build_indexing_pipeline(store_location, qdrant_url, prefix)
    pipeline.warm_up()  # opens the store: a locked or unreachable one fails before any source is read
    store: MemoryStore = pipeline.get_component("writer").store  # type: ignore[attr-defined]
    result = LoadResult()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit=" resources", desc="ingest", dynamic_ncols=True)

    def flush(batch: list[SourcedResource], premapped: list[MappedResource | Reject | None]) -> None:
        if not batch:
            return
        try:
            out = pipeline.run(
                {"mapper": {"resources": ResourceBatch(tuple(batch), tuple(premapped))}},
                include_outputs_from={"mapper", "embedder"},
            )
        except PipelineRuntimeError as err:
            # A clinimem error inside a component (store locked or gone) is reported as itself,
            # with its hint, not as Haystack's wrapper around it.
            if isinstance(err.__cause__, ClinimemError):
                raise err.__cause__ from None
            raise
        for reject in out["mapper"]["rejects"]:  # none: every item comes mapped; kept for safety
            result.report.add_reject(reject)
        result.stats += out["writer"]["stats"]
        result.concepts_encoded += out["embedder"]["encoded"]
        if bar is not None:
            bar.update(len(batch))
            bar.set_postfix(rejected=result.report.total_rejected)

    def known_patient(patient_id: str) -> bool:
        try:
            summary = store.patient(patient_id)
        except ClinimemError:
            raise
        except Exception:  # a store that cannot say: do not quarantine on its account
            return True
        if summary is not None and summary.birth_date:
            ledger.births.setdefault(patient_id, summary.birth_date)
        return summary is not None

    ledger = LoadLedger(known_patient=known_patient)
    batch: list[SourcedResource] = []
    premapped: list[MappedResource | Reject | None] = []

    def reject(item: Reject) -> None:
        result.report.add_reject(item)
        if bar is not None:
            bar.update(1)

    def send(resource: SourcedResource, mapped: MappedResource) -> None:
        batch.append(resource)
        premapped.append(mapped)
        result.report.add_loaded(resource.resource_type)
        warning = ledger.birth_warning(resource, mapped)
        if warning is not None:
            result.report.add_warning(warning)

    def unsend(superseded: Reject) -> None:
        """Drop a superseded copy still waiting in the batch, so that it is never written (one written
        in an earlier batch is replaced by the kept copy, before the load publishes either)."""
        for i in range(len(batch) - 1, -1, -1):
            if batch[i].ref == superseded.ref and batch[i].origin == superseded.origin:
                del batch[i]
                del premapped[i]
                return

    def take(resource: SourcedResource, mapped: MappedResource | Reject) -> None:
        """One mapped resource through the ledger: written, held for its patient, or rejected."""
        for warning in resource.warnings:
            result.report.add_warning(warning)
        if isinstance(mapped, Reject):
            reject(mapped)
            return
        decision = ledger.see(resource, mapped)
        if decision.superseded is not None:
            if decision.superseded_counted:
                result.report.unload(decision.superseded)
                unsend(decision.superseded)
            else:
                result.report.add_reject(decision.superseded)
        if not decision.send:
            assert decision.reject is not None
            reject(decision.reject)
            return
        if mapped.resource_type == "Patient" and not mapped.removed:
            if mapped.entries and mapped.entries[0].time:
                ledger.births[mapped.patient_id] = mapped.entries[0].time
            send(resource, mapped)
            for waiting, waiting_mapped in ledger.patient_arrived(mapped.patient_id):
                send(waiting, waiting_mapped)
        elif ledger.patient_known(mapped.patient_id):
            send(resource, mapped)
        else:
            ledger.hold(resource, mapped)

    try:
        with fewer_gc_passes(), store.staging():
            for item in items:
                if isinstance(item, Checkpoint):
                    for quarantined in ledger.quarantine():
                        reject(quarantined)
                    flush(batch, premapped)
                    batch, premapped = [], []
                    store.commit()
                    continue
                if isinstance(item, Reject):
                    reject(item)
                    continue
                if isinstance(item, Prepared):
                    take(item.resource, item.mapped)
                else:
                    take(item, safe_map(item))
                if len(batch) >= batch_size:
                    flush(batch, premapped)
                    batch, premapped = [], []
            for quarantined in ledger.quarantine():
                reject(quarantined)
            flush(batch, premapped)
    finally:
        if bar is not None:
            bar.close()
    result.seconds = time.perf_counter() - started
    return result


def load_sources(
    sources: Iterable[str | Path],
    *,
    store_location: str | None = None,
    qdrant_url: str | None = None,
    prefix: str = "clinimem",
    patient_ids: list[str] | None = None,
    export: bool = False,
    token: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: bool = False,
    reader_process: bool | None = None,
) -> LoadResult:
    """Load files, folders and FHIR server URLs into the memory; nothing is silently dropped.

    ``reader_process``: read, validate and map the files in a second process
    while this one writes (see :mod:`clinimem.ingest.reader`); None decides
    by the usable and idle CPUs, the input size and ``CLINIMEM_INGEST_READER``.
    The result is the same either way.

    Each patient's memory changes all at once: a patient read from a server is
    published when its last page is in, files and exports when all are read.
    A load that fails leaves every patient not yet published as it was before.

    >>> result = load_sources(["bundle.json"], store_location=".clinimem/store")  # doctest: +SKIP
    >>> print(result.report.render())  # doctest: +SKIP
    """
    sources = list(sources)
    paths = [s for s in sources if not (isinstance(s, str) and is_url_source(s))]
    reader = shared_reader() if use_reader(paths, reader_process) else None
    items = iter_any_source(
        sources, patient_ids=patient_ids, export=export, token=token, reader=reader, checkpoints=True
    )
    return load_items(
        items,
        store_location=store_location,
        qdrant_url=qdrant_url,
        prefix=prefix,
        batch_size=batch_size,
        progress=progress,
    )

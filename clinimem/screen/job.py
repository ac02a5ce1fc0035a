"""A screening job: patients x criteria -> rows in a resumable output, in-process, on processes or Ray.

>>> from clinimem.screen import ScreenJob, load_criteria, run_job
>>> job = ScreenJob(load_criteria("docs/examples/ldl_no_statin.yaml"), Path("out.jsonl"))  # doctest: +SKIP
>>> run_job(job).render()  # doctest: +SKIP
'500 patients screened (0 already done): 12 met, 451 not met, 37 unknown; 0 errors; 4.1 patients/s'
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from clinimem.api import Clinimem
from clinimem.errors import ClinimemError, QuestionError
from clinimem.screen.criteria import Criteria
from clinimem.screen.local import ScreenSpec, limit_threads, run_in_process
from clinimem.screen.logic import VERDICTS
from clinimem.screen.output import Journal, journal_path, ordered_rows, output_format, write_table
from clinimem.screen.rows import ScreenRow
from clinimem.settings import Settings

log = logging.getLogger(__name__)

ALL = "all"


@dataclass(frozen=True)
class ScreenJob:
    """What to screen, where to write, how to spread the work.

    ``workers``: 0 screens in this process; N > 0 uses N local processes (or N
    Ray actors with ``ray``). ``ray``: ``"local"`` or a cluster address.
    ``patients``: ids, or None for every patient in the memory.

    Worker processes start with ``spawn``, which imports the calling script
    again: a script that runs a job with workers needs the usual
    ``if __name__ == "__main__":`` guard (the CLI has it).
    """

    criteria: Criteria
    out: Path
    system: str = "controller"
    patients: tuple[str, ...] | None = None
    workers: int = 0
    ray: str | None = None
    store: str | None = None
    qdrant_url: str | None = None
    progress: bool = False
    threads: int = 1  # compute threads per process (torch / OpenMP)


@dataclass
class JobSummary:
    """Counts of one run (this run's rows plus those resumed from the output)."""

    patients: int = 0
    resumed: int = 0
    screened: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    seconds: float = 0.0
    complete: bool = False
    out: str = ""

    @property
    def patients_per_second(self) -> float:
        return self.screened / self.seconds if self.seconds else 0.0

    def render(self) -> str:
        counts = ", ".join(f"{self.verdicts.get(v, 0)} {v}" for v in VERDICTS)
        state = "" if self.complete else " (interrupted: run again to resume)"
        return (
            f"{self.patients} patients: {self.screened} screened now, {self.resumed} already done; "
            f"{counts}; {self.errors} with errors; {self.patients_per_second:.2f} patients/s "
            f"-> {self.out}{state}"
        )


def read_patient_file(path: str | Path) -> tuple[str, ...]:
    """Patient ids from a file: one a line (``#`` comments, ``Patient/`` prefixes allowed) or a JSON list."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ClinimemError(f"cannot read the patient list: {err.strerror}", file=str(path)) from err
    if path.suffix.lower() == ".json":
        items = json.loads(text)
        ids = [str(i) for i in items]
    else:
        ids = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    ids = [i.removeprefix("Patient/") for i in ids if i]
    return tuple(dict.fromkeys(ids))


def _check_system(name: str) -> None:
    """Fail fast, before any row is written, when the answering system cannot be imported.

    Only the class is imported here: when workers answer, the driver never loads the model.
    """
    import importlib

    from clinimem.api import SYSTEMS

    target = SYSTEMS.get(name)
    if target is None:
        raise QuestionError(f"unknown answering system {name!r}", hint=f"choose one of {', '.join(SYSTEMS)}")
    module_name, class_name = target.split(":")
    try:
        getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise QuestionError(
            f"the answering system {name!r} cannot be loaded ({type(err).__name__}: {err})",
            hint="choose another with --system",
        ) from err


def _runner(job: ScreenJob, spec: ScreenSpec, engine: Clinimem | None, settings: Settings):  # noqa: ANN202
    """A runner object with run(ids) -> rows and close(), for the job's mode."""
    location = None if job.qdrant_url else settings.store
    if job.ray:
        from clinimem.screen.distributed import RayRunner

        return RayRunner(spec, job.ray, actors=job.workers or None, engine=engine, store_location=location)
    if job.workers > 0:
        from clinimem.screen.pool import ProcessRunner

        return ProcessRunner(spec, job.workers, engine=engine, store_location=location)
    return _InProcess(spec, engine)


class _InProcess:
    def __init__(self, spec: ScreenSpec, engine: Clinimem | None) -> None:
        assert engine is not None
        self.spec, self.engine = spec, engine
        limit_threads(spec.threads)

    def run(self, ids: list[str]) -> Iterator[ScreenRow]:
        return run_in_process(self.spec, self.engine, ids)

    def close(self) -> None:
        pass


def run_job(job: ScreenJob) -> JobSummary:
    """Run (or resume) a screening job; returns its summary. Ctrl-C leaves a resumable output."""
    started = time.perf_counter()
    fmt = output_format(job.out)
    _check_system(job.system)  # before opening the store, which can take minutes
    criteria = job.criteria
    for problem in criteria.errors:
        log.warning("criteria %s: %s", criteria.name, problem)
    journal = Journal(journal_path(job.out), criteria.fingerprint)
    done = journal.recover()
    settings = Settings.from_env()
    settings = Settings(
        store=job.store or settings.store,
        qdrant_url=job.qdrant_url or settings.qdrant_url,
        prefix=settings.prefix,
    )
    store = settings.open_store()
    # The driver needs no answering system when workers answer; it reads the store only.
    engine = Clinimem(store, system=job.system)
    patients = job.patients if job.patients is not None else tuple(p.patient_id for p in store.patients())
    patients = tuple(dict.fromkeys(patients))
    todo = [p for p in patients if p not in done]
    summary = JobSummary(patients=len(patients), resumed=len(patients) - len(todo), out=str(job.out))
    for pid in patients:
        if pid in done:
            _count(summary, done[pid])
    log.info(
        "screening %d patients with %d criteria (%d already done) on %s",
        len(patients),
        len(criteria.criteria),
        summary.resumed,
        "Ray " + job.ray if job.ray else f"{job.workers} processes" if job.workers else "this process",
    )
    from clinimem.api import SYSTEMS

    spec = ScreenSpec(
        criteria,
        job.system,
        system_target=SYSTEMS[job.system],
        qdrant_url=settings.qdrant_url,
        prefix=settings.prefix,
        threads=job.threads,
    )
    bar = None
    if job.progress:
        from tqdm import tqdm

        bar = tqdm(
            total=len(patients), initial=summary.resumed, unit=" patients", desc="screen", dynamic_ncols=True
        )
    runner = None
    journal.open()
    try:
        if todo:
            runner = _runner(job, spec, engine, settings)
            run_started = time.perf_counter()
            for row in runner.run(todo):
                journal.append(row)
                summary.screened += 1
                _count(summary, row)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(met=summary.verdicts.get("met", 0), errors=summary.errors)
            summary.seconds = time.perf_counter() - run_started
        summary.complete = True
    finally:
        if runner is not None:
            runner.close()
        journal.close()
        if bar is not None:
            bar.close()
        if not summary.seconds:
            summary.seconds = time.perf_counter() - started
    if fmt != "jsonl":
        write_table(job.out, ordered_rows(journal.rows, patients))
    log.info("screening done in %.1f s", time.perf_counter() - started)
    return summary


def _count(summary: JobSummary, row: ScreenRow) -> None:
    summary.verdicts[row.verdict] += 1
    if row.error or any(c.error for c in row.criteria):
        summary.errors += 1

"""``--workers N``: screen patients in N local processes.

The parent owns the embedded store: it reads each patient's memory and sends
it to a worker, which runs only the answering system (see
:mod:`clinimem.screen.local` for why, and ``docs/scale.md`` for the numbers
that chose this over a copy of the store per worker). Reading a memory takes
the parent 10-50 ms, answering five questions takes a worker longer, so the
parent keeps two patients per worker in flight and reads while they answer.
With ``--qdrant-url`` the workers read memories themselves and the parent
sends only ids.

Workers start with ``spawn`` (no fork of a process holding Qdrant and torch
state) and ignore Ctrl-C: the parent stops them. They die with the parent
however it ends, ``kill -9`` included (:func:`die_with_driver`), so a crashed
run leaves no worker behind, nor the resource tracker, which exits once no
process holds its pipe; a rerun resumes with none. A worker that dies takes
its in-flight patients with it; a fresh pool re-runs them one at a time
(:mod:`clinimem.screen.triage`), and only the one that kills a worker alone
gets an error row.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from clinimem.api import Clinimem
from clinimem.screen.evaluate import error_code, failed_row
from clinimem.screen.local import (
    PackedMemory,
    ScreenSpec,
    read_memory,
    screen_memory,
    screen_one,
    thread_environment,
    worker_engine,
)
from clinimem.screen.rows import ScreenRow
from clinimem.screen.triage import Triage

log = logging.getLogger(__name__)

IN_FLIGHT_PER_WORKER = 2
PR_SET_PDEATHSIG = 1  # prctl(2) option, <linux/prctl.h>
DRIVER_POLL_S = 0.5  # how often a worker checks that its driver is still its parent

# Set once per worker process by _init_worker.
_WORKER: dict[str, Any] = {}


def die_with_driver(driver_pid: int, *, death_signal: bool = True) -> None:
    """End this worker process when ``driver_pid``, its parent, ends, however it ends.

    A driver killed with SIGKILL cannot stop its pool, and the workers would
    wait on the pool's pipe for ever (each holding its model). On Linux the
    kernel kills the worker with the parent (``prctl(PR_SET_PDEATHSIG,
    SIGKILL)``); everywhere, a daemon thread sees the parent pid change
    (reparented to init or a subreaper) and exits. The kernel's signal follows
    the *thread* that started the worker, so the driver asks for it only when
    that thread is its main thread (``death_signal``); the watcher covers the
    rest within :data:`DRIVER_POLL_S`.
    """
    if death_signal:
        _parent_death_signal(signal.SIGKILL)
    if os.getppid() != driver_pid:  # the driver died before this worker got here
        os._exit(1)
    threading.Thread(
        target=_watch_driver, args=(driver_pid,), name="clinimem-driver-watch", daemon=True
    ).start()


def _parent_death_signal(sig: int) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent thread ends; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        ok = libc.prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        ok = False
    if not ok:
        log.debug("no parent-death signal for this worker: it watches its parent instead")
    return ok


def _watch_driver(driver_pid: int) -> None:
    while os.getppid() == driver_pid:
        time.sleep(DRIVER_POLL_S)
    os._exit(1)  # no cleanup: nothing of a worker's is worth keeping once its driver is gone


def _init_worker(spec: ScreenSpec, store_location: str | None, driver_pid: int, death_signal: bool) -> None:
    die_with_driver(driver_pid, death_signal=death_signal)  # first: loading the models takes seconds
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    engine, answerer = worker_engine(spec, store_location)
    _WORKER.update(spec=spec, engine=engine, answerer=answerer)


def _screen_memory(packed: PackedMemory) -> ScreenRow:
    return screen_memory(_WORKER["spec"], _WORKER["answerer"], packed.unpack())


def _screen_id(patient_id: str) -> ScreenRow:
    return screen_one(_WORKER["spec"], _WORKER["engine"], _WORKER["answerer"], patient_id)


class ProcessRunner:
    """Screen with N worker processes; rows come back as they finish."""

    def __init__(
        self, spec: ScreenSpec, workers: int, *, engine: Clinimem | None, store_location: str | None
    ) -> None:
        self.spec = spec
        self.workers = max(1, workers)
        self.engine = engine  # the owner's engine; None when workers read a server themselves
        self.store_location = store_location
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            thread_environment(self.spec.threads)  # inherited by the workers from their start
            # The pool starts its workers from the thread that submits, this one (see die_with_driver).
            main_thread = threading.current_thread() is threading.main_thread()
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.spec, self.store_location, os.getpid(), main_thread),
            )
        return self._executor

    def _submit(self, patient_id: str) -> Future[ScreenRow] | ScreenRow:
        """Send one patient to the pool, or return its error row if the owner cannot read it."""
        if self.spec.qdrant_url or self.engine is None:
            return self._pool().submit(_screen_id, patient_id)
        try:
            memory = read_memory(self.engine, patient_id)
        except Exception as err:
            log.warning("a patient could not be read: %s", error_code(err))
            log.debug("patient %s could not be read", patient_id, exc_info=True)
            return failed_row(self.spec.criteria, patient_id, err, self.spec.system)
        return self._pool().submit(_screen_memory, PackedMemory.pack(memory))

    def run(self, patient_ids: Iterable[str]) -> Iterator[ScreenRow]:
        queue = iter(patient_ids)
        triage = Triage()
        pending: dict[Future[ScreenRow], str] = {}
        limit = self.workers * IN_FLIGHT_PER_WORKER
        while True:
            while (patient_id := triage.next(queue, in_flight=len(pending), limit=limit)) is not None:
                submitted = self._submit(patient_id)
                if isinstance(submitted, ScreenRow):
                    triage.finished(patient_id)
                    yield submitted
                else:
                    pending[submitted] = patient_id
            if not pending:
                if triage.pending_suspects:
                    continue
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                patient_id = pending.pop(future)
                try:
                    row = future.result()
                except BrokenProcessPool:
                    broken = True
                    if triage.died(patient_id):
                        log.warning("a patient killed the worker screening it: reported as failed")
                        row = failed_row(
                            self.spec.criteria,
                            patient_id,
                            "the screening worker process died on this patient",
                            self.spec.system,
                        )
                    else:
                        continue  # a suspect: sent again, alone
                except Exception as err:  # an error the worker could not turn into a row
                    log.warning("a patient failed in a worker: %s", error_code(err))
                    row = failed_row(self.spec.criteria, patient_id, err, self.spec.system)
                triage.finished(patient_id)
                yield row
            if broken:
                log.warning("a screening worker died: starting a fresh pool")
                self.close()

    def close(self) -> None:
        """Stop the workers; each finishes the patient it holds (they ignore Ctrl-C), queued ones are dropped."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

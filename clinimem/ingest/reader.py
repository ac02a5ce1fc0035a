"""Read, validate and map FHIR files in a second process while this one writes the memory.

The embedded store belongs to one process (both embedded Qdrant forms lock
their folder), so the write stays here; reading files, R4B validation and
mapping to memory entries (the spaCy note reader included) move to one reader
process. The two stages then run on two cores at once: the reader streams
its results in file order, in chunks, and this process writes each batch
while the reader prepares the next.

What comes back per input item, in the order the files are read:

- a :class:`~clinimem.fhir.resource.Reject` (unreadable file or line, wrong
  version, invalid resource), exactly as the in-process connectors yield it;
- a :class:`Prepared` resource: the :class:`SourcedResource` (its ``data``
  left behind: the mapping result carries what the writer needs, the
  resource's canonical JSON text included) with the result of ``map_resource``
  on it, a :class:`MappedResource` or a mapping Reject.

So a load through the reader process gives the same batches, points, ids,
rejects and totals as the in-process path (tests compare them).

The process is started once per parent process (:func:`shared_reader`), on
the first load that uses it, and reused by later loads; it holds the R4B model
classes and the spaCy pipeline once loaded. It is a new interpreter running
this module (no fork of a process that holds threads and an open store, and
no re-import of the caller's script as multiprocessing's spawn would do);
jobs go to its stdin and results come back pickled on a pipe. It exits when
the parent closes the pipe or exits. If a load fails or is interrupted
half-way, or stays idle for :data:`IDLE_SECONDS`, the process is stopped
and the next load starts a fresh one.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import pickle
import queue
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinimem.errors import SourceError
from clinimem.fhir.resource import Reject, SourcedResource
from clinimem.fhir.validate import DEFAULT_POLICY, ValidationPolicy
from clinimem.memory.mappers.common import MappedResource

CHUNK = 256  # items per message from the reader
QUEUE_CHUNKS = 16  # chunks the reader may run ahead of the writer
# Below this many bytes of input files, a load reads in-process: starting and warming the
# reader process (about 0.3 s, plus the R4B classes and spaCy it loads) would cost more.
MIN_PARALLEL_BYTES = 4 * 1024 * 1024
# A reader idle this long exits (a long-running process that loaded once does not keep it).
IDLE_SECONDS = 120.0
ENV = "CLINIMEM_INGEST_READER"  # "0": never use the reader process, "1": always (for files)


@dataclass(frozen=True)
class Prepared:
    """A validated resource and what ``map_resource`` made of it, in the reader process."""

    resource: SourcedResource
    mapped: MappedResource | Reject


def _slim(item: SourcedResource | Reject) -> Prepared | Reject:
    """What the parent needs of one connector item: mapped, without the parsed JSON tree."""
    from clinimem.ingest.ledger import safe_map

    if isinstance(item, Reject):
        return item
    mapped = safe_map(item)
    if isinstance(mapped, MappedResource) and mapped.source_json is not None:
        mapped = dataclasses.replace(mapped, source=None)  # the JSON text stays, the tree goes
    return Prepared(dataclasses.replace(item, data={}), mapped)


def prepare(
    paths: Iterable[str | Path], policy: ValidationPolicy = DEFAULT_POLICY
) -> Iterator[Prepared | Reject]:
    """In-process equivalent of what the reader process streams (used by the worker, and by tests)."""
    from clinimem_connectors.sources import iter_sources

    for item in iter_sources(paths, policy=policy):
        yield _slim(item)


def _warm() -> int:
    """Load what a first read would load: the R4B classes of the sample patients, the note reader."""
    import clinimem
    from clinimem.notes.reader import read_note

    samples = Path(clinimem.__file__).resolve().parent / "samples"
    count = sum(1 for _ in prepare([samples])) if samples.is_dir() else 0
    read_note("Patient denies chest pain. No fever.")
    return count


def _send(out: Any, message: Any) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


def _serve(jobs: Any, out: Any) -> None:  # pragma: no cover - runs in the reader process
    """The reader process: one job at a time, its results streamed in chunks, then ``done``."""
    import gc

    gc.set_threshold(50_000, 20, 100)  # as clinimem.ingest.load.fewer_gc_passes
    while True:
        try:
            job = pickle.load(jobs)
        except EOFError:  # the parent closed the pipe (or exited)
            return
        if job is None:
            return
        job_id, kind, args = job
        try:
            if kind == "warm":
                _send(out, (job_id, "done", _warm()))
                continue
            paths, policy = args
            chunk: list[Prepared | Reject] = []
            for item in prepare(paths, policy):
                chunk.append(item)
                if len(chunk) >= CHUNK:
                    _send(out, (job_id, "items", chunk))
                    chunk = []
            if chunk:
                _send(out, (job_id, "items", chunk))
            _send(out, (job_id, "done", None))
        except (BrokenPipeError, KeyboardInterrupt):
            return
        except Exception as exc:  # reported to the parent; the next job may still work
            _send(out, (job_id, "error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def main() -> None:  # pragma: no cover - runs in the reader process
    """Entry point of the reader process: jobs on stdin, results on (a private copy of) stdout."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops us
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the result stream
    sys.stdout = sys.stderr
    _serve(sys.stdin.buffer, out)


class ReaderProcess:
    """One reader process (a new interpreter running :func:`main`); one job at a time.

    Not ``multiprocessing``: its spawn and forkserver methods import the caller's
    ``__main__`` module in the child, which re-runs a script without a main guard.
    A plain subprocess runs only this module. A thread here drains the results
    pipe into a bounded queue, so the reader runs ahead while this process writes.
    """

    def __init__(self) -> None:
        env = dict(os.environ)
        paths = [p for p in sys.path if p and os.path.isdir(p)]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(paths)
        self._process = subprocess.Popen(
            # Not ``-m``: run as __main__, the module's classes would pickle under that name.
            [sys.executable, "-c", "from clinimem.ingest.reader import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=False,
        )
        self._lock = threading.Lock()
        self._next_job = 0
        self._results: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_CHUNKS)
        self._closed = False
        self._idle_timer: threading.Timer | None = None
        self._drain = threading.Thread(target=self._pump, name="clinimem-reader-pipe", daemon=True)
        self._drain.start()
        self.done_value: Any = None

    def _pump(self) -> None:
        """Move messages from the pipe to the queue; None when the process ends."""
        stream = self._process.stdout
        assert stream is not None
        try:
            while self._offer(pickle.load(stream)):
                pass
        except EOFError:
            self._offer(None)
        except Exception as exc:  # a broken stream: the waiting load must not hang
            self._offer((self._next_job, "error", f"reading the results failed: {type(exc).__name__}: {exc}"))
            self._offer(None)

    def _offer(self, message: Any) -> bool:
        """Queue a message unless the reader was stopped (then nobody will take it)."""
        while not self._closed:
            try:
                self._results.put(message, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    @property
    def pid(self) -> int:
        return self._process.pid

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the process has used so far (Linux; None elsewhere or when gone)."""
        try:
            with open(f"/proc/{self._process.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _send_job(self, message: Any) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        pickle.dump(message, stdin, protocol=pickle.HIGHEST_PROTOCOL)
        stdin.flush()

    def _stream(self, kind: str, args: Any) -> Iterator[Any]:
        """Run one job; yield its items; ``self.done_value`` is its result when it ends."""
        with self._lock:
            self._disarm_idle()
            self._next_job += 1
            job_id = self._next_job
            self.done_value = None
            finished = False
            try:
                try:
                    self._send_job((job_id, kind, args))
                except (BrokenPipeError, OSError, ValueError):
                    raise self._stopped() from None
                while True:
                    message = self._results.get()
                    if message is None:
                        raise self._stopped()
                    got_id, what, value = message
                    if got_id != job_id:  # never: an abandoned job stops the process (below)
                        continue
                    if what == "items":
                        yield from value
                    elif what == "done":
                        finished = True
                        self.done_value = value
                        return
                    else:
                        finished = True
                        raise SourceError(
                            f"the reader process failed: {value}",
                            hint=f"read in this process with {ENV}=0 to see the error in place",
                        )
            finally:
                if not finished:
                    # Abandoned half-way (an error in the writer, Ctrl-C) or the process died:
                    # stop it; the next load starts a fresh one.
                    self.stop()
                else:
                    self._arm_idle()

    def _arm_idle(self) -> None:
        self._disarm_idle()
        timer = threading.Timer(IDLE_SECONDS, self._stop_if_idle)
        timer.daemon = True
        self._idle_timer = timer
        timer.start()

    def _disarm_idle(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _stop_if_idle(self) -> None:
        """Timer: stop the process unless a job has started meanwhile (it holds the lock)."""
        if self._lock.acquire(blocking=False):
            try:
                self.stop()
            finally:
                self._lock.release()

    def _stopped(self) -> SourceError:
        self._process.poll()
        return SourceError(
            f"the reader process stopped (exit code {self._process.returncode})",
            hint=f"run the load again, or read in this process with {ENV}=0",
        )

    def read(
        self, paths: list[str | Path], policy: ValidationPolicy = DEFAULT_POLICY
    ) -> Iterator[Prepared | Reject]:
        """Prepared resources and Rejects of the files under ``paths``, in file order."""
        return self._stream("read", ([str(p) for p in paths], policy))

    def warm_up(self) -> int:
        """Load the R4B classes and the note reader now (reads the sample patients); returns their count."""
        for _ in self._stream("warm", None):
            pass
        return int(self.done_value or 0)

    def stop(self, timeout: float = 5.0) -> None:
        """Close its input (it exits at the end of the current item), terminate it if it lingers."""
        _forget(self)
        self._closed = True
        self._disarm_idle()
        if self._process.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                self._process.stdin.close()
        try:
            self._process.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            # It may be blocked writing results nobody reads any more, or busy with a big file.
            self._process.terminate()
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            with contextlib.suppress(OSError, ValueError):
                self._process.stdout.close()


_shared: ReaderProcess | None = None
_shared_lock = threading.Lock()


def _forget(reader: ReaderProcess) -> None:
    global _shared
    with _shared_lock:
        if _shared is reader:
            _shared = None


def shared_reader() -> ReaderProcess:
    """This process's reader process, started on first use (or again if it stopped)."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.alive:
            _shared = ReaderProcess()
        return _shared


def stop_shared_reader() -> None:
    """Stop the shared reader process, if any (at exit; tests)."""
    with _shared_lock:
        reader = _shared
    if reader is not None:
        reader.stop()


atexit.register(stop_shared_reader)


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def input_bytes(paths: Iterable[str | Path]) -> int:
    """Total size of the files a load of ``paths`` would read (directories walked as the connectors do)."""
    from clinimem_connectors.sources import iter_files

    total = 0
    for path in iter_files(paths):
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return total


def spare_cpu() -> bool:
    """Whether a CPU is idle on average (1-minute load average at most usable CPUs - 1).

    The reader process pays for itself only on a core nobody else is using: it
    costs about a fifth more CPU in all (the results cross a pipe), so on a
    machine whose cores are busy a load in one process finishes as soon or sooner.
    """
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not available: assume the machine is ours
        return True
    return usable_cpus() - load >= 1.0


def use_reader(paths: list[str | Path], requested: bool | None = None) -> bool:
    """Whether a load of these files goes through the reader process.

    ``requested`` (the ``reader_process`` argument of ``load_sources``) wins; then
    the environment (``CLINIMEM_INGEST_READER=0`` or ``1``); else yes when at least
    two CPUs are usable, one of them is idle (:func:`spare_cpu`) and the input
    holds at least :data:`MIN_PARALLEL_BYTES`. The choice changes the speed only,
    never what is loaded.
    """
    if not paths:
        return False
    if requested is not None:
        return requested
    env = os.environ.get(ENV, "").strip()
    if env in ("0", "1"):
        return env == "1"
    return usable_cpus() >= 2 and spare_cpu() and input_bytes(paths) >= MIN_PARALLEL_BYTES

"""Ingest benchmark: resources per second into the episodic memory, cold and warm, next to a naive indexing.

    python bench/ingest.py [--synthea DIR] [--patients 200] [--seed 0] [--out results.json]
                           [--skip-naive] [--naive-files N] [--profile] [--keep DIR]

Two data sets: the 23 Synthea R4 bundles (``--synthea``, default
``../shared/data/synthea-r4``) and ``--patients`` synthetic patients written by
``clinimem_eval.synth.generate`` (0 skips them). For each, into embedded
Qdrant folders under a temporary directory:

- **cold**: a new process (imports timed apart) loads into an empty store:
  the MiniLM model loads, every concept is embedded, every entry written.
- **warm**: this process, warmed up (the MiniLM model, the R4B model classes
  and the spaCy note reader loaded, here and in the reader process, by reading
  the packaged sample patients and a note), the concept cache filled (the cold
  run's store with its entries and patients dropped): entries written only.
  ``load_sources`` picks the path itself, as ``clinimem ingest`` does: the
  reader process when a CPU is idle (``clinimem.ingest.reader``), else one
  process. **warm1p** and **warm2p** force one process and the reader process.
- **reload**: the same data again into the warm store: every resource unchanged.
- **naive**: the same connectors, mapping and write path, but every entry's
  full ``text`` (value and date included) is embedded with the same MiniLM,
  without a cache, and the points are keyed on it.

Rates count every resource read (``LoadReport.total_seen``, billing and
directory resources included, as ``clinimem ingest`` does). CPU time is this
process's plus the reader process's. The goal: >= 2,000 resources/s on 2 cores,
and 10x the naive path. ``--profile`` runs cProfile over the warm load and
prints where the time goes (this process only).

Measured 2026-11-30 on a nearly idle 2-core machine (load 1.1-1.4), same command, after the
synthetic generator's display-variety change (synth-200 now 43,846 resources):

===========  ======  =========  =======  =====  =========  =======
data set     mode    resources  entries  res/s  res/cpu-s  x naive
===========  ======  =========  =======  =====  =========  =======
synthea-23   cold        7,023    5,922  1,095        892      3.5
synthea-23   warm        7,023    5,922  4,189      4,305     13.5
synthea-23   reload      7,023        0  5,780      5,763     18.7
synthea-23   naive       7,023    5,922    310        165
synth-200    cold       43,846   74,985  2,249      2,137     11.5
synth-200    warm       43,846   74,985  3,108      3,226     15.8
synth-200    warm2p     43,846   74,985  3,379      2,589     17.2
synth-200    reload     43,846        0  4,566      4,572     23.3
synth-200    naive       5,355    9,393    196        102
===========  ======  =========  =======  =====  =========  =======

On the idle machine the naive path (MiniLM on every entry's text) runs 3-5x faster than under
load, so the x-naive ratios are lower than in the loaded run below, and the reader process
(warm2p) pays off. Earlier the same day, ``python bench/ingest.py --patients 200
--naive-files 25``, 2-core machine shared with other jobs (the load column: 1-minute load average
when each run started; 2.4-4.5, so the other core was mostly taken and the wall
time runs over the CPU time):

===========  ======  =========  =======  =====  =========  =======  ====  ===============================
data set     mode    resources  entries  res/s  res/cpu-s  x naive  load  note
===========  ======  =========  =======  =====  =========  =======  ====  ===============================
synthea-23   cold        7,023    5,922    493        699      8.4   3.6  351 concepts embedded
synthea-23   warm        7,023    5,922  2,934      4,140     49.8   4.3  auto: one process
synthea-23   warm1p      7,023    5,922  2,694      4,247     45.7   4.4
synthea-23   warm2p      7,023    5,922  2,461      3,429     41.7   4.4  reader process
synthea-23   reload      7,023        0  2,735      4,947     46.4   4.4
synthea-23   naive       7,023    5,922     59         65            4.5  5,922 texts embedded
synth-200    cold       38,134   67,385  1,643      1,682     50.2   3.2  167 concepts embedded
synth-200    warm       38,134   67,385  2,850      2,985     87.1   2.8  auto: one process
synth-200    warm1p     38,134   67,385  2,926      3,070     89.4   2.6
synth-200    warm2p     38,134   67,385  1,674      2,297     51.2   2.4  reader process
synth-200    reload     38,134        0  4,032      4,221    123.3   2.9
synth-200    naive       4,879    8,601     33         44            2.9  first 25 of 200 files
===========  ======  =========  =======  =====  =========  =======  ====  ===============================

Before (2026-11-25, same command, load 6-8): warm 867 res/s (2,281 per CPU-second)
on Synthea, 480 (1,247) on synth-200. What changed: new entries go into embedded
Qdrant in one sqlite transaction and one array extension per batch
(``clinimem/memory/local_bulk.py``, byte-identical rows to qdrant-client's own
upsert; was 190 µs a point, now ~30-55), and the R4B classes and note reader are
loaded before the clock (the old warm run paid ~1.2 s of first-use imports on
Synthea).

The reader process overlaps reading with writing, but reading, validating and
mapping are ~75% of the warm CPU (synth-200: read+validate 5.7 s, map 3.5 s,
write and pipeline 3.6 s of 12.8 s), so it can hide only the write, and the
results crossing the pipe add ~20% CPU: on this shared machine it lost (warm2p).
With the other core free (load 1.3-2.0, ad hoc runs of the same loads) it won:
Synthea 3,745 res/s against 3,268 in one process, synth-200 3,201 against 2,883
(reader 10.5 CPU-s, writer 4.8). Hence the automatic choice.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import os
import platform
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "eval"), str(ROOT / "connectors")]

DEFAULT_SYNTHEA = ROOT.parent / "shared" / "data" / "synthea-r4"
GOAL_RATE = 2000.0
GOAL_SPEEDUP = 10.0

# The cold run: a new interpreter, so the model, the concept cache and the store all start empty.
COLD = """
import json, resource, sys, time
started = time.perf_counter()
sys.path[:0] = {paths!r}
from clinimem.ingest.load import load_sources
from clinimem.ingest.reader import stop_shared_reader
from clinimem.memory.store import close_shared_stores
imported = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
result = load_sources(json.loads(sys.argv[1]), store_location=sys.argv[2])
close_shared_stores()
done = time.perf_counter()
stop_shared_reader()  # waited for: its CPU time counts in RUSAGE_CHILDREN
after = resource.getrusage(resource.RUSAGE_SELF)
after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{
    "import_s": imported - started,
    "seconds": done - imported,
    "cpu_seconds": after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    + after_children.ru_utime + after_children.ru_stime - children.ru_utime - children.ru_stime,
    "resources": result.report.total_seen,
    "loaded": result.report.total_loaded,
    "entries_written": result.stats.entries_written,
    "concepts_encoded": result.concepts_encoded,
}}))
"""


@dataclasses.dataclass
class Run:
    """One measured load."""

    dataset: str
    mode: str
    resources: int
    seconds: float
    cpu_seconds: float = 0.0  # user + system time of the process (all threads) and its reader process
    load_average: float = 0.0  # 1-minute load average when the run started
    entries_written: int = 0
    concepts_encoded: int = 0
    texts_encoded: int = 0
    unchanged: int = 0
    reader_process: bool = False  # read+validate+map ran in the reader process
    note: str = ""

    @property
    def rate(self) -> float:
        return self.resources / self.seconds if self.seconds else 0.0

    @property
    def cpu_rate(self) -> float:
        """Resources per CPU-second: what one idle core would do, less sensitive to a busy machine."""
        return self.resources / self.cpu_seconds if self.cpu_seconds else 0.0


def drop_entries(location: str) -> None:
    """Keep only the concept cache of a store: drop its entries and patient manifests."""
    from clinimem.memory.store import MemoryStore

    store = MemoryStore(location)
    try:
        store.client.delete_collection(store.entries_collection)
        store.client.delete_collection(store.patients_collection)
    finally:
        store.close()


def run_cold(dataset: str, sources: list[str], location: str) -> tuple[Run, float]:
    code = COLD.format(paths=[str(ROOT), str(ROOT / "eval"), str(ROOT / "connectors")])
    load_start = os.getloadavg()[0]
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(sources), location],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"cold run failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    run = Run(
        dataset,
        "cold",
        out["resources"],
        out["seconds"],
        cpu_seconds=out["cpu_seconds"],
        entries_written=out["entries_written"],
        concepts_encoded=out["concepts_encoded"],
        load_average=load_start,
        note=f"new process; +{out['import_s']:.1f} s imports not counted",
    )
    return run, out["import_s"]


def run_load(
    dataset: str,
    mode: str,
    sources: list[str],
    location: str,
    profile: bool = False,
    reader_process: bool | None = None,
) -> Run:
    """One load in this process; CPU time = this process + the reader process (when it is used)."""
    from clinimem.ingest.load import load_sources
    from clinimem.ingest.reader import shared_reader, use_reader

    reader = shared_reader() if use_reader(sources, reader_process) else None
    if reader is not None:
        reader.warm_up()  # a fresh one if the last stopped when idle; not timed
    reader_cpu = reader.cpu_seconds() if reader else None
    profiler = cProfile.Profile() if profile else None
    load_start = os.getloadavg()[0]
    if profiler:
        profiler.enable()
    cpu = time.process_time()
    result = load_sources(sources, store_location=location, reader_process=reader is not None)
    cpu = time.process_time() - cpu
    if reader is not None:
        after = reader.cpu_seconds()
        if after is None or reader_cpu is None:
            raise SystemExit(
                "cannot read the reader process's CPU time (/proc): the CPU column would be wrong"
            )
        cpu += after - reader_cpu
    if profiler:
        profiler.disable()
        print_profile(profiler, f"{dataset} {mode}")
    stats = result.stats
    return Run(
        dataset,
        mode,
        result.report.total_seen,
        result.seconds,
        cpu_seconds=cpu,
        entries_written=stats.entries_written,
        concepts_encoded=result.concepts_encoded,
        unchanged=stats.unchanged,
        load_average=load_start,
        reader_process=reader is not None,
    )


def run_naive(dataset: str, sources: list[str], location: str, batch_size: int = 2000) -> Run:
    """Same reading, mapping and write path; every entry's own text embedded, nothing cached."""
    from clinimem.fhir.resource import Reject
    from clinimem.ingest.load import iter_any_source
    from clinimem.memory.embedder import shared_encoder
    from clinimem.memory.mappers import MappedResource, map_resource
    from clinimem.memory.store import release_shared_store, shared_store

    encoder = shared_encoder()
    store = shared_store(location)
    load_start = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    seen = written = encoded = 0

    def flush(batch: list[MappedResource]) -> tuple[int, int]:
        # Key each entry on its own text so that the write path takes its own vector.
        keyed = [
            dataclasses.replace(m, entries=tuple(dataclasses.replace(e, concept=e.text) for e in m.entries))
            for m in batch
        ]
        texts = [e.concept for m in keyed for e in m.entries]
        vectors = dict(zip(texts, encoder.encode(texts), strict=True))
        return store.write(keyed, vectors).entries_written, len(texts)

    batch: list[MappedResource] = []
    for item in iter_any_source(sources):
        seen += 1
        if isinstance(item, Reject):
            continue
        mapped = map_resource(item)
        if isinstance(mapped, MappedResource):
            batch.append(mapped)
        if len(batch) >= batch_size:
            w, n = flush(batch)
            written, encoded, batch = written + w, encoded + n, []
    if batch:
        w, n = flush(batch)
        written, encoded = written + w, encoded + n
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    release_shared_store(store)
    return Run(
        dataset,
        "naive",
        seen,
        seconds,
        cpu_seconds=cpu,
        entries_written=written,
        texts_encoded=encoded,
        load_average=load_start,
    )


def warm_up() -> None:
    """What a warm process has loaded: the MiniLM model; the R4B model classes and the spaCy note
    reader, here and in the reader process (both read the packaged sample patients and a note)."""
    from clinimem.ingest.reader import _warm, shared_reader
    from clinimem.memory.embedder import shared_encoder

    shared_encoder()._load()
    _warm()
    shared_reader().warm_up()


def stage_times(sources: list[str]) -> dict[str, float]:
    """CPU time of read+validate and of mapping alone (no store), to split the warm load by stage."""
    from clinimem.fhir.resource import SourcedResource
    from clinimem.ingest.load import iter_any_source
    from clinimem.memory.mappers import map_resource

    started = time.process_time()
    items = [i for i in iter_any_source(sources) if isinstance(i, SourcedResource)]
    read = time.process_time() - started
    started = time.process_time()
    for item in items:
        map_resource(item)
    return {"read_validate_cpu_s": read, "map_cpu_s": time.process_time() - started}


def print_profile(profiler: cProfile.Profile, title: str) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    print(f"\n== cProfile: {title} ==\n{out.getvalue()}")


def synthea_sources(folder: Path) -> list[str]:
    return [str(p) for p in sorted(folder.glob("*.json"))]


def synth_sources(n: int, seed: int, folder: Path) -> list[str]:
    from clinimem_eval.synth import generate

    paths = generate(n, seed, folder)
    return [str(p) for p in paths if p.name != "manifest.json" and not p.name.endswith(".truth.json")]


def bench_dataset(
    dataset: str, sources: list[str], work: Path, *, naive: bool, naive_files: int, profile: bool
) -> tuple[list[Run], dict[str, Any]]:
    from clinimem.memory.store import release_shared_store, shared_store

    runs = []
    store = str(work / f"{dataset}-store")
    cold, import_s = run_cold(dataset, sources, store)
    runs.append(cold)
    print(f"  cold   {cold.rate:8,.0f} resources/s  ({cold.seconds:.1f} s)", flush=True)

    warm_up()  # the model, the R4B classes, the note reader and the reader process, before the clock
    drop_entries(store)
    warm = run_load(dataset, "warm", sources, store, profile=profile)
    warm.note = "model loaded, concepts cached, empty entries; " + (
        "reader process (auto)" if warm.reader_process else "one process (auto)"
    )
    runs.append(warm)
    print(f"  warm   {warm.rate:8,.0f} resources/s  ({warm.seconds:.1f} s)", flush=True)

    # Both ways whatever the automatic choice was: in one process, and with the reader process.
    for mode, use, note in (
        ("warm1p", False, "as warm, all in this one process"),
        ("warm2p", True, "as warm, read+validate+map in the reader process"),
    ):
        release_shared_store(shared_store(store))
        drop_entries(store)
        other = run_load(dataset, mode, sources, store, reader_process=use)
        other.note = note
        runs.append(other)
        print(f"  {mode} {other.rate:8,.0f} resources/s  ({other.seconds:.1f} s)", flush=True)

    reload = run_load(dataset, "reload", sources, store)
    reload.note = "same data again: all unchanged"
    runs.append(reload)
    print(f"  reload {reload.rate:8,.0f} resources/s  ({reload.seconds:.1f} s)", flush=True)
    release_shared_store(shared_store(store))

    if naive:
        subset = sources[:naive_files] if naive_files else sources
        result = run_naive(dataset, subset, str(work / f"{dataset}-naive"))
        result.note = "every entry's full text embedded (model loaded)"
        if len(subset) < len(sources):
            result.note += f"; first {len(subset)} of {len(sources)} files"
        runs.append(result)
        print(f"  naive  {result.rate:8,.0f} resources/s  ({result.seconds:.1f} s)", flush=True)

    extra = {"import_s_cold_process": import_s, **stage_times(sources)}
    return runs, extra


def render(runs: list[Run]) -> str:
    naive = {r.dataset: r for r in runs if r.mode == "naive"}
    head = (
        f"{'dataset':<11} {'mode':<6} {'resources':>9} {'entries':>7} {'embedded':>8} {'wall s':>7} "
        f"{'cpu s':>7} {'res/s':>6} {'res/cpu-s':>9} {'x naive':>7} {'load':>5}  note"
    )
    lines = [head, "-" * len(head)]
    for r in runs:
        base = naive.get(r.dataset)
        ratio = f"{r.rate / base.rate:.1f}x" if base and r.mode != "naive" and base.rate else ""
        embedded = r.texts_encoded if r.mode == "naive" else r.concepts_encoded
        lines.append(
            f"{r.dataset:<11} {r.mode:<6} {r.resources:>9,} {r.entries_written:>7,} {embedded:>8,} "
            f"{r.seconds:>7.2f} {r.cpu_seconds:>7.2f} {r.rate:>6,.0f} {r.cpu_rate:>9,.0f} {ratio:>7} "
            f"{r.load_average:>5.1f}  {r.note}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthea", type=Path, default=DEFAULT_SYNTHEA, help="folder of Synthea R4 bundles")
    parser.add_argument("--patients", type=int, default=200, help="synthetic patients (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--skip-naive", action="store_true", help="leave out the naive indexing")
    parser.add_argument(
        "--naive-files",
        type=int,
        default=0,
        help="naive indexing on only the first N files of each set (0: all; it embeds every entry)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the warm loads")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp dir)")
    args = parser.parse_args(argv)

    work = Path(args.keep or tempfile.mkdtemp(prefix="clinimem-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average_start": os.getloadavg(),
    }
    datasets: list[tuple[str, list[str]]] = []
    if args.synthea and args.synthea.is_dir():
        datasets.append(("synthea-23", synthea_sources(args.synthea)))
    if args.patients:
        started = time.perf_counter()
        sources = synth_sources(args.patients, args.seed, work / "synth")
        print(f"generated {args.patients} synthetic patients in {time.perf_counter() - started:.1f} s")
        datasets.append((f"synth-{args.patients}", sources))

    runs: list[Run] = []
    extras: dict[str, Any] = {}
    try:
        for name, sources in datasets:
            print(f"{name}: {len(sources)} files", flush=True)
            found, extra = bench_dataset(
                name,
                sources,
                work,
                naive=not args.skip_naive,
                naive_files=args.naive_files,
                profile=args.profile,
            )
            runs += found
            extras[name] = extra
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    machine["load_average_end"] = os.getloadavg()

    print()
    print(render(runs))
    for name, extra in extras.items():
        warm = next(r for r in runs if r.dataset == name and r.mode == "warm")
        rest = warm.cpu_seconds - extra["read_validate_cpu_s"] - extra["map_cpu_s"]
        print(
            f"{name} warm CPU split: read+validate {extra['read_validate_cpu_s']:.2f} s, "
            f"map {extra['map_cpu_s']:.2f} s, concept lookup + store write + pipeline {rest:.2f} s "
            f"(of {warm.cpu_seconds:.2f} s)"
        )
    print(
        f"machine: {machine['cpus_usable']} usable cores, load average {machine['load_average_start'][0]:.1f} "
        f"at start, {machine['load_average_end'][0]:.1f} at end"
    )
    for r in runs:
        if r.mode in ("warm", "warm1p", "warm2p"):
            base = next((n for n in runs if n.dataset == r.dataset and n.mode == "naive"), None)
            verdict = "meets" if r.rate >= GOAL_RATE else "below"
            speedup = f", {r.rate / base.rate:.1f}x naive (goal {GOAL_SPEEDUP:.0f}x)" if base else ""
            print(
                f"goal: {r.dataset} {r.mode} {r.rate:,.0f}/s wall ({r.cpu_rate:,.0f} per CPU-second) "
                f"{verdict} {GOAL_RATE:,.0f}/s{speedup}"
            )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": machine,
            "goal": {"resources_per_second": GOAL_RATE, "speedup_vs_naive": GOAL_SPEEDUP},
            "runs": [
                {
                    **dataclasses.asdict(r),
                    "resources_per_second": r.rate,
                    "resources_per_cpu_second": r.cpu_rate,
                }
                for r in runs
            ],
            "stages": extras,
        }
        args.out.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

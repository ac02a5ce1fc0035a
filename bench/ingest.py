"""Ingest benchmark: resources per second into the episodic memory, cold and warm, next to a naive indexing.

    python bench/ingest.py [--synthea DIR] [--patients 200] [--seed 0] [--out results.json]
                           [--skip-naive] [--profile] [--keep DIR]

Two data sets: the 23 Synthea R4 bundles (``--synthea``, default
``../shared/data/synthea-r4``) and ``--patients`` synthetic patients written by
``clinimem_eval.synth.generate`` (0 skips them). For each, into embedded
Qdrant folders under a temporary directory:

- **cold**: a new process (imports timed apart) loads into an empty store:
  the MiniLM model loads, every concept is embedded, every entry written.
- **warm**: this process, model loaded, the concept cache filled (the cold
  run's store with its entries and patients dropped): entries written only.
- **reload**: the same data again into the warm store: every resource unchanged.
- **naive**: the same connectors, mapping and write path, but every entry's
  full ``text`` (value and date included) is embedded with the same MiniLM,
  without a cache, and the points are keyed on it.

Rates count every resource read (``LoadReport.total_seen``, billing and
directory resources included, as ``clinimem ingest`` does). The goal:
>= 2,000 resources/s on 2 cores, and 10x the naive path. ``--profile`` runs
cProfile over the warm load and prints where the time goes.

Measured 2026-11-25 (``--patients 200 --naive-files 25``), 2-core machine shared
with other jobs (load average 6-8, so wall times run 2-3x over CPU times; the
res/cpu-s column is what one idle core does):

===========  ======  =========  =======  =====  =========  ==========================
data set     mode    resources  entries  res/s  res/cpu-s  note
===========  ======  =========  =======  =====  =========  ==========================
synthea-23   cold        7,023    5,922    192        475  351 concepts embedded
synthea-23   warm        7,023    5,922    867      2,281
synthea-23   reload      7,023        0  1,400      3,524
synthea-23   naive       7,023    5,922     26         68  5,922 texts embedded
synth-200    cold       38,134   67,385    379        907  167 concepts embedded
synth-200    warm       38,134   67,385    480      1,247
synth-200    reload     38,134        0  1,085      2,888
synth-200    naive       4,879    8,601     17         39  first 25 of 200 files
===========  ======  =========  =======  =====  =========  ==========================

Warm CPU by stage (cProfile shares): Synthea: FHIR read + R4B validation 53%,
embedded-Qdrant write 32%, mapping 10%. Synthetic (notes, 1.8 entries a
resource): write 44% (qdrant-client local mode: a JSON round trip, a pickle and a
sqlite row per point, and two O(n) ``np.append`` per new point), read +
validation 35%, mapping 20% (of which the spaCy note reader 12%).
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
from clinimem_connectors.load import load_sources
from clinimem.memory.store import close_shared_stores
imported = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
result = load_sources(json.loads(sys.argv[1]), store_location=sys.argv[2])
close_shared_stores()
done = time.perf_counter()
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{
    "import_s": imported - started,
    "seconds": done - imported,
    "cpu_seconds": after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime,
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
    cpu_seconds: float = 0.0  # user + system time of the process, all threads
    entries_written: int = 0
    concepts_encoded: int = 0
    texts_encoded: int = 0
    unchanged: int = 0
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
        note=f"new process; +{out['import_s']:.1f} s imports not counted",
    )
    return run, out["import_s"]


def run_load(dataset: str, mode: str, sources: list[str], location: str, profile: bool = False) -> Run:
    from clinimem_connectors.load import load_sources

    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    cpu = time.process_time()
    result = load_sources(sources, store_location=location)
    cpu = time.process_time() - cpu
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
    )


def run_naive(dataset: str, sources: list[str], location: str, batch_size: int = 2000) -> Run:
    """Same reading, mapping and write path; every entry's own text embedded, nothing cached."""
    from clinimem_connectors.load import iter_any_source

    from clinimem.fhir.resource import Reject
    from clinimem.memory.embedder import shared_encoder
    from clinimem.memory.mappers import MappedResource, map_resource
    from clinimem.memory.store import release_shared_store, shared_store

    encoder = shared_encoder()
    store = shared_store(location)
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
        dataset, "naive", seen, seconds, cpu_seconds=cpu, entries_written=written, texts_encoded=encoded
    )


def stage_times(sources: list[str]) -> dict[str, float]:
    """CPU time of read+validate and of mapping alone (no store), to split the warm load by stage."""
    from clinimem_connectors.load import iter_any_source

    from clinimem.fhir.resource import SourcedResource
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
    from clinimem.memory.embedder import shared_encoder
    from clinimem.memory.store import release_shared_store, shared_store

    runs = []
    store = str(work / f"{dataset}-store")
    cold, import_s = run_cold(dataset, sources, store)
    runs.append(cold)
    print(f"  cold   {cold.rate:8,.0f} resources/s  ({cold.seconds:.1f} s)", flush=True)

    shared_encoder()._load()  # warm: the model is in memory before the clock starts
    drop_entries(store)
    warm = run_load(dataset, "warm", sources, store, profile=profile)
    warm.note = "model loaded, concepts cached, empty entries"
    runs.append(warm)
    print(f"  warm   {warm.rate:8,.0f} resources/s  ({warm.seconds:.1f} s)", flush=True)

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
        f"{'cpu s':>7} {'res/s':>6} {'res/cpu-s':>9} {'x naive':>7}  note"
    )
    lines = [head, "-" * len(head)]
    for r in runs:
        base = naive.get(r.dataset)
        ratio = f"{r.rate / base.rate:.1f}x" if base and r.mode != "naive" and base.rate else ""
        embedded = r.texts_encoded if r.mode == "naive" else r.concepts_encoded
        lines.append(
            f"{r.dataset:<11} {r.mode:<6} {r.resources:>9,} {r.entries_written:>7,} {embedded:>8,} "
            f"{r.seconds:>7.2f} {r.cpu_seconds:>7.2f} {r.rate:>6,.0f} {r.cpu_rate:>9,.0f} {ratio:>7}  {r.note}"
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
        if r.mode == "warm":
            base = next((n for n in runs if n.dataset == r.dataset and n.mode == "naive"), None)
            verdict = "meets" if r.rate >= GOAL_RATE else "below"
            speedup = f", {r.rate / base.rate:.1f}x naive (goal {GOAL_SPEEDUP:.0f}x)" if base else ""
            print(
                f"goal: {r.dataset} warm {r.rate:,.0f}/s wall ({r.cpu_rate:,.0f} per CPU-second) "
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

"""Screening benchmark: patients per second, in-process vs ``--workers N`` vs ``--ray local``.

    python bench/screen.py [--patients 1000] [--seed 0] [--system controller] [--workers 2]
                           [--modes inprocess,workers,ray] [--workdir DIR] [--out results.json]
                           [--store-choice]

``--patients`` synthetic patients (``clinimem_eval.synth``) are written and
loaded once into an embedded store under ``--workdir`` (kept and reused: the
load is not what is measured). Each mode then runs ``clinimem screen`` with
five criteria in a fresh process, cold, the way a user runs it; the bench
watches the JSONL output grow and reports:

- **wall**: process start to exit (imports, opening the store, loading the
  answering system in every worker, screening, shutting down);
- **start**: process start to the first row written;
- **steady**: patients per second between the first and the last row, the
  rate a long job converges to.

Every mode must write the same rows (checked). ``--store-choice`` also
measures the two ways a worker can get at an embedded store, which
``docs/scale.md`` compares: the owner reads a patient's memory and ships it
(read time per patient, bytes pickled), or each worker opens its own copy
of the store folder (copy time, open time, memory of a process holding it).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "eval"), str(ROOT / "connectors")]

CRITERIA = """\
name: bench, five criteria
criteria:
  latest_hba1c_above_9:
    question: What was the most recent HbA1c?
    expect: value > 9%
  latest_ldl_above_190:
    question: What was the most recent LDL cholesterol?
    expect: value > 190 mg/dL
  egfr_decreasing:
    question: Is the eGFR increasing, decreasing or stable over the last 3 results?
    expect: trend == decreasing
  on_metformin:
    question: Is the patient still taking metformin?
    expect: boolean == true
  no_insulin:
    question: When was insulin first prescribed?
    expect: abstained == true
flag: (latest_hba1c_above_9 and no_insulin) or latest_ldl_above_190 or (egfr_decreasing and on_metformin)
"""

# A worker holding its own copy of the store: what it costs to open it and to hold it.
OPEN_COPY = """
import resource, sys, time
started = time.perf_counter()
from clinimem.memory.store import MemoryStore
store = MemoryStore(sys.argv[1], create=False)
count = store.count()
print(count, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(workdir: Path, patients: int, seed: int) -> Path:
    """Synthetic bundles loaded into ``workdir/store`` once; reused while count and seed match."""
    store = workdir / "store"
    marker = workdir / "loaded.json"
    wanted = {"patients": patients, "seed": seed}
    if store.exists() and marker.exists() and json.loads(marker.read_text()) == wanted:
        log(f"reusing {store} ({patients} patients, seed {seed})")
        return store
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    from clinimem_eval.synth import generate

    from clinimem.ingest.load import load_sources
    from clinimem.memory.store import close_shared_stores

    started = time.perf_counter()
    paths = generate(patients, seed, workdir / "bundles")
    bundles = [p for p in paths if p.suffix == ".json" and not p.name.endswith(".truth.json")]
    bundles = [p for p in bundles if p.name != "manifest.json"]
    log(f"generated {len(bundles)} bundles in {time.perf_counter() - started:.1f} s; loading...")
    started = time.perf_counter()
    result = load_sources(bundles, store_location=str(store), progress=sys.stderr.isatty())
    close_shared_stores()
    log(
        f"loaded {result.report.total_seen} resources, {result.stats.entries_written} entries "
        f"in {time.perf_counter() - started:.1f} s"
    )
    marker.write_text(json.dumps(wanted))
    return store


def run_mode(
    name: str, extra: list[str], *, store: Path, criteria: Path, system: str, workdir: Path
) -> dict[str, Any]:
    """One cold ``clinimem screen`` process; times from the growth of its JSONL output."""
    out = workdir / f"rows-{name}.jsonl"
    out.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "clinimem.cli", "screen", str(criteria), "--store", str(store),
        "--out", str(out), "--system", system, "--no-progress", *extra,
    ]  # fmt: skip
    log(f"[{name}] {' '.join(command[2:])}")
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = last = None
    rows = 0
    while proc.poll() is None:
        time.sleep(0.05)
        count = out.read_bytes().count(b"\n") if out.exists() else 0
        if count > rows:
            now = time.perf_counter() - started
            first = first if first is not None else now
            last, rows = now, count
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    count = out.read_bytes().count(b"\n") if out.exists() else 0
    if count > rows:  # the last rows landed after the last poll
        last, rows = wall, count
    if proc.returncode != 0:
        raise SystemExit(f"[{name}] failed ({proc.returncode}):\n{stderr[-3000:]}")
    result = {
        "mode": name,
        "patients": rows,
        "wall_s": round(wall, 1),
        "start_s": round(first or 0.0, 1),
        "overall_patients_per_s": round(rows / wall, 2),
        "steady_patients_per_s": round((rows - 1) / (last - first), 2) if rows > 1 and last > first else None,
        "summary": stdout.strip().splitlines()[-1] if stdout.strip() else "",
    }
    log(f"[{name}] {result}")
    return result


def rows_of(path: Path) -> dict[str, Any]:
    return {r["patient_id"]: r for r in map(json.loads, path.read_text().splitlines())}


def store_choice(store: Path, workdir: Path, sample: int = 200) -> dict[str, Any]:
    """Ship memories from the owner, or copy the store per worker: the measurements behind the choice."""
    from clinimem.api import Clinimem
    from clinimem.memory.store import MemoryStore, close_shared_stores

    started = time.perf_counter()
    engine = Clinimem(MemoryStore(str(store), create=False))
    ids = [p.patient_id for p in engine.patients()]
    opened = time.perf_counter() - started
    reads, sizes = [], []
    for pid in ids[:sample]:
        t = time.perf_counter()
        memory = engine.memory(pid)
        reads.append(time.perf_counter() - t)
        sizes.append(len(pickle.dumps(memory, protocol=pickle.HIGHEST_PROTOCOL)))
    engine.store.close()
    close_shared_stores()
    size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
    copy = workdir / "store-copy"
    shutil.rmtree(copy, ignore_errors=True)
    t = time.perf_counter()
    shutil.copytree(store, copy)
    copied = time.perf_counter() - t
    out = subprocess.run(
        [sys.executable, "-c", OPEN_COPY, str(copy)], capture_output=True, text=True, check=True
    ).stdout.split()
    shutil.rmtree(copy, ignore_errors=True)
    reads.sort()
    return {
        "patients": len(ids),
        "store_mb": round(size / 1e6, 1),
        "owner_open_s": round(opened, 1),
        "ship_read_ms_p50": round(1000 * reads[len(reads) // 2], 1),
        "ship_read_ms_p95": round(1000 * reads[int(len(reads) * 0.95)], 1),
        "ship_pickle_kb_mean": round(sum(sizes) / len(sizes) / 1e3, 1),
        "copy_s": round(copied, 1),
        "copy_open_s": round(float(out[1]), 1),
        "copy_process_rss_mb": round(int(out[2]) / 1e3, 0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--system", default="controller")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--modes", default="inprocess,workers,ray")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/clinimem-bench-screen"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--store-choice", action="store_true")
    args = parser.parse_args()

    store = prepare(args.workdir, args.patients, args.seed)
    criteria = args.workdir / "criteria.yaml"
    criteria.write_text(CRITERIA)
    extras = {
        "inprocess": [],
        "workers": ["--workers", str(args.workers)],
        "ray": ["--ray", "local", "--workers", str(args.workers)],
    }
    results: dict[str, Any] = {
        "patients": args.patients,
        "criteria": 5,
        "system": args.system,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "modes": [],
    }
    for mode in args.modes.split(","):
        results["modes"].append(
            run_mode(
                mode, extras[mode], store=store, criteria=criteria, system=args.system, workdir=args.workdir
            )
        )
    outputs = [args.workdir / f"rows-{m['mode']}.jsonl" for m in results["modes"]]
    reference = rows_of(outputs[0])
    results["same_rows"] = all(rows_of(p) == reference for p in outputs[1:])
    verdicts: dict[str, int] = {}
    for row in reference.values():
        verdicts[row["verdict"]] = verdicts.get(row["verdict"], 0) + 1
    results["verdicts"] = verdicts
    if args.store_choice:
        results["store_choice"] = store_choice(store, args.workdir)
    results["machine"]["load_after"] = os.getloadavg()
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print("\n| mode | patients | wall s | first row s | overall patients/s | steady patients/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for m in results["modes"]:
        print(
            f"| {m['mode']} | {m['patients']} | {m['wall_s']} | {m['start_s']} | "
            f"{m['overall_patients_per_s']} | {m['steady_patients_per_s']} |"
        )
    return 0 if results["same_rows"] else 1


if __name__ == "__main__":
    sys.exit(main())

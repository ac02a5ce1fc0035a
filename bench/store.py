"""Store benchmark: a hospital's population in one embedded store, the edge engine next to local mode.

    python bench/store.py [--patients 1000] [--backends edge,local] [--local-patients 1000]
                          [--reads 300] [--seed 0] [--out results.json] [--keep DIR]

Synthetic patients are written straight into ``MemoryStore.write`` (the ingest's
write path: staging, manifests, concept vectors), as mapped resources with
precomputed random concept vectors: no FHIR parsing and no MiniLM, so 10,000
patients (about 2.5M entries) fit in minutes. Each patient has 20-32 visits; a
visit holds an encounter, a blood-pressure panel (3 entries), four other
observations and, by chance, a condition, a medication, a procedure and an
immunization: about 190 resources and 245 entries a patient, with the resource's
JSON (about 300 bytes) on its first entry, as the ingest stores it.

For each backend (``edge``: the default, Qdrant's engine embedded; ``local``:
qdrant-client's local mode, the store clinimem had before) into a temporary folder:

- **ingest**: resources and entries per second of the writes (20 patients a write);
- **disk**: the folder's allocated size (``du``) and its files' apparent size;
- then in a **new process** (what ``clinimem patients`` or the page does when it starts):
  **open** (``MemoryStore(folder)`` and its first touch), **RSS** after the open (and the
  interpreter's RSS with clinimem imported, before it), **patients** (the full list,
  sorted), and **read** p50/p95 of ``entries(patient)`` for ``--reads`` random patients
  (each read once, nothing cached) and of a vector search within one patient.

Rates are wall time on whatever the machine is doing; the load average is recorded.

Measured 2026-12-03 on a 2-core machine shared with three other developers' runs, every run
under ``nice -n 19`` (load: the 1-minute load average when the run started), after the packed
payloads; docs/store.md holds these figures with the ones before::

    nice -n 19 python bench/store.py --patients 1000 --backends edge
    nice -n 19 python bench/store.py --patients 10000 --backends edge --keep DIR
    nice -n 19 python bench/store.py --probe DIR/edge-10000 --reads 300 [--seed 7]

===============================  =====================  =====================  =====================
                                 edge, 1,000            edge, 10,000 (build)   10,000, new process
===============================  =====================  =====================  =====================
load                             4.8                    6.9                    4.8-5.0
resources / entries              194,392 / 246,618      1,937,296 / 2,457,914
write, resources/s (entries/s)   5,380 (6,825)          4,045 (5,133)
compaction (optimize)            16.0 s                 244 s
disk, allocated                  671 MB                 5,834 MB
open, new process                0.35 s                 1.44 s (writeback)     0.38-0.46 s
RSS after open (anonymous)       203 MB (48 MB)         334 MB (53 MB)         355 MB (53 MB)
list every patient               0.014 s                0.26 s                 0.17-0.18 s
read one patient p50 / p95       12.6 / 18.6 ms         12.1 / 41.9 ms         7.6-9.6 / 12.6-16.2 ms
search in one patient p50 / p95  5.5 / 8.6 ms           5.9 / 11.6 ms          3.8-5.2 / 6.8-9.6 ms
RSS after 300 reads (anonymous)  474 MB (146 MB)        659 MB (156 MB)        659 MB (156 MB)
===============================  =====================  =====================  =====================

Again at 1,000 on the final code, load 5.5: 7,442 resources/s, open 0.50 s, read p50 / p95
8.9 / 17.4 ms. "build": the probe that runs right after the build, while the kernel writes back its 5.8 GB;
"new process": ``--probe`` on the kept store two minutes later (three runs; ``--seed 7`` reads
300 other patients). Local mode at 1,000 (62.5 s to open, 6.5 GB) is in docs/store.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers.common import MappedResource
from clinimem.memory.store import VECTOR_SIZE, MemoryStore

PER_WRITE = 20  # patients a write

VITALS = [("Body weight", "kg", 50, 110), ("Body height", "cm", 150, 195), ("BMI", "kg/m2", 18, 38)]
LABS = [f"Lab test {i}" for i in range(60)]
CONDITIONS = [f"Condition {i}" for i in range(200)]
MEDICATIONS = [f"Medication {i} 10 MG Oral Tablet" for i in range(150)]
PROCEDURES = [f"Procedure {i}" for i in range(100)]
IMMUNIZATIONS = [f"Vaccine {i}" for i in range(20)]
GIVEN = ["Ada", "Grace", "Alan", "Mary", "John", "Rosalind", "Edsger", "Barbara", "Ken", "Frances"]
FAMILY = ["Lovelace", "Hopper", "Turing", "Shelley", "Snow", "Franklin", "Dijkstra", "Liskov", "Thompson"]


def concept_vectors(seed: int) -> dict[str, np.ndarray]:
    """One random unit vector per concept the generator can write (what the MiniLM cache holds)."""
    concepts = (
        ["patient", "encounter: General examination", "vital: Blood pressure panel"]
        + ["vital: Systolic blood pressure", "vital: Diastolic blood pressure"]
        + [f"vital: {v[0]}" for v in VITALS]
        + [f"lab: {x}" for x in LABS]
        + [f"condition: {x}" for x in CONDITIONS]
        + [f"medication: {x}" for x in MEDICATIONS]
        + [f"procedure: {x}" for x in PROCEDURES]
        + [f"immunization: {x}" for x in IMMUNIZATIONS]
    )
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((len(concepts), VECTOR_SIZE)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return dict(zip(concepts, matrix, strict=True))


def synthetic_patient(index: int, seed: int) -> list[MappedResource]:
    """One patient's mapped resources: deterministic for (index, seed)."""
    rng = random.Random(seed * 1_000_003 + index)
    pid = f"bench-{index:06d}"
    out: list[MappedResource] = []

    def resource(rtype: str, rid: str, entries: list[dict[str, Any]], when: str | None) -> None:
        ref = f"{rtype}/{rid}"
        source = json.dumps(
            {
                "resourceType": rtype,
                "id": rid,
                "subject": {"reference": f"Patient/{pid}"},
                "meta": {"lastUpdated": when},
                "text": entries[0]["text"],
                "code": {"coding": [{"system": "http://example.org", "code": entries[0].get("code")}]},
            },
            separators=(",", ":"),
        )
        built = tuple(
            MemoryEntry(patient_id=pid, resource=ref, path=e.pop("path", "$"), time=when, **e)
            for e in entries
        )
        out.append(MappedResource(ref, rtype, pid, built, f"h{hash(source)}", when, source_json=source))

    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    born = f"{rng.randint(1930, 2010)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    gender = rng.choice(["female", "male"])
    patient = dict(kind="patient", text=f"Patient {given} {family}, {gender}", concept="patient")
    resource("Patient", pid, [dict(patient, display=f"{given} {family}", value=gender)], born)
    for visit in range(rng.randint(20, 32)):
        when = f"{2000 + visit // 2}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00+00:00"
        enc = f"{pid}-e{visit}"
        encounter = f"Encounter/{enc}"
        common = dict(encounter=encounter, status="final")
        resource(
            "Encounter",
            enc,
            [
                dict(
                    kind="encounter",
                    text=f"General examination on {when[:10]}",
                    concept="encounter: General examination",
                    code="162673000",
                    status="finished",
                )
            ],
            when,
        )
        sys_v, dia_v = rng.randint(100, 170), rng.randint(60, 100)
        resource(
            "Observation",
            f"{enc}-bp",
            [
                dict(
                    kind="observation",
                    text=f"Blood pressure {sys_v}/{dia_v} mmHg",
                    concept="vital: Blood pressure panel",
                    code="85354-9",
                    **common,
                ),
                dict(
                    kind="observation",
                    path="$.component[0]",
                    text=f"Systolic {sys_v} mmHg",
                    concept="vital: Systolic blood pressure",
                    code="8480-6",
                    value=float(sys_v),
                    unit="mm[Hg]",
                    **common,
                ),
                dict(
                    kind="observation",
                    path="$.component[1]",
                    text=f"Diastolic {dia_v} mmHg",
                    concept="vital: Diastolic blood pressure",
                    code="8462-4",
                    value=float(dia_v),
                    unit="mm[Hg]",
                    **common,
                ),
            ],
            when,
        )
        for n, (name, unit, low, high) in enumerate(VITALS):
            value = round(rng.uniform(low, high), 1)
            resource(
                "Observation",
                f"{enc}-v{n}",
                [
                    dict(
                        kind="observation",
                        text=f"{name} {value} {unit}",
                        concept=f"vital: {name}",
                        code=f"v{n}",
                        value=value,
                        unit=unit,
                        **common,
                    )
                ],
                when,
            )
        lab = rng.choice(LABS)
        value = round(rng.uniform(1, 200), 1)
        resource(
            "Observation",
            f"{enc}-lab",
            [
                dict(
                    kind="observation",
                    text=f"{lab} {value} mg/dL",
                    concept=f"lab: {lab}",
                    code=lab[-2:],
                    value=value,
                    unit="mg/dL",
                    **common,
                )
            ],
            when,
        )
        for rtype, kind, names, chance in (
            ("Condition", "condition", CONDITIONS, 0.5),
            ("MedicationRequest", "medication", MEDICATIONS, 0.4),
            ("Procedure", "procedure", PROCEDURES, 0.3),
            ("Immunization", "immunization", IMMUNIZATIONS, 0.2),
        ):
            if rng.random() < chance:
                name = rng.choice(names)
                resource(
                    rtype,
                    f"{enc}-{kind}",
                    [
                        dict(
                            kind=kind,
                            text=f"{name}",
                            concept=f"{kind}: {name}",
                            code=name.split()[1],
                            encounter=encounter,
                            status="active",
                        )
                    ],
                    when,
                )
    return out


def folder_size(folder: Path) -> tuple[int, int]:
    """(allocated bytes, apparent bytes) of every file under ``folder``."""
    allocated = apparent = 0
    for path in folder.rglob("*"):
        if path.is_file():
            st = path.stat()
            allocated += st.st_blocks * 512
            apparent += st.st_size
    return allocated, apparent


def ingest(folder: Path, backend: str, patients: int, seed: int) -> dict[str, Any]:
    vectors = concept_vectors(seed)
    # "old": clinimem before the edge store (PYTHONPATH=--old-tree): local mode with its bulk insert.
    store = MemoryStore(folder) if backend == "old" else MemoryStore(folder, backend=backend)  # type: ignore[call-arg]
    store.put_concepts(vectors)
    resources = entries = 0
    build = 0.0
    started = time.perf_counter()
    for first in range(0, patients, PER_WRITE):
        t0 = time.perf_counter()
        batch = [
            m for i in range(first, min(first + PER_WRITE, patients)) for m in synthetic_patient(i, seed)
        ]
        build += time.perf_counter() - t0
        stats = store.write(batch, vectors)
        resources += len(batch)
        entries += stats.entries_written
        if (first // PER_WRITE) % 50 == 0:
            print(
                f"  {backend}: {first + PER_WRITE} patients, {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
    seconds = time.perf_counter() - started - build
    t0 = time.perf_counter()
    if hasattr(store, "optimize"):  # the old tree's store has none
        store.optimize()  # what close() does after a large load: timed apart
    optimized = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.close()  # the engine flushes here
    allocated, apparent = folder_size(folder)
    return {
        "patients": patients,
        "resources": resources,
        "entries": entries,
        "write_s": round(seconds, 1),
        "optimize_s": round(optimized, 1),
        "close_s": round(time.perf_counter() - t0, 2),
        "resources_per_s": round(resources / seconds),
        "entries_per_s": round(entries / seconds),
        "disk_mb": round(allocated / 2**20, 1),
        "apparent_mb": round(apparent / 2**20, 1),
    }


def rss_mb(kind: str = "VmRSS") -> float:
    """Resident memory: VmRSS (all), RssAnon (the process's own), RssFile (mapped files: page cache)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def probe(folder: Path, reads: int, seed: int) -> dict[str, Any]:
    """In a new process: open, RSS, patient list, per-patient reads (what a starting page does)."""
    before = rss_mb()
    t0 = time.perf_counter()
    store = MemoryStore(folder, create=False)
    _ = store.client
    opened = time.perf_counter() - t0
    after_open = rss_mb()
    anon_open, file_open = rss_mb("RssAnon"), rss_mb("RssFile")
    t0 = time.perf_counter()
    listed = store.patients()
    listing = time.perf_counter() - t0
    rng = random.Random(seed)
    chosen = rng.sample([p.patient_id for p in listed], min(reads, len(listed)))
    times, search_times, sizes = [], [], []
    query = np.random.default_rng(seed).standard_normal(VECTOR_SIZE).astype(np.float32)
    for pid in chosen:
        t0 = time.perf_counter()
        sizes.append(len(store.entries(pid)))
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        store.search(query, patient_id=pid, limit=10)
        search_times.append(time.perf_counter() - t0)
    result = {
        "backend": store.backend,
        "open_s": round(opened, 3),
        "rss_before_open_mb": round(before),
        "rss_after_open_mb": round(after_open),
        "anon_after_open_mb": round(anon_open),
        "file_after_open_mb": round(file_open),
        "patients_s": round(listing, 3),
        "patients_listed": len(listed),
        "rss_after_list_mb": round(rss_mb()),
        "read_p50_ms": round(float(np.percentile(times, 50)) * 1000, 1),
        "read_p95_ms": round(float(np.percentile(times, 95)) * 1000, 1),
        "search_p50_ms": round(float(np.percentile(search_times, 50)) * 1000, 1),
        "search_p95_ms": round(float(np.percentile(search_times, 95)) * 1000, 1),
        "entries_per_patient": round(float(np.mean(sizes)), 1),
        "rss_after_reads_mb": round(rss_mb()),
        "anon_after_reads_mb": round(rss_mb("RssAnon")),
    }
    store.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--backends", default="edge,local")
    parser.add_argument(
        "--local-patients", type=int, default=None, help="patients for local mode (default --patients)"
    )
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", type=Path, help="write the stores here and keep them")
    parser.add_argument(
        "--old-tree",
        type=Path,
        help="clinimem's source before the edge store (`git archive a9212b9 clinimem | tar -x -C DIR`): "
        "the local-mode store is then written by that code, with its bulk insert, as ingest did",
    )
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)  # the new process's half
    parser.add_argument("--ingest-only", type=Path, help=argparse.SUPPRESS)  # the old tree's half
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(probe(args.probe, args.reads, args.seed)))
        return 0
    if args.ingest_only:
        print(json.dumps(ingest(args.ingest_only, "old", args.patients, args.seed)))
        return 0
    root = args.keep or Path(tempfile.mkdtemp(prefix="clinimem-bench-store-"))
    results = []
    try:
        for backend in args.backends.split(","):
            n = (
                args.local_patients
                if backend == "local" and args.local_patients is not None
                else args.patients
            )
            folder = root / f"{backend}-{n}"
            if folder.exists():
                shutil.rmtree(folder)
            row: dict[str, Any] = {"backend": backend, "load": round(os.getloadavg()[0], 1)}
            if backend == "local" and args.old_tree:
                old = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--ingest-only",
                        str(folder),
                        "--patients",
                        str(n),
                        "--seed",
                        str(args.seed),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "PYTHONPATH": str(args.old_tree.resolve())},
                )
                row.update(
                    json.loads(old.stdout.strip().splitlines()[-1]), writer=f"old tree {args.old_tree}"
                )
            else:
                row.update(ingest(folder, backend, n, args.seed))
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--probe",
                    str(folder),
                    "--reads",
                    str(args.reads),
                    "--seed",
                    str(args.seed),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            row.update(json.loads(proc.stdout.strip().splitlines()[-1]))
            results.append(row)
            print(json.dumps(row), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

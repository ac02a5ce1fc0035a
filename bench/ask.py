"""Latency of one question, warm, on a patient with about 1,000 entries: controller vs dense.

    python bench/ask.py [--patients-dir DIR] [--store DIR] [--rounds 50] [--threads 1]

Loads FHIR bundles (``--patients-dir``; default: 60 synthetic patients from
``clinimem synth``, seed 0) into a scratch embedded store, picks the patient whose entry
count is closest to 1,000, warms each system up, then asks a fixed mix of questions round-robin
and reports p50/p95 of the whole ``Clinimem.ask`` call (memory read + question pass +
hops + executor), per system.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = (
    "What was the most recent systolic blood pressure?",
    "What was the first Hemoglobin A1c on record?",
    "How has the body weight trended over the last 3 results?",
    "Is the patient still taking lisinopril?",
    "How many times has the patient had acute bronchitis?",
    "Which medications were prescribed on 2015-03-02?",
    "What was the last LDL before simvastatin was started?",
    "When was warfarin started?",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients-dir", help="FHIR bundles to load (default: synthetic patients)")
    parser.add_argument("--store", help="an existing store to use instead of loading the bundles")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--systems", default="controller,dense")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for answering (default 1)")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument(
        "--largest", action="store_true", help="the patient with the most entries (default: ~1,000)"
    )
    parser.add_argument(
        "--repeat-cache",
        action="store_true",
        help="keep the question encoder's cache of repeated questions (default: every question encoded, "
        "as a question never asked before is)",
    )
    args = parser.parse_args(argv)
    if not args.repeat_cache:
        from clinimem.controller.question import QuestionEncoder

        QuestionEncoder.CACHED = 0  # the bench asks a fixed mix: without this it times cache hits

    import torch

    torch.set_num_threads(args.threads)
    from clinimem.api import Clinimem
    from clinimem.memory.store import shared_store

    store_dir = args.store
    if store_dir is None:
        from clinimem.ingest.load import load_sources

        store_dir = tempfile.mkdtemp(prefix="clinimem-bench-ask-")
        sources = args.patients_dir
        if sources is None:
            from clinimem_eval.synth import generate

            written = generate(60, 0, Path(store_dir) / "patients")
            sources = [
                str(p)
                for p in written
                if p.suffix == ".json" and ".truth" not in p.name and p.name != "manifest.json"
            ]
        load_sources(
            sources if isinstance(sources, list) else [sources], store_location=str(Path(store_dir) / "store")
        )
        store_dir = str(Path(store_dir) / "store")
    engine = Clinimem(shared_store(store_dir))
    if args.largest:
        patient = max(engine.patients(), key=lambda p: p.entries)
    else:
        patient = min(engine.patients(), key=lambda p: abs(p.entries - 1000))
    print(f"patient {patient.patient_id}: {patient.entries} entries; {args.rounds} questions per system")
    rows = {}
    for system in args.systems.split(","):
        for q in QUESTIONS:  # warm: model loaded, patient memory and slots cached
            engine.ask(patient.patient_id, q, system=system)
        times = []
        for i in range(args.rounds):
            started = time.perf_counter()
            engine.ask(patient.patient_id, QUESTIONS[i % len(QUESTIONS)], system=system)
            times.append((time.perf_counter() - started) * 1000)
        rows[system] = {
            "p50_ms": round(percentile(times, 0.5), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "mean_ms": round(statistics.fmean(times), 1),
        }
    print(f"{'system':<12} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for system, row in rows.items():
        print(f"{system:<12} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['mean_ms']:>8}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"patient_entries": patient.entries, "threads": args.threads, "systems": rows}, indent=2
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

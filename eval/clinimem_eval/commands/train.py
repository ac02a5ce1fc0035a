"""``clinimem train``: train the controller on the evaluation harness's training questions.

Synthetic patients are generated (their own seed, so the evaluation suite's
patients are never seen), loaded into a scratch store, and asked the harness's
questions; only the ``train`` split is used (held-out patients and held-out
phrasings never are). Writes the weights and a training log.

The data preparation (patients, questions, the scratch store) is the evaluation
package's; the training itself is the core's (``clinimem.controller.train``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

HELP = "train the controller on the evaluation harness's training questions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # imported here, not at module level: `clinimem --help` imports this module and must not load torch
    from clinimem.controller.answerer import WEIGHTS

    parser.add_argument("--patients", type=int, default=200, help="synthetic training patients (default 200)")
    parser.add_argument(
        "--seed", type=int, default=1000, help="patient seed; the eval suite uses 0 (default 1000)"
    )
    parser.add_argument(
        "--per-patient", type=int, default=30, help="questions drawn per patient (default 30)"
    )
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument(
        "--notes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also train on the harness's note questions (default on)",
    )
    parser.add_argument(
        "--records",
        nargs="*",
        default=[],
        metavar="DIR",
        help="folders of real FHIR bundles to train on as well (questions computed from their FHIR JSON)",
    )
    parser.add_argument(
        "--records-per-patient", type=int, default=15, help="questions drawn per real patient (default 15)"
    )
    parser.add_argument(
        "--name-variants",
        type=int,
        default=2,
        help="draws per patient, each naming concepts anew (default 2)",
    )
    parser.add_argument(
        "--phrasings", type=int, default=3, help="phrasings kept per drawn question (default 3)"
    )
    parser.add_argument("--noise", type=float, default=0.4, help="share of questions typed with noise")
    parser.add_argument(
        "--held-out-vocabulary",
        type=float,
        default=0.2,
        help="share of concept codes never asked about in training (default 0.2)",
    )
    parser.add_argument("--hops", type=int, default=2)
    parser.add_argument(
        "--train-seed", type=int, default=0, help="seed of the model's initialisation and order"
    )
    parser.add_argument("--threads", type=int, default=2, help="torch threads (1 on a busy machine)")
    parser.add_argument("--out", default=str(WEIGHTS), help=f"weights file (default {WEIGHTS})")
    parser.add_argument("--log", help="training log as JSON (default: next to the weights)")
    parser.add_argument(
        "--work", help="folder for the patients and the scratch store (default: a temp folder)"
    )


def run(args: argparse.Namespace) -> int:
    from clinimem.api import Clinimem
    from clinimem.controller.train import TrainConfig, make_example, save, train
    from clinimem.ingest import load_sources
    from clinimem_eval.questions.variants import training_questions
    from clinimem_eval.synth import generate

    started = time.perf_counter()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="clinimem-train-"))
    patients_dir = work / "patients"
    bundles = sorted(
        p
        for p in generate(args.patients, args.seed, patients_dir)
        if p.name.endswith(".json") and not p.name.endswith(".truth.json") and p.name != "manifest.json"
    )
    records = sorted(p for folder in args.records for p in Path(folder).glob("*.json"))
    loaded = load_sources([str(b) for b in bundles + records], store_location=str(work / "store"))
    print(
        f"{len(bundles)} synthetic and {len(records)} real patients, "
        f"{loaded.report.total_loaded} resources loaded in {loaded.seconds:.1f} s"
    )
    variants = dict(
        variants=args.name_variants,
        phrasings=args.phrasings,
        noise=args.noise,
        held_out=args.held_out_vocabulary,
    )
    synthetic = training_questions(
        bundles, seed=args.seed, per_patient=args.per_patient, notes=args.notes, **variants
    )
    # synthetic: held-out patients and phrasings stay out (they are the synthetic test split)
    train_questions = [q for q in synthetic if q.split == "train"]
    real = training_questions(records, seed=args.seed, per_patient=args.records_per_patient, **variants)
    train_questions += real
    print(
        f"{len(train_questions)} training questions ({len(train_questions) - len(real)} synthetic, "
        f"{len(real)} from real records; {len({q.patient_id for q in train_questions})} patients)"
    )
    from clinimem.memory.store import shared_store

    # load_sources wrote through this process's shared store; read through the same one
    engine = Clinimem(shared_store(str(work / "store")))
    memories = {pid: engine.memory(pid) for pid in sorted({q.patient_id for q in train_questions})}
    examples = [
        make_example(
            memories[q.patient_id],
            question=q.question,
            op=q.op,
            kind=q.answer["kind"],
            evidence_entries=q.evidence_entries,
            hops=q.hops,
            category=q.category,
        )
        for q in train_questions
    ]
    cfg = TrainConfig(epochs=args.epochs, hops=args.hops, seed=args.train_seed, threads=args.threads)

    def progress(epoch: int, row: dict[str, float]) -> None:
        shown = ", ".join(f"{k} {v:.3f}" for k, v in row.items() if k not in ("epoch",))
        print(f"epoch {epoch}/{cfg.epochs}: {shown}", flush=True)

    model, log = train(examples, memories, cfg, progress=progress)
    meta = {
        "patients": args.patients,
        "patient_seed": args.seed,
        "per_patient": args.per_patient,
        "notes": args.notes,
        "records": [str(Path(r)) for r in args.records],
        "real_patients": len(records),
        "name_variants": args.name_variants,
        "phrasings": args.phrasings,
        "noise": args.noise,
        "held_out_vocabulary": args.held_out_vocabulary,
        "examples": len(examples),
        "train_seconds": round(log.seconds, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        "config": log.config,
    }
    out = save(model, Path(args.out), meta)
    log_path = Path(args.log) if args.log else out.with_suffix(".log.json")
    log_path.write_text(json.dumps({"meta": meta, "epochs": log.epochs}, indent=2) + "\n", encoding="utf-8")
    print(
        f"weights: {out} ({out.stat().st_size / 1e6:.1f} MB); log: {log_path}; {meta['total_seconds']} s in all"
    )
    return 0

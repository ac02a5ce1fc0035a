"""``clinimem eval``: the seeded evaluation suite on synthetic patients, all systems side by side.

Example::

    clinimem eval --patients 200 --seed 0 --systems dense,bm25,oracle --out eval-out

generates the patients (``clinimem synth``) into ``OUT/patients``, loads them
into an embedded store (``OUT/store``, or ``--store``), writes about ten
questions per patient to ``OUT/questions.jsonl``, runs each system on the
questions of ``--split`` (default ``test``: held-out patients and held-out
phrasings) and writes ``report.md``, ``results.jsonl`` and PNG plots.
``--synthea DIR`` scores the questions computable from real bundles in DIR
as a separate section. The harness (``clinimem_eval.harness``) is imported only
when this command runs.

``clinimem eval babi [--joint] [--hops K] ...`` is a different evaluation: the
controller's hops as a memory network on bAbI 1k (``clinimem_eval.commands.eval_babi``,
also ``clinimem eval-babi``). ``clinimem`` dispatches it before this command's
options are parsed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HELP = "score answering systems side by side on synthetic patients (`eval babi`: bAbI 1k)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # keeps the epilog's lines
    parser.epilog = (
        "bAbI 1k, a separate evaluation (the controller's hops as a memory network):\n"
        "  clinimem eval babi [--joint] [--hops K[,K]] [--tasks T[,T]] [--out DIR] ...\n"
        "Its options: clinimem eval babi --help. Also spelled clinimem eval-babi."
    )
    parser.add_argument(
        "--patients", type=int, default=200, metavar="N", help="synthetic patients (default 200)"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument(
        "--systems",
        "--system",
        metavar="A,B",
        help="answering systems by name: dense, bm25, oracle, controller, or module:Class "
        "(default: dense,bm25,oracle,controller, skipping any that cannot be built)",
    )
    parser.add_argument(
        "--split", choices=("test", "all"), default="test", help="which questions to score (default test)"
    )
    parser.add_argument("--out", type=Path, default=Path("eval-out"), metavar="DIR", help="output folder")
    parser.add_argument("--store", type=Path, metavar="DIR", help="embedded store folder (default OUT/store)")
    parser.add_argument(
        "--synthea", type=Path, metavar="DIR", help="also score questions on real bundles in DIR"
    )
    parser.add_argument(
        "--per-patient", type=int, default=10, metavar="K", help="questions per patient (default 10)"
    )
    parser.add_argument(
        "--notes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ask questions answered from note mentions too (synthetic patients; default on)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, metavar="T", help="torch threads while answering (default 1)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    if args.patients < 1 or args.per_patient < 1:
        print("clinimem eval: --patients and --per-patient must be 1 or more", file=sys.stderr)
        return 2
    if args.synthea and not args.synthea.is_dir():
        print(f"clinimem eval: --synthea {args.synthea} is not a folder", file=sys.stderr)
        return 2
    from clinimem_eval.harness import EvalConfig, run_eval
    from clinimem_eval.report import by_category

    systems = tuple(s.strip() for s in args.systems.split(",") if s.strip()) if args.systems else None
    config = EvalConfig(
        out=args.out,
        patients=args.patients,
        seed=args.seed,
        systems=systems,
        split=args.split,
        store=args.store,
        synthea=args.synthea,
        per_patient=args.per_patient,
        threads=args.threads,
        notes=args.notes,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    started = time.perf_counter()
    result = run_eval(config)
    for name, why in result.skipped.items():
        print(f"skipped {name}: {why}")
    for section in result.questions:
        for system in result.systems:
            rows = result.of(section, system)
            if rows:
                o = by_category(rows)["overall"]
                print(
                    f"{section:9s} {system:10s} n={o.n:5d} accuracy {100 * o.accuracy:5.1f}%  "
                    f"citation F1 {100 * o.citation_f1:5.1f}%  p50 {o.latency_p50:7.1f} ms  "
                    f"p95 {o.latency_p95:7.1f} ms"
                )
    print(f"report: {result.report_path} ({time.perf_counter() - started:.0f} s)")
    return 0

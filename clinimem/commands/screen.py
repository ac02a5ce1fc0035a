"""``clinimem screen``: ask a criteria file's questions of many patients and flag who meets them.

Examples::

    clinimem screen docs/examples/ldl_no_statin.yaml --out ldl.jsonl
    clinimem screen criteria.yaml --patients ids.txt --out flags.csv --workers 2
    clinimem screen criteria.yaml --out flags.parquet --ray local
    clinimem screen criteria.yaml --out flags.jsonl --ray 10.0.0.5:6379 --qdrant-url http://qdrant:6333

Run it again with the same ``--out`` to resume after a crash or Ctrl-C: the
patients already written are skipped. Each row holds every criterion's
verdict (met / not met / unknown), the answer and the resources it cited.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clinimem.settings import add_store_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("criteria", type=Path, metavar="CRITERIA.yaml", help="the criteria file")
    parser.add_argument(
        "--patients",
        default="all",
        metavar="FILE|all",
        help="patient ids, one a line (or a JSON list); default: every patient in the memory",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("screen.jsonl"),
        metavar="FILE",
        help="results: .jsonl (streamed), .csv or .parquet (written at the end); default screen.jsonl",
    )
    parser.add_argument(
        "--workers", type=int, default=0, metavar="N", help="local worker processes (with --ray: actors)"
    )
    parser.add_argument(
        "--ray", metavar="ADDRESS|local", help="spread patients over a Ray cluster, or a private local one"
    )
    parser.add_argument("--system", default="controller", metavar="NAME", help="answering system")
    parser.add_argument(
        "--threads", type=int, default=1, metavar="N", help="compute threads per process (default 1)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_store_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from clinimem.screen import ScreenJob, load_criteria, read_patient_file, run_job
    from clinimem.screen.output import output_format

    if args.workers < 0 or args.threads < 1:
        print("clinimem screen: --workers must be 0 or more, --threads 1 or more", file=sys.stderr)
        return 2
    output_format(args.out)  # an unknown output type fails before any work
    criteria = load_criteria(args.criteria)
    for problem in criteria.errors:
        print(f"clinimem screen: {args.criteria}: {problem} (reported as unknown)", file=sys.stderr)
    patients = None if args.patients == "all" else read_patient_file(args.patients)
    job = ScreenJob(
        criteria=criteria,
        out=args.out,
        system=args.system,
        patients=patients,
        workers=args.workers,
        ray=args.ray,
        store=args.store,
        qdrant_url=args.qdrant_url,
        progress=not args.no_progress and sys.stderr.isatty(),
        threads=args.threads,
    )
    summary = run_job(job)
    print(summary.render())
    return 0

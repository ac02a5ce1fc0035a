"""``clinimem synth``: write synthetic FHIR R4 patients with known ground truth.

Example::

    clinimem synth --patients 20 --seed 0 --out data/synth

writes ``{patient_id}.json`` (a transaction Bundle), ``{patient_id}.truth.json``
and ``manifest.json``. The generator (``clinimem_eval.synth``) is imported only
when this command runs; the evaluation package registers the command (entry point
``clinimem.commands``), so the core never imports it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HELP = "write synthetic FHIR R4 patients with ground truth"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--patients", type=int, default=20, metavar="N", help="how many patients (default 20)"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write into")


def run(args: argparse.Namespace) -> int:
    if args.patients < 0:
        print("clinimem synth: --patients must be 0 or more", file=sys.stderr)
        return 2
    from clinimem_eval.synth import generate

    started = time.perf_counter()
    paths = generate(args.patients, args.seed, args.out)
    seconds = time.perf_counter() - started
    for path in paths:
        print(path)
    print(
        f"wrote {args.patients} patients (seed {args.seed}) to {args.out}: "
        f"{len(paths)} files in {seconds:.2f} s"
    )
    return 0

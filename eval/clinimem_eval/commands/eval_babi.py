"""``clinimem eval babi`` (also ``clinimem eval-babi``): the controller's hops as a memory network on bAbI.

Trains the bAbI memory network (``clinimem_eval.babi``: clinimem's HopBlock
with learned word embeddings) on the 20 English 1k tasks with 1, 2 and 3 hops,
and writes per-task test error, mean error and failed tasks (error > 5%) beside
MemN2N's published 1k result, as ``babi.md``, ``babi.png`` and ``results.json``.

Example::

    clinimem eval babi --joint --workers 2 --out out/babi
    clinimem eval babi --tasks 2,3,16 --hops 1,2,3 --out out/babi-hops

The bAbI files are read from ``--data`` (default: ``$CLINIMEM_BABI_DIR``, else
``../shared/data/babi/en`` beside the repository); nothing else needs them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HELP = "the controller's hops as a memory network on bAbI (1k); also `clinimem eval babi`"
# eval/clinimem_eval/commands/ -> the folder that holds the repository
DEFAULT_DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "babi" / "en"


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from err
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--joint", action="store_true", help="one model for all tasks (default: one per task)"
    )
    parser.add_argument(
        "--hops", type=_ints, default=(1, 2, 3), metavar="K[,K]", help="hop counts (default 1,2,3)"
    )
    parser.add_argument(
        "--tasks", type=_ints, default=None, metavar="T[,T]", help="bAbI tasks (default all 20)"
    )
    parser.add_argument("--out", type=Path, default=Path("out/babi"), metavar="DIR", help="output folder")
    parser.add_argument("--data", type=Path, default=None, metavar="DIR", help="bAbI English 1k task files")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument("--epochs", type=int, default=None, metavar="N", help="training epochs")
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="parallel training processes")
    parser.add_argument("--threads", type=int, default=1, metavar="N", help="torch threads per process")
    parser.add_argument(
        "--supervise-attention",
        type=float,
        default=0.0,
        metavar="W",
        help="weight of supporting-fact supervision of hop attention: a separate, strongly supervised "
        "variant (default 0: weakly supervised, answers only, as MemN2N)",
    )


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from clinimem_eval.babi.reader import ALL_TASKS, TASK_NAMES
    from clinimem_eval.babi.report import markdown_table, plot
    from clinimem_eval.babi.sweep import SweepConfig, run_sweep
    from clinimem_eval.babi.train import TrainConfig

    data = args.data or Path(os.environ.get("CLINIMEM_BABI_DIR") or DEFAULT_DATA)
    tasks = args.tasks or ALL_TASKS
    unknown = [t for t in tasks if t not in TASK_NAMES]
    if unknown:
        print(f"clinimem eval babi: unknown task(s) {unknown}; tasks are 1..20", file=sys.stderr)
        return 2
    train_cfg = TrainConfig(seed=args.seed, threads=args.threads, attention_loss=args.supervise_attention)
    if args.epochs is not None:
        train_cfg = dataclasses.replace(train_cfg, epochs=args.epochs)
    cfg = SweepConfig(
        tasks=tuple(tasks), hops=args.hops, joint=args.joint, workers=args.workers, train=train_cfg
    )
    result = run_sweep(data, cfg, progress=lambda line: print(line, flush=True))
    args.out.mkdir(parents=True, exist_ok=True)
    table = markdown_table(result)
    variant = (
        "strongly supervised (supporting facts)" if args.supervise_attention > 0 else "weakly supervised"
    )
    header = (
        f"# bAbI 1k, {'joint' if args.joint else 'per task'}, {variant}, seed {args.seed}\n\n"
        f"Test error (%) per task; {result.seconds / 60:.1f} min.\n\n"
    )
    (args.out / "babi.md").write_text(header + table)
    plot(result, args.out / "babi.png")
    (args.out / "results.json").write_text(json.dumps(dataclasses.asdict(result), indent=1))
    print(table)
    print(f"wrote {args.out / 'babi.md'}, {args.out / 'babi.png'}, {args.out / 'results.json'}")
    return 0

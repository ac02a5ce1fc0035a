"""The bAbI sweep: every task with 1, 2 and 3 hops, jointly or one model per task.

Each (hops, tasks) training is an independent job seeded from the sweep's seed,
so jobs can run in parallel processes (``workers``) without changing a number.

Example::

    result = run_sweep(Path("../shared/data/babi/en"), SweepConfig(joint=True, workers=2))
    result.errors[3][16]  # test error of task 16 with 3 hops
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clinimem_eval.babi.reader import ALL_TASKS, Sample, load_task
from clinimem_eval.babi.train import TrainConfig, TrainResult, train

log = logging.getLogger(__name__)

FAIL_THRESHOLD = 0.05  # a task is failed when its test error exceeds 5% (Weston et al. 2015)


@dataclass
class SweepConfig:
    tasks: tuple[int, ...] = ALL_TASKS
    hops: tuple[int, ...] = (1, 2, 3)
    joint: bool = True
    workers: int = 1  # parallel training processes, each with train.threads threads
    train: TrainConfig = field(default_factory=TrainConfig)


@dataclass
class SweepResult:
    config: dict[str, Any]
    errors: dict[int, dict[int, float]]  # hops -> task -> test error in [0, 1]
    runs: list[dict[str, Any]]  # one per training job: hops, tasks, seconds, best epoch, history
    seconds: float

    def mean_error(self, hops: int) -> float:
        errs = self.errors[hops]
        return sum(errs.values()) / len(errs)

    def failed(self, hops: int) -> int:
        return sum(e > FAIL_THRESHOLD for e in self.errors[hops].values())


def _job(data_dir: str, tasks: tuple[int, ...], cfg: TrainConfig) -> TrainResult:
    """One training (run in a worker process): load the tasks, train, test."""
    train_samples: list[Sample] = []
    test_samples: list[Sample] = []
    for task in tasks:
        tr, te = load_task(Path(data_dir), task)
        train_samples += tr
        test_samples += te
    result, _model, _vocab = train(train_samples, test_samples, cfg)
    return result


def run_sweep(
    data_dir: Path, cfg: SweepConfig, progress: Callable[[str], None] = lambda _: None
) -> SweepResult:
    """Train and test every (hops, task group) of the sweep; groups are all tasks (joint) or one each."""
    started = time.perf_counter()
    groups = [tuple(cfg.tasks)] if cfg.joint else [(t,) for t in cfg.tasks]
    jobs = [(k, g, dataclasses.replace(cfg.train, hops=k)) for k in cfg.hops for g in groups]
    errors: dict[int, dict[int, float]] = {k: {} for k in cfg.hops}
    runs: list[dict[str, Any]] = []

    def record(k: int, group: tuple[int, ...], result: TrainResult) -> None:
        errors[k].update(result.test_error)
        runs.append(
            {
                "hops": k,
                "tasks": list(group),
                "seconds": round(result.seconds, 1),
                "best_epoch": result.best_epoch,
                "val_error": result.val_error,
                "history": result.history,
            }
        )
        shown = ", ".join(f"{t}: {100 * e:.1f}" for t, e in sorted(result.test_error.items()))
        progress(f"{k} hop(s), tasks {shown} (% error) in {result.seconds:.0f} s")

    if cfg.workers <= 1:
        for k, group, tcfg in jobs:
            record(k, group, _job(str(data_dir), group, tcfg))
    else:
        # spawn, not fork: a forked torch with threads already started can deadlock
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=cfg.workers, mp_context=ctx) as pool:
            # the most hops first: the longest jobs start first, so the pool ends together
            by_cost = sorted(jobs, key=lambda job: -job[0])
            futures = [(k, g, pool.submit(_job, str(data_dir), g, tcfg)) for k, g, tcfg in by_cost]
            for k, group, future in futures:
                record(k, group, future.result())
    return SweepResult(
        config=dataclasses.asdict(cfg),
        errors={k: dict(sorted(v.items())) for k, v in errors.items()},
        runs=runs,
        seconds=time.perf_counter() - started,
    )

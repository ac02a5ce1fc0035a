"""clinimem's controller hops as an End-To-End Memory Network on the 20 bAbI tasks (English, 1k).

API::

    from clinimem_eval.babi import load_task, TrainConfig
    from clinimem_eval.babi.train import train
    train_samples, test_samples = load_task(Path("../shared/data/babi/en"), 2)
    result, model, vocab = train(train_samples, test_samples, TrainConfig(hops=3))
    result.test_error  # {2: 0.08}

Modules: ``reader`` (the task files), ``vocab`` (words, answer classes,
tensors), ``model`` (word embeddings + clinimem's HopBlock), ``train``,
``sweep`` (1/2/3 hops, joint or per task) and ``report`` (table and plot beside
MemN2N). The command is ``clinimem eval babi`` (``clinimem eval-babi``);
the results are in ``docs/babi.md``. The bAbI files are read only here: the
product never needs them.
"""

from clinimem_eval.babi.reader import ALL_TASKS, TASK_NAMES, Sample, load_task
from clinimem_eval.babi.train import TrainConfig, TrainResult

__all__ = ["ALL_TASKS", "TASK_NAMES", "Sample", "TrainConfig", "TrainResult", "load_task"]

"""PNG plots of a run: accuracy by category per system, latency distribution per system."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from clinimem_eval.metrics import summarize
from clinimem_eval.report import asked_categories

if TYPE_CHECKING:
    from clinimem_eval.harness import EvalResult


def write_plots(result: EvalResult, out: Path, section: str = "synthetic") -> list[Path]:
    """``accuracy_by_category.png`` and ``latency.png`` for one section (Agg backend, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    systems = [s for s in result.systems if result.of(section, s)]
    if not systems:
        return []
    written = []

    categories = asked_categories(result, section)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    width = 0.8 / len(systems)
    x = np.arange(len(categories) + 1)
    for i, system in enumerate(systems):
        rows = result.of(section, system)
        values = [summarize([r.score for r in rows if r.question.category == c]).accuracy for c in categories]
        values.append(summarize([r.score for r in rows]).accuracy)
        ax.bar(x + (i - (len(systems) - 1) / 2) * width, [100 * v for v in values], width, label=system)
    ax.set_xticks(x, [*categories, "overall"])
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 105)
    ax.set_title(f"Answer accuracy by category ({section})")
    ax.legend(ncols=len(systems), loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
    fig.tight_layout()
    path = out / "accuracy_by_category.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)

    fig, ax = plt.subplots(figsize=(8, 4.5))
    data = [[max(r.score.latency_ms, 1e-3) for r in result.of(section, s)] for s in systems]
    ax.boxplot(data, tick_labels=systems, showfliers=True, whis=(5, 95))
    ax.set_yscale("log")
    ax.set_ylabel("latency per question (ms, log)")
    ax.set_title(f"Latency distribution ({section}; whiskers p5-p95)")
    fig.tight_layout()
    path = out / "latency.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)
    return written

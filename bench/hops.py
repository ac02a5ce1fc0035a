"""What the hops read: per category, how often each hop's strongest read is a gold entry.

    python bench/hops.py EVAL_OUT [EVAL_OUT ...] [--system controller]

Reads the ``questions.jsonl`` and ``results.jsonl`` that ``clinimem eval --out EVAL_OUT``
wrote (so it re-answers nothing). The generator knows each question's entries per hop
(``hops``: the anchor event first, then the targets, for multi-hop questions; the targets
alone otherwise). For every answered question with gold hops it reports, per category:

- **hop 1 -> anchor**: on questions with an anchor (two gold hop sets), the share whose
  hop-1 top read is an anchor entry ("the visit when lisinopril was started");
- **last hop -> target**: the share whose last hop's top read is a target entry;
- **mass on gold**: the mean attention weight the last hop puts on target entries (from the
  top reads the answer's hop trace keeps, so a lower bound).

Several folders (for example a 1-hop and a 2-hop model on the same suite) print side by side.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from clinimem_eval.questions.model import CATEGORIES


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def hop_reads(out: Path, system: str = "controller") -> dict[str, dict[str, float]]:
    """Per category (and ``overall``): n, anchor share, target share, mass on gold targets."""
    gold = {q["qid"]: q for q in _read_jsonl(out / "questions.jsonl")}
    tallies: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in _read_jsonl(out / "results.jsonl"):
        question = gold.get(row.get("qid"))
        if row.get("system") != system or question is None or row.get("section", "synthetic") != "synthetic":
            continue
        gold_hops = [set(h) for h in question.get("hops") or [] if h]
        trace = (row.get("answer") or {}).get("hops") or []
        if not gold_hops or not trace:
            continue
        targets = gold_hops[-1]
        last = trace[-1]["attended"]
        for key in (question["category"], "overall"):
            t = tallies[key]
            t["n"] += 1
            t["target"] += bool(last) and last[0]["entry_id"] in targets
            t["mass"] += sum(a["weight"] for a in last if a["entry_id"] in targets)
            if len(gold_hops) >= 2:
                t["anchored"] += 1
                first = trace[0]["attended"]
                t["anchor"] += bool(first) and first[0]["entry_id"] in gold_hops[0]
    return {
        key: {
            "n": t["n"],
            "anchored": t["anchored"],
            "anchor": t["anchor"] / t["anchored"] if t["anchored"] else float("nan"),
            "target": t["target"] / t["n"],
            "mass": t["mass"] / t["n"],
        }
        for key, t in tallies.items()
    }


def _pct(value: float) -> str:
    return "–" if value != value else f"{100 * value:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outs", nargs="+", type=Path, help="folders written by `clinimem eval --out`")
    parser.add_argument("--system", default="controller")
    args = parser.parse_args(argv)
    tables = {str(out): hop_reads(out, args.system) for out in args.outs}
    order = [c for c in (*CATEGORIES, "overall") if any(c in t for t in tables.values())]
    header = ["category"]
    for name in tables:
        header += [f"n ({name})", "hop 1 -> anchor", "last hop -> target", "mass on gold"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for category in order:
        row = [category]
        for table in tables.values():
            t = table.get(category)
            row += (
                [f"{int(t['n'])}", _pct(t["anchor"]), _pct(t["target"]), _pct(t["mass"])]
                if t
                else ["0", "–", "–", "–"]
            )
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

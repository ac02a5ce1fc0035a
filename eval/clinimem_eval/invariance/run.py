"""Ask every phrasing of every invariance fact and score the answers.

    clinimem ingest /work/shared/data/synthea-r4 --store /tmp/inv-store
    python -m clinimem_eval.invariance.run --facts eval/clinimem_eval/invariance/facts_synthea_r4.jsonl \
        --store /tmp/inv-store --system controller,dense --out out/invariance [--limit N]

Scoring of one (fact, phrasing) pair:

- an abstention fact (gold kind ``none``) is correct when the answer abstains;
- any other fact is correct when the answer does not abstain, its value matches the gold
  (numbers within 1 % or 0.01, dates on the same day, booleans, counts and trend labels equal,
  lists equal as case-insensitive sets, text when the answer contains the gold text, case-insensitive,
  e.g. "Never smoker" in "never smoker (2019-06-25)") AND at least one citation is one of the fact's
  ``gold_resources``: a right-looking value read from the wrong concept is never correct.

Reported (``report.md``; one line per pair in ``results.jsonl``): accuracy over all pairs, per
category, per phrasing style and per operation; invariance (share of facts whose phrasings all
got the same outcome and the same answer value); abstention precision and recall (abstaining
as the positive class, over all pairs); wrong abstentions (abstained on an answerable fact);
citation precision, recall and F1 of the cited resources against ``gold_resources`` over the
answerable pairs (mean per pair, and micro).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

CATEGORIES = ("lookup", "temporal", "trend", "aggregation", "update", "multihop", "abstention", "everyday")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


# ----------------------------------------------------------------------------- scoring


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        m = re.search(r"-?\d+(?:\.\d+)?", value)
        return float(m.group()) if m else None
    return None


def _norm_text(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\u200b", "")).strip().lower()


def value_matches(gold: dict, value: Any) -> bool:
    """Whether an answer's value is the gold value (see the module docstring for the rules)."""
    kind, g = gold["kind"], gold.get("value")
    if kind == "value":
        a = _number(value)
        return a is not None and (abs(a - g) <= 0.01 or abs(a - g) <= 0.01 * abs(g))
    if kind == "date":
        return isinstance(value, str) and value[:10] == g
    if kind == "boolean":
        return isinstance(value, bool) and value == g
    if kind == "count":
        a = _number(value)
        return a is not None and float(a).is_integer() and int(a) == g
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            return False
        return {_norm_text(v) for v in value} == {_norm_text(v) for v in g}
    if kind == "trend":
        return isinstance(value, str) and value.strip().lower() == g
    if kind == "text":
        return isinstance(value, str) and _norm_text(g) in _norm_text(value)
    raise ValueError(f"unknown gold kind {kind!r}")


def normalized_value(answer: Any) -> Any:
    """An answer's value in a form two phrasings can be compared by (invariance)."""
    if answer.abstained:
        return ("abstained",)
    v = answer.answer.value
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return float(f"{float(v):.4g}")
    if isinstance(v, (list, tuple)):
        return tuple(sorted(_norm_text(x) for x in v))
    if isinstance(v, str):
        return v[:10] if _DATE.match(v) else _norm_text(v)
    return repr(v)


def citation_prf(cited: Sequence[str], gold: Sequence[str]) -> tuple[float, float, float]:
    cited_set, gold_set = set(cited), set(gold)
    hit = len(cited_set & gold_set)
    p = hit / len(cited_set) if cited_set else 0.0
    r = hit / len(gold_set) if gold_set else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score(fact: dict, answer: Any) -> dict:
    """Score one answer (anything shaped like ``clinimem.answer.Answer``) against one fact."""
    gold = fact["gold"]
    abstained = bool(answer.abstained) or answer.answer.kind == "none"
    cited = [c.resource for c in answer.citations]
    out: dict[str, Any] = {"abstained": abstained, "cited": cited}
    if gold["kind"] == "none":
        out.update(correct=abstained, outcome="correct" if abstained else "answered_unanswerable")
        out.update(value_ok=abstained, citation_ok=abstained)
        return out
    gold_res = set(fact["gold_resources"])
    value_ok = not abstained and value_matches(gold, answer.answer.value)
    citation_ok = any(c in gold_res for c in cited)
    p, r, f = citation_prf(cited, fact["gold_resources"])
    if abstained:
        outcome = "wrong_abstention"
    elif not value_ok:
        outcome = "wrong_value"
    elif not citation_ok:
        outcome = "wrong_citation"
    else:
        outcome = "correct"
    out.update(
        correct=outcome == "correct",
        outcome=outcome,
        value_ok=value_ok,
        citation_ok=citation_ok,
        cit_p=p,
        cit_r=r,
        cit_f1=f,
    )
    return out


# ----------------------------------------------------------------------------- running


def load_facts(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def limit_facts(facts: list[dict], limit: int | None) -> list[dict]:
    """The first ``limit`` facts in a category-stratified order (every category keeps its share)."""
    if not limit or limit >= len(facts):
        return facts
    by_cat: dict[str, list[dict]] = defaultdict(list)
    for f in facts:
        by_cat[f["category"]].append(f)
    taken: Counter = Counter()
    chosen: list[dict] = []
    while len(chosen) < limit:
        open_cats = [c for c in by_cat if taken[c] < len(by_cat[c])]
        if not open_cats:
            break
        cat = min(open_cats, key=lambda c: (taken[c] / len(by_cat[c]), c))
        chosen.append(by_cat[cat][taken[cat]])
        taken[cat] += 1
    order = {id(f): i for i, f in enumerate(facts)}
    return sorted(chosen, key=lambda f: order[id(f)])


def ask_all(engine: Any, facts: list[dict], system: str, sink: Any, progress_every: int = 200) -> list[dict]:
    rows: list[dict] = []
    total = sum(len(f["phrasings"]) for f in facts)
    started = time.perf_counter()
    done = 0
    for fact in facts:
        styles = fact.get("phrasing_styles") or ["unlabelled"] * len(fact["phrasings"])
        for question, style in zip(fact["phrasings"], styles, strict=True):
            t0 = time.perf_counter()
            row: dict[str, Any] = {
                "system": system,
                "fact_id": fact["fact_id"],
                "patient_id": fact["patient_id"],
                "category": fact["category"],
                "op": fact.get("op", ""),
                "style": style,
                "question": question,
                "gold": fact["gold"],
                "gold_resources": fact["gold_resources"],
            }
            try:
                answer = engine.ask(fact["patient_id"], question, system=system)
            except Exception as exc:  # noqa: BLE001 - one failing question must not stop the run
                row.update(
                    correct=False,
                    outcome="error",
                    error=f"{type(exc).__name__}: {exc}",
                    abstained=False,
                    cited=[],
                    value_ok=False,
                    citation_ok=False,
                    norm_value=("error",),
                )
                if fact["gold"]["kind"] != "none":
                    row.update(cit_p=0.0, cit_r=0.0, cit_f1=0.0)
            else:
                row.update(score(fact, answer))
                row["answer"] = answer.answer.to_dict() if hasattr(answer.answer, "to_dict") else None
                row["norm_value"] = normalized_value(answer)
            row["ms"] = round((time.perf_counter() - t0) * 1000, 1)
            rows.append(row)
            sink.write(json.dumps(row, default=list) + "\n")
            done += 1
            if progress_every and done % progress_every == 0:
                rate = done / (time.perf_counter() - started)
                print(f"[{system}] {done}/{total} questions, {rate:.1f}/s", file=sys.stderr, flush=True)
    return rows


# ----------------------------------------------------------------------------- metrics


def _acc(rows: Iterable[dict]) -> tuple[float, int]:
    rows = list(rows)
    return (sum(r["correct"] for r in rows) / len(rows) if rows else float("nan")), len(rows)


def invariance(rows: list[dict]) -> dict[str, Any]:
    by_fact: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_fact[r["fact_id"]].append(r)
    inv, inv_correct, flip = 0, 0, 0
    per_cat: dict[str, list[bool]] = defaultdict(list)
    for rs in by_fact.values():
        outcomes = {(r["correct"], json.dumps(r.get("norm_value"), default=list)) for r in rs}
        same = len(outcomes) == 1
        inv += same
        inv_correct += same and rs[0]["correct"]
        flip += len({r["correct"] for r in rs}) > 1
        per_cat[rs[0]["category"]].append(same)
    n = len(by_fact)
    return {
        "facts": n,
        "invariant": inv / n if n else float("nan"),
        "invariant_all_correct": inv_correct / n if n else float("nan"),
        "correct_in_some_not_all": flip / n if n else float("nan"),
        "per_category": {c: sum(v) / len(v) for c, v in per_cat.items()},
    }


def summarize(rows: list[dict]) -> dict[str, Any]:
    answerable = [r for r in rows if r["gold"]["kind"] != "none"]
    unanswerable = [r for r in rows if r["gold"]["kind"] == "none"]
    tp = sum(r["abstained"] for r in unanswerable)
    fp = sum(r["abstained"] for r in answerable)
    fn = len(unanswerable) - tp
    f1s = [r.get("cit_f1", 0.0) for r in answerable]
    ps = [r.get("cit_p", 0.0) for r in answerable]
    rs_ = [r.get("cit_r", 0.0) for r in answerable]
    hit = cited_n = gold_n = 0
    for r in answerable:
        cited, gold = set(r.get("cited", [])), set(r.get("gold_resources", []))
        hit, cited_n, gold_n = hit + len(cited & gold), cited_n + len(cited), gold_n + len(gold)
    micro_p = hit / cited_n if cited_n else 0.0
    micro_r = hit / gold_n if gold_n else 0.0
    micro_f = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0
    overall, n = _acc(rows)
    return {
        "pairs": n,
        "accuracy": overall,
        "per_category": {c: _acc(r for r in rows if r["category"] == c) for c in CATEGORIES},
        "per_style": {
            s: _acc(r for r in rows if r["style"] == s) for s in sorted({r["style"] for r in rows})
        },
        "per_op": {o: _acc(r for r in rows if r["op"] == o) for o in sorted({r["op"] for r in rows})},
        "outcomes": Counter(r["outcome"] for r in rows),
        "invariance": invariance(rows),
        "abstention_precision": tp / (tp + fp) if tp + fp else float("nan"),
        "abstention_recall": tp / (tp + fn) if tp + fn else float("nan"),
        "wrong_abstentions": fp,
        "answerable_pairs": len(answerable),
        "citation_precision": sum(ps) / len(ps) if ps else float("nan"),
        "citation_recall": sum(rs_) / len(rs_) if rs_ else float("nan"),
        "citation_f1": sum(f1s) / len(f1s) if f1s else float("nan"),
        "citation_micro_f1": micro_f,
        "citation_hit": sum(r["citation_ok"] for r in answerable) / len(answerable)
        if answerable
        else float("nan"),
        "ms_mean": sum(r["ms"] for r in rows) / len(rows) if rows else float("nan"),
    }


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


def render_report(summaries: dict[str, dict], facts: list[dict], args: argparse.Namespace) -> str:
    systems = list(summaries)
    head = "| | " + " | ".join(systems) + " |\n|---|" + "---|" * len(systems) + "\n"

    def row(label: str, cells: Iterable[str]) -> str:
        return f"| {label} | " + " | ".join(cells) + " |\n"

    cats = Counter(f["category"] for f in facts)
    lines = [
        "# Phrasing invariance on the 23 Synthea R4 patients\n\n",
        f"Facts: {len(facts)} ({', '.join(f'{c} {cats[c]}' for c in CATEGORIES if cats[c])}); "
        f"pairs (fact x phrasing): {sum(len(f['phrasings']) for f in facts)}; "
        f"patients: {len({f['patient_id'] for f in facts})}.",
        f" Facts file: `{args.facts}`; store: `{args.store}`"
        + (f"; --limit {args.limit} (category-stratified subset)" if args.limit else "")
        + ".\n\n",
        "A pair is correct when the value matches the gold AND a citation is one of the gold "
        "resources (an abstention fact: when the system abstains). Invariant: every phrasing of "
        "the fact got the same outcome and the same answer value.\n\n",
        "## Summary (%)\n\n",
        head,
        row("accuracy (all pairs)", (_pct(summaries[s]["accuracy"]) for s in systems)),
        row("invariance (facts)", (_pct(summaries[s]["invariance"]["invariant"]) for s in systems)),
        row(
            "invariant and correct (facts)",
            (_pct(summaries[s]["invariance"]["invariant_all_correct"]) for s in systems),
        ),
        row(
            "correct in some phrasings only (facts)",
            (_pct(summaries[s]["invariance"]["correct_in_some_not_all"]) for s in systems),
        ),
        row("abstention precision", (_pct(summaries[s]["abstention_precision"]) for s in systems)),
        row("abstention recall", (_pct(summaries[s]["abstention_recall"]) for s in systems)),
        row(
            "wrong abstentions (pairs)",
            (f"{summaries[s]['wrong_abstentions']} / {summaries[s]['answerable_pairs']}" for s in systems),
        ),
        row("citation precision (answerable)", (_pct(summaries[s]["citation_precision"]) for s in systems)),
        row("citation recall (answerable)", (_pct(summaries[s]["citation_recall"]) for s in systems)),
        row("citation F1 (answerable)", (_pct(summaries[s]["citation_f1"]) for s in systems)),
        row("citation micro F1 (answerable)", (_pct(summaries[s]["citation_micro_f1"]) for s in systems)),
        row("cites a gold resource (answerable)", (_pct(summaries[s]["citation_hit"]) for s in systems)),
        row("mean ms per question", (f"{summaries[s]['ms_mean']:.0f}" for s in systems)),
        "\n## Accuracy per category (%)\n\n",
        head,
    ]
    for c in CATEGORIES:
        if cats[c]:
            lines.append(
                row(
                    f"{c} (n={summaries[systems[0]]['per_category'][c][1]})",
                    (_pct(summaries[s]["per_category"][c][0]) for s in systems),
                )
            )
    lines += ["\n## Invariance per category (% of facts)\n\n", head]
    for c in CATEGORIES:
        if cats[c]:
            lines.append(
                row(
                    c,
                    (_pct(summaries[s]["invariance"]["per_category"].get(c, float("nan"))) for s in systems),
                )
            )
    lines += ["\n## Accuracy per phrasing style (%)\n\n", head]
    for st in summaries[systems[0]]["per_style"]:
        lines.append(
            row(
                f"{st} (n={summaries[systems[0]]['per_style'][st][1]})",
                (_pct(summaries[s]["per_style"][st][0]) for s in systems),
            )
        )
    lines += ["\n## Accuracy per operation (%)\n\n", head]
    for op in summaries[systems[0]]["per_op"]:
        lines.append(
            row(
                f"{op} (n={summaries[systems[0]]['per_op'][op][1]})",
                (_pct(summaries[s]["per_op"][op][0]) for s in systems),
            )
        )
    lines += ["\n## Outcomes (pairs)\n\n", head]
    for o in (
        "correct",
        "wrong_value",
        "wrong_citation",
        "wrong_abstention",
        "answered_unanswerable",
        "error",
    ):
        lines.append(row(o, (str(summaries[s]["outcomes"].get(o, 0)) for s in systems)))
    return "".join(lines)


def main(argv: Iterable[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Phrasing-invariance evaluation on real Synthea records.")
    ap.add_argument("--facts", type=Path, default=Path(__file__).with_name("facts_synthea_r4.jsonl"))
    ap.add_argument(
        "--store", required=True, help="a store loaded with `clinimem ingest` of the same bundles"
    )
    ap.add_argument(
        "--system",
        action="append",
        default=None,
        help="answering system(s): controller, dense, bm25; comma-separated or repeated",
    )
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=None, help="only the first N facts (category-stratified)")
    ap.add_argument(
        "--report-only", action="store_true", help="re-write report.md from an existing results.jsonl"
    )
    args = ap.parse_args(list(argv) if argv is not None else None)
    systems = [s for arg in (args.system or ["controller"]) for s in arg.split(",") if s]
    facts = limit_facts(load_facts(args.facts), args.limit)
    args.out.mkdir(parents=True, exist_ok=True)
    results_path = args.out / "results.jsonl"

    by_system: dict[str, list[dict]] = defaultdict(list)
    if args.report_only:
        for line in results_path.read_text().splitlines():
            r = json.loads(line)
            by_system[r["system"]].append(r)
        wanted = {f["fact_id"] for f in facts}
        by_system = {
            s: [r for r in rs if r["fact_id"] in wanted] for s, rs in by_system.items() if s in systems
        }
    else:
        from clinimem.api import Clinimem  # heavy: only when asking

        engine = Clinimem.open(store=args.store)
        with results_path.open("w") as sink:
            for system in systems:
                by_system[system] = ask_all(engine, facts, system, sink)
    summaries = {s: summarize(rows) for s, rows in by_system.items()}
    report = render_report(summaries, facts, args)
    (args.out / "report.md").write_text(report)
    (args.out / "summary.json").write_text(json.dumps(summaries, indent=1, default=str))
    print(report)


if __name__ == "__main__":
    main()

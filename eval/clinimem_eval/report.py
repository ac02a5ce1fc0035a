"""``report.md``: accuracy and citation F1 per category per system, abstention, latency, counts."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from clinimem_eval.metrics import Summary, summarize
from clinimem_eval.questions.model import CATEGORIES

if TYPE_CHECKING:
    from clinimem_eval.harness import EvalResult, Result


def _pct(value: float) -> str:
    return "–" if math.isnan(value) else f"{100 * value:.1f}"


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.1f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def asked_categories(result: EvalResult, section: str) -> list[str]:
    """The categories a section has questions in, in :data:`CATEGORIES` order (notes are optional)."""
    asked = {r.question.category for r in result.results if r.section == section}
    return [c for c in CATEGORIES if c in asked]


def by_category(results: list[Result]) -> dict[str, Summary]:
    out = {c: summarize([r.score for r in results if r.question.category == c]) for c in CATEGORIES}
    out["overall"] = summarize([r.score for r in results])
    return out


def section_lines(result: EvalResult, section: str) -> list[str]:
    systems = [s for s in result.systems if result.of(section, s)]
    if not systems:
        return ["No results.", ""]
    summaries = {s: by_category(result.of(section, s)) for s in systems}
    rows_cat = [*asked_categories(result, section), "overall"]
    counts = {c: summaries[systems[0]][c].n for c in rows_cat}
    lines = ["### Accuracy (%) and citation F1 (%) per category", ""]
    header = ["category", "n"] + [f"{s} acc" for s in systems] + [f"{s} cite F1" for s in systems]
    rows = []
    for c in rows_cat:
        row = [f"**{c}**" if c == "overall" else c, str(counts[c])]
        row += [_pct(summaries[s][c].accuracy) for s in systems]
        row += [_pct(summaries[s][c].citation_f1) for s in systems]
        rows.append(row)
    lines += _table(header, rows)
    lines += vocabulary_lines(result, section, systems)
    lines += ["### Per system", ""]
    header = [
        "system",
        "n",
        "accuracy",
        "cite P",
        "cite R",
        "cite F1",
        "abstain P",
        "abstain R",
        "p50 ms",
        "p95 ms",
        "errors",
    ]
    rows = []
    for s in systems:
        o = summaries[s]["overall"]
        errors = sum(1 for r in result.of(section, s) if r.error)
        rows.append(
            [
                s,
                str(o.n),
                _pct(o.accuracy),
                _pct(o.citation_precision),
                _pct(o.citation_recall),
                _pct(o.citation_f1),
                _pct(o.abstention_precision),
                _pct(o.abstention_recall),
                _ms(o.latency_p50),
                _ms(o.latency_p95),
                str(errors),
            ]
        )
    lines += _table(header, rows)
    lines += ["### Latency (ms) per category, p50 / p95", ""]
    header = ["category"] + systems
    rows = [
        [c] + [f"{_ms(summaries[s][c].latency_p50)} / {_ms(summaries[s][c].latency_p95)}" for s in systems]
        for c in rows_cat
    ]
    lines += _table(header, rows)
    lines += ["### Accuracy (%) per template", ""]
    templates = sorted(
        {(r.question.category, r.question.template) for r in result.results if r.section == section}
    )
    header = ["category", "template", "n"] + systems
    rows = []
    for category, template in templates:
        per = {
            s: summarize([r.score for r in result.of(section, s) if r.question.template == template])
            for s in systems
        }
        rows.append([category, template, str(per[systems[0]].n)] + [_pct(per[s].accuracy) for s in systems])
    lines += _table(header, rows)
    return lines


def vocabulary_lines(result: EvalResult, section: str, systems: list[str]) -> list[str]:
    """Accuracy on questions about concepts whose codes training never asked about, beside the rest."""
    from clinimem_eval.questions.variants import held_out_code, question_codes

    def unseen(r: Result) -> bool:
        return any(held_out_code(c) for c in question_codes(r.question))

    lines = ["### Names never seen in training (held-out concept codes) vs seen", ""]
    header = ["names", "n"] + [f"{s} acc" for s in systems]
    rows = []
    for label, wanted in (("never seen", True), ("seen", False)):
        per = {s: summarize([r.score for r in result.of(section, s) if unseen(r) == wanted]) for s in systems}
        rows.append([label, str(per[systems[0]].n)] + [_pct(per[s].accuracy) for s in systems])
    return lines + _table(header, rows)


def write_report(result: EvalResult, path: Path) -> Path:
    config = result.config
    lines = ["# clinimem evaluation report", ""]
    command = f"clinimem eval --patients {config.patients} --seed {config.seed} --split {config.split}"
    if config.systems:
        command += f" --systems {','.join(config.systems)}"
    if config.synthea:
        command += f" --synthea {config.synthea}"
    if not config.notes:
        command += " --no-notes"
    if config.threads != 1:
        command += f" --threads {config.threads}"
    lines += [f"Command: `{command}`", ""]
    for section, questions in result.questions.items():
        splits = Counter(q.split for q in questions)
        evaluated = (
            len(questions) if config.split == "all" or section == "synthea" else splits.get(config.split, 0)
        )
        patients = len({q.patient_id for q in questions})
        lines.append(
            f"- {section}: {patients} patients, {len(questions)} questions generated "
            f"({splits.get('train', 0)} train / {splits.get('test', 0)} test), {evaluated} evaluated "
            f"(split `{config.split}`)"
        )
    for name, why in result.skipped.items():
        lines.append(f"- system `{name}` skipped: {why}")
    timing = ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items())
    lines += [f"- wall time (s): {timing}", ""]
    lines += [
        "Accuracy: numbers within the unit's rounding (or 0.5%), dates to the day, lists as sets, "
        "trend labels, booleans, counts exact; abstention is right only on unanswerable questions. "
        "Citation F1: cited `ResourceType/id` set vs gold evidence (no evidence and no citations = 1). "
        "Abstention P: share of abstentions that were right to; R: share of unanswerable questions "
        "abstained on. Latency: memory read + answer, per question.",
        "",
        "![accuracy by category](accuracy_by_category.png)",
        "![latency](latency.png)",
        "",
    ]
    for section in SECTION_TITLES:
        if section in result.questions:
            lines += [f"## {SECTION_TITLES[section]}", ""]
            lines += section_lines(result, section)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


SECTION_TITLES = {
    "synthetic": "Synthetic patients (clinimem synth, ground truth)",
    "synthea": "Real Synthea bundles (questions computable from the record)",
}

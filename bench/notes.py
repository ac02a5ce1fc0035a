"""Note reader benchmark on the synthetic generator's notes: mention P/R per flag, and speed.

    python bench/notes.py --patients 100 --seed 0 [--errors 20]

A predicted mention matches a truth mention when their character spans overlap
and their labels agree (one-to-one, largest overlap first). Entity precision
and recall count matched mentions. A flag is scored end to end: a true
positive is a matched pair where both carry the flag; a predicted flag on an
unmatched or unflagged mention is a false positive, a truth flag on an
unmatched or unflagged mention a false negative. "affirmed" is the empty flag
set. The same table follows for hand-written sentences the rules were not
tuned on (``bench/data/notes_handwritten.jsonl``). Speed: notes read per second by one process (``read_notes``, the spaCy
pipeline), and DocumentReferences mapped per second through ``map_resource``
(base64 decoding, reading, entries), next to all resources mapped per second.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "eval"), str(ROOT / "connectors")]

from clinimem.notes import FLAGS, NoteMention, read_notes  # noqa: E402

KEYS = (*FLAGS, "affirmed")


def truth_flags(mention: dict[str, Any]) -> set[str]:
    flags = {f for f in FLAGS if mention[f]}
    return flags or {"affirmed"}


def predicted_flags(mention: NoteMention) -> set[str]:
    return set(mention.flags) or {"affirmed"}


def match(predicted: list[NoteMention], truth: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """(predicted index, truth index) pairs: overlapping spans, same label, largest overlap first."""
    candidates = []
    for i, p in enumerate(predicted):
        for j, t in enumerate(truth):
            overlap = min(p.end, t["end"]) - max(p.start, t["start"])
            if overlap > 0 and p.label == t["label"]:
                candidates.append((-overlap, i, j))
    used_p: set[int] = set()
    used_t: set[int] = set()
    pairs = []
    for _, i, j in sorted(candidates):
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            pairs.append((i, j))
    return pairs


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--errors", type=int, default=0, help="print this many mismatches of each kind")
    args = parser.parse_args(argv)

    from clinimem_eval.synth import generate_patient

    bundles, notes = [], []
    for index in range(args.patients):
        bundle, truth = generate_patient(index, args.seed)
        bundles.append(bundle)
        notes.extend(truth["notes"])

    read_notes([("Denies chest pain.", "text/plain")])  # build the pipeline outside the timing
    started = time.perf_counter()
    readings = read_notes([(n["text"], n["content_type"]) for n in notes])
    read_seconds = time.perf_counter() - started

    counts: Counter[str] = Counter()
    errors: dict[str, list[str]] = {"missed": [], "spurious": [], "flag": []}
    for note, reading in zip(notes, readings, strict=True):
        predicted, truth = list(reading.mentions), note["mentions"]
        pairs = match(predicted, truth)
        counts["entity tp"] += len(pairs)
        counts["entity fp"] += len(predicted) - len(pairs)
        counts["entity fn"] += len(truth) - len(pairs)
        matched_p = {i for i, _ in pairs}
        matched_t = {j for _, j in pairs}
        for i, j in pairs:
            pf, tf = predicted_flags(predicted[i]), truth_flags(truth[j])
            for key in KEYS:
                if key in pf and key in tf:
                    counts[f"{key} tp"] += 1
                elif key in pf:
                    counts[f"{key} fp"] += 1
                elif key in tf:
                    counts[f"{key} fn"] += 1
            if pf != tf:
                errors["flag"].append(f"{sorted(tf)} -> {sorted(pf)}: {predicted[i].sentence!r}")
        for i, p in enumerate(predicted):
            if i not in matched_p:
                for key in predicted_flags(p):
                    counts[f"{key} fp"] += 1
                errors["spurious"].append(f"{p.label} {p.text!r}: {p.sentence!r}")
        for j, t in enumerate(truth):
            if j not in matched_t:
                for key in truth_flags(t):
                    counts[f"{key} fn"] += 1
                errors["missed"].append(f"{t['label']} {t['text']!r} {sorted(truth_flags(t))}")

    mapped_notes, map_seconds, all_resources, all_seconds = _mapping_speed(bundles)

    truth_total = sum(len(n["mentions"]) for n in notes)
    print(f"{args.patients} patients (seed {args.seed}), {len(notes)} notes, {truth_total} truth mentions\n")
    print("| what | support | precision | recall | F1 |")
    print("|---|---:|---:|---:|---:|")
    for key in ("entity", *KEYS):
        tp, fp, fn = counts[f"{key} tp"], counts[f"{key} fp"], counts[f"{key} fn"]
        p, r, f = prf(tp, fp, fn)
        print(f"| {key} | {tp + fn} | {p:.3f} | {r:.3f} | {f:.3f} |")
    print()
    print(f"read_notes: {len(notes) / read_seconds:,.0f} notes/s (one process)")
    print(
        f"map_resource: {mapped_notes / map_seconds:,.0f} DocumentReferences/s; "
        f"all {all_resources} resources {all_resources / all_seconds:,.0f}/s "
        f"(notes are {mapped_notes / all_resources:.1%} of resources)"
    )
    for kind, lines in errors.items():
        for line in Counter(lines).most_common(args.errors):
            print(f"{kind}: {line[1]} x {line[0]}")
    _handwritten(args.errors > 0)
    return 0


def _handwritten(show: bool) -> None:
    """The same scores on hand-written sentences the rules were not tuned on (bench/data)."""
    from clinimem.notes import read_note

    counts: Counter[str] = Counter()
    lines = (ROOT / "bench" / "data" / "notes_handwritten.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        item = json.loads(line)
        predicted = {
            (m.text.lower(), m.label): set(m.flags) or {"affirmed"} for m in read_note(item["text"]).mentions
        }
        gold = {(t.lower(), label): set(flags) or {"affirmed"} for t, label, flags in item["mentions"]}
        counts["entity tp"] += len(gold.keys() & predicted.keys())
        counts["entity fn"] += len(gold.keys() - predicted.keys())
        counts["entity fp"] += len(predicted.keys() - gold.keys())
        for key in KEYS:
            for mention in gold.keys() | predicted.keys():
                g, p = key in gold.get(mention, ()), key in predicted.get(mention, ())
                counts[f"{key} {'tp' if g and p else 'fp' if p else 'fn' if g else 'tn'}"] += 1
                if show and g != p:
                    print(f"handwritten: {key} gold={g} predicted={p}: {item['text']!r}")
    print(f"\nhand-written sentences (bench/data/notes_handwritten.jsonl, {len(lines)} lines)\n")
    print("| what | support | precision | recall | F1 |")
    print("|---|---:|---:|---:|---:|")
    for key in ("entity", *KEYS):
        tp, fp, fn = counts[f"{key} tp"], counts[f"{key} fp"], counts[f"{key} fn"]
        p, r, f = prf(tp, fp, fn)
        print(f"| {key} | {tp + fn} | {p:.3f} | {r:.3f} | {f:.3f} |")


def _mapping_speed(bundles: list[dict[str, Any]]) -> tuple[int, float, int, float]:
    """DocumentReferences mapped per second, and all resources mapped per second."""
    from clinimem.fhir.resource import Reject
    from clinimem.fhir.validate import iter_payload
    from clinimem.memory.mappers import map_resource

    resources = [r for b in bundles for r in iter_payload(b, "bench") if not isinstance(r, Reject)]
    documents = [r for r in resources if r.resource_type == "DocumentReference"]
    started = time.perf_counter()
    for resource in documents:
        map_resource(resource)
    doc_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for resource in resources:
        map_resource(resource)
    all_seconds = time.perf_counter() - started
    return len(documents), doc_seconds, len(resources), all_seconds


if __name__ == "__main__":
    raise SystemExit(main())

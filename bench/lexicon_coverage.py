"""How much of the records at hand the grounding tables cover: synonyms and classes per code.

    python bench/lexicon_coverage.py [--data DIR ...] [--out docs/lexicon-coverage.md]

Reads every FHIR R4 transaction bundle of the data folders (default:
``../shared/data/synthea-r4`` and ``../shared/data/synthea-r4-train`` next to the
repository, and the packaged samples ``clinimem/samples``) and the codes of the
synthetic generator (``clinimem_eval.synth.vocab``). It collects the distinct
(system, code) of Observation (components included), Condition, MedicationRequest
(``medicationCodeableConcept``), Immunization, Procedure, AllergyIntolerance and
Encounter.type, and counts per resource type and system how many have a row in
``clinimem/grounding/data/synonyms.tsv`` and in ``classes.tsv``
(:mod:`clinimem.grounding.lexicon`). RxNorm and SNOMED CT condition codes with no
class are listed with their display, and the reason where one is known.

Prints the report and writes it as Markdown (``--out``).
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from clinimem.grounding.lexicon import lexicon

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DEFAULT_DATA = (SHARED / "synthea-r4", SHARED / "synthea-r4-train", REPO / "clinimem" / "samples")
DEFAULT_OUT = REPO / "docs" / "lexicon-coverage.md"

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
SYSTEM_NAMES = {
    "http://loinc.org": "LOINC",
    SNOMED: "SNOMED CT",
    RXNORM: "RxNorm",
    "http://hl7.org/fhir/sid/cvx": "CVX",
}
RESOURCE_ORDER = (
    "Observation",
    "Condition",
    "MedicationRequest",
    "Immunization",
    "Procedure",
    "AllergyIntolerance",
    "Encounter",
    "DiagnosticReport",
    "CarePlan",
)
SYNTH = "synthetic generator"

# Codes left without a class on purpose, and why.
UNCLASSED_REASONS = {
    "428251008": "history-of situation; the appendectomy itself is a classed procedure",
    "162573006": "a suspicion, not a diagnosis: not put in the cancer classes",
    "237602007": "spans obesity, dyslipidemia, hypertension and glucose intolerance: no single group",
    "703151001": "a single past seizure is not a seizure disorder",
    "49727002": "a symptom (finding), not a disease group",
    "80394007": "a raised glucose, not diabetes or prediabetes: found by its synonyms (high blood sugar)",
}

# Sections of clinimem_eval/synth/vocab.py -> the resource type their codes are written as.
_SYNTH_SECTIONS = {
    "encounter types": "Encounter",
    "conditions": "Condition",
    "drugs": "MedicationRequest",
    "observations": "Observation",
    "reports and notes": "DiagnosticReport",
    "immunizations": "Immunization",
    "procedures": "Procedure",
    "care plans": "CarePlan",
    "allergies": "AllergyIntolerance",
}


@dataclass
class Codes:
    """Distinct (resource type, system, code) of one data set, with the displays seen."""

    files: int = 0
    seen: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, resource: str, concept: dict | None) -> None:
        for coding in (concept or {}).get("coding") or []:
            system, code = coding.get("system"), coding.get("code")
            if system and code:
                self.seen[(resource, system, code)].add(coding.get("display") or "")


def read_bundles(folder: Path) -> Codes:
    """The codes of every bundle ``*.json`` in ``folder``."""
    codes = Codes()
    for path in sorted(folder.glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        if bundle.get("resourceType") != "Bundle":
            continue
        codes.files += 1
        for item in bundle.get("entry") or []:
            resource = item.get("resource") or {}
            kind = resource.get("resourceType")
            if kind == "Observation":
                codes.add(kind, resource.get("code"))
                for component in resource.get("component") or []:
                    codes.add(kind, component.get("code"))
            elif kind in ("Condition", "Procedure", "AllergyIntolerance"):
                codes.add(kind, resource.get("code"))
            elif kind == "MedicationRequest":
                codes.add(kind, resource.get("medicationCodeableConcept"))
            elif kind == "Immunization":
                codes.add(kind, resource.get("vaccineCode"))
            elif kind == "Encounter":
                for concept in resource.get("type") or []:
                    codes.add(kind, concept)
    return codes


def read_synth_vocab() -> Codes:
    """The codes declared in ``clinimem_eval.synth.vocab``, typed by the section they sit in."""
    from clinimem_eval.synth import vocab

    source = inspect.getsource(vocab)
    lines = source.splitlines()
    section_at: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        header = re.match(r"# --- (.+?) -+$", line)
        if header:
            section_at.append((number, header.group(1).strip()))
    codes = Codes(files=1)
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Name):
            continue
        heading = next((s for n, s in reversed(section_at) if n < node.lineno), "")
        value = getattr(vocab, node.targets[0].id, None)
        for item in value.values() if isinstance(value, dict) else (value,):
            concept = item.concept if isinstance(item, vocab.Test | vocab.Drug) else item
            if not isinstance(concept, vocab.Concept) or concept.system not in SYSTEM_NAMES:
                continue
            kind = _SYNTH_SECTIONS.get(heading)
            if kind is None:  # "labs and drugs some patients have ..."
                kind = "MedicationRequest" if concept.system == RXNORM else "Observation"
            codes.seen[(kind, concept.system, concept.code)].add(concept.display)
    return codes


def _pct(n: int, total: int) -> str:
    return f"{n} ({100 * n / total:.0f}%)" if total else "0"


def coverage(data: dict[str, Codes]) -> str:
    """The Markdown report over the data sets (name -> codes)."""
    lex = lexicon()
    merged: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for codes in data.values():
        for key, displays in codes.seen.items():
            merged[key] |= displays

    def has_names(system: str, code: str) -> bool:
        return bool(lex.names_for(system, code))

    def has_class(system: str, code: str) -> bool:
        return bool(lex.classes_for(system, code))

    out = [
        "# Grounding vocabulary: coverage of the records at hand",
        "",
        "Generated by `python bench/lexicon_coverage.py` from the tables in",
        "[clinimem/grounding/data](../clinimem/grounding/data) (read by `clinimem.grounding.lexicon`).",
        "A code *has a synonym* when `synonyms.tsv` gives it at least one other name, and",
        "*has a class* when `classes.tsv` puts it in at least one class.",
        "",
        "Data sets: "
        + "; ".join(
            f"{name} ({codes.files} {'module' if name == SYNTH else 'bundles'})"
            for name, codes in data.items()
        )
        + ".",
        "",
        "## Distinct codes of all records, per resource type and system",
        "",
        "| resource type | system | codes | with a synonym | with a class |",
        "|---|---|---:|---:|---:|",
    ]
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, system, code in merged:
        groups[(kind, system)].add(code)

    def order(key: tuple[str, str]) -> tuple[int, str]:
        kind, system = key
        return (RESOURCE_ORDER.index(kind) if kind in RESOURCE_ORDER else 99, system)

    for kind, system in sorted(groups, key=order):
        codes = groups[(kind, system)]
        named = sum(has_names(system, c) for c in codes)
        classed = sum(has_class(system, c) for c in codes)
        out.append(
            f"| {kind} | {SYSTEM_NAMES.get(system, system)} | {len(codes)} "
            f"| {_pct(named, len(codes))} | {_pct(classed, len(codes))} |"
        )

    out += [
        "",
        "## Per data set: RxNorm and SNOMED CT condition codes with a class",
        "",
        "| data set | RxNorm (MedicationRequest) classed | SNOMED CT (Condition) classed |",
        "|---|---:|---:|",
    ]
    synthea: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for name, codes in data.items():
        if name != SYNTH:
            for key, displays in codes.seen.items():
                synthea[key] |= displays
    for name, seen in [*((n, c.seen) for n, c in data.items()), ("all Synthea records", synthea)]:
        rx = {c for k, s, c in seen if k == "MedicationRequest" and s == RXNORM}
        cond = {c for k, s, c in seen if k == "Condition" and s == SNOMED}
        out.append(
            f"| {name} | {_pct(sum(has_class(RXNORM, c) for c in rx), len(rx))} "
            f"| {_pct(sum(has_class(SNOMED, c) for c in cond), len(cond))} |"
        )

    for title, kind, system in (
        ("RxNorm codes without a class", "MedicationRequest", RXNORM),
        ("SNOMED CT condition codes without a class", "Condition", SNOMED),
    ):
        missing = sorted(
            (code, sorted(d for d in merged[(k, s, code)] if d))
            for k, s, code in merged
            if k == kind and s == system and not has_class(system, code)
        )
        out += ["", f"## {title}", ""]
        if not missing:
            out.append("None.")
            continue
        out += ["| code | display | reason |", "|---|---|---|"]
        for code, displays in missing:
            reason = UNCLASSED_REASONS.get(code, "not yet classed")
            out.append(f"| {code} | {' / '.join(displays)} | {reason} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", help="a folder of FHIR R4 bundles (repeatable)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the Markdown report")
    parser.add_argument("--no-synth", action="store_true", help="leave out the synthetic generator's codes")
    args = parser.parse_args(argv)
    data: dict[str, Codes] = {}
    for folder in args.data or DEFAULT_DATA:
        if folder.is_dir():
            folder = folder.resolve()
            base = REPO if folder.is_relative_to(REPO) else REPO.parent
            name = str(folder.relative_to(base)) if folder.is_relative_to(base) else str(folder)
            data[name] = read_bundles(folder)
        else:
            print(f"skipped (not found): {folder}")
    if not args.no_synth:
        data[SYNTH] = read_synth_vocab()
    report = coverage(data)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

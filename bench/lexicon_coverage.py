"""How much of the records at hand the grounding tables cover: synonyms and classes per code.

    python bench/lexicon_coverage.py [--data DIR ...] [--out docs/lexicon-coverage.md]

Reads every FHIR R4 transaction bundle of the data folders (default: the training
records ``../shared/data/synthea-r4-train`` next to the repository and the packaged
samples ``clinimem/samples``; the held-out records ``synthea-r4`` are left out so the
vocabulary is not written to fit them) and the codes of the synthetic generator
(``clinimem_eval.synth.vocab``). It collects the distinct
(system, code) of Observation (components included), Condition, MedicationRequest
(``medicationCodeableConcept``), Immunization, Procedure, AllergyIntolerance and
Encounter.type, and counts per resource type and system how many have a row in
``clinimem/grounding/data/synonyms.tsv`` (or, for a drug, ``ingredients.tsv`` by its
display; for a vaccine, ``vaccines.tsv``) and in ``classes.tsv``, and how many other
names a code has on average (:mod:`clinimem.grounding.lexicon`). RxNorm codes with no
ingredient of ``ingredients.tsv`` and CVX codes with no trade name in ``vaccines.tsv``
are listed, as are RxNorm and SNOMED CT condition codes with no class (with their
display, and the reason where one is known).

Prints the report and writes it as Markdown (``--out``).
"""

from __future__ import annotations

import argparse
import ast
import csv
import inspect
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from clinimem.grounding.lexicon import CVX, lexicon, normalize_code

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
DEFAULT_DATA = (SHARED / "synthea-r4-train", REPO / "clinimem" / "samples")
TABLES = REPO / "clinimem" / "grounding" / "data"
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


def _vaccine_table_codes() -> set[str]:
    """The CVX codes ``vaccines.tsv`` names (as the lexicon keys them)."""
    with (TABLES / "vaccines.tsv").open(encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {normalize_code(CVX, row["cvx"]) for row in rows}


def _pct(n: int, total: int) -> str:
    return f"{n} ({100 * n / total:.0f}%)" if total else "0"


def coverage(data: dict[str, Codes]) -> str:
    """The Markdown report over the data sets (name -> codes)."""
    lex = lexicon()
    merged: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for codes in data.values():
        for key, displays in codes.seen.items():
            merged[key] |= displays

    def names(system: str, code: str) -> set[str]:
        found = set(lex.names_for(system, code))
        for kind in {k for k, s, c in merged if s == system and c == code}:
            for display in merged[(kind, system, code)]:
                found |= set(lex.names_for(system, code, display))
        return found

    def has_names(system: str, code: str) -> bool:
        return bool(names(system, code))

    def has_class(system: str, code: str) -> bool:
        return bool(lex.classes_for(system, code))

    out = [
        "# Grounding vocabulary: coverage of the records at hand",
        "",
        "Generated by `python bench/lexicon_coverage.py` from the tables in",
        "[clinimem/grounding/data](../clinimem/grounding/data) (read by `clinimem.grounding.lexicon`).",
        "A code *has a synonym* when the tables give it at least one other name (`synonyms.tsv`;",
        "for a drug also `ingredients.tsv`, by the ingredients its display or its names hold; for a",
        "vaccine also `vaccines.tsv`), and *has a class* when `classes.tsv` puts it in at least one",
        "class. *Names per code* is the mean number of other names.",
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
        "| resource type | system | codes | with a synonym | names per code | with a class |",
        "|---|---|---:|---:|---:|---:|",
    ]
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, system, code in merged:
        groups[(kind, system)].add(code)

    def order(key: tuple[str, str]) -> tuple[int, str]:
        kind, system = key
        return (RESOURCE_ORDER.index(kind) if kind in RESOURCE_ORDER else 99, system)

    for kind, system in sorted(groups, key=order):
        codes = groups[(kind, system)]
        counts = [len(names(system, c)) for c in codes]
        named = sum(n > 0 for n in counts)
        classed = sum(has_class(system, c) for c in codes)
        out.append(
            f"| {kind} | {SYSTEM_NAMES.get(system, system)} | {len(codes)} "
            f"| {_pct(named, len(codes))} | {sum(counts) / len(codes):.1f} | {_pct(classed, len(codes))} |"
        )

    drugs = {
        c: displays for (k, s, c), displays in merged.items() if k == "MedicationRequest" and s == RXNORM
    }
    no_ingredient = sorted(
        (code, sorted(d for d in displays if d))
        for code, displays in drugs.items()
        if not any(lex.ingredients_in(text) for text in (*displays, *lex.names_for(RXNORM, code)))
    )
    by_display = sum(any(lex.ingredient_names(d) for d in displays) for displays in drugs.values())
    vaccine_rows = _vaccine_table_codes()
    vaccines = {c: displays for (k, s, c), displays in merged.items() if k == "Immunization" and s == CVX}
    no_trade_name = sorted(
        (code, sorted(d for d in displays if d))
        for code, displays in vaccines.items()
        if normalize_code(CVX, code) not in vaccine_rows
    )
    out += [
        "",
        "## Drug ingredients and vaccine trade names",
        "",
        f"RxNorm codes (MedicationRequest) with an ingredient of `ingredients.tsv` in their display or names: "
        f"{_pct(len(drugs) - len(no_ingredient), len(drugs))}; CVX codes (Immunization) with a name in "
        f"`vaccines.tsv`: {_pct(len(vaccines) - len(no_trade_name), len(vaccines))}.",
        "",
        f"RxNorm codes that would still get other names by their display alone, were the code in no "
        f"table (a drug code the tables never saw): {_pct(by_display, len(drugs))}. Packs and devices "
        "named only by a brand that fits no other product of its ingredients (Mirena, Camila, Levora) "
        "get theirs from `synonyms.tsv`.",
    ]
    for title, missing in (
        ("RxNorm codes with no ingredient of ingredients.tsv", no_ingredient),
        ("CVX codes with no name in vaccines.tsv", no_trade_name),
    ):
        if missing:
            out += ["", f"### {title}", "", "| code | display |", "|---|---|"]
            out += [f"| {code} | {' / '.join(displays)} |" for code, displays in missing]

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

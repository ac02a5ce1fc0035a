"""The note reader's vocabulary: which words name a problem, drug, procedure or finding.

Two sources, both shipped in ``clinimem/notes/vocab/``:

- curated lists (``findings.txt``, ``problems.txt``, ``drugs.txt``,
  ``procedures.txt``): common symptoms, problems, drugs and procedures with
  their synonyms, one concept a line: ``canonical | synonym | ...``;
- ``codes.txt``: terms built from the codes that structured records hold (the
  displays of Condition, MedicationRequest, Procedure and AllergyIntolerance
  resources, normalised by :func:`display_terms`), written by
  ``python -m clinimem.notes.lexicon FILE_OR_DIR...``.

The vocabulary is fixed per release rather than read from each patient's own
record at ingest: mapping a resource must depend on that resource alone, so
that entry ids are reproducible whatever the load order or batch boundaries,
and an unchanged note that the store skips never needed re-reading.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

VOCAB_DIR = Path(__file__).with_name("vocab")
LABELS = ("problem", "drug", "procedure", "finding")
CURATED = {
    "problems.txt": "problem",
    "drugs.txt": "drug",
    "procedures.txt": "procedure",
    "findings.txt": "finding",
}
CODES_FILE = VOCAB_DIR / "codes.txt"


@dataclass(frozen=True)
class Term:
    """A concept the reader can find: its label and the canonical name used as display."""

    label: str
    canonical: str


def read_concepts(path: Path, label: str | None = None) -> Iterator[tuple[Term, list[str]]]:
    """``(term, surface forms)`` per line of a vocabulary file.

    A line is ``canonical | synonym | ...``; ``codes.txt`` lines start with
    ``label: ``. ``#`` starts a comment.
    """
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        line_label = label
        if line_label is None:
            line_label, line = (part.strip() for part in line.split(":", 1))
        forms = [f.strip().lower() for f in line.split("|") if f.strip()]
        yield Term(line_label, forms[0]), forms


@lru_cache(maxsize=1)
def load_lexicon() -> dict[str, Term]:
    """Surface form (lower case) -> term; curated lists win over terms built from codes."""
    lexicon: dict[str, Term] = {}
    sources: list[tuple[Path, str | None]] = [(VOCAB_DIR / name, label) for name, label in CURATED.items()]
    if CODES_FILE.exists():
        sources.append((CODES_FILE, None))
    for path, label in sources:
        for term, forms in read_concepts(path, label):
            for form in forms:
                lexicon.setdefault(form, term)
    return lexicon


# --- terms from coded displays -------------------------------------------------------------------

_TAG = re.compile(
    r"\s*\((disorder|finding|procedure|situation|morphologic abnormality|qualifier value|"
    r"regime/therapy|observable entity|person|event|navigational concept|physical object)\)\s*$"
)
_BRAND = re.compile(r"\[([^\]]+)\]")
_DOSE_START = re.compile(r"^\d|^(mg|ml|unt|meq|mcg|actuat|hr)\b")
_SALTS = frozenset(
    [
        "hydrochloride",
        "hcl",
        "sodium",
        "potassium",
        "calcium",
        "magnesium",
        "succinate",
        "tartrate",
        "besylate",
        "maleate",
        "citrate",
        "bitartrate",
        "mesylate",
        "fumarate",
        "acetate",
        "sulfate",
        "phosphate",
        "bromide",
        "propionate",
        "furoate",
        "monohydrate",
        "dihydrate",
        "trihydrate",
        "anhydrous",
        "human",
    ]
)
# Leading pack and strength words: "24 HR", "120 ACTUAT", "NDA020800 0.3 ML".
_PREFIX_WORD = re.compile(r"^(\d+(\.\d+)?|nda\d+|hr|day|actuat|ml|mg)$")
_OF_HEADS = frozenset(["fracture", "sprain", "dislocation", "laceration", "contusion", "injury", "strain"])
_ALLOWED = re.compile(r"^[a-z0-9][a-z0-9 '\-/]*$")
_SKIP_TAGS = frozenset({"situation", "observable entity", "person", "event", "navigational concept"})
# Coded procedures that name a kind of visit or paperwork, not something done to the patient
# that a note reports ("Annual physical examination." is the visit itself).
_ADMINISTRATIVE = re.compile(
    r"examination|review of systems|documentation|reconciliation|admission to|consultation|"
    r"assessment of|screening for|patient referral|encounter"
)


def _semantic_tag(display: str) -> str | None:
    m = _TAG.search(display.lower())
    return m.group(1) if m else None


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", _TAG.sub("", text.lower())).strip(" ,.;")


def drug_names(display: str) -> list[str]:
    """Ingredient names of a coded drug display, dose and form stripped.

    ``"24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"`` ->
    ``["metformin"]``; ``"Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet"``
    -> ``["amoxicillin-clavulanate", "amoxicillin/clavulanate", "amoxicillin and clavulanate"]``;
    a bracketed brand (``[Toprol]``) is added as a synonym.
    """
    brands = [b.strip().lower() for b in _BRAND.findall(display)]
    text = _BRAND.sub("", display).lower()
    ingredients: list[str] = []
    for part in text.split(" / "):
        tokens = part.replace(",", " , ").split()
        while tokens and _PREFIX_WORD.match(tokens[0]):
            tokens.pop(0)
        words: list[str] = []
        for word in tokens:
            if _DOSE_START.match(word) or word == ",":
                break
            words.append(word)
        kept = [w for w in words if w not in _SALTS] or words
        if kept:
            ingredients.append(" ".join(kept))
    ingredients = list(dict.fromkeys(ingredients))
    if not ingredients:
        return []
    firsts = {i.split()[0] for i in ingredients}
    if len(firsts) == 1 and len(ingredients) > 1:
        names = [firsts.pop()]  # "insulin isophane / insulin, regular" -> insulin
    elif len(ingredients) > 1:
        names = ["-".join(ingredients), "/".join(ingredients), " and ".join(ingredients)]
    else:
        names = ingredients
    return names + [b for b in brands if b not in names]


def condition_names(display: str) -> list[str]:
    """A coded problem or procedure display as written in notes: semantic tag dropped, lower case.

    ``"Allergy to penicillin"`` also gives ``"penicillin allergy"``, ``"Fracture of ankle"``
    also ``"ankle fracture"``.
    """
    name = _clean(display)
    names = [name]
    m = re.match(r"^allergy to (\w+)$", name)
    if m:
        names.insert(0, f"{m.group(1)} allergy")
    m = re.match(r"^(\w+) of (\w+)$", name)
    if m and m.group(1) in _OF_HEADS:
        names.insert(0, f"{m.group(2)} {m.group(1)}")
    return names


def display_terms(resource_type: str, display: str) -> list[tuple[Term, list[str]]]:
    """The vocabulary entries one coded display gives (none for ones notes never name)."""
    tag = _semantic_tag(display)
    if tag in _SKIP_TAGS:
        return []
    if resource_type in ("MedicationRequest", "MedicationStatement", "MedicationAdministration"):
        names, label = drug_names(display), "drug"
    elif resource_type in ("Condition", "AllergyIntolerance"):
        names, label = condition_names(display), "finding" if tag == "finding" else "problem"
    elif resource_type == "Procedure":
        if _ADMINISTRATIVE.search(display.lower()):
            return []
        names, label = condition_names(display), "procedure"
    else:
        return []
    names = [n for n in names if _ALLOWED.match(n) and len(n) > 2 and len(n.split()) <= 6]
    return [(Term(label, names[0]), names)] if names else []


def _coded_display(resource: dict[str, Any]) -> str | None:
    concept = resource.get("code") or resource.get("medicationCodeableConcept") or {}
    coding = (concept.get("coding") or [{}])[0]
    return concept.get("text") or coding.get("display")


def terms_from_resources(resources: Iterable[dict[str, Any]]) -> dict[str, tuple[Term, list[str]]]:
    """Canonical name -> (term, forms) over the coded displays of structured resources."""
    found: dict[str, tuple[Term, list[str]]] = {}
    for resource in resources:
        display = _coded_display(resource)
        if not display:
            continue
        for term, forms in display_terms(resource.get("resourceType", ""), display):
            old = found.get(term.canonical)
            merged = list(dict.fromkeys((old[1] if old else []) + forms))
            found[term.canonical] = (old[0] if old else term, merged)
    return found


def _resources_in(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for path in paths:
        files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
        for file in files:
            data = json.loads(file.read_text(encoding="utf-8"))
            if data.get("resourceType") == "Bundle":
                yield from (e.get("resource") or {} for e in data.get("entry") or [])
            elif "resourceType" in data:
                yield data


def write_codes(paths: Iterable[Path], out: Path = CODES_FILE) -> int:
    """Build ``codes.txt`` from the structured resources of FHIR bundles; returns the line count."""
    terms = terms_from_resources(_resources_in(paths))
    lines = [
        f"{term.label}: {' | '.join(forms)}"
        for term, forms in sorted(terms.values(), key=lambda tf: (tf[0].label, tf[0].canonical))
    ]
    header = (
        "# Built by `python -m clinimem.notes.lexicon` from the coded displays of structured\n"
        "# FHIR resources (Condition, MedicationRequest, Procedure, AllergyIntolerance).\n"
    )
    out.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    load_lexicon.cache_clear()
    return len(lines)


if __name__ == "__main__":
    count = write_codes(Path(p) for p in sys.argv[1:])
    print(f"{count} terms written to {CODES_FILE}")

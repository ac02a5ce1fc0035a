"""The grounding vocabulary tables (clinimem/grounding/data/*.tsv) and their loader."""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import pytest

from clinimem.grounding.lexicon import Lexicon, lexicon

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
SAMPLES = Path(__file__).resolve().parents[2] / "clinimem" / "samples"
TABLES = {
    "synonyms.tsv": ["system", "code", "name", "source"],
    "classes.tsv": ["system", "code", "class", "source"],
    "class_terms.tsv": ["class", "term", "source"],
    "ingredients.tsv": ["ingredient", "name", "source"],
    "vaccines.tsv": ["cvx", "name", "source"],
}


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return lexicon()


def test_lexicon_is_cached() -> None:
    assert lexicon() is lexicon()


def test_simvistatin_is_a_statin(lex: Lexicon) -> None:
    # Synthea's "Simvistatin 10 MG" (sic).
    assert "statin" in lex.classes_for(RXNORM, "316672")
    assert "simvastatin" in lex.names_for(RXNORM, "316672")
    assert "statin" in lex.classes_for(RXNORM, "312961")


def test_warfarin_is_an_anticoagulant(lex: Lexicon) -> None:
    warfarin = [
        (system, code)
        for (system, code), names in lex.synonyms.items()
        if system == RXNORM and "warfarin" in {n.lower() for n in names}
    ]
    assert warfarin
    for system, code in warfarin:
        assert "anticoagulant" in lex.classes_for(system, code), code
    assert "anticoagulant" in lex.classes_for(None, "855332")  # no system: any system's rows


def test_prediabetes_is_not_diabetes(lex: Lexicon) -> None:
    assert "diabetes" not in lex.classes_for(SNOMED, "15777000")
    assert "prediabetes" in lex.classes_for(SNOMED, "15777000")
    assert "diabetes" in lex.classes_for(SNOMED, "44054006")
    # the complications of type 2 diabetes are diabetes too
    assert "diabetes" in lex.classes_for(SNOMED, "368581000119106")


@pytest.mark.parametrize(
    ("question", "named", "not_named"),
    [
        ("Is she on a blood thinner?", "anticoagulant", None),
        ("any water pills", "diuretic", None),
        ("Is he on any statins?", "statin", None),
        ("Is she on the pill?", "oral contraceptive", None),
        ("How is her kidney function?", "kidney function test", None),
        ("Does she have pre-diabetes?", "prediabetes", "diabetes"),
        ("Does she have prediabetes?", "prediabetes", "diabetes"),
        ("Does he have diabetes?", "diabetes", "prediabetes"),
        ("Which blood pressure medications is she on?", "antihypertensive", "blood pressure"),
        ("Any NSAIDs or painkillers?", "NSAID", None),
        ("Any allergies?", "allergy", None),
    ],
)
def test_classes_named_in(lex: Lexicon, question: str, named: str, not_named: str | None) -> None:
    classes = lex.classes_named_in(question)
    assert named in classes
    if not_named:
        assert not_named not in classes


def test_classes_named_in_keeps_order_and_case(lex: Lexicon) -> None:
    assert lex.classes_named_in("ON ACE INHIBITORS OR ARBS?") == ("ACE inhibitor", "ARB")
    assert lex.classes_named_in("") == ()
    assert lex.classes_named_in("What was her last weight?") == ()


def test_a1c_names_hba1c(lex: Lexicon) -> None:
    names = lex.names_for(LOINC, "4548-4")
    assert "A1c" in names and "HbA1c" in names
    assert lex.names_for(LOINC, None) == ()


def test_class_terms_include_the_class_name(lex: Lexicon) -> None:
    terms = lex.class_terms()
    assert "blood thinner" in terms["anticoagulant"]
    for cls, words in terms.items():
        assert words[0] == cls
    classed = {c for classes in lex.classes.values() for c in classes}
    assert classed <= set(terms)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_row_names_its_source(name: str) -> None:
    text = resources.files("clinimem.grounding").joinpath("data", name).read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows[0] == TABLES[name]
    assert len(rows) > 1
    for number, row in enumerate(rows[1:], start=2):
        assert len(row) == len(TABLES[name]), f"{name}:{number}: {row}"
        assert all(cell.strip() for cell in row), f"{name}:{number}: empty cell in {row}"


def _sample_rxnorm_codes() -> set[tuple[str, str]]:
    codes = set()
    for path in sorted(SAMPLES.glob("*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        for item in bundle.get("entry") or []:
            resource = item.get("resource") or {}
            if resource.get("resourceType") != "MedicationRequest":
                continue
            for coding in (resource.get("medicationCodeableConcept") or {}).get("coding") or []:
                if coding.get("system") == RXNORM:
                    codes.add((coding["code"], coding.get("display", "")))
    return codes


def test_every_sample_rxnorm_code_is_classed(lex: Lexicon) -> None:
    codes = _sample_rxnorm_codes()
    assert codes, f"no MedicationRequest in {SAMPLES}"
    unclassed = [(code, display) for code, display in codes if not lex.classes_for(RXNORM, code)]
    assert not unclassed

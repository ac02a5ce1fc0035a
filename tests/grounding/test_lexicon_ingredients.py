"""Drug ingredients and vaccine trade names (ingredients.tsv, vaccines.tsv): names for codes no table lists."""

from __future__ import annotations

from pathlib import Path
from shutil import copytree
from types import SimpleNamespace

import pytest

from clinimem.grounding import lexicon as lexicon_module
from clinimem.grounding.lexicon import CVX, RXNORM, Lexicon, lexicon

LOINC = "http://loinc.org"
UNSEEN = "99999999"  # an RxNorm code no table lists


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return lexicon()


def test_an_unseen_acetaminophen_code_is_tylenol(lex: Lexicon) -> None:
    assert UNSEEN not in {code for _, code in lex.synonyms}
    names = lex.names_for(RXNORM, UNSEEN, "Acetaminophen 500 MG Oral Tablet")
    for name in ("acetaminophen", "Tylenol", "APAP", "paracetamol"):
        assert name in names
    assert lex.names_for(RXNORM, UNSEEN) == ()  # without its display nothing is known of it


def test_hctz_reaches_a_hydrochlorothiazide_product(lex: Lexicon) -> None:
    assert "HCTZ" in lex.names_for(RXNORM, UNSEEN, "Hydrochlorothiazide 12.5 MG Oral Capsule")
    combination = lex.names_for(RXNORM, UNSEEN, "Hydrochlorothiazide 12.5 MG / Lisinopril 10 MG Oral Tablet")
    assert {"HCTZ", "Zestril", "Zestoretic", "lisinopril"} <= set(combination)
    assert "Zestoretic" not in lex.names_for(RXNORM, UNSEEN, "Lisinopril 10 MG Oral Tablet")


@pytest.mark.parametrize(
    ("display", "name"),
    [
        ("diphenhydrAMINE Hydrochloride 25 MG Oral Tablet", "DPH"),  # tall-man lettering
        ("diphenhydrAMINE Hydrochloride 25 MG Oral Tablet", "Benadryl"),
        ("Warfarin Sodium 2 MG Oral Tablet", "Coumadin"),
        ("24 HR Metformin hydrochloride 750 MG Extended Release Oral Tablet", "Glucophage"),
        ("Acetaminophen 325 MG / HYDROcodone Bitartrate 10 MG Oral Tablet", "Norco"),
        ("Acetaminophen 325 MG / HYDROcodone Bitartrate 10 MG Oral Tablet", "Tylenol"),
        ("Amoxicillin 875 MG / Clavulanate 125 MG Oral Tablet", "Augmentin"),
        ("Sulfamethoxazole 800 MG / Trimethoprim 160 MG Oral Tablet", "Bactrim"),
        ("insulin glargine 100 UNT/ML Pen Injector", "Lantus"),
    ],
)
def test_brand_and_abbreviation_by_ingredient(lex: Lexicon, display: str, name: str) -> None:
    assert name in lex.names_for(RXNORM, UNSEEN, display)


@pytest.mark.parametrize(
    ("display", "wrong"),
    [
        ("Amoxicillin 500 MG Oral Capsule", "Augmentin"),  # a combination brand needs every part
        ("Ethinyl Estradiol 0.035 MG / Norethindrone 1 MG Oral Tablet", "Estrace"),  # not estradiol
        ("Methylprednisolone 4 MG Oral Tablet", "Orapred"),  # not prednisolone
        ("Esomeprazole 40 MG Delayed Release Oral Capsule", "Prilosec"),  # not omeprazole
        ("Penicillin V Potassium 500 MG Oral Tablet", "KCl"),  # not potassium chloride
    ],
)
def test_ingredients_are_whole_words_longest_first(lex: Lexicon, display: str, wrong: str) -> None:
    assert wrong not in lex.names_for(RXNORM, UNSEEN, display)


def test_ingredient_names_only_for_rxnorm(lex: Lexicon) -> None:
    assert "Tylenol" not in lex.names_for(LOINC, "3298-6", "Acetaminophen [Mass/volume] in Serum or Plasma")
    assert "Tylenol" not in lex.names_for(None, UNSEEN, "Acetaminophen 500 MG Oral Tablet")


def test_listed_drug_codes_get_their_ingredients_names(lex: Lexicon) -> None:
    assert "DPH" in lex.names_for(RXNORM, "1049630")  # diphenhydramine 25 MG, listed with "Benadryl" only
    assert "APAP" in lex.names_for(RXNORM, "1049221")  # acetaminophen / oxycodone (Percocet)
    found = lex.ingredients_in("Acetaminophen 325 MG / Oxycodone Hydrochloride 5 MG Oral Tablet")
    assert set(found) == {"acetaminophen", "oxycodone", "acetaminophen / oxycodone"}


def test_vaccine_trade_names(lex: Lexicon) -> None:
    assert "Fluzone" in lex.names_for(CVX, "140")
    assert "Shingrix" in lex.names_for(CVX, "187")
    assert {"Boostrix", "Adacel"} <= set(lex.names_for(CVX, "115"))
    assert "Engerix-B" in lex.names_for(CVX, "08")
    assert lex.names_for(CVX, "8") == lex.names_for(CVX, "08")  # CVX codes with or without the leading zero
    assert "Engerix-B" in lex.names_for(None, "08")


def _tables_with(tmp_path: Path, name: str, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "package"
    copytree(Path(lexicon_module.__file__).parent / "data", package / "data")
    (package / "data" / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(lexicon_module, "resources", SimpleNamespace(files=lambda _package: package))


@pytest.mark.parametrize("name", ["ingredients.tsv", "vaccines.tsv"])
def test_loader_checks_the_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    _tables_with(
        tmp_path, name, "drug\tname\tsource\nacetaminophen\tTylenol\tRxNorm brand name\n", monkeypatch
    )
    with pytest.raises(ValueError, match="header"):
        lexicon_module._build()


def test_loader_refuses_an_empty_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tables_with(
        tmp_path, "ingredients.tsv", "ingredient\tname\tsource\nacetaminophen\tTylenol\t \n", monkeypatch
    )
    with pytest.raises(ValueError, match="empty column"):
        lexicon_module._build()


@pytest.mark.parametrize(
    ("display", "names"),
    [
        ("Lasix 40mg", {"furosemide", "Lasix"}),  # a brand names its ingredient
        ("Yaz 28 Day Pack", {"drospirenone", "ethinyl estradiol"}),  # a combination brand, every part
        ("HCTZ 25 mg", {"hydrochlorothiazide", "Microzide"}),  # an abbreviation
        ("Tylenol with Codeine #3", {"acetaminophen", "codeine", "APAP"}),
    ],
)
def test_a_brand_in_the_display_names_its_ingredients(lex: Lexicon, display: str, names: set[str]) -> None:
    assert names <= set(lex.names_for(RXNORM, UNSEEN, display))

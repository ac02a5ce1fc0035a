"""Grounding: a question finds the patient's own concept by its words, whatever the training saw.

Real Synthea records (the sample bundles shipped in ``clinimem/samples``, Apache-2.0) and questions
in the forms a clinician types them: the record's display, an abbreviation, a typo, a class.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clinimem_eval.questions.facts import read_bundle

from clinimem.grounding.match import (
    FEATURES,
    QUESTION_FEATURES,
    ground,
    listed_slots,
    patient_concepts,
    tokens_match,
)

SAMPLES = Path(__file__).resolve().parents[2] / "clinimem" / "samples"


def concepts_of(name: str):  # noqa: ANN201
    path = next(SAMPLES.glob(f"{name}_*.json"))
    (entries,) = read_bundle(path).values()
    return entries, patient_concepts(entries)


@pytest.fixture(scope="module")
def benito():  # noqa: ANN201 - hypertension, hydrochlorothiazide, CBC, BMI
    return concepts_of("Benito_Shields")


@pytest.fixture(scope="module")
def patria():  # noqa: ANN201 - diabetes and prediabetes, metformin, HbA1c
    return concepts_of("Patria_Schimmel")


def best(question: str, concepts) -> str:  # noqa: ANN001
    matches = ground(question, concepts).matches
    return matches[0].display if matches else ""


@pytest.mark.parametrize(
    "question",
    [
        "What was her most recent BMI?",
        "What was her most recent Body Mass Index?",
        "What is the latest body mass index?",
        "last bmi",
        "BMI latest",
    ],
)
def test_body_mass_index_by_any_of_its_names(benito, question: str) -> None:  # noqa: ANN001
    assert best(question, benito[1]) == "Body Mass Index"


def test_mchc_is_not_mcv_and_a_platelet_count_is_not_an_operation(benito) -> None:  # noqa: ANN001
    _, concepts = benito
    assert best("What was the most recent MCHC?", concepts).startswith("MCHC")
    assert best("Most recent platelet count?", concepts).startswith("Platelets [#/volume]")
    full = "What was the most recent Platelets [#/volume] in Blood by Automated count?"
    matches = ground(full, concepts).matches
    assert matches[0].display.startswith("Platelets [#/volume]") and matches[0].score >= 0.99
    assert all(m.score < 1.0 for m in matches[1:])


def test_diabetes_is_not_prediabetes_and_typos_still_match(patria) -> None:  # noqa: ANN001
    _, concepts = patria
    matches = {m.display: m.score for m in ground("Is her diabetes controlled?", concepts).matches}
    assert max(matches, key=matches.get) == "Diabetes"
    assert matches.get("Prediabetes", 0.0) < 0.5
    assert "Metformin" in best("When was metformn started?", concepts)
    assert best("How has her hemoglobin A1c trended?", concepts).startswith("Hemoglobin A1c")
    assert tokens_match("simvistatin", "simvastatin") and not tokens_match("mchc", "mcv")


def test_a_drug_class_matches_its_members(benito) -> None:  # noqa: ANN001
    entries, concepts = benito
    g = ground("Is he on a diuretic?", concepts)
    on_class = {entries[i].display for i in range(len(entries)) if g.slots[i, FEATURES.index("class")]}
    assert on_class and all("Hydrochlorothiazide" in d for d in on_class)


def test_nothing_matches_what_the_record_does_not_hold(benito) -> None:  # noqa: ANN001
    _, concepts = benito
    g = ground("What was his most recent TSH?", concepts)
    assert g.question[QUESTION_FEATURES.index("max_score")] < 0.3
    assert g.question[QUESTION_FEATURES.index("unexplained")] > 0.9


def test_a_kind_named_marks_its_slots(benito) -> None:  # noqa: ANN001
    entries, concepts = benito
    g = ground("When was the last visit?", concepts)
    named = {entries[i].kind for i in range(len(entries)) if g.slots[i, FEATURES.index("kind_named")]}
    assert named == {"encounter"}


def test_a_word_the_record_has_is_never_read_as_a_typo_of_another(benito) -> None:  # noqa: ANN001
    # "weight" is one edit from "height": both are in the record, so each means itself
    assert best("What was his weight at the last visit?", benito[1]) == "Body Weight"
    assert best("waht was his wieght?", benito[1]) == "Body Weight"
    assert tokens_match("aalnine", "alanine")  # a swapped pair of letters is one typo


def test_a_day_or_a_year_is_not_a_code_and_initials_name_a_lab(benito) -> None:  # noqa: ANN001
    # CVX code 21 (varicella) is not "May 21"; SBP is the initials of Systolic Blood Pressure
    matches = ground("What was the blood pressure on May 21, 2012?", benito[1]).matches
    assert matches[0].display == "Blood Pressure" and all(m.code != "21" for m in matches)
    assert best("What was his SBP?", benito[1]) == "Systolic Blood Pressure"


def test_a_lab_named_outright_beats_the_class_its_words_name(patria) -> None:  # noqa: ANN001
    # "cholesterol" names the lipid panel class too; the lab whose own name it is comes first
    assert best("Latest LDL cholesterol?", patria[1]) == "Low Density Lipoprotein Cholesterol"
    assert best("total cholesterol, first one", patria[1]) == "Total Cholesterol"
    assert best("What was her glucose in 2018?", patria[1]) == "Glucose"


def test_a_list_question_lists_every_entry_of_the_kind_or_class_it_names(patria) -> None:  # noqa: ANN001
    entries, concepts = patria
    for question, kind in (
        ("Which vaccines has she had?", "immunization"),
        ("Immunization hx?", "immunization"),
        ("medication history?", "medication"),
        ("All dx ever?", "condition"),
    ):
        listed = listed_slots(question, ground(question, concepts), concepts)
        assert listed and {entries[i].kind for i in listed} == {kind}, question
        assert len(listed) == sum(e.kind == kind for e in entries), question
    assert listed_slots("What was her last A1c?", ground("What was her last A1c?", concepts), concepts) == ()

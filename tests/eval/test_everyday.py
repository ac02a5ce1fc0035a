"""The everyday-question facts: gold read from the FHIR JSON of the shipped sample bundles, checked
against values read by hand from those files; the drug-class table; the scorer's ``text`` rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clinimem_eval.everyday import tables
from clinimem_eval.everyday.build import (
    MIN_PHRASINGS,
    OPS,
    build_facts,
    choose_threshold,
    load_records,
    visit_kind,
)
from clinimem_eval.invariance.run import score, value_matches

import clinimem
from clinimem.answer import Answer, AnswerValue, Citation

SAMPLES = Path(clinimem.__file__).resolve().parent / "samples"
FACTS = Path(__file__).resolve().parents[2] / "eval" / "clinimem_eval" / "everyday" / "facts_synthea_r4.jsonl"
PATRIA = "148f10e1-2182-4297-ac1f-39bb9eca6f1a"  # Patria Schimmel
BENITO = "fb0d70d5"  # Benito Shields (Patient.id prefix)


@pytest.fixture(scope="module")
def facts() -> list[dict]:
    return build_facts(load_records(SAMPLES))


def _fact(facts: list[dict], patient: str, op: str) -> dict:
    found = [f for f in facts if f["patient_id"].startswith(patient) and f["op"] == op]
    assert found, (patient, op)
    return found[0]


def test_patria_gold_matches_the_json_read_by_hand(facts: list[dict]) -> None:
    # her latest Encounter starts 2019-06-25 (Encounter/1c05dda5-..., a check-up)
    last = _fact(facts, PATRIA, "last_visit_date")
    assert last["gold"] == {"kind": "date", "value": "2019-06-25"}
    assert last["gold_resources"] == ["Encounter/1c05dda5-74fc-4417-89ba-836d1ed177d3"]
    # five AllergyIntolerance resources, one display each
    allergies = _fact(facts, PATRIA, "allergies_list")
    assert set(allergies["gold"]["value"]) == {
        "Allergy to mould",
        "House dust mite allergy",
        "Allergy to grass pollen",
        "Allergy to fish",
        "Allergy to nut",
    }
    assert len(allergies["gold_resources"]) == 5
    # every 72166-2 observation says "Never smoker"
    assert _fact(facts, PATRIA, "smoking_status")["gold"] == {"kind": "text", "value": "Never smoker"}
    # active: Perennial allergic rhinitis, Prediabetes, Diabetes (lacerations, sinusitis, pharyngitis resolved)
    problems = _fact(facts, PATRIA, "active_problem_list")
    assert set(problems["gold"]["value"]) == {"Perennial allergic rhinitis", "Prediabetes", "Diabetes"}
    # vaccines: flu x4, Hep A adult x2, Td x1
    imms = _fact(facts, PATRIA, "immunization_list")
    assert set(imms["gold"]["value"]) == {
        "Influenza, seasonal, injectable, preservative free",
        "Hep A, adult",
        "Td (adult) preservative free",
    }
    assert len(imms["gold_resources"]) == 7


def test_benito_visits_and_hydrochlorothiazide_read_by_hand(facts: list[dict]) -> None:
    # Encounters from 2015 on: 2015-01-01, 2015-01-06, 2016-01-12, 2017-01-17, 2018-01-23, 2019-01-29
    since = _fact(facts, BENITO, "visit_count_since_year")
    assert since["concept"] == "Encounter since 2015"
    assert since["gold"] == {"kind": "count", "value": 6}
    assert len(since["gold_resources"]) == 6
    within = _fact(facts, BENITO, "visit_count_in_year")
    assert within["concept"] == "Encounter in 2015" and within["gold"]["value"] == 2
    # hydrochlorothiazide 6.25 MG (stopped) authored 2018-01-23, then 25 MG (active) 2019-01-29
    since_drug = _fact(facts, BENITO, "drug_since")
    assert since_drug["concept"] == "hydrochlorothiazide"
    assert since_drug["gold"] == {"kind": "date", "value": "2018-01-23"}
    assert since_drug["gold_resources"] == ["MedicationRequest/c6090600-7464-4d24-8cab-a6db35ca3192"]
    on_diuretic = [
        f
        for f in facts
        if f["patient_id"].startswith(BENITO)
        and f["op"] == "on_drug_class_now"
        and f["concept"] == "diuretic"
    ]
    assert on_diuretic and on_diuretic[0]["gold"]["value"] is True
    assert on_diuretic[0]["gold_resources"] == ["MedicationRequest/88052758-b4c5-4c8f-be6e-555f88fceef7"]


def test_every_fact_is_well_formed(facts: list[dict]) -> None:
    resources: dict[str, set[str]] = {}
    for path in SAMPLES.glob("*.json"):
        rs = [e["resource"] for e in json.loads(path.read_text())["entry"]]
        pid = next(r["id"] for r in rs if r["resourceType"] == "Patient")
        resources[pid] = {f"{r['resourceType']}/{r['id']}" for r in rs}
    assert {f["op"] for f in facts} <= set(OPS)
    assert len({f["fact_id"] for f in facts}) == len(facts)
    for f in facts:
        assert f["category"] == "everyday"
        assert len({p.lower() for p in f["phrasings"]}) >= MIN_PHRASINGS, f["fact_id"]
        assert len(f["phrasing_styles"]) == len(f["phrasings"])
        assert len(set(f["phrasing_styles"])) >= 8, f["fact_id"]
        assert f["gold_resources"] and set(f["gold_resources"]) <= resources[f["patient_id"]], f["fact_id"]


def test_shipped_facts_cover_every_op() -> None:
    shipped = [json.loads(line) for line in FACTS.read_text().splitlines() if line.strip()]
    ops = {f["op"] for f in shipped}
    assert ops == set(OPS)
    assert len({f["patient_id"] for f in shipped}) == 23


def test_drug_classes_from_ingredients() -> None:
    assert tables.drug_classes("316672", "Simvistatin 10 MG") == {"statin"}
    assert tables.drug_classes("315971", "Lasix 40mg") == {"diuretic"}
    assert tables.drug_classes("855332", "Warfarin Sodium 5 MG Oral Tablet") == {"anticoagulant"}
    assert tables.drug_classes("309362", "Clopidogrel 75 MG Oral Tablet") == set()  # antiplatelet
    assert tables.drug_classes("1310197", "Acetaminophen 300 MG / HYDROcodone Bitartrate 5 MG [Vicodin]") == {
        "opioid"
    }
    assert "opioid" not in tables.drug_classes(
        "1043400",
        "Acetaminophen 21.7 MG/ML / Dextromethorphan Hydrobromide 1 MG/ML / doxylamine succinate 0.417 MG/ML Oral Solution",
    )
    assert tables.drug_classes("562251", "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet") == {
        "antibiotic"
    }
    assert tables.drug_classes(
        "866414", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet [Toprol]"
    ) == {"beta blocker"}
    assert tables.drug_classes("849574", "Naproxen sodium 220 MG Oral Tablet") == {"NSAID"}
    assert tables.drug_classes("833036", "Captopril 25 MG Oral Tablet") == {"ACE inhibitor"}
    assert "insulin" in tables.drug_classes("106892", "insulin human, isophane 70 UNT/ML ... [Humulin]")


def test_visit_kinds_and_thresholds() -> None:
    assert visit_kind({"class": {"code": "EMER"}, "type": [{"text": "Encounter for Problem"}]}) == {
        "emergency"
    }
    assert visit_kind(
        {"class": {"code": "AMB"}, "type": [{"coding": [{"display": "Encounter for check up (procedure)"}]}]}
    ) == {"outpatient", "wellness"}
    t = choose_threshold("4548-4", [6.1, 6.8, 7.4, 7.9])
    assert t == 7.0
    assert choose_threshold("2339-0", [80.0, 80.0, 80.0, 80.0]) is None  # nothing splits equal values


def _answer(value: object, kind: str, cited: list[str]) -> Answer:
    return Answer(
        patient_id="p",
        question="q",
        answer=AnswerValue(text=str(value), kind=kind, value=value),
        abstained=False,
        citations=tuple(
            Citation(entry_id=r, resource=r, encounter=None, time=None, text="", weight=1.0) for r in cited
        ),
    )


def test_text_gold_is_a_case_insensitive_contains() -> None:
    gold = {"kind": "text", "value": "Never smoker"}
    assert value_matches(gold, "Never smoker")
    assert value_matches(gold, "never  smoker (2019-06-25)")
    assert not value_matches(gold, "Former smoker")
    assert not value_matches(gold, False)
    assert not value_matches(gold, None)
    fact = {"gold": gold, "gold_resources": ["Observation/x"]}
    assert score(fact, _answer("Never smoker", "text", ["Observation/x"]))["correct"]
    assert score(fact, _answer("Never smoker", "text", ["Observation/y"]))["outcome"] == "wrong_citation"

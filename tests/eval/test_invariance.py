"""The phrasing-invariance facts on the real Synthea bundles, and their scorer (no store needed)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from clinimem_eval.invariance.run import load_facts, score, value_matches

from clinimem.answer import Answer, AnswerValue, Citation

FACTS = (
    Path(__file__).resolve().parents[2] / "eval" / "clinimem_eval" / "invariance" / "facts_synthea_r4.jsonl"
)
CATEGORIES = {"lookup", "temporal", "trend", "aggregation", "update", "multihop", "abstention"}


@pytest.fixture(scope="module")
def facts() -> list[dict]:
    return load_facts(FACTS)


@pytest.fixture(scope="module")
def bundle_resources(synthea_dir: Path) -> dict[str, set[str]]:
    """Patient.id -> every "ResourceType/id" in that patient's bundle."""
    out: dict[str, set[str]] = {}
    for path in sorted(synthea_dir.glob("*.json")):
        resources = [e["resource"] for e in json.loads(path.read_text())["entry"]]
        patient = next(r["id"] for r in resources if r["resourceType"] == "Patient")
        out[patient] = {f"{r['resourceType']}/{r['id']}" for r in resources}
    return out


def test_facts_cover_all_patients_and_categories(
    facts: list[dict], bundle_resources: dict[str, set[str]]
) -> None:
    assert len(facts) >= 300
    assert len({f["fact_id"] for f in facts}) == len(facts)
    assert {f["patient_id"] for f in facts} == set(bundle_resources)  # all 23 patients, by Patient.id
    cats = Counter(f["category"] for f in facts)
    assert set(cats) == CATEGORIES
    assert cats["abstention"] >= 0.08 * len(facts)


def test_every_fact_has_twelve_distinct_labelled_phrasings(facts: list[dict]) -> None:
    for f in facts:
        distinct = {p.strip().lower() for p in f["phrasings"]}
        assert len(distinct) >= 12, f["fact_id"]
        assert len(f["phrasing_styles"]) == len(f["phrasings"]), f["fact_id"]
        assert len(set(f["phrasing_styles"])) >= 8, f["fact_id"]


def test_gold_resources_exist_in_the_patients_bundle(
    facts: list[dict], bundle_resources: dict[str, set[str]]
) -> None:
    for f in facts:
        if f["gold"]["kind"] == "none":
            assert f["gold_resources"] == [], f["fact_id"]
            continue
        assert f["gold_resources"], f["fact_id"]
        missing = set(f["gold_resources"]) - bundle_resources[f["patient_id"]]
        assert not missing, (f["fact_id"], missing)


def _answer(value, kind: str, cited: list[str], abstained: bool = False) -> Answer:
    citations = tuple(
        Citation(entry_id=r, resource=r, encounter=None, time=None, text="", weight=1.0) for r in cited
    )
    return Answer(
        patient_id="p",
        question="q",
        answer=AnswerValue(text=str(value), kind=kind, value=value),
        abstained=abstained,
        citations=citations,
    )


MCHC_FACT = {
    "fact_id": "t-mchc",
    "patient_id": "p",
    "category": "lookup",
    "gold": {"kind": "value", "value": 33.5, "unit": "g/dL"},
    "gold_resources": ["Observation/mchc-1"],
    "concept": "MCHC [Mass/volume] by Automated count",
}


def test_wrong_concept_citation_is_incorrect_even_when_the_value_matches() -> None:
    # the MCV observation happens to carry the same number as the MCHC asked about
    wrong = score(MCHC_FACT, _answer(33.5, "value", ["Observation/mcv-1"]))
    assert wrong["value_ok"] and not wrong["correct"]
    assert wrong["outcome"] == "wrong_citation"
    right = score(MCHC_FACT, _answer(33.52, "value", ["Observation/mchc-1"]))
    assert right["correct"]
    also_cites_wrong = score(MCHC_FACT, _answer(33.5, "value", ["Observation/mcv-1", "Observation/mchc-1"]))
    assert also_cites_wrong["correct"] and also_cites_wrong["cit_p"] == 0.5


def test_wrong_concept_citation_is_incorrect_for_booleans_too() -> None:
    fact = {**MCHC_FACT, "gold": {"kind": "boolean", "value": True}, "gold_resources": ["Condition/diabetes"]}
    assert not score(fact, _answer(True, "boolean", ["Condition/prediabetes"]))["correct"]
    assert score(fact, _answer(True, "boolean", ["Condition/diabetes"]))["correct"]
    assert not score(fact, _answer(1, "value", ["Condition/diabetes"]))["correct"]  # 1 is not True


def test_abstention_scoring() -> None:
    fact = {**MCHC_FACT, "gold": {"kind": "none", "value": None}, "gold_resources": []}
    assert score(fact, _answer(None, "none", [], abstained=True))["correct"]
    assert score(fact, _answer(4.1, "value", ["Observation/x"]))["outcome"] == "answered_unanswerable"
    missed = score(MCHC_FACT, _answer(None, "none", [], abstained=True))
    assert missed["outcome"] == "wrong_abstention" and not missed["correct"]


def test_value_rules() -> None:
    assert value_matches({"kind": "value", "value": 100.0}, 100.9)  # within 1 %
    assert not value_matches({"kind": "value", "value": 100.0}, 101.5)
    assert value_matches({"kind": "value", "value": 0.5}, 0.509)  # within 0.01
    assert value_matches({"kind": "date", "value": "2019-03-14"}, "2019-03-14T10:00:00+00:00")
    assert not value_matches({"kind": "date", "value": "2019-03-14"}, "2019-03-15")
    assert value_matches({"kind": "count", "value": 4}, 4)
    assert not value_matches({"kind": "count", "value": 4}, 5)
    assert value_matches(
        {"kind": "list", "value": ["MMR", "Td (adult) preservative free"]},
        ["td (adult) preservative free", "mmr"],
    )
    assert not value_matches({"kind": "list", "value": ["MMR", "IPV"]}, ["MMR"])
    assert value_matches({"kind": "trend", "value": "decreasing"}, "decreasing")
    assert not value_matches({"kind": "trend", "value": "decreasing"}, "stable")

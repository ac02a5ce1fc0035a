"""The metrics score a known-right and a known-wrong answer correctly for every answer kind."""

from __future__ import annotations

import math
from typing import Any

import pytest
from clinimem_eval.metrics import (
    answer_correct,
    citation_scores,
    decimals,
    percentile,
    score,
    summarize,
)

from clinimem.answer import ANSWER_KINDS, Answer, AnswerValue, Citation


def answer(kind: str, value: Any, unit: str | None = None, cited: tuple[str, ...] = ()) -> Answer:
    citations = tuple(Citation(f"e{i}", ref, None, None, "", 1.0) for i, ref in enumerate(cited))
    return Answer(
        patient_id="p",
        question="q",
        answer=AnswerValue(text=str(value), kind=kind, value=value, unit=unit),
        abstained=kind == "none",
        citations=citations,
    )


# gold, a right answer, a wrong answer: one row per contract kind (and the edge of each rule)
CASES = [
    ({"kind": "value", "value": 7.5, "unit": "%"}, answer("value", 7.5, "%"), answer("value", 7.6, "%")),
    (
        {"kind": "value", "value": 7.5, "unit": "%"},
        answer("value", 7.549, "%"),
        answer("value", 7.5, "mg/dL"),
    ),
    ({"kind": "value", "value": 137.0, "unit": "mm[Hg]"}, answer("value", 137.4), answer("value", 138.0)),
    ({"kind": "value", "value": 80.54953275610424}, answer("value", 80.6), answer("value", 81.2)),
    ({"kind": "value", "value": 0.7, "unit": "mg/dL"}, answer("value", 0.74), answer("value", 0.76)),
    (
        {"kind": "date", "value": "2018-06-02"},
        answer("date", "2018-06-02T10:15:00+00:00"),
        answer("date", "2018-06-03"),
    ),
    (
        {"kind": "boolean", "value": True},
        answer("boolean", True),
        answer("boolean", False),
    ),
    ({"kind": "boolean", "value": False}, answer("boolean", False), answer("boolean", None)),
    ({"kind": "count", "value": 3}, answer("count", 3), answer("count", 4)),
    ({"kind": "count", "value": 0}, answer("count", 0), answer("count", True)),
    (
        {"kind": "list", "value": ["Lisinopril 10 MG Oral Tablet", "Metformin"]},
        answer("list", ["metformin", "lisinopril  10 mg oral tablet"]),
        answer("list", ["Metformin"]),
    ),
    ({"kind": "list", "value": ["A"]}, answer("list", ["a", "A"]), answer("list", ["A", "B"])),
    ({"kind": "trend", "value": "decreasing"}, answer("trend", "Decreasing"), answer("trend", "stable")),
    (
        {"kind": "text", "value": "137/91", "unit": "mm[Hg]"},
        answer("text", "137/91 mm[Hg]"),
        answer("text", "91/137"),
    ),
    ({"kind": "text", "value": "no value"}, answer("text", "No  value"), answer("text", "some value")),
    ({"kind": "none", "value": None}, Answer.abstain("p", "q"), answer("date", "2018-06-02")),
]


def test_every_contract_kind_is_covered():
    assert {gold["kind"] for gold, _, _ in CASES} == set(ANSWER_KINDS)


@pytest.mark.parametrize(
    ("gold", "right", "wrong"), CASES, ids=[f"{c[0]['kind']}-{i}" for i, c in enumerate(CASES)]
)
def test_right_and_wrong_answers(gold, right, wrong):
    assert answer_correct(gold, right) is True
    assert answer_correct(gold, wrong) is False


def test_abstaining_on_an_answerable_question_is_wrong():
    assert not answer_correct({"kind": "value", "value": 7.5}, Answer.abstain("p", "q"))
    assert not answer_correct({"kind": "list", "value": []}, Answer.abstain("p", "q"))


def test_decimals_follow_the_gold_value():
    assert decimals(7.5) == 1
    assert decimals(137.0) == 0
    assert decimals(0.25) == 2
    assert decimals(80.54953275610424) == 6


def test_citation_scores():
    assert citation_scores([], []) == (1.0, 1.0, 1.0)  # an abstention that cites nothing
    assert citation_scores(["Observation/1"], []) == (0.0, 0.0, 0.0)
    assert citation_scores([], ["Observation/1"]) == (0.0, 0.0, 0.0)
    p, r, f1 = citation_scores(["Observation/1", "Observation/2"], ["Observation/1", "Condition/3"])
    assert (p, r) == (0.5, 0.5) and f1 == pytest.approx(0.5)
    # two entries of one resource (a panel and its component) are one cited resource
    assert citation_scores(["Observation/1", "Observation/1"], ["Observation/1"]) == (1.0, 1.0, 1.0)


def test_score_and_summary_with_abstention_precision_recall():
    right_abstain = score({"kind": "none", "value": None}, [], Answer.abstain("p", "q"), 1.0)
    wrong_abstain = score({"kind": "count", "value": 2}, ["Condition/1"], Answer.abstain("p", "q"), 2.0)
    missed = score({"kind": "none", "value": None}, [], answer("count", 2, cited=("Condition/1",)), 3.0)
    right = score(
        {"kind": "count", "value": 2}, ["Condition/1"], answer("count", 2, cited=("Condition/1",)), 4.0
    )
    assert right_abstain.f1 == 1.0 and right_abstain.correct
    assert missed.f1 == 0.0 and not missed.correct
    summary = summarize([right_abstain, wrong_abstain, missed, right])
    assert summary.n == 4
    assert summary.accuracy == 0.5
    assert summary.abstention_precision == 0.5  # one of the two abstentions was right to
    assert summary.abstention_recall == 0.5  # one of the two unanswerable questions was abstained on
    assert summary.latency_p50 == 2.5
    assert summary.citation_f1 == pytest.approx((1 + 0 + 0 + 1) / 4)


def test_percentile_and_empty_summary():
    assert percentile([1, 2, 3, 4, 5], 50) == 3
    assert percentile([0, 100], 95) == 95
    assert math.isnan(percentile([], 50))
    assert summarize([]).n == 0


@pytest.mark.parametrize(
    ("gold", "right_value"),
    [
        (
            {"kind": "value", "value": 33.1, "unit": "g/dL"},
            answer("value", 33.1, "g/dL", cited=("Observation/mcv",)),
        ),
        ({"kind": "boolean", "value": True}, answer("boolean", True, cited=("Condition/prediabetes",))),
        ({"kind": "trend", "value": "stable"}, answer("trend", "stable", cited=("Observation/mcv",))),
        ({"kind": "count", "value": 3}, answer("count", 3, cited=("Observation/mcv",))),
    ],
)
def test_a_right_value_read_from_another_concept_is_wrong(gold: dict[str, Any], right_value: Answer) -> None:
    # MCHC asked, MCV cited (the reported case): the value may even coincide, the answer is still wrong
    evidence = ["Observation/mchc"]
    assert answer_correct(gold, right_value)
    assert not score(gold, evidence, right_value, 1.0).correct
    cited_right = Answer(
        **{**right_value.__dict__, "citations": (Citation("e", "Observation/mchc", None, None, "", 1.0),)}
    )
    assert score(gold, evidence, cited_right, 1.0).correct

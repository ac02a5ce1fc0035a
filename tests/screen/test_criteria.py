"""Criteria files, conditions and the three-valued logic, without an engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLES

from clinimem.answer import Answer, AnswerValue
from clinimem.screen import MET, NOT_MET, UNKNOWN, CriteriaError, load_criteria, parse_criteria
from clinimem.screen.conditions import evaluate_expect, parse_condition
from clinimem.screen.logic import ExpressionError, parse_expression


def answer(kind: str, value: object, unit: str | None = None, text: str = "an answer") -> Answer:
    return Answer("p1", "q", AnswerValue(text, kind, value, unit), abstained=False)


ABSTAINED = Answer.abstain("p1", "q")


@pytest.mark.parametrize(
    ("expect", "given", "verdict"),
    [
        ("value > 9", answer("value", 9.4, "%"), MET),
        ("value > 9", answer("value", 8.9, "%"), NOT_MET),
        ("value > 9%", answer("value", 9.4, "%"), MET),
        ("value > 190 mg/dL", answer("value", 212.0, "mg/dL"), MET),
        ("value > 190 mg/dL", answer("value", 212.0, "mmol/L"), UNKNOWN),  # unit differs
        ("value > 9", answer("trend", "increasing"), UNKNOWN),  # kind does not fit
        ("value > 9", ABSTAINED, UNKNOWN),
        ("value == 7.9", answer("value", 7.9), MET),
        ("trend == decreasing", answer("trend", "decreasing"), MET),
        ("trend == decreasing", answer("trend", "stable"), NOT_MET),
        ("trend == decreasing", answer("boolean", True), UNKNOWN),
        ("trend in [increasing, stable]", answer("trend", "stable"), MET),
        ("boolean == false", answer("boolean", False), MET),
        ("boolean == false", answer("boolean", True), NOT_MET),
        ("boolean == false", ABSTAINED, UNKNOWN),
        ("count >= 2", answer("count", 3), MET),
        ("count >= 2", answer("count", 1), NOT_MET),
        ("count >= 2", answer("list", ["a", "b"]), MET),  # a list's length
        ("abstained == true", ABSTAINED, MET),
        ("abstained == true", answer("date", "2020-01-01"), NOT_MET),
        ("date >= 2020-01-01", answer("date", "2021-05-02"), MET),
        ("date < 2020-01-01", answer("date", "2021-05-02"), NOT_MET),
        ("list contains insulin", answer("list", ["Insulin glargine", "Metformin"]), MET),
        ("list contains insulin", answer("list", ["Metformin"]), NOT_MET),
        ("text contains 'on 2018'", answer("value", 7.9, text="7.9 % on 2018-06-02"), MET),
        ("kind == none", ABSTAINED, UNKNOWN),  # an abstention answers nothing but `abstained`
        # and / or / not inside one expect, three-valued
        ("boolean == false or abstained == true", ABSTAINED, MET),
        ("boolean == false or abstained == true", answer("boolean", True), NOT_MET),
        ("value > 9 and value < 12", answer("value", 10.0), MET),
        ("not value > 9", answer("value", 8.0), MET),
        ("not (value > 9)", ABSTAINED, UNKNOWN),
    ],
)
def test_condition_verdicts(expect: str, given: Answer, verdict: str) -> None:
    assert evaluate_expect(parse_condition(expect), given) == verdict


def test_a_condition_reads_another_criterions_answer() -> None:
    tree = parse_condition("value < 0.75 * @baseline")
    baseline = answer("value", 80.0, "mL/min")
    assert evaluate_expect(tree, answer("value", 52.0, "mL/min"), {"baseline": baseline}) == MET
    assert evaluate_expect(tree, answer("value", 70.0, "mL/min"), {"baseline": baseline}) == NOT_MET
    assert evaluate_expect(tree, answer("value", 52.0, "mL/min"), {"baseline": ABSTAINED}) == UNKNOWN
    assert evaluate_expect(tree, answer("value", 52.0, "mg/dL"), {"baseline": baseline}) == UNKNOWN
    scaled = parse_condition("value > @baseline * 1.1")
    assert evaluate_expect(scaled, answer("value", 90.0, "mL/min"), {"baseline": baseline}) == MET


@pytest.mark.parametrize(
    "bad",
    [
        "value >",
        "valu > 3",
        "trend == down",
        "boolean == 3",
        "count > many",
        "value > 9 and",
        "(value > 9",
        "value > 9)",
        "date > yesterday",
        "value < 0.5 * baseline",
        "list == insulin",
        "value ~ 3",
    ],
)
def test_bad_conditions_say_where(bad: str) -> None:
    with pytest.raises(ExpressionError):
        parse_condition(bad)


def test_kleene_logic() -> None:
    verdicts = {"a": MET, "b": NOT_MET, "u": UNKNOWN}

    def run(text: str) -> str:
        return parse_expression(text, lambda t: t.take_name()).evaluate(verdicts.__getitem__)

    assert run("a and u") == UNKNOWN
    assert run("b and u") == NOT_MET
    assert run("a or u") == MET
    assert run("b or u") == UNKNOWN
    assert run("not u") == UNKNOWN
    assert run("not b and (a or u)") == MET
    assert run("a and not (b or u)") == UNKNOWN


def test_criteria_that_do_not_parse_are_reported_one_by_one() -> None:
    criteria = parse_criteria(
        {
            "criteria": {
                "good": {"question": "What was the most recent HbA1c?", "expect": "value > 9"},
                "bad_expect": {"question": "q", "expect": "value >> 9"},
                "no_question": {"expect": "value > 9"},
                "no_expect": {"question": "q"},
                "and": {"question": "q", "expect": "value > 1"},
                "bad_ref": {"question": "q", "expect": "value > @nowhere"},
                "not_a_mapping": "value > 3",
            },
            "flag": "good or bad_expect",
        }
    )
    errors = {c.name: c.error for c in criteria.criteria}
    assert errors["good"] is None and criteria.criteria[0].ok
    assert "character" in errors["bad_expect"]
    assert "question" in errors["no_question"]
    assert "expect" in errors["no_expect"]
    assert "name" in errors["and"]
    assert "@nowhere" in errors["bad_ref"]
    assert "mapping" in errors["not_a_mapping"]
    assert len(criteria.errors) == 6
    assert criteria.flag is not None and criteria.flag_error is None


def test_flag_defaults_to_all_and_is_checked() -> None:
    spec = {"a": {"question": "q1", "expect": "value > 1"}, "b": {"question": "q2", "expect": "value > 2"}}
    assert parse_criteria({"criteria": spec}).flag_text == "a and b"
    unknown = parse_criteria({"criteria": spec, "flag": "a and c"})
    assert unknown.flag is None and "c" in unknown.flag_error
    broken = parse_criteria({"criteria": spec, "combine": "a and (b"})
    assert broken.flag is None and "')'" in broken.flag_error
    as_list = parse_criteria({"criteria": [{"name": "x", "question": "q", "expect": "count > 0"}]})
    assert as_list.names == ("x",)


def test_fingerprint_follows_content() -> None:
    spec = {"a": {"question": "q1", "expect": "value > 1"}}
    first = parse_criteria({"criteria": spec})
    assert parse_criteria({"criteria": spec, "name": "renamed"}).fingerprint == first.fingerprint
    changed = parse_criteria({"criteria": {"a": {"question": "q1", "expect": "value > 2"}}})
    assert changed.fingerprint != first.fingerprint


def test_unusable_files_raise(tmp_path: Path) -> None:
    with pytest.raises(CriteriaError):
        load_criteria(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("criteria: [unclosed")
    with pytest.raises(CriteriaError):
        load_criteria(tmp_path / "bad.yaml")
    (tmp_path / "empty.yaml").write_text("criteria: {}")
    with pytest.raises(CriteriaError):
        load_criteria(tmp_path / "empty.yaml")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_parse(path: Path) -> None:
    criteria = load_criteria(path)
    assert criteria.errors == []
    assert len(criteria.criteria) >= 2

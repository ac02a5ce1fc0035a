"""Everyday questions on the 23 real Synthea records that ship with the tests.

Each expected answer is computed here from the patient's own entries (not from the rules
under test): the latest visit, visits since a year, a coded smoking status, results above a
bound, a class the patient is or is not on, a history the record does not hold.
"""

from __future__ import annotations

import pytest

from clinimem.api import Clinimem
from clinimem.controller.executor import is_current
from clinimem.controller.question import find_threshold
from clinimem.grounding.lexicon import lexicon

SMOKING = "72166-2"
SYSTOLIC = "8480-6"


@pytest.fixture(scope="module")
def engine(synthea_store) -> Clinimem:  # noqa: ANN001 - conftest's LoadedStore
    return Clinimem(synthea_store.store)


@pytest.fixture(scope="module")
def memories(engine: Clinimem) -> dict[str, tuple]:
    return {p.patient_id: engine.memory(p.patient_id).entries for p in engine.patients()}


def _visits(entries: tuple) -> list:
    return [e for e in entries if e.kind == "encounter" and e.path == "$"]


def test_thresholds_read_from_the_question() -> None:
    assert find_threshold("How many times was his SBP above 140?").relation == ">"
    assert find_threshold("# A1c >= 6.5").value == 6.5
    assert find_threshold("eGFR below 60 how often").relation == "<"
    assert find_threshold("over the last 3 visits") is None
    assert find_threshold("weight over 5 years") is None


def test_last_visit_and_visits_since_a_year(engine: Clinimem, memories: dict) -> None:
    pid, entries = max(memories.items(), key=lambda kv: len(_visits(kv[1])))
    days = sorted(e.time[:10] for e in _visits(entries))
    for question in ("When did we last see him?", "Last visit?", "Date of his most recent appointment?"):
        answer = engine.ask(pid, question)
        assert not answer.abstained, question
        assert answer.answer.value == days[-1], question
        assert all(c.resource.startswith("Encounter/") for c in answer.citations)
    year = int(days[len(days) // 2][:4])
    since = len({e.resource for e in _visits(entries) if e.time[:4] >= str(year)})
    for question in (f"How many visits since {year}?", f"Visits since {year}?"):
        answer = engine.ask(pid, question)
        assert answer.answer.kind == "count" and answer.answer.value == since, question
        assert len(answer.citations) == since


def test_emergency_visits_in_a_year_by_the_visit_class(engine: Clinimem, memories: dict) -> None:
    found = [
        (pid, e.time[:4])
        for pid, entries in memories.items()
        for e in _visits(entries)
        if e.category == "EMER"
    ]
    assert found, "the test records hold an emergency visit"
    pid, year = found[0]
    expected = sum(1 for e in _visits(memories[pid]) if e.category == "EMER" and e.time[:4] == year)
    answer = engine.ask(pid, f"How many ED visits in {year}?")
    assert answer.answer.value == expected
    assert {c.resource for c in answer.citations} <= {
        e.resource for e in _visits(memories[pid]) if e.category == "EMER"
    }


def test_smoking_status_is_the_latest_coded_result(engine: Clinimem, memories: dict) -> None:
    checked = 0
    for pid, entries in list(memories.items())[:6]:
        statuses = sorted((e for e in entries if e.code == SMOKING), key=lambda e: e.time or "")
        if not statuses:
            continue
        for question in ("Does the patient smoke?", "Smoking status?", "Tobacco use?"):
            answer = engine.ask(pid, question)
            assert not answer.abstained, question
            assert answer.answer.value == statuses[-1].value, question
            assert [c.resource for c in answer.citations] == [statuses[-1].resource]
        checked += 1
    assert checked


def test_results_above_a_bound_are_counted(engine: Clinimem, memories: dict) -> None:
    pid, entries = max(memories.items(), key=lambda kv: sum(e.code == SYSTOLIC for e in kv[1]))
    values = {e.resource: e.value for e in entries if e.code == SYSTOLIC}
    bound = round(sorted(values.values())[len(values) // 2])
    expected = sum(v > bound for v in values.values())
    for question in (
        f"How many times has the systolic blood pressure been above {bound}?",
        f"# SBP > {bound}",
    ):
        answer = engine.ask(pid, question)
        assert answer.answer.kind == "count" and answer.answer.value == expected, question


def test_a_drug_class_now_and_a_history_the_record_does_not_hold(engine: Clinimem, memories: dict) -> None:
    lex = lexicon()
    on_class = None
    for pid, entries in memories.items():
        for e in entries:
            if (
                e.kind == "medication"
                and is_current(e)
                and "antihypertensive" in lex.classes_for(e.code_system, e.code)
            ):
                on_class = pid
    if on_class is not None:
        answer = engine.ask(on_class, "Is the patient on an antihypertensive?")
        assert answer.answer.value is True
        assert answer.citations
    # prediabetes is not diabetes: a "no", never read from the Prediabetes entry
    prediabetic = [
        pid
        for pid, entries in memories.items()
        if any("prediabetes" in (e.display or "").lower() for e in entries)
        and not any("diabetes" in lex.classes_for(e.code_system, e.code) for e in entries)
    ]
    assert prediabetic, "the test records hold a patient with prediabetes and no diabetes"
    for question in ("Does he have a history of diabetes?", "Hx of DM?", "Has she ever had diabetes?"):
        answer = engine.ask(prediabetic[0], question)
        assert answer.answer.value is False, question
        cited = {c.resource for c in answer.citations}
        by_resource = {e.resource: e for e in memories[prediabetic[0]]}
        assert all(by_resource[r].kind == "condition" for r in cited)


def test_when_a_stopped_drug_was_last_prescribed(engine: Clinimem, memories: dict) -> None:
    for pid, entries in memories.items():
        meds = [e for e in entries if e.kind == "medication" and e.path == "$"]
        for display in sorted({e.display or "" for e in meds}):
            names = lexicon().ingredients_in(display)
            if len(names) != 1 or any(
                is_current(e) for e in meds if names[0] in lexicon().ingredients_in(e.display or "")
            ):
                continue
            same = [e for e in meds if names[0] in lexicon().ingredients_in(e.display or "")]
            last = max((e.end_time or e.time)[:10] for e in same)
            answer = engine.ask(pid, f"When was {names[0]} stopped?")
            assert answer.answer.kind == "date" and answer.answer.value == last
            return
    pytest.fail("the test records hold a stopped drug")


def test_no_computed_answer_shows_related_entries_and_never_says_not_in_the_record(
    engine: Clinimem, memories: dict
) -> None:
    from clinimem.answer import NO_COMPUTED_ANSWER, NOT_IN_RECORD

    pid, entries = max(memories.items(), key=lambda kv: sum(e.code == SYSTOLIC for e in kv[1]))
    # a question about a named series that no operation computes (a standard deviation)
    answer = engine.ask(pid, "What is the standard deviation of the systolic blood pressure?")
    assert answer.abstained, answer.answer.text
    assert answer.answer.text == NO_COMPUTED_ANSWER
    assert answer.citations == ()
    assert answer.context and all(c.resource.startswith("Observation/") for c in answer.context)
    assert answer.to_dict()["context"]
    # a thing the record does not hold at all is still "not in the record", with no context
    silent = engine.ask(pid, "When was the last xylophone zeppelin?")
    assert silent.abstained and silent.answer.text == NOT_IN_RECORD and silent.context == ()


def test_the_highest_and_lowest_result_of_a_series(engine: Clinimem, memories: dict) -> None:
    pid, entries = max(memories.items(), key=lambda kv: sum(e.code == SYSTOLIC for e in kv[1]))
    values = [e.value for e in entries if e.code == SYSTOLIC]
    assert engine.ask(pid, "What was his highest systolic blood pressure?").answer.value == max(values)
    assert engine.ask(pid, "Lowest SBP on record?").answer.value == min(values)


def test_no_no_about_a_problem_the_record_holds_under_another_name(engine: Clinimem, memories: dict) -> None:
    # shorthand the tables do not spell ("sz disorder") must not become "No" for a seizure disorder
    holders = [
        pid
        for pid, entries in memories.items()
        if any(e.kind == "condition" and "seizure disorder" in (e.display or "").lower() for e in entries)
    ]
    assert holders, "the test records hold a seizure disorder"
    for question in ("Hx of sz disorder?", "PMH sz disorder?"):
        answer = engine.ask(holders[0], question)
        assert answer.answer.value is not False, (question, answer.answer.text)

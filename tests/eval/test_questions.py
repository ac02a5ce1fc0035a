"""The question generator: format, determinism, split, phrasings and gold evidence ids."""

from __future__ import annotations

import string
from collections import Counter
from pathlib import Path

import pytest
from clinimem_eval.questions import (
    CATEGORIES,
    OPS,
    Question,
    generate_for_facts,
    generate_for_patients,
    load_facts,
    read_jsonl,
    write_jsonl,
)
from clinimem_eval.questions.generate import drafts_for, quotas, render
from clinimem_eval.questions.split import TEST_PATIENT_FRACTION, is_test_patient
from clinimem_eval.questions.templates import TEMPLATES
from clinimem_eval.synth import generate

from clinimem.memory.entry import entry_id_for

N = 12


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("synth-questions")
    generate(N, seed=0, out_dir=folder)
    return sorted(
        p for p in folder.glob("*.json") if not p.name.endswith(".truth.json") and p.name != "manifest.json"
    )


@pytest.fixture(scope="module")
def questions(bundles) -> list[Question]:
    return generate_for_patients(bundles, seed=0)


def test_about_ten_questions_per_patient_in_every_category(questions):
    per_patient = Counter(q.patient_id for q in questions)
    assert len(per_patient) == N
    assert all(8 <= n <= 10 for n in per_patient.values()), per_patient
    assert set(Counter(q.category for q in questions)) == set(CATEGORIES) - {"notes"}
    assert {q.op for q in questions} <= set(OPS)


def test_same_seed_same_questions_other_seed_other_draw(bundles, questions):
    again = generate_for_patients(bundles, seed=0)
    assert [q.to_dict() for q in again] == [q.to_dict() for q in questions]
    other = generate_for_patients(bundles, seed=1)
    assert {q.qid for q in other} != {q.qid for q in questions}


def test_gold_format(questions):
    for q in questions:
        kind, value = q.answer["kind"], q.answer["value"]
        if kind == "value":
            assert isinstance(value, float) and q.answer["unit"]
        elif kind == "date":
            assert len(value) == 10 and value[4] == value[7] == "-"
        elif kind == "count":
            assert isinstance(value, int) and not isinstance(value, bool)
        elif kind == "boolean":
            assert isinstance(value, bool)
        elif kind == "list":
            assert value == sorted(value, key=str.lower) and len(set(value)) == len(value) and value
        elif kind == "trend":
            assert value in ("increasing", "decreasing", "stable")
        elif kind == "text":
            assert "/" in value
        else:
            assert kind == "none" and value is None and q.op == "abstain"
        assert (kind == "none") == (q.category == "abstention") == (not q.evidence)


def test_evidence_entries_are_entries_of_the_bundle(bundles, questions):
    facts = {f.patient_id: f for f in load_facts(bundles)}
    for q in questions:
        ids = {e.entry_id for e in facts[q.patient_id].entries}
        assert set(q.evidence_entries) <= ids
        assert {i for hop in q.hops for i in hop} == set(q.evidence_entries)
        by_id = {e.entry_id: e for e in facts[q.patient_id].entries}
        assert sorted({by_id[i].resource for i in q.evidence_entries}) == q.evidence
        for i in q.evidence_entries:
            assert entry_id_for(by_id[i].resource, by_id[i].path) == i
        if q.params.get("anchor"):
            assert len(q.hops) == 2 and q.params["anchor"]["resource"] in q.evidence


def test_split_rule(questions):
    for q in questions:
        held_out = TEMPLATES[q.template].is_held_out(q.phrasing)
        assert q.split == ("test" if held_out or is_test_patient(q.patient_id) else "train")
    ids = [f"patient-{i}" for i in range(4000)]
    share = sum(map(is_test_patient, ids)) / len(ids)
    assert abs(share - TEST_PATIENT_FRACTION) < 0.02


def test_templates_have_4_to_6_phrasings_with_known_slots(bundles):
    known = {"subj", "pos", "obj"}
    facts = load_facts(bundles)
    drafted: dict[str, set[str]] = {}
    for f in facts:
        for by_template in drafts_for(f).values():
            for name, drafts in by_template.items():
                drafted.setdefault(name, set()).update(drafts[0].slots)
    for name, tmpl in TEMPLATES.items():
        assert 4 <= len(tmpl.phrasings) <= 6
        assert 1 <= tmpl.held_out <= 2
        slots = [{f for _, f, _, _ in string.Formatter().parse(p) if f} for p in tmpl.phrasings]
        # every phrasing names the same things (pronouns may come and go; an event as clause or noun)
        content = [{"event" if f == "event_noun" else f for f in s - known} for s in slots]
        assert all(c == content[0] for c in content), f"{name}: phrasings name different things"
        if name in drafted:
            assert set().union(*slots) <= drafted[name] | known, name
    assert render("{pos} {lab}?", {"lab": "HbA1c"}, "female") == "Her HbA1c?"
    assert render("Is {subj} on it?", {}, None) == "Is the patient on it?"


def test_quotas_scale():
    assert quotas(10) == {
        "lookup": 2,
        "temporal": 2,
        "multihop": 1,
        "trend": 1,
        "aggregation": 2,
        "update": 1,
        "abstention": 1,
    }
    assert sum(quotas(25).values()) == 25


def test_all_phrasings_and_jsonl_round_trip(bundles, tmp_path):
    facts = load_facts(bundles)[0]
    every = generate_for_facts(facts, seed=0, per_patient=5, all_phrasings=True)
    assert len({q.template for q in every}) <= 5
    assert {q.phrasing for q in every} >= {0, 1, 2, 3}
    assert {q.split for q in every} >= {"test"}
    path = write_jsonl(every, tmp_path / "q.jsonl")
    assert read_jsonl(path) == every


def test_unknown_category_is_refused():
    with pytest.raises(ValueError):
        Question("q", "p", "?", "gossip", "t", 0, "train", "lookup", {"kind": "value", "value": 1.0})


def test_every_gold_operation_gives_a_kind_the_controller_may_choose(bundles):
    """The controller picks its answer kind among OP_KINDS[op]: no gold pairing may fall outside."""
    from clinimem.answer import OP_KINDS

    questions = generate_for_patients(bundles, seed=0, all_phrasings=True, notes=True)
    pairs = {(q.op, q.answer["kind"]) for q in questions}
    assert {"note_reported", "note_family_history"} & {q.template for q in questions}
    assert all(kind in OP_KINDS[op] for op, kind in pairs), sorted(pairs)

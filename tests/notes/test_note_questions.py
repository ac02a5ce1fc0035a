"""Note questions for the harness: well-formed, evidence that exists, answers that follow the flag rules."""

from __future__ import annotations

import random

from clinimem_eval.questions.facts import bundle_entries
from clinimem_eval.questions.model import Question
from clinimem_eval.questions.notes import note_questions
from clinimem_eval.questions.ops import compute
from clinimem_eval.synth import generate_patient


def test_note_questions_are_well_formed_and_follow_the_flag_rules() -> None:
    seen_templates: set[str] = set()
    for index in range(6):
        bundle, truth = generate_patient(index, 0)
        entries = bundle_entries(bundle)[truth["patient_id"]]
        by_id = {e.entry_id: e for e in entries}
        rng = random.Random(index)
        first = note_questions(truth, entries, rng, per_patient=6)
        again = note_questions(truth, entries, random.Random(index), per_patient=6)
        assert first == again  # deterministic for a seeded rng
        for data in first:
            question = Question.from_dict(data)
            seen_templates.add(question.template)
            assert question.patient_id == truth["patient_id"]
            assert question.answer["kind"] == "boolean" and question.op == "exists"
            cited = [by_id[i] for i in question.evidence_entries]  # every gold entry exists
            assert all(e.kind == "note" and e.span for e in cited)
            assert question.evidence == sorted({e.resource for e in cited})
            basis = question.params["basis"]
            if question.answer["value"]:
                # a yes rests on affirmed (or historical) mentions, or on family ones for family history
                if basis == "family":
                    assert all("family" in e.flags for e in cited)
                else:
                    assert all(set(e.flags) <= {"historical"} for e in cited)
            elif basis == "denied":
                assert cited and all({"negated", "hypothetical"} & set(e.flags) for e in cited)
            elif basis == "family-only":
                assert cited and all("family" in e.flags for e in cited)
            # the harness's own rule (ops.compute with check "note") gives the same answer
            assert compute(question.op, "boolean", cited, question.params) == question.answer
    assert {"note_reported", "note_family_history", "note_past_surgery"} <= seen_templates


def test_a_small_budget_still_asks_yes_and_no_and_every_phrasing_keeps_its_split() -> None:
    answers: set[tuple[str, bool]] = set()
    for index in range(12):
        bundle, truth = generate_patient(index, 0)
        entries = bundle_entries(bundle)[truth["patient_id"]]
        drawn = note_questions(truth, entries, random.Random(index), per_patient=2)
        assert len(drawn) <= 2
        answers |= {(d["template"], d["answer"]["value"]) for d in drawn}
        every = note_questions(truth, entries, random.Random(index), per_patient=2, all_phrasings=True)
        by_draft: dict[str, list[dict]] = {}
        for d in every:
            by_draft.setdefault(f"{d['template']}|{d['params']['slots']}", []).append(d)
        for phrased in by_draft.values():
            assert sorted(d["phrasing"] for d in phrased) == list(range(len(phrased)))
            held_out = [d for d in phrased if d["phrasing"] == len(phrased) - 1]
            assert all(d["split"] == "test" for d in held_out)  # the last phrasing is never trained on
    # pools are visited in a per-patient order, so a budget of 2 reaches beyond the first two pools
    assert {value for _, value in answers} == {True, False}
    assert len({template for template, _ in answers}) >= 3

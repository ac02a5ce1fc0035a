"""Abstention: questions that presuppose a lab, drug or problem the record does not hold.

They are phrased like the answerable ones ("When was warfarin started?"), so
that only the record, not the wording, says there is nothing to answer.
Counts and yes/no questions are never used here: "How many INRs?" has the
answer 0 and "Is she on warfarin?" the answer no.
"""

from __future__ import annotations

from clinimem_eval.questions.facts import PatientFacts
from clinimem_eval.questions.names import ABSENT_CONDITIONS, ABSENT_DRUGS, ABSENT_LABS, Thing
from clinimem_eval.questions.templates.base import Draft, template


def absent_things(facts: PatientFacts, vocabulary: tuple[Thing, ...], truth_key: str) -> list[Thing]:
    """Things not in the record: the truth's ``absent`` list when there is one, else the vocabulary.

    Either way a thing is dropped when its code is in the record or one of
    its words appears in any display or text.
    """
    things = list(vocabulary)
    if facts.absent is not None and truth_key:
        things = [
            Thing(str(a["code"]), str(a["name"]), (str(a["name"]).lower(),))
            for a in facts.absent.get(truth_key) or []
        ]
    return [t for t in things if t.code not in facts.codes and not any(w in facts.words for w in t.keywords)]


def _drafts(name: str, slot: str, things: list[Thing], kind: str) -> list[Draft]:
    return [
        Draft(
            name,
            "abstain",
            "none",
            (),
            {slot: t.name},
            {"absent": {"code": t.code, "name": t.name, "kind": kind}},
        )
        for t in things
    ]


@template(
    "absent_lab",
    "abstention",
    (
        "What was {pos} most recent {lab}?",
        "What was {pos} first recorded {lab}?",
        "What did the last {lab} show?",
        "Latest {lab} value?",
        "What was {pos} {lab} at the last check?",
    ),
)
def absent_lab(facts: PatientFacts) -> list[Draft]:
    return _drafts("absent_lab", "lab", absent_things(facts, ABSENT_LABS, ""), "observation")


@template(
    "absent_drug",
    "abstention",
    (
        "When was {drug} first prescribed?",
        "When did {subj} start {drug}?",
        "What date was {drug} started?",
        "Start date of {drug}?",
        "When was {subj} first put on {drug}?",
    ),
)
def absent_drug(facts: PatientFacts) -> list[Draft]:
    return _drafts("absent_drug", "drug", absent_things(facts, ABSENT_DRUGS, "medications"), "medication")


@template(
    "absent_condition",
    "abstention",
    (
        "When was {pos} {condition} first diagnosed?",
        "When was {condition} first recorded for {obj}?",
        "What is the date of {pos} first {condition} diagnosis?",
        "Date of first {condition} diagnosis?",
        "When did {subj} first get diagnosed with {condition}?",
    ),
)
def absent_condition(facts: PatientFacts) -> list[Draft]:
    things = absent_things(facts, ABSENT_CONDITIONS, "conditions")
    return _drafts("absent_condition", "condition", things, "condition")

"""Knowledge update: what holds now, after stops, switches and resolutions."""

from __future__ import annotations

from collections import defaultdict

from clinimem_eval.questions.facts import PatientFacts, is_current, is_resolved
from clinimem_eval.questions.names import drug_class
from clinimem_eval.questions.templates.base import Draft, target_params, template


@template(
    "still_taking",
    "update",
    (
        "Is {subj} still taking {drug}?",
        "Is {drug} still an active medication for {obj}?",
        "Is {subj} currently on {drug}?",
        "Does {subj} still take {drug}?",
        "Is {drug} still part of {pos} current medications?",
    ),
)
def still_taking(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for entries in facts.medications.values():
        current = tuple(e for e in entries if is_current(e))
        # evidence: the orders that make it current, or the latest one that says it is not
        targets = current or (entries[-1],)
        name = facts.name(entries[0])
        drafts.append(
            Draft(
                "still_taking",
                "exists",
                "boolean",
                targets,
                {"drug": name},
                {"target": target_params(entries[0], name), "check": "current"},
            )
        )
    return drafts


@template(
    "condition_resolved",
    "update",
    (
        "Is {pos} {condition} resolved?",
        "Has the {condition} resolved?",
        "Is the {condition} over now?",
        "Has {pos} {condition} cleared up?",
        "Is {pos} {condition} now resolved?",
    ),
)
def condition_resolved(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for entries in facts.conditions.values():
        name = facts.name(entries[0])
        drafts.append(
            Draft(
                "condition_resolved",
                "exists",
                "boolean",
                (entries[-1],),
                {"condition": name},
                {"target": target_params(entries[-1], name), "check": "resolved"},
            )
        )
    return drafts


@template(
    "current_in_class",
    "update",
    (
        "What {drug_class} is {subj} on now?",
        "Which {drug_class} is {subj} currently taking?",
        "What is {pos} current {drug_class}?",
        "Name {pos} current {drug_class}.",
        "Which {drug_class} does {subj} take at present?",
    ),
)
def current_in_class(facts: PatientFacts) -> list[Draft]:
    by_class = defaultdict(list)
    for entry in facts.of_kind("medication"):
        if is_current(entry) and drug_class(entry.display):
            by_class[drug_class(entry.display)].append(entry)
    return [
        Draft(
            "current_in_class",
            "list",
            "list",
            tuple(entries),
            {"drug_class": name},
            {"drug_class": name, "check": "current"},
        )
        for name, entries in by_class.items()
    ]


@template(
    "active_conditions",
    "update",
    (
        "Which of {pos} conditions are still active?",
        "What problems does {subj} currently have?",
        "List {pos} active problems.",
        "Which diagnoses are still active for {obj}?",
        "What conditions remain unresolved?",
    ),
)
def active_conditions(facts: PatientFacts) -> list[Draft]:
    active = tuple(e for e in facts.of_kind("condition") if not is_resolved(e))
    return [Draft("active_conditions", "list", "list", active, {}, {"check": "active"})] if active else []

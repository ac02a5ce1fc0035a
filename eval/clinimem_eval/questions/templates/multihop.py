"""Multi-hop: find an event's visit or date first, then read what else happened there or since."""

from __future__ import annotations

from clinimem_eval.questions.facts import PatientFacts
from clinimem_eval.questions.templates.base import Draft, target_params, template
from clinimem_eval.questions.templates.temporal import related_pairs


@template(
    "value_at_event_visit",
    "multihop",
    (
        "What was {pos} {lab} at the visit when {event}?",
        "At the visit where {event}, what was {pos} {lab}?",
        "{lab} at the visit when {event}?",
        "What {lab} was recorded at the encounter when {event}?",
        "When {event}, what was {pos} {lab} at that visit?",
    ),
)
def value_at_event_visit(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for anchor, code in related_pairs(facts):
        if not anchor.entry.encounter:
            continue
        found = [e for e in facts.series[code] if e.encounter == anchor.entry.encounter]
        if len(found) != 1:
            continue
        name = facts.name(found[0])
        drafts.append(
            Draft(
                "value_at_event_visit",
                "at_visit",
                "value",
                (found[0],),
                {"lab": name, "event": anchor.clause, "event_noun": anchor.noun},
                {"target": target_params(found[0], name), "anchor": anchor.params()},
                anchors=(anchor.entry,),
            )
        )
    return drafts


@template(
    "meds_since_diagnosis",
    "multihop",
    (
        "Which medications were started since the {condition} diagnosis?",
        "What medications has {subj} started since being diagnosed with {condition}?",
        "List the drugs started on or after the day {condition} was diagnosed.",
        "Since {condition} was diagnosed, which medications were started?",
        "Which new medications began on or after {pos} {condition} diagnosis?",
    ),
)
def meds_since_diagnosis(facts: PatientFacts) -> list[Draft]:
    drafts = []
    starts = [entries[0] for entries in facts.medications.values()]
    for anchor in facts.anchors:
        if anchor.kind != "diagnosed":
            continue
        targets = tuple(e for e in starts if (e.date or "") >= anchor.date)
        if targets:
            drafts.append(
                Draft(
                    "meds_since_diagnosis",
                    "after",
                    "list",
                    targets,
                    {"condition": anchor.name},
                    {"anchor": anchor.params(), "since": anchor.date},
                    anchors=(anchor.entry,),
                )
            )
    return drafts


@template(
    "conditions_before_med",
    "multihop",
    (
        "Which conditions had been diagnosed before {drug} was started?",
        "What problems did {subj} already have when {drug} was started?",
        "List the diagnoses made before {pos} first {drug} prescription.",
        "Before {drug} was started, which conditions were on record?",
        "Which diagnoses predate the start of {drug}?",
    ),
)
def conditions_before_med(facts: PatientFacts) -> list[Draft]:
    drafts = []
    onsets = [entries[0] for entries in facts.conditions.values()]
    for anchor in facts.anchors:
        if anchor.kind != "started":
            continue
        targets = tuple(e for e in onsets if (e.date or "") < anchor.date)
        if targets:
            drafts.append(
                Draft(
                    "conditions_before_med",
                    "before",
                    "list",
                    targets,
                    {"drug": anchor.name},
                    {"anchor": anchor.params(), "before": anchor.date},
                    anchors=(anchor.entry,),
                )
            )
    return drafts

"""Temporal: first, most recent, before and after an event, date of a first diagnosis or start."""

from __future__ import annotations

from clinimem_eval.questions.facts import Anchor, PatientFacts
from clinimem_eval.questions.names import VITALS, related
from clinimem_eval.questions.templates.base import Draft, target_params, template


def related_pairs(facts: PatientFacts, *, vitals: bool = True) -> list[tuple[Anchor, str]]:
    """(event, lab code) pairs a clinician would ask about together; vitals pair with any event."""
    pairs = []
    for anchor in facts.anchors:
        text = f"{anchor.name} {anchor.entry.display or ''}"
        for code in facts.series:
            if (vitals and code in VITALS) or related(code, text):
                pairs.append((anchor, code))
    return pairs


@template(
    "first_value",
    "temporal",
    (
        "What was {pos} first recorded {lab}?",
        "What was the earliest {lab} on record?",
        "What was {pos} {lab} when it was first measured?",
        "First {lab} result?",
        "What value did {pos} very first {lab} show?",
    ),
)
def first_value(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for series in facts.series.values():
        if len(series) < 2 or (len(series) > 1 and series[0].date == series[1].date):
            continue  # one result is not a "first"; two on the first day are ambiguous
        name = facts.name(series[0])
        drafts.append(
            Draft(
                "first_value",
                "first",
                "value",
                (series[0],),
                {"lab": name},
                {"target": target_params(series[0], name)},
            )
        )
    return drafts


@template(
    "last_value",
    "temporal",
    (
        "What was {pos} most recent {lab}?",
        "What is {pos} latest {lab}?",
        "Latest {lab} value?",
        "What was the last {lab} recorded?",
        "What did {pos} last {lab} show?",
        "Most recent {lab} result for {obj}?",
    ),
)
def last_value(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for series in facts.series.values():
        if len(series) > 1 and series[-1].date == series[-2].date:
            continue
        name = facts.name(series[-1])
        drafts.append(
            Draft(
                "last_value",
                "last",
                "value",
                (series[-1],),
                {"lab": name},
                {"target": target_params(series[-1], name)},
            )
        )
    return drafts


def _around_event(facts: PatientFacts, template_name: str, op: str) -> list[Draft]:
    drafts = []
    for anchor, code in related_pairs(facts):
        series = facts.series[code]
        if any(e.date == anchor.date for e in series):
            continue  # a result on the event's own day makes "before"/"after" ambiguous
        side = [e for e in series if (e.date < anchor.date if op == "before" else e.date > anchor.date)]  # type: ignore[operator]
        if not side:
            continue
        target = side[-1] if op == "before" else side[0]
        if sum(1 for e in side if e.date == target.date) > 1:
            continue
        name = facts.name(target)
        drafts.append(
            Draft(
                template_name,
                op,
                "value",
                (target,),
                {"lab": name, "event": anchor.clause, "event_noun": anchor.noun},
                {"target": target_params(target, name), "anchor": anchor.params()},
                anchors=(anchor.entry,),
            )
        )
    return drafts


@template(
    "value_before_event",
    "temporal",
    (
        "What was the last {lab} before {event}?",
        "What was {pos} {lab} just before {event}?",
        "Before {event}, what was {pos} most recent {lab}?",
        "Last {lab} value prior to {event_noun}?",
        "What {lab} did {subj} have right before {event_noun}?",
    ),
)
def value_before_event(facts: PatientFacts) -> list[Draft]:
    return _around_event(facts, "value_before_event", "before")


@template(
    "value_after_event",
    "temporal",
    (
        "What was the first {lab} after {event}?",
        "What was {pos} {lab} right after {event}?",
        "After {event}, what was the next {lab}?",
        "First {lab} value following {event_noun}?",
        "What {lab} did {subj} have first after {event_noun}?",
    ),
)
def value_after_event(facts: PatientFacts) -> list[Draft]:
    return _around_event(facts, "value_after_event", "after")


@template(
    "diagnosis_date",
    "temporal",
    (
        "When was {pos} {condition} first diagnosed?",
        "When was {condition} first recorded for {obj}?",
        "What is the date of {pos} first {condition} diagnosis?",
        "Date of first {condition} diagnosis?",
        "When did {subj} first get diagnosed with {condition}?",
    ),
)
def diagnosis_date(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for entries in facts.conditions.values():
        name = facts.name(entries[0])
        drafts.append(
            Draft(
                "diagnosis_date",
                "first",
                "date",
                (entries[0],),
                {"condition": name},
                {"target": target_params(entries[0], name)},
            )
        )
    return drafts


@template(
    "med_start_date",
    "temporal",
    (
        "When was {drug} first prescribed?",
        "When did {subj} start {drug}?",
        "What date was {drug} started?",
        "Start date of {drug}?",
        "When was {subj} first put on {drug}?",
    ),
)
def med_start_date(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for entries in facts.medications.values():
        name = facts.name(entries[0])
        drafts.append(
            Draft(
                "med_start_date",
                "first",
                "date",
                (entries[0],),
                {"drug": name},
                {"target": target_params(entries[0], name)},
            )
        )
    return drafts

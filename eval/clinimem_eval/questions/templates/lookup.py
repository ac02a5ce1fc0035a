"""Lookup: one fact at a given date."""

from __future__ import annotations

from collections import defaultdict

from clinimem_eval.questions.facts import PatientFacts
from clinimem_eval.questions.templates.base import Draft, target_params, template, unique_per_day


@template(
    "lab_on_date",
    "lookup",
    (
        "What was {pos} {lab} on {date}?",
        "What {lab} value was recorded on {date}?",
        "{lab} result on {date}?",
        "Tell me {pos} {lab} from {date}.",
        "What did the {lab} measure on {date}?",
        "On {date}, what was {pos} {lab}?",
    ),
)
def lab_on_date(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for series in facts.series.values():
        name = facts.name(series[0])
        for day, entry in unique_per_day(series).items():
            drafts.append(
                Draft(
                    "lab_on_date",
                    "lookup",
                    "value",
                    (entry,),
                    {"lab": name, "date": day},
                    {"target": target_params(entry, name), "date": day},
                )
            )
    return drafts


@template(
    "bp_on_date",
    "lookup",
    (
        "What was {pos} blood pressure on {date}?",
        "What blood pressure was recorded on {date}?",
        "Blood pressure reading on {date}?",
        "How high was {pos} blood pressure on {date}?",
        "On {date}, what was {pos} BP?",
    ),
)
def bp_on_date(facts: PatientFacts) -> list[Draft]:
    panels = {panel.resource: (panel, sys, dia) for panel, sys, dia in facts.blood_pressures}
    by_day = unique_per_day([p[0] for p in panels.values()])
    drafts = []
    for day, panel in by_day.items():
        entries = panels[panel.resource]
        drafts.append(
            Draft(
                "bp_on_date",
                "lookup",
                "text",
                entries,
                {"date": day},
                {"target": target_params(panel, "blood pressure"), "date": day},
            )
        )
    return drafts


@template(
    "meds_on_date",
    "lookup",
    (
        "Which medications were prescribed on {date}?",
        "What was {subj} prescribed on {date}?",
        "List the prescriptions written on {date}.",
        "What drugs were ordered for {obj} on {date}?",
        "On {date}, which medications did {subj} get prescribed?",
    ),
)
def meds_on_date(facts: PatientFacts) -> list[Draft]:
    by_day = defaultdict(list)
    for entry in facts.of_kind("medication"):
        by_day[entry.date].append(entry)
    return [
        Draft("meds_on_date", "lookup", "list", tuple(entries), {"date": day}, {"date": day})
        for day, entries in by_day.items()
        if day
    ]

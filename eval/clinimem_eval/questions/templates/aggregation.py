"""Aggregation: counts and lists over a period."""

from __future__ import annotations

from collections import defaultdict

from clinimem_eval.questions.facts import PatientFacts, is_current
from clinimem_eval.questions.templates.base import Draft, target_params, template


@template(
    "count_since_year",
    "aggregation",
    (
        "How many {lab} measurements has {subj} had since {year}?",
        "How many times was {pos} {lab} checked since {year}?",
        "Number of {lab} results since {year}?",
        "Since {year}, how many {lab} values are on record?",
        "Count the {lab} tests done from {year} on.",
    ),
)
def count_since_year(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for series in facts.series.values():
        if len(series) < 2:
            continue
        name = facts.name(series[0])
        years = sorted({(e.date or "")[:4] for e in series})
        for year in years[1:]:  # the first year would be "all of them"
            targets = tuple(e for e in series if (e.date or "") >= f"{year}-01-01")
            drafts.append(
                Draft(
                    "count_since_year",
                    "count",
                    "count",
                    targets,
                    {"lab": name, "year": year},
                    {"target": target_params(series[0], name), "since": f"{year}-01-01"},
                )
            )
    return drafts


@template(
    "visits_in_year",
    "aggregation",
    (
        "How many visits did {subj} have in {year}?",
        "How many encounters are recorded for {year}?",
        "Number of visits in {year}?",
        "In {year}, how many times was {subj} seen?",
        "Count {pos} encounters during {year}.",
    ),
)
def visits_in_year(facts: PatientFacts) -> list[Draft]:
    by_year = defaultdict(list)
    for entry in facts.encounters:
        by_year[(entry.date or "")[:4]].append(entry)
    return [
        Draft("visits_in_year", "count", "count", tuple(entries), {"year": year}, {"year": year})
        for year, entries in by_year.items()
        if year
    ]


@template(
    "active_medications",
    "aggregation",
    (
        "List {pos} active medications.",
        "What medications is {subj} currently on?",
        "Which drugs is {subj} taking now?",
        "What are {pos} current medications?",
        "Name the medications {subj} is presently taking.",
    ),
)
def active_medications(facts: PatientFacts) -> list[Draft]:
    current = tuple(e for e in facts.of_kind("medication") if is_current(e))
    if not current:
        return []
    return [Draft("active_medications", "list", "list", current, {}, {"check": "current"})]


@template(
    "conditions_between",
    "aggregation",
    (
        "Which conditions were diagnosed between {y1} and {y2}?",
        "What diagnoses were made from {y1} through {y2}?",
        "List the problems that started between {y1} and {y2}.",
        "Between {y1} and {y2}, what was {subj} diagnosed with?",
        "Which new conditions appeared in {y1}-{y2}?",
    ),
)
def conditions_between(facts: PatientFacts) -> list[Draft]:
    conditions = facts.of_kind("condition")
    years = sorted({(e.date or "")[:4] for e in conditions if e.date})
    last_year = max((e.date or "")[:4] for e in facts.entries if e.date) if years else ""
    drafts = []
    for y1 in years:
        for span in (1, 2, 3, 5):
            y2 = str(int(y1) + span)
            if y2 > last_year:  # a period reaching past the record's end reads oddly
                continue
            targets = tuple(e for e in conditions if y1 <= (e.date or "")[:4] <= y2)
            if not targets:
                continue
            drafts.append(
                Draft(
                    "conditions_between",
                    "list",
                    "list",
                    targets,
                    {"y1": y1, "y2": y2},
                    {"from": f"{y1}-01-01", "to": f"{y2}-12-31"},
                )
            )
    return drafts


@template(
    "allergies",
    "aggregation",
    (
        "What is {subj} allergic to?",
        "List {pos} allergies.",
        "Which allergies are recorded for {obj}?",
        "What allergies does {subj} have?",
        "Name {pos} documented allergies.",
    ),
)
def allergies(facts: PatientFacts) -> list[Draft]:
    found = tuple(e for e in facts.of_kind("allergy") if e.status in (None, "active"))
    return [Draft("allergies", "list", "list", found, {}, {})] if found else []


@template(
    "vaccines_in_year",
    "aggregation",
    (
        "Which vaccines did {subj} receive in {year}?",
        "What immunizations were given in {year}?",
        "List {pos} vaccinations from {year}.",
        "In {year}, which shots did {subj} get?",
        "Name the immunizations {subj} had during {year}.",
    ),
)
def vaccines_in_year(facts: PatientFacts) -> list[Draft]:
    by_year = defaultdict(list)
    for entry in facts.of_kind("immunization"):
        by_year[(entry.date or "")[:4]].append(entry)
    return [
        Draft("vaccines_in_year", "list", "list", tuple(entries), {"year": year}, {"year": year})
        for year, entries in by_year.items()
        if year
    ]

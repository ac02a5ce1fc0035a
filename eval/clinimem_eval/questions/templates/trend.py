"""Trend and pattern: direction over the last N results or since an event, comparisons, recurrences."""

from __future__ import annotations

from clinimem_eval.questions.facts import PatientFacts
from clinimem_eval.questions.templates.base import Draft, target_params, template
from clinimem_eval.questions.templates.temporal import related_pairs


@template(
    "trend_last_n",
    "trend",
    (
        "Is {pos} {lab} increasing, decreasing or stable over the last {n} results?",
        "How has {pos} {lab} trended over the last {n} measurements?",
        "What is the trend of {pos} last {n} {lab} values?",
        "Over {pos} last {n} {lab} results, is it going up, down or staying flat?",
        "Across the most recent {n} {lab} readings, which way is it moving?",
    ),
)
def trend_last_n(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for series in facts.series.values():
        name = facts.name(series[0])
        for n in (3, 4, 5):
            if len(series) < n or (len(series) > n and series[-n].date == series[-n - 1].date):
                continue  # the window's first result must be unambiguous
            window = tuple(series[-n:])
            drafts.append(
                Draft(
                    "trend_last_n",
                    "trend",
                    "trend",
                    window,
                    {"lab": name, "n": n},
                    {"target": target_params(window[-1], name), "n": n},
                )
            )
    return drafts


@template(
    "trend_since_event",
    "trend",
    (
        "How has {pos} {lab} changed since {event}?",
        "Since {event}, has {pos} {lab} gone up, down or stayed stable?",
        "What is the trend in {pos} {lab} since {event_noun}?",
        "Is {pos} {lab} rising, falling or stable since {event}?",
        "Compared with when {event}, is {pos} {lab} now higher, lower or about the same?",
    ),
)
def trend_since_event(facts: PatientFacts) -> list[Draft]:
    """Window: the last result on or before the event's day, then every result after it."""
    drafts = []
    for anchor, code in related_pairs(facts, vitals=False):
        series = facts.series[code]
        base = [e for e in series if (e.date or "") <= anchor.date]
        after = [e for e in series if (e.date or "") > anchor.date]
        if not base or not after or (len(base) > 1 and base[-1].date == base[-2].date):
            continue
        window = (base[-1], *after)
        name = facts.name(series[0])
        drafts.append(
            Draft(
                "trend_since_event",
                "trend",
                "trend",
                window,
                {"lab": name, "event": anchor.clause, "event_noun": anchor.noun},
                {"target": target_params(series[0], name), "anchor": anchor.params()},
                anchors=(anchor.entry,),
            )
        )
    return drafts


@template(
    "compare_last_two",
    "trend",
    (
        "Is {pos} latest {lab} higher than the previous one?",
        "Was {pos} most recent {lab} above the one before it?",
        "Did {pos} {lab} go up at the last measurement?",
        "Is the newest {lab} result higher than the prior result?",
        "Compared with the previous result, is {pos} last {lab} higher?",
    ),
)
def compare_last_two(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for series in facts.series.values():
        if len(series) < 2 or series[-1].date == series[-2].date:
            continue
        if len(series) > 2 and series[-2].date == series[-3].date:
            continue
        name = facts.name(series[-1])
        drafts.append(
            Draft(
                "compare_last_two",
                "compare",
                "boolean",
                tuple(series[-2:]),
                {"lab": name},
                {"target": target_params(series[-1], name)},
            )
        )
    return drafts


@template(
    "recurrence_count",
    "trend",
    (
        "How many times has {subj} had {condition}?",
        "How many episodes of {condition} are on record?",
        "Count {pos} {condition} episodes.",
        "How often has {subj} been diagnosed with {condition}?",
        "What is the number of times {subj} had {condition}?",
    ),
)
def recurrence_count(facts: PatientFacts) -> list[Draft]:
    drafts = []
    for entries in facts.conditions.values():
        name = facts.name(entries[0])
        drafts.append(
            Draft(
                "recurrence_count",
                "count",
                "count",
                tuple(entries),
                {"condition": name},
                {"target": target_params(entries[0], name)},
            )
        )
    return drafts

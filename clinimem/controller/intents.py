"""Everyday question shapes, settled by rules over the question's words and the grounding.

The operation head learned the harness's operations; much of what a clinician types every day
("last seen?", "ED visits in 2019?", "on a blood thinner?", "hx of DM?", "does she smoke?",
"SBP > 140 how many times?", "BMI at her March 2019 visit?", "when was naproxen stopped?") is
read here instead, by rules anyone can inspect. Each rule names itself in the plan (``rule``).
A rule only chooses the operation and the entries to read; the executor computes the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from clinimem.controller.cues import ANCHORED_OPS, PICK_OPS, WHEN_TYPED, relation
from clinimem.controller.cues import ASKS_WH as _WH
from clinimem.controller.question import QuestionFeatures
from clinimem.grounding.lexicon import CVX, RXNORM
from clinimem.grounding.match import (
    FEATURES,
    Grounding,
    PatientConcepts,
    class_terms_in,
    has_word_like,
    listed_kind,
)
from clinimem.memory.entry import MemoryEntry

# the question names a concept this surely by its own words (see answerer.NAMED_SCORE)
NAMED = 0.75
# a problem matched this much may be the one asked about under another name: no "no" read past it
NEAR = 0.2

_VISIT = re.compile(
    r"\b(visits?|vists?|visited|encounters?|appointments?|appts?|ovs?|seen|see (?:him|her|them|the patient)|"
    r"came in|come in|been in|(?:last|been) here|admissions?|admitted|hospitali[sz]ations?|hospital stays?|"
    r"ed|er|a&e)\b",
    re.I,
)
# visit types as the record codes them (Encounter.class), and check-ups by their type's name
_VISIT_TYPES = (
    ("EMER", re.compile(r"\b(ed|er|a&e|emergency|emergencies|casualty)\b", re.I)),
    ("IMP", re.compile(r"\b(inpatient|admissions?|admitted|hospitali[sz]\w*|hospital stays?)\b", re.I)),
    ("AMB", re.compile(r"\b(outpatient|ambulatory|office|clinic|op)\b", re.I)),
)
_WELLNESS = re.compile(r"\b(wellness|check.?ups?|physicals?|annual exams?|well.child)\b", re.I)
_WELLNESS_TYPE = re.compile(r"check.?up|well child|general examination", re.I)
_COUNTED = re.compile(
    r"\b(how (?:many|mnay|amny|manny|mny)|number of|count|how often|times|no\. of|total)\b|#", re.I
)
# a count asked in words a lab's own name never holds ("platelet count" is a name, not a count)
_HOW_MANY = re.compile(r"\b(how (?:many|mnay|amny|manny|mny)|number of|how often|no\. of)\b|#", re.I)
_WHEN = re.compile(
    rf"\b({WHEN_TYPED}|what date|which date|date of|date|dt|how long (?:since|ago)|time since|how long has it been)\b",
    re.I,
)
_FIRST = re.compile(r"\b(first|frist|earliest|oldest|initial|since when|start(?:ed)?|began|begin)\b", re.I)
_STOPPED = re.compile(
    r"\b(stopped|stop|discontinued|discontinue|d/c'?d?|came off|come off|taken off|quit|ended|end date)\b",
    re.I,
)
_SINCE_WHEN = re.compile(
    r"\b(since when|start date|started|first (?:prescribed|started|given|put on)|how long)\b|\bsince\s*\??\s*$",
    re.I,
)
# a yes/no about what the patient has had: "history of", "ever", "hx", "diagnosed with", "has he had"
_HISTORY = re.compile(
    r"\b(ever|history|hx|h/o|pmh|past medical|diagnosed|diagnosis of|been told|has (?:he|she|they|the patient|pt) had|"
    r"have (?:they|you) had|had any|prior)\b",
    re.I,
)
# "hx of X", "history of X", "prior X", "PMH X": a history asked of one thing (not "immunization history?")
_HISTORY_OF = re.compile(r"\b(history of|hx of|h/o|pmh|prior(?!\s+to\b)|previous|ever|past)\s+\w", re.I)
# "what was her potassium when it was first measured?": the value; the "when" is a clause
_ASKS_VALUE = re.compile(
    r"^\W*(?:\w+\W+){0,3}?(what|how much|how high|how low)\b(?!\s+(?:date|day|year|time)\b)|"
    r"\bwhat (?:was|is|were) (?:it|they|the (?:value|result|level|reading))\b",
    re.I,
)
# "BMI at the visit where alteplase was first prescribed": a visit named by an event, not a visit question
_RELATIVE_VISIT = re.compile(
    r"\b(same visit|(?:visit|encounter|appointment)s? (?:where|when|at which)|"
    r"at the (?:visit|encounter|appointment))\b",
    re.I,
)
# "how long since her last A1c?", "time since last Td", "years since his last colonoscopy": the date of
# the latest one, and how long ago that was
_AGO = re.compile(
    r"\bhow long (?:ago|since|has it been|it'?s been)\b|\btime since\b|\bhow recent(?:ly)?\b|"
    r"\b(?:years?|yrs?|months?|mos?|weeks?|wks?|days?) (?:since|ago)\b|"
    r"\bhow (?:many|much) (?:years?|months?|weeks?|days?|time)\b(?=.*\b(?:since|ago|passed|elapsed)\b)",
    re.I,
)
_ASKS_DATE = re.compile(r"\b(what|which) (date|day|year)\b|\bdate of\b|\bwhen was\b|\bwhen did\b", re.I)
# a status asked of one thing: "still active?", "ongoing?", "whether she still has"
_STATUS = re.compile(r"\b(still|ongoing|active|current|currently|resolved|persist\w*|whether)\b", re.I)
_HISTORY_TAIL = re.compile(r"\b(ever|evr|hx|history|h/o|pmh|y/n)\s*\??\s*$|^\W*(hx|h/o|pmh)\b", re.I)
_ON_DRUG = re.compile(
    r"\b(?:on|while on|taking|once on)\s+(?!the day\b|(?:the )?(?:visit|encounter|date)\b)\w", re.I
)
_FIRST_RESULT = re.compile(r"\b(first|frist|earliest|oldest|initial|baseline)\b", re.I)
_CURRENT = re.compile(r"\b(current|present|latest|now|most recent|newest)\b", re.I)
_ONSET = re.compile(
    r"\b(onset|diagnosed|diagnosis date|dx date|first (?:noted|recorded|diagnosed|documented))\b", re.I
)
_ANY = re.compile(r"\b(any|anything|known)\b", re.I)
_AT_VISIT = re.compile(r"\b(visit|appointment|encounter|seen|check.?up|from the)\b", re.I)

# The entries a class's "no" is read from, by the code system its members are coded in.
_SYSTEM_KIND = {
    RXNORM: "medication",
    CVX: "immunization",
    "http://loinc.org": "observation",
    "http://snomed.info/sct": "condition",
}


# an extreme of a series: "highest A1c", "peak weight", "lowest eGFR"
_EXTREME = re.compile(r"\b(highest|max|maximum|peak|largest|lowest|min|minimum|smallest|nadir)\b", re.I)
_LOW = ("lowest", "min", "minimum", "smallest", "nadir")
# what no operation computes: a statistic over a series, a relation between two
_UNCOMPUTED = re.compile(
    r"\b(standard deviation|std dev|sd of|variance|median|average|mean (?:of|value)|avg|percentile|correlat\w*|"
    r"variability|ratio of|rate of change|slope)\b",
    re.I,
)


@dataclass(frozen=True)
class Intent:
    """What an everyday rule settled: the operation, answer kind and the entries to read."""

    rule: str
    op: str
    kind: str
    evidence: tuple[int, ...]
    searched: tuple[int, ...] = ()  # what a "no" rests on
    date_of: str = "start"
    pick: str = ""  # "max" / "min": the extreme of the series, not an end of it
    anchor: int | None = None  # the event a before / after / at-visit read hangs on
    keep_window: bool = True  # False: the question's date named the event, not a window on the answer


@cache
def _class_kinds() -> dict[str, frozenset[str]]:
    """Class -> the kinds of entry its members are (from the code systems of the class table)."""
    from clinimem.grounding.lexicon import lexicon

    kinds: dict[str, set[str]] = {}
    for (system, _), classes in lexicon().classes.items():
        kind = _SYSTEM_KIND.get(system or "")
        for c in classes:
            if kind:
                kinds.setdefault(c, set()).add(kind)
    return {c: frozenset(k) for c, k in kinds.items()}


def _whole(entries: tuple[MemoryEntry, ...] | list[MemoryEntry], kind: str) -> tuple[int, ...]:
    """Every whole resource of one kind (its ``$`` entry, not its parts)."""
    return tuple(i for i, e in enumerate(entries) if e.kind == kind and e.path == "$")


def _visit_type(entry: MemoryEntry, text: str) -> bool:
    wanted = [code for code, pattern in _VISIT_TYPES if pattern.search(text)]
    if _WELLNESS.search(text) and not _WELLNESS_TYPE.search(entry.display or ""):
        return False
    return not wanted or (entry.category or "") in wanted


def _named(grounding: Grounding) -> np.ndarray:
    """Per slot: how fully the question names it by its own words (cover x question cover)."""
    if not len(grounding.slots):
        return np.zeros(0, dtype=np.float32)
    return grounding.slots[:, FEATURES.index("cover")] * grounding.slots[:, FEATURES.index("question_cover")]


def _series(entries: tuple[MemoryEntry, ...] | list[MemoryEntry], slot: int) -> tuple[int, ...]:
    """Every entry of one slot's code and path: the whole series it belongs to."""
    key = (entries[slot].code_system, entries[slot].code, entries[slot].path == "$", entries[slot].kind)
    return tuple(
        i for i, e in enumerate(entries) if (e.code_system, e.code, e.path == "$", e.kind) == key and e.code
    )


def _same_drug(entries: tuple[MemoryEntry, ...] | list[MemoryEntry], slot: int) -> tuple[int, ...]:
    """Every prescription of the slot's drug in any strength or form: the same ingredients ("Tylenol" is
    not the cough syrup that also holds acetaminophen), else any sharing one of them."""
    from clinimem.grounding.lexicon import lexicon

    lex = lexicon()
    mine = set(lex.ingredients_in(entries[slot].display or ""))
    if not mine:
        return _series(entries, slot)
    drugs = [
        (i, set(lex.ingredients_in(e.display or "")))
        for i, e in enumerate(entries)
        if e.kind == "medication" and e.path == "$"
    ]
    same = tuple(i for i, theirs in drugs if theirs == mine)
    return same or tuple(i for i, theirs in drugs if mine & theirs)


def read_intent(
    features: QuestionFeatures,
    grounding: Grounding,
    concepts: PatientConcepts,
    entries: tuple[MemoryEntry, ...] | list[MemoryEntry],
    op: str,
    kind: str = "",
    evidence: tuple[int, ...] = (),
) -> Intent | None:
    """The everyday rule that settles this question, or None (the controller's plan stands)."""
    text = features.text
    named = _named(grounding)
    kinds = np.array(concepts.slot_kind)
    top = int(named.argmax()) if len(named) else -1
    outright = top >= 0 and float(named[top]) >= NAMED
    class_hits = grounding.slots[:, FEATURES.index("class")] > 0 if len(named) else np.zeros(0, bool)
    class_named = bool(grounding.question[1]) if len(grounding.question) > 1 else False
    thing = outright and kinds[top] != "encounter"
    scores = grounding.slots[:, FEATURES.index("score")] if len(named) else np.zeros(0, np.float32)
    other_named = bool(((scores >= 0.5) & (kinds != "encounter")).any()) if len(named) else False

    # a statistic no operation computes: no value, and the related entries as context
    statistic = _UNCOMPUTED.search(text)
    if statistic and not _HOW_MANY.search(text):
        word = statistic.group(1).lower()
        # "mean" of "Mean corpuscular volume" is the name, not a statistic asked for
        # ("average platelet size" is MPV's own lay name, "average blood sugar" A1c's)
        in_a_name = any(
            word in name.lower()
            for m in grounding.matches
            if m.score >= 0.5
            for name in (m.display, *_other_names(m.code))
            if name.lower() in text.lower() or word in m.display.lower()
        )
        if not in_a_name:
            return Intent("a statistic no operation computes", "abstain", "none", ())
    # a result relative to an event: "wt prior to CHF", "first BMI once he began acetaminophen",
    # "SBP @ HCTZ start", "TG leading up to the stroke"
    said = relation(text)
    if said and not _HOW_MANY.search(text):
        relative = _relative_read(entries, grounding, concepts, features, said)
        if relative is not None:
            return relative
    # "first BMI on acetaminophen?", "first DBP while on naproxen": the first result after the drug began
    if not said and _ON_DRUG.search(text) and _FIRST_RESULT.search(text) and not _HOW_MANY.search(text):
        relative = _relative_read(entries, grounding, concepts, features, "after", drug_only=True)
        if relative is not None:
            return relative
    # how long since the latest of something: its date, and the time since (not a count of "years")
    if _AGO.search(text) and not _FIRST.search(text) and not _VISIT.search(text):
        ago = _time_since(entries, grounding, kinds, scores, class_hits, outright, top)
        if ago:
            return Intent("how long since the last", "last", "date", ago, date_of="ago")
    # the highest or lowest result of one series
    if _EXTREME.search(text) and outright and not _HOW_MANY.search(text):
        numeric = tuple(i for i in _series(entries, top) if isinstance(entries[i].value, int | float))
        if numeric:
            low = _EXTREME.search(text).group(1).lower() in _LOW  # type: ignore[union-attr]
            return Intent("an extreme of a series", "lookup", "value", numeric, pick="min" if low else "max")

    # a count of one series' results beyond a bound: "SBP > 140 how many times?"
    if features.threshold is not None and _COUNTED.search(text) and outright:
        numeric = [i for i in _series(entries, top) if isinstance(entries[i].value, int | float)]
        if numeric:
            return Intent("results beyond a bound", "count", "count", tuple(numeric))

    # visits: the last one, how many (of a type, in or since a year)
    if (
        not thing
        and not other_named
        and not _RELATIVE_VISIT.search(text)
        and (_VISIT.search(text) or has_word_like(text, ("visit", "encounter")) or _WELLNESS.search(text))
        and not class_named_other(grounding, concepts)
    ):
        visits = [i for i in _whole(entries, "encounter") if _visit_type(entries[i], text)]
        if visits:
            plural = re.search(r"\b(visits|vists|encounters|appointments|appts|ovs|admissions)\b", text, re.I)
            asked_when = _WHEN.search(text) or re.search(r"\b(last|latest|most recent|first)\b", text, re.I)
            if _COUNTED.search(text) or (plural and not asked_when):
                return Intent("visits counted", "count", "count", tuple(visits))
            if asked_when:
                first = bool(re.search(r"\b(first|earliest)\b", text, re.I))
                ago = "ago" if _AGO.search(text) and not first else "start"
                return Intent(
                    "a visit's date", "first" if first else "last", "date", tuple(visits), date_of=ago
                )

    # a coded result ("Tobacco smoking status: Never smoker"): the latest result, as the record words it
    if outright and kinds[top] == "observation" and isinstance(entries[top].value, str):
        series = _series(entries, top)
        return Intent("a coded result", "last", "text", series)
    if class_named and not outright and class_hits.any():
        coded = [i for i in np.nonzero(class_hits)[0] if isinstance(entries[int(i)].value, str)]
        if coded and all(kinds[int(i)] == "observation" for i in coded):
            return Intent("a coded result", "last", "text", tuple(int(i) for i in coded))

    # a value at a named visit: "BMI at her November 2016 visit", "glucose from the visit in March 2019"
    window = features.window
    if (
        thing
        and window is not None
        and window.relation == "on"
        and op in ("at_visit", "before", "after", "lookup", "last", "first")
        and _AT_VISIT.search(text)
        and not _HOW_MANY.search(text)
    ):
        # (the measurement among the names matched alike: "BMI" is Body Mass Index, not "BMI 30+")
        numeric = np.array([isinstance(e.value, int | float) for e in entries])
        measured = np.where((kinds == "observation") & numeric, scores, -1.0)
        best_measure = int(measured.argmax())
        if measured[best_measure] >= 0.5 and measured[best_measure] >= float(scores.max()) - 0.05:
            return Intent("a value at a named visit", "last", "value", _series(entries, best_measure))

    # "current WBC value?", "present Na level": the latest result, not a status
    if (
        op in ("exists", "compare", "abstain", "lookup")
        and (_CURRENT.search(text) or _FIRST_RESULT.search(text))
        and not _yes_no(text)
        and not _HOW_MANY.search(text)
        and len(scores)
        and kinds[int(scores.argmax())] == "observation"
        and float(scores.max()) >= NAMED
        and any(isinstance(entries[i].value, int | float) for i in _series(entries, int(scores.argmax())))
    ):
        end = "first" if _FIRST_RESULT.search(text) and not _CURRENT.search(text) else "last"
        return Intent(f"the {end} result", end, "value", _series(entries, int(scores.argmax())))

    # "obesity (BMI 30+) onset", "when was the CHF diagnosed?": when a problem named began
    problem = int(np.where(kinds == "condition", scores, -1.0).argmax()) if len(scores) else -1
    if (
        problem >= 0
        and scores[problem] >= NAMED
        and scores[problem] >= float(scores.max()) - 0.05
        and (_WHEN.search(text) or _ONSET.search(text))
        and not _ASKS_VALUE.search(text)
        and not _HOW_MANY.search(text)
        and not said
        and not re.search(r"\b(resolved|cleared|ended|over|stopped|last|latest|most recent)\b", text, re.I)
        # ("had he been diagnosed with X?", "ever diagnosed with X" ask whether, not when)
        and not asks_yes_no(text, op)
        and not re.search(r"^\W*had\b|\bever\b|\bevr\b|\?\s*y/n|\by/n\b", text, re.I)
    ):
        return Intent("when a problem began", "first", "date", _series(entries, problem))

    # a drug: since when, when stopped (all strengths of its ingredients)
    if outright and kinds[top] == "medication" and not _HOW_MANY.search(text):
        drug = _same_drug(entries, top)
        if _STOPPED.search(text) and (_WHEN.search(text) or op not in ("exists",)) and not _yes_no(text):
            return Intent("when a drug was stopped", "last", "date", drug, date_of="end")
        if _SINCE_WHEN.search(text) or (_WHEN.search(text) and _FIRST.search(text)):
            return Intent("since when on a drug", "first", "date", drug)
    # "when did she start the cholesterol pill?": the first order of any member of the class named
    drug_members = (
        [int(i) for i in np.nonzero(class_hits)[0] if kinds[int(i)] == "medication"] if class_named else []
    )
    if (
        drug_members
        and not (outright and kinds[top] == "medication")
        and _WHEN.search(text)
        and (_SINCE_WHEN.search(text) or _FIRST.search(text))
    ):
        return Intent("since when on a drug of a class", "first", "date", tuple(drug_members))

    # "what medications is the patient taking?": a kind asked for as a whole, nothing more specific named
    # (nor an event that a before/after/at-visit read would need)
    every_word = float(grounding.question[3]) < 0.5  # not "the last COVID shot" when no COVID vaccine
    if (
        op in ("abstain", "before", "after", "at_visit")
        and _WH.search(text)
        and every_word
        and not (scores >= 0.5).any()
    ):
        whole_kind = listed_kind(text)
        if whole_kind is not None:
            whole = _whole(entries, whole_kind)
            if whole:
                return Intent("a kind asked for as a whole", "list", "list", whole)
    # "any allergies?", "is he allergic to anything?": the list of that kind (empty: not in the record)
    # (not when a class is named: "any ACE inhibitors among his meds?" asks of the class)
    if (
        op in ("exists", "abstain", "list")
        and not outright
        and _ANY.search(text)
        and not _HISTORY.search(text)
        and not (class_named and not class_is_kind(text))
    ):
        kind = listed_kind(text)
        if kind is not None:
            whole = _whole(entries, kind)
            if whole:
                return Intent("a kind asked for as a whole", "list", "list", whole)
    # yes/no about a class: "on a statin?", "any blood thinner?", "hx of DM?"
    # (a class outranks a concept matched only in part: "colon cancer" is not Colonoscopy)
    # ("hx of CVA?" is a yes/no whatever operation the head read, unless it asks what or when)
    # ("HTN? ever?", "DM hx?", "any htn ever", "hx sinusitis? y/n": the shape, whatever the op head read)
    yes_no = asks_yes_no(text, op) or bool(
        (
            _HISTORY_OF.search(text)
            or (_HISTORY_TAIL.search(text) and not _names_a_kind_only(text, class_named))
        )
        and not _WH.search(text)
        and not _WHEN.search(text)
        and not _HOW_MANY.search(text)
    )
    # (a concept outranks a class only when the class's words are among those its name matched:
    # "allergic reaction" is Acute allergic reaction, not the allergy class)
    class_words = {
        w for _, term in class_terms_in(text, frozenset(concepts.idf)) for w in term.lower().split()
    }
    # (the name's own words: "allergic" is a kind word, never among the words a match used)
    top_words = (
        set(grounding.matches[0].words) | set(re.findall(r"[a-z]+", grounding.matches[0].display.lower()))
        if grounding.matches
        else set()
    )
    partial = not outright or (not class_hits[top] and not class_words <= top_words)
    # a concept named by most of its words that holds the class's words in its own name ("allergic rxn" is
    # Acute allergic reaction) is what is asked about, not the class
    first = grounding.matches[0] if grounding.matches else None
    name_holds_class = bool(
        first is not None
        and first.score >= 0.5
        and class_words <= top_words
        and not class_hits[int(scores.argmax())]
    )
    # (a "class" named only by a kind's own word, "shots", never outranks a concept named outright:
    # "cyanocobalamin shots" is the drug, not every vaccine)
    if name_holds_class or (outright and class_is_kind(text)):
        partial = False
    if yes_no and class_named and partial:
        members = tuple(int(i) for i in np.nonzero(class_hits)[0])
        if members:
            return Intent("a class asked about", "exists", "boolean", members)
        searched = _class_searched(text, entries)
        # (never a "no" about a class while something else is named by its words: "APAP/DM syrup" is a
        # drug, and its "DM" is not diabetes)
        if searched and not _named_beside_class(grounding, class_words):
            return Intent("a class the record holds no member of", "exists", "boolean", (), searched)
        if not name_holds_class and not (scores >= 0.5).any():
            # a class the record has no member of and no one place to look for one: no "yes" read from
            # whatever the evidence head attended to ("any drug allergies?" is not Naproxen)
            return Intent("a class with no member and nowhere to read a no", "abstain", "none", ())

    # "is his acute allergic reaction still active?", "pregnancy active?", "whether she still has X":
    # the status of the one problem named by its own words (not the allergies or tests the head read)
    status = _STATUS.search(text) and not _WH.search(text) and not _WHEN.search(text)
    named_one = int(scores.argmax()) if len(scores) else -1
    if outright and kinds[top] in ("condition", "medication"):
        named_one = top
    if (
        named_one >= 0
        and (outright or scores[named_one] >= 0.5)
        and kinds[named_one] in ("condition", "medication")
        and (yes_no or status)
        and not _HOW_MANY.search(text)
        and not (class_named and class_hits.any() and not class_hits[named_one] and not name_holds_class)
    ):
        drug = kinds[named_one] == "medication"
        series = _same_drug(entries, named_one) if drug else _series(entries, named_one)
        if set(series) - set(evidence) or op != "exists":
            what = "a drug" if drug else "a problem"
            return Intent(f"the status of {what} named", "exists", "boolean", series)

    # "hx of ankle sprain?", "obesity history y/n": whether the record holds the problem named
    # (the best-matched problem, also when a measurement shares its words: "hx of BMI over 30" is the
    # finding "Body mass index 30+", not the BMI series)
    best = int(scores.argmax()) if len(scores) else -1
    if best >= 0 and kinds[best] != "condition" and (kinds == "condition").any():
        problem = int(np.where(kinds == "condition", scores, -1.0).argmax())
        best = problem if scores[problem] >= max(0.5, float(scores[best]) - 0.05) else best
    if yes_no and _HISTORY.search(text) and best >= 0 and kinds[best] == "condition" and scores[best] >= 0.5:
        return Intent("a history asked about", "exists", "boolean", _series(entries, best))
    # "history of X?" / "ever had X?" where nothing in the record is X: a "no" read from the problems;
    # never when a problem matches even in part ("sz disorder" may be Seizure disorder): a wrong "no"
    # about a problem the patient has is worse than no answer
    conditions = kinds == "condition" if len(kinds) else np.zeros(0, bool)
    near = bool((scores[conditions] >= NEAR).any()) if conditions.any() else False
    known = _names_a_known_problem(text)
    if yes_no and _HISTORY.search(text) and not outright and not class_named and not near and known:
        problems = _whole(entries, "condition")
        if problems and float(grounding.question[3]) >= 0.5:
            return Intent("a history the record does not hold", "exists", "boolean", (), problems)

    # a "yes" about a problem needs the problem named: "history of dibetes" is not Prediabetes, though the
    # evidence head read it (a class typed with a slip is no ground for a "no" either: no answer)
    if (
        op == "exists"
        and evidence
        and all(kinds[i] == "condition" for i in evidence)
        and float(scores[list(evidence)].max()) < 0.5
        and not class_hits[list(evidence)].any()
    ):
        return Intent("a problem named only in part", "abstain", "none", ())

    # "mpv during 2015", "blood sugar in 2018": a measurement's value, unless its date is asked
    if (
        (op in PICK_OPS or op in ANCHORED_OPS)
        and kind in ("text", "date", "list")
        and evidence
        and not _WHEN.search(text)
        and not _ASKS_DATE.search(text)
        and best >= 0
        and kinds[best] == "observation"
        and scores[best] >= 0.5
        and best in evidence
        and any(isinstance(entries[i].value, int | float) for i in _series(entries, best))
    ):
        return Intent("a measurement's value", op, "value", evidence)

    # "when was his last platelet count?": the date, not the value
    asks_value = _ASKS_VALUE.search(text) and not _ASKS_DATE.search(text)
    if (
        op in PICK_OPS
        and kind != "date"
        and evidence
        and _WHEN.search(text)
        and not _HOW_MANY.search(text)
        and not asks_value
        and bool((scores[list(evidence)] >= 0.5).any())
    ):
        order = "first" if re.search(r"\b(first|earliest|initial)\b", text, re.I) else op
        return Intent("a date asked", order if order != "lookup" else "last", "date", evidence)

    return None


def _time_since(
    entries: tuple[MemoryEntry, ...] | list[MemoryEntry],
    grounding: Grounding,
    kinds: np.ndarray,
    scores: np.ndarray,
    class_hits: np.ndarray,
    outright: bool,
    top: int,
) -> tuple[int, ...]:
    """The entries "how long since the last X" reads: X's whole series (every strength of a drug),
    or a class's members; () when nothing is named surely enough."""
    # the best match by score: ties go to the plainer name ("BMI" is Body Mass Index, not the finding)
    best = int(scores.argmax()) if len(scores) else -1
    if not (best >= 0 and scores[best] >= 0.5) and outright:
        best = top
    if best >= 0 and (scores[best] >= 0.5 or outright) and kinds[best] != "encounter":
        return _same_drug(entries, best) if kinds[best] == "medication" else _series(entries, best)
    if class_hits.any() and bool(grounding.question[1]):
        return tuple(int(i) for i in np.nonzero(class_hits)[0])
    return ()


_EVENT_KINDS = ("condition", "medication", "procedure", "immunization")


def _relative_read(
    entries: tuple[MemoryEntry, ...] | list[MemoryEntry],
    grounding: Grounding,
    concepts: PatientConcepts,
    features: QuestionFeatures,
    said: str,
    drug_only: bool = False,
) -> Intent | None:
    """A result read relative to an event, when the question names both by their words: the series (a
    measurement) and the event (a problem, a drug, a procedure, a vaccine). A drug is its first order; a
    problem its first episode, or the one on the date the question gives."""
    if not len(grounding.slots):
        return None
    # "when was his cholesterol pill first prescribed?" asks a date, not a result at that visit
    text = features.text
    if (re.match(r"^\W*when\b", text, re.I) or _ASKS_DATE.search(text)) and not re.search(
        r"\b(what|how much|how high|how low|value|level|result|reading)\b", text, re.I
    ):
        return None
    kinds = np.array(concepts.slot_kind)
    scores = grounding.slots[:, FEATURES.index("score")]
    numeric = np.array([isinstance(e.value, int | float) for e in entries])
    targets = np.where((kinds == "observation") & numeric, scores, -1.0)
    events = np.where(np.isin(kinds, _EVENT_KINDS), scores, -1.0)
    # (ties go to the fuller name: "hemoglobn A1c" is the A1c, not Hemoglobin)
    cover = grounding.slots[:, FEATURES.index("cover")]
    target, event = int((targets + 0.01 * cover).argmax()), int((events + 0.01 * cover).argmax())
    # a drug named by its class ("after she started the cholesterol pill", "when the water pill was
    # started"): the first order of any member, unless a drug is named by its own words
    classed = grounding.slots[:, FEATURES.index("class")] > 0
    members = (
        [int(i) for i in np.nonzero(classed)[0] if kinds[int(i)] == "medication"]
        if grounding.question[1]
        else []
    )
    own_words = kinds[event] == "medication" and events[event] >= 0.25 and cover[event] >= 0.5
    if targets[target] < 0.25:
        return None
    series = tuple(i for i in _series(entries, target) if isinstance(entries[i].value, int | float))
    if not series:
        return None

    def read(anchor: int) -> Intent:
        rule = f"a result {said.replace('_', ' ')} an event"
        return Intent(rule, said, "value", series, anchor=anchor, keep_window=False)

    if members and not own_words:
        dated = [i for i in members if entries[i].time]
        if dated:
            return read(_earliest(entries, dated))
    if events[event] < 0.25 or (drug_only and not own_words):
        return None
    # each named by words of its own: "naproxen sodium" is a drug, not Sodium before a drug; "cholesterol
    # pill" a class, not Total Cholesterol at a statin; "BMI at the visit" names no event
    words_of = {m.display: set(m.words) for m in grounding.matches}
    t_words = words_of.get(concepts.concepts[concepts.slot_concept[target]].display, set())
    e_words = words_of.get(concepts.concepts[concepts.slot_concept[event]].display, set())
    if not (t_words - e_words) or e_words == t_words:
        return None
    if kinds[event] == "medication":
        episodes = _same_drug(entries, event)
    else:
        episodes = tuple(i for i in _series(entries, event) if entries[i].path == "$") or _series(
            entries, event
        )
    dated = [i for i in episodes if entries[i].time]
    if not dated:
        return None
    window = features.window
    if window is None:
        return read(_earliest(entries, dated))
    return read(min(dated, key=lambda i: (abs(_days_between(entries[i].time, window.start)), i)))


def _earliest(entries: tuple[MemoryEntry, ...] | list[MemoryEntry], indices: Sequence[int]) -> int:
    """The entry of ``indices`` dated first (undated ones last; ties to the earlier slot)."""
    return min(indices, key=lambda i: ((entries[i].time or "9999")[:10], i))


def _days_between(a: str | None, b: str) -> int:
    from datetime import date

    try:
        return (date.fromisoformat((a or "")[:10]) - date.fromisoformat(b[:10])).days
    except ValueError:
        return 10**6


def _names_a_kind_only(text: str, class_named: bool) -> bool:
    """Whether the question names a kind as a whole and nothing narrower ("allergy hx?", "immunization
    history?" ask for the list, not whether)."""
    return listed_kind(text) is not None and (not class_named or class_is_kind(text))


def class_is_kind(text: str) -> bool:
    """Whether every class the question names is named by a kind's own word ("allergies" is the
    allergy class and the allergy kind; "ACE inhibitors" is a class only)."""
    from clinimem.grounding.match import kinds_named_in

    terms = [term for _, term in class_terms_in(text)]
    return bool(terms) and all(kinds_named_in(term) and len(term.split()) == 1 for term in terms)


@cache
def _other_names(code: str) -> tuple[str, ...]:
    """Every synonym the tables give a code, in any of the code systems."""
    from clinimem.grounding.lexicon import lexicon

    lex = lexicon()
    systems = (RXNORM, CVX, "http://loinc.org", "http://snomed.info/sct")
    return tuple(n for s in systems for n in lex.names_for(s, code))


def _named_beside_class(grounding: Grounding, class_words: set[str]) -> bool:
    """Whether the question names something by words other than the class's: "APAP/DM syrup" names a
    drug ("DM" there is dextromethorphan, not diabetes); "colon cancer" matching Colonoscopy by "colon"
    names nothing beside the class."""
    from clinimem.grounding.match import tokenize

    own = {t for w in class_words for t in tokenize(w)} | class_words
    return any(m.score >= 0.3 and set(m.words) - own for m in grounding.matches)


def event_anchor(
    entries: tuple[MemoryEntry, ...] | list[MemoryEntry],
    grounding: Grounding,
    concepts: PatientConcepts,
    anchor: int | None,
    text: str,
) -> int | None:
    """The event a before / after / at-visit question reads from. A drug as the event is its start:
    the first order of the drug the question names (any strength), or of the class it names ("after
    she started the statin"); hop 1 may attend to a later order of it, or to another drug."""
    if anchor is None or _STOPPED.search(text) or not len(grounding.slots):
        return anchor
    kinds = np.array(concepts.slot_kind)
    scores = grounding.slots[:, FEATURES.index("score")]
    drugs = np.where(kinds == "medication", scores, -1.0)
    named = int(drugs.argmax())
    # (a drug named by its own words, even when the question's other words name the series read)
    cover = grounding.slots[:, FEATURES.index("cover")]
    if drugs[named] >= 0.25 and cover[named] >= 0.5:
        if entries[anchor].kind != "medication" or scores[anchor] < drugs[named] - 0.05:
            anchor = named
    elif entries[anchor].kind != "medication":
        return anchor
    same = _same_drug(entries, anchor)
    return _earliest(entries, same) if same else anchor


def class_named_other(grounding: Grounding, concepts: PatientConcepts) -> bool:
    """Whether a class the question names has members other than visits ("ER" is also a class)."""
    hits = grounding.slots[:, FEATURES.index("class")] > 0 if len(grounding.slots) else np.zeros(0, bool)
    return any(concepts.slot_kind[int(i)] != "encounter" for i in np.nonzero(hits)[0])


def _yes_no(text: str) -> bool:
    return bool(re.match(r"^\s*(is|are|does|do|has|have|was|were|did)\b", text, re.I)) and not _WHEN.search(
        text
    )


_YES_NO_SHAPE = re.compile(
    r"^\s*(is|are|does|do|has|have|was|were|did|any|on|currently|still|taking|ever|active|current)\b|\by/n\b|\byes or no\b|"
    r"\b(current|currently|active|now|still|ongoing)\s*\??\s*$",
    re.I,
)


def asks_yes_no(text: str, op: str) -> bool:
    """Whether the question asks yes or no: the op head's "exists", or its own shape ("On NSAID?",
    "statin - current?", "obesity history y/n"), with no what/when/which/how."""
    if _WHEN.search(text):
        return False  # "date COPD diagnosed": a when, whatever the op head read
    if op == "exists":
        return True
    shaped = bool(_YES_NO_SHAPE.search(text)) and not _WH.search(text)
    return shaped and op in ("abstain", "list", "lookup", "last", "first", "before", "after", "at_visit")


@cache
def _problem_names() -> tuple[re.Pattern[str], ...]:
    """Whole-word patterns of every problem name the tables know (SNOMED CT synonyms)."""
    from clinimem.grounding.lexicon import lexicon

    names = {
        n.lower()
        for (system, _), ns in lexicon().synonyms.items()
        if system == "http://snomed.info/sct"
        for n in ns
        if len(n) >= 4
    }
    return tuple(re.compile(rf"(?<![\w-]){re.escape(n)}(?![\w-])") for n in sorted(names))


def _names_a_known_problem(text: str) -> bool:
    """Whether the question names a problem the tables know: a "no" is read only about a thing
    clinimem can tell it would have found ("ankle sprain"), never past unknown shorthand ("sz")."""
    low = text.lower()
    return any(p.search(low) for p in _problem_names())


def _class_searched(text: str, entries: tuple[MemoryEntry, ...] | list[MemoryEntry]) -> tuple[int, ...]:
    """The entries a "no" about a class rests on: every entry of the kinds its members are."""
    from clinimem.grounding.lexicon import lexicon

    kinds: set[str] = set()
    # only a class named in full: a "no" is never read from a guess at a typo
    from clinimem.grounding.match import kinds_named_in

    for cls in lexicon().classes_named_in(text):
        # the kind a class's own name says by its head word ("drug allergy": the allergy entries,
        # whatever code system codes them), else the kinds of its members' code systems
        head = set(kinds_named_in(cls.split()[-1]))
        kinds |= head or _class_kinds().get(cls, frozenset())
    if len(kinds) != 1:
        return ()  # a class of several kinds ("smoking", "social history"): no one place to look
    (kind,) = kinds
    return _whole(entries, kind)

"""Everyday clinical questions on raw Synthea FHIR R4 bundles, with gold read from the JSON only.

    python -m clinimem_eval.everyday.build --data /work/shared/data/synthea-r4 \
        --out eval/clinimem_eval/everyday/facts_synthea_r4.jsonl

Writes one fact a line in the schema of ``clinimem_eval/invariance/facts_synthea_r4.jsonl``
(``category`` is ``"everyday"``), scored by ``clinimem_eval.invariance.run``. The phrasings are
this module's own, written from how clinicians ask, not from the system's question grammar.

Rules, per ``op`` (a resource's date is YYYY-MM-DD of its own date: Encounter ``period.start``,
Observation ``effectiveDateTime``, Immunization ``occurrenceDateTime``, MedicationRequest
``authoredOn``, Condition ``onsetDateTime``; "visit" = any Encounter, whatever its status):

- ``last_visit_date`` (date): the date of the latest Encounter; cites the Encounter(s) of that day.
- ``visit_count_since_year`` (count): Encounters dated on or after 1 January of the year, to the
  end of the record ("since 2019" is 2019 to now, not 2019 only); the year is chosen so that the
  count differs from the count in that year alone. Cites the Encounters counted.
- ``visit_count_in_year`` (count): Encounters dated in that calendar year. Cites them.
- ``visit_count_by_type`` (count): Encounters of one kind in one calendar year. Kinds:
  emergency = ``Encounter.class.code`` EMER; inpatient = class IMP; wellness = type display
  containing "check up" / "check-up" / "well child" / "general examination"; outpatient = class
  AMB. Cites them.
- ``history_of`` and ``ever_had`` (boolean, same rule, different wording): true when a Condition
  with that display is in the record, any clinical status; cites those Conditions. False facts
  ask about a condition another patient has (``tables.NEGATIVE_CANDIDATES``) and this patient has
  no Condition of it nor of a related one (``tables.RELATED_CONDITIONS``); a false answer reads
  the problem list, so it cites any of the patient's Conditions. Diabetes is asked of patients
  with prediabetes on purpose: prediabetes is not diabetes.
- ``on_drug_class_now`` (boolean): true when a MedicationRequest with status ``active`` has a drug
  of the class (``tables.drug_classes``: RxNorm ingredients to WHO ATC codes, the table and its
  source in ``tables``); cites those requests. False: no active request of the class; cites the
  stopped requests of the class if any, else any of the patient's MedicationRequests. Only for
  living patients (``Patient.deceased*`` absent) with at least one MedicationRequest.
- ``drug_since`` (date): the earliest ``authoredOn`` among the MedicationRequests of one drug (all
  strengths: ``tables.DRUG_WORDS`` groups RxNorm codes), asked only of drugs with an active
  request; cites the earliest request(s).
- ``drug_stopped`` (date): for a drug none of whose requests is active (all ``stopped`` or
  ``completed``), the latest ``dispenseRequest.validityPeriod.end`` if a request has one, else the
  latest ``authoredOn`` (Synthea writes no end dates: the last prescription before it stopped);
  cites that request.
- ``smoking_status`` (text): the value (``valueCodeableConcept`` text or display) of the latest
  Observation with LOINC 72166-2 "Tobacco smoking status"; scored as case-insensitive contains.
- ``allergies_list`` (list): the distinct AllergyIntolerance code displays. A patient without any
  is skipped: no bundle holds a "no known allergies" statement, and absence of resources is not
  the same as "no known allergies".
- ``immunization_list`` (list): the distinct Immunization ``vaccineCode`` displays ever given.
- ``active_problem_list`` (list): the distinct displays of Conditions with ``clinicalStatus``
  active.
- ``times_above_threshold`` (count): how many values of one observation (LOINC code; systolic =
  component 8480-6 of the blood-pressure panel) are strictly above a threshold: a clinical cut-off
  from ``tables.OBS_THRESHOLDS`` when it splits the values, else a round number near the median;
  never within 1 % of any value. Cites the Observations above it; the whole series is context.
- ``time_since_last`` (date): the date of the latest Observation of one LOINC code, or of the
  latest Immunization of one vaccine; cites the resource(s) of that day.
- ``value_at_visit`` (value): the value of one observation in a named month ("her March 2019
  visit") where that month holds exactly one value of it; cites that Observation.

Facts are chosen per patient with a fixed seed (``--seed``), so a rerun writes the same file.
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import json
import random
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clinimem_eval.everyday import tables

MONTHS = tuple(calendar.month_name)[1:]
SMOKING_LOINC = "72166-2"
SYSTOLIC_LOINC = "8480-6"
MIN_PHRASINGS = 12
MAX_PHRASINGS = 14


# ----------------------------------------------------------------------------- reading bundles


def _day(value: str | None) -> str | None:
    return value[:10] if value else None


def _coding(concept: dict | None) -> dict:
    codings = (concept or {}).get("coding") or [{}]
    return codings[0]


def _display(concept: dict | None) -> str:
    c = _coding(concept)
    return str(c.get("display") or (concept or {}).get("text") or "").replace("\u200b", "")


def _status(concept: dict | None) -> str:
    return str(_coding(concept).get("code") or "")


@dataclass
class Point:
    """One value of one observation series."""

    day: str
    value: float
    unit: str
    resource: str
    display: str


@dataclass
class Record:
    """One patient's bundle, read into what the rules need."""

    patient_id: str
    gender: str
    deceased: bool
    by_type: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    series: dict[str, list[Point]] = field(default_factory=lambda: defaultdict(list))

    @property
    def he(self) -> dict[str, str]:
        if self.gender == "female":
            return {"he": "she", "his": "her", "him": "her", "He": "She", "His": "Her"}
        return {"he": "he", "his": "his", "him": "him", "He": "He", "His": "His"}

    def encounters(self) -> list[dict]:
        return sorted(self.by_type["Encounter"], key=lambda r: r["period"]["start"])


def ref(resource: dict) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def load_record(path: Path) -> Record:
    bundle = json.loads(path.read_text())
    resources = [e["resource"] for e in bundle.get("entry", [])]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    rec = Record(
        patient_id=patient["id"],
        gender=patient.get("gender", ""),
        deceased=any(k.startswith("deceased") for k in patient),
    )
    for r in resources:
        rec.by_type[r["resourceType"]].append(r)
        if r["resourceType"] != "Observation":
            continue
        day = _day(r.get("effectiveDateTime"))
        if not day:
            continue
        code = _status(r.get("code"))
        if "valueQuantity" in r and code in tables.OBS_WORDS:
            q = r["valueQuantity"]
            rec.series[code].append(
                Point(day, float(q["value"]), q.get("unit", ""), ref(r), _display(r["code"]))
            )
        for comp in r.get("component", []):
            ccode = _status(comp.get("code"))
            if ccode in tables.OBS_WORDS and "valueQuantity" in comp:
                q = comp["valueQuantity"]
                rec.series[ccode].append(
                    Point(day, float(q["value"]), q.get("unit", ""), ref(r), _display(comp["code"]))
                )
    for points in rec.series.values():
        points.sort(key=lambda p: p.day)
    return rec


def load_records(folder: Path) -> list[Record]:
    return [load_record(p) for p in sorted(folder.glob("*.json"))]


# ----------------------------------------------------------------------------- phrasing


def typo(text: str, rng: random.Random) -> str:
    """A plausible slip of the keyboard in the longest word: two letters swapped or one dropped."""
    words = text.split(" ")
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    if len(w) < 4:
        return text + text[-1]
    j = rng.randrange(1, len(w) - 2)
    w = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if rng.random() < 0.6 else w[:j] + w[j + 1 :]
    words[i] = w
    return " ".join(words)


def render(
    templates: list[tuple[str, str]], ctx: dict[str, str], rng: random.Random
) -> tuple[list[str], list[str]]:
    """Fill the templates, drop duplicates, keep at most MAX_PHRASINGS with every style kept once."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for style, tpl in templates:
        text = re.sub(r"\s+", " ", tpl.format(**ctx)).strip()
        text = text[0].upper() + text[1:] if style != "lowercase" else text.lower()
        key = text.lower()
        if key not in seen:
            seen.add(key)
            out.append((style, text))
    if len(out) > MAX_PHRASINGS:
        order = list(range(len(out)))
        rng.shuffle(order)
        first: dict[str, int] = {}
        for k in order:
            first.setdefault(out[k][0], k)
        keep = set(first.values())
        for k in order:
            if len(keep) >= MAX_PHRASINGS:
                break
            keep.add(k)
        out = [out[k] for k in sorted(keep)]
    return [t for _, t in out], [s for s, _ in out]


T = list[tuple[str, str]]

LAST_VISIT: T = [
    ("terse", "last visit?"),
    ("full", "When was {his} last visit?"),
    ("full", "When did we last see {him}?"),
    ("possessive", "{His} most recent encounter date?"),
    ("tense", "When had {he} last been seen in clinic?"),
    ("lay", "When was the last time {he} came in?"),
    ("abbrev", "Date of last OV?"),
    ("typo", "when was {his} last vist"),
    ("filler", "Sorry, quick one - when was {he} last seen?"),
    ("display", "Date of the most recent Encounter?"),
    ("lowercase", "last seen date"),
    ("shorthand", "pt last seen when?"),
    ("full", "What's the date of {his} latest appointment?"),
    ("tense", "When was {he} last here?"),
]

SINCE_YEAR: T = [
    ("full", "How many visits has {he} had since {year}?"),
    ("terse", "visits since {year}?"),
    ("abbrev", "# encounters since {year}"),
    ("possessive", "{His} number of visits from {year} onwards?"),
    ("lay", "How many times has {he} come in since {year}?"),
    ("tense", "How many times had {he} been seen since {year}?"),
    ("typo", "how many vists since {year}"),
    ("filler", "Just checking, how many encounters has {he} had since the start of {year}?"),
    ("display", "Count of Encounters since January 1, {year}?"),
    ("lowercase", "number of visits since {year} to now"),
    ("shorthand", "visit count {year}-present"),
    ("full", "Since {year}, how many appointments has {he} had?"),
    ("abbrev", "No. of OVs since {year}?"),
    ("lay", "How often has {he} been in to see us since {year}?"),
]

IN_YEAR: T = [
    ("full", "How many visits did {he} have in {year}?"),
    ("terse", "visits in {year}?"),
    ("abbrev", "# encounters {year}"),
    ("possessive", "{His} visit count for {year}?"),
    ("lay", "How many times did {he} come in during {year}?"),
    ("tense", "How many times had {he} been seen in {year}?"),
    ("typo", "how many vists in {year}"),
    ("filler", "Out of curiosity, how many encounters did {he} have in calendar year {year}?"),
    ("display", "Number of Encounters in {year}?"),
    ("lowercase", "encounters during {year} count"),
    ("shorthand", "visit count {year} only"),
    ("full", "In {year}, how many appointments did {he} have?"),
    ("abbrev", "No. of OVs in {year}?"),
    ("lay", "How often was {he} seen over the course of {year}?"),
]

BY_TYPE: T = [
    ("full", "How many {t1} did {he} have in {year}?"),
    ("terse", "{tabbr} {year}?"),
    ("abbrev", "# {tabbr} in {year}"),
    ("possessive", "{His} {t1} in {year} - how many?"),
    ("lay", "How many {tlay} in {year}?"),
    ("tense", "How many {t1} had {he} had in {year}?"),
    ("typo", "how many {ttypo} in {year}"),
    ("filler", "Quick question - how many {t2} did {he} have in {year}?"),
    ("display", "Number of {tdisp} encounters in {year}?"),
    ("lowercase", "count of {t2} {year}"),
    ("full", "In {year}, how many {t2} were there?"),
    ("shorthand", "{tabbr} count for {year}?"),
    ("full", "How often was {he} {tverb} in {year}?"),
]

VISIT_KINDS: dict[str, dict[str, str]] = {
    "emergency": {
        "t1": "ED visits",
        "t2": "emergency room visits",
        "tabbr": "ER visits",
        "tlay": "trips to the emergency room",
        "tdisp": "emergency (EMER)",
        "tverb": "seen in the ED",
    },
    "inpatient": {
        "t1": "hospital admissions",
        "t2": "inpatient stays",
        "tabbr": "admissions",
        "tlay": "times in hospital overnight",
        "tdisp": "inpatient (IMP)",
        "tverb": "admitted to hospital",
    },
    "wellness": {
        "t1": "wellness visits",
        "t2": "check-ups",
        "tabbr": "physicals",
        "tlay": "routine check-ups",
        "tdisp": "check up",
        "tverb": "in for a check-up",
    },
    "outpatient": {
        "t1": "outpatient visits",
        "t2": "office visits",
        "tabbr": "ambulatory visits",
        "tlay": "clinic appointments",
        "tdisp": "ambulatory (AMB)",
        "tverb": "seen as an outpatient",
    },
}

HISTORY_OF: T = [
    ("terse", "hx of {abbr}?"),
    ("full", "Does {he} have a history of {name}?"),
    ("possessive", "Is {name} part of {his} history?"),
    ("lay", "Has {he} had {lay}?"),
    ("abbrev", "PMH {abbr}?"),
    ("tense", "Had {he} been diagnosed with {name}?"),
    ("typo", "history of {typo}?"),
    ("filler", "Just to confirm, is there any history of {name}?"),
    ("display", "Any history of {disp}?"),
    ("lowercase", "{name} history y/n"),
    ("shorthand", "h/o {abbr}?"),
    ("full", "Is there a past history of {name} in the record?"),
    ("lay", "Is there {lay} in {his} past?"),
]

EVER_HAD: T = [
    ("full", "Has {he} ever had {name}?"),
    ("terse", "ever {abbr}?"),
    ("lay", "Has {he} ever had {lay}?"),
    ("possessive", "{His} record: ever any {name}?"),
    ("tense", "Did {he} ever have {name}?"),
    ("tense", "Had {he} ever been diagnosed with {abbr}?"),
    ("typo", "ever had {typo}?"),
    ("filler", "Sorry, silly question, but has {he} ever had {name}?"),
    ("display", "Ever had {disp}?"),
    ("lowercase", "ever diagnosed with {name}"),
    ("shorthand", "any prior {abbr}?"),
    ("full", "Has there ever been a diagnosis of {name}?"),
    ("lay", "Was {he} ever told {he} had {lay}?"),
]

DRUG_CLASS_NOW: T = [
    ("full", "Is {he} on {plain}?"),
    ("terse", "on {jargon}?"),
    ("full", "Is {he} currently taking {plain}?"),
    ("possessive", "Does {his} current med list include {plain}?"),
    ("lay", "Is {he} taking {lay} at the moment?"),
    ("abbrev", "currently on {jargon}? y/n"),
    ("tense", "Is {he} being treated with {plain} now?"),
    ("typo", "is {he} on {typo} now"),
    ("filler", "Can you check whether {he} is on {plain} right now?"),
    ("display", "Active MedicationRequest for {plain}?"),
    ("lowercase", "{jargon} - current?"),
    ("shorthand", "{jargon} active?"),
    ("full", "Does {he} take {plain} these days?"),
]

DRUG_SINCE: T = [
    ("full", "When was {generic} first prescribed?"),
    ("terse", "{generic} start date?"),
    ("full", "Since when has {he} been on {generic}?"),
    ("possessive", "{His} {generic} - when did that start?"),
    ("lay", "When did {he} start {lay}?"),
    ("abbrev", "{brand} start date?"),
    ("tense", "When had {he} started {generic}?"),
    ("typo", "when was {typo} started"),
    ("filler", "Do you know when {he} was first put on {generic}?"),
    ("display", "Earliest prescription of {disp}?"),
    ("lowercase", "date first prescribed {generic}"),
    ("shorthand", "{brand} since?"),
    ("full", "How long has {he} been taking {generic} - since what date?"),
    ("abbrev", "What date was {brand} started?"),
]

DRUG_STOPPED: T = [
    ("full", "When was {generic} stopped?"),
    ("terse", "{generic} stop date?"),
    ("full", "When did {he} come off {generic}?"),
    ("possessive", "{His} {brand} - when was it discontinued?"),
    ("lay", "When did {he} stop taking {lay}?"),
    ("abbrev", "{brand} d/c date?"),
    ("tense", "When had {generic} been discontinued?"),
    ("typo", "when was {typo} stoped"),
    ("filler", "Remind me, when did {he} finish {generic}?"),
    ("display", "When was {disp} stopped?"),
    ("lowercase", "date {generic} ended"),
    ("shorthand", "{brand} d/c'd when?"),
    ("full", "When was {generic} last prescribed before it was stopped?"),
]

SMOKING: T = [
    ("full", "Does {he} smoke?"),
    ("terse", "smoking status?"),
    ("full", "What is {his} smoking status?"),
    ("possessive", "{His} tobacco history?"),
    ("lay", "Is {he} a smoker?"),
    ("abbrev", "tob use?"),
    ("tense", "Has {he} ever smoked?"),
    ("typo", "smoking staus?"),
    ("filler", "Just wondering, does {he} use tobacco?"),
    ("display", "Tobacco smoking status NHIS?"),
    ("lowercase", "smoking hx"),
    ("shorthand", "smoker? y/n"),
    ("full", "What does the record say about {his} smoking?"),
]

ALLERGIES: T = [
    ("full", "What is {he} allergic to?"),
    ("terse", "allergies?"),
    ("full", "List {his} allergies."),
    ("possessive", "{His} allergy list?"),
    ("lay", "Is {he} allergic to anything?"),
    ("abbrev", "NKDA or allergies?"),
    ("tense", "What allergies have been documented for {him}?"),
    ("typo", "alergies?"),
    ("filler", "Before I prescribe anything, what allergies does {he} have?"),
    ("display", "AllergyIntolerance list?"),
    ("lowercase", "allergy list"),
    ("shorthand", "allergies pls"),
    ("full", "Which allergies are recorded for {him}?"),
]

IMMUNIZATIONS: T = [
    ("full", "What vaccines has {he} had?"),
    ("terse", "vaccines?"),
    ("full", "List {his} immunizations."),
    ("possessive", "{His} immunization history?"),
    ("lay", "Which shots has {he} had?"),
    ("abbrev", "imms hx?"),
    ("tense", "Which vaccines had {he} received?"),
    ("typo", "vacines given?"),
    ("filler", "Could you list every vaccine {he}'s been given?"),
    ("display", "Immunization records?"),
    ("lowercase", "immunisation list"),
    ("shorthand", "vax hx"),
    ("full", "Which immunizations are on file for {him}?"),
]

ACTIVE_PROBLEMS: T = [
    ("full", "What's on {his} active problem list?"),
    ("terse", "active problems?"),
    ("full", "List {his} current diagnoses."),
    ("possessive", "{His} active conditions?"),
    ("lay", "What health problems does {he} have right now?"),
    ("abbrev", "active dx list?"),
    ("tense", "What conditions is {he} currently being followed for?"),
    ("typo", "active problms?"),
    ("filler", "Can you pull up {his} current problem list?"),
    ("display", "Conditions with clinical status active?"),
    ("lowercase", "problem list"),
    ("shorthand", "PL?"),
    ("full", "Which of {his} conditions are still active?"),
]

ABOVE: T = [
    ("full", "How many times has {his} {name} been above {thr}?"),
    ("terse", "{abbr} >{thr} how many times?"),
    ("full", "How many {name} readings were over {thr} {unit}?"),
    ("possessive", "{His} {abbr}: count of values above {thr}?"),
    ("lay", "How often has {his} {lay} been higher than {thr}?"),
    ("abbrev", "# {abbr} > {thr}"),
    ("tense", "How many times had {his} {name} exceeded {thr}?"),
    ("typo", "times {typo} above {thr}"),
    ("filler", "Out of all the results, how many {name} values came back above {thr}?"),
    ("display", "Count of {disp} results greater than {thr} {unit}?"),
    ("lowercase", "number of {name} values over {thr}"),
    ("shorthand", "{abbr} >{thr} x?"),
    ("full", "On how many occasions was {his} {abbr} above {thr}?"),
]

LAST_LAB: T = [
    ("full", "When was {his} last {name}?"),
    ("terse", "last {abbr}?"),
    ("full", "When was {name} last checked?"),
    ("possessive", "{His} most recent {abbr} - what date?"),
    ("lay", "When did {he} last have {his} {lay} checked?"),
    ("abbrev", "date of last {abbr}"),
    ("tense", "When had {name} last been measured?"),
    ("typo", "last {typo} date"),
    ("filler", "Sorry, how long ago was the last {name} - what date?"),
    ("display", "Date of most recent {disp}?"),
    ("lowercase", "last {name} drawn when"),
    ("shorthand", "{abbr} last done?"),
    ("full", "How long since {his} last {abbr}? Give the date."),
]

LAST_VACCINE: T = [
    ("full", "When did {he} last get a {lay}?"),
    ("terse", "last {abbr}?"),
    ("full", "When was {his} last {name}?"),
    ("possessive", "{His} most recent {abbr} date?"),
    ("lay", "When was {his} last {lay}?"),
    ("abbrev", "{abbr} last given?"),
    ("tense", "When had {he} last been given the {name}?"),
    ("typo", "last {typo}?"),
    ("filler", "Quick check before clinic: when was the last {lay}?"),
    ("display", "Date of last {disp} immunization?"),
    ("lowercase", "last {lay} date"),
    ("shorthand", "{abbr} - last dose?"),
    ("full", "How long since {his} last {lay}? What date?"),
]

AT_VISIT: T = [
    ("full", "What was {his} {name} at {his} {month} visit?"),
    ("terse", "{abbr} {mon}?"),
    ("full", "What was the {name} result from the visit in {month}?"),
    ("possessive", "{His} {abbr} at the {month} appointment?"),
    ("lay", "What was {his} {lay} when {he} came in in {month}?"),
    ("abbrev", "{abbr} @ {mon} OV"),
    ("tense", "What had {his} {name} been at the {month} visit?"),
    ("typo", "{typo} at {month} visit"),
    ("filler", "Could you tell me the {name} from {his} {month} visit?"),
    ("display", "{disp} at the {month} encounter?"),
    ("lowercase", "{name} {month}"),
    ("shorthand", "{abbr} on {date}?"),
    ("full", "At the visit on {date}, what was {his} {name}?"),
]


# ----------------------------------------------------------------------------- facts


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def make_fact(
    rec: Record,
    op: str,
    concept: str,
    gold: dict[str, Any],
    gold_resources: Iterable[str],
    templates: T,
    ctx: dict[str, str],
    rng: random.Random,
    context_resources: Iterable[str] = (),
) -> dict[str, Any]:
    key = json.dumps([rec.patient_id, op, concept, gold], sort_keys=True, default=str)
    digest = hashlib.sha1(key.encode()).hexdigest()[:6]
    phrasings, styles = render(templates, {**rec.he, **ctx}, rng)
    if len(phrasings) < MIN_PHRASINGS:
        raise ValueError(f"only {len(phrasings)} phrasings for {op} {concept}")
    return {
        "fact_id": f"{rec.patient_id[:8]}-{op}-{_slug(concept)}-{digest}",
        "patient_id": rec.patient_id,
        "category": "everyday",
        "op": op,
        "gold": gold,
        "gold_resources": sorted(dict.fromkeys(gold_resources)),
        "context_resources": sorted(dict.fromkeys(context_resources)),
        "concept": concept,
        "phrasings": phrasings,
        "phrasing_styles": styles,
    }


def _enc_day(r: dict) -> str:
    return r["period"]["start"][:10]


def facts_last_visit(rec: Record, rng: random.Random) -> Iterator[dict]:
    encs = rec.encounters()
    if not encs:
        return
    last = max(_enc_day(e) for e in encs)
    cited = [ref(e) for e in encs if _enc_day(e) == last]
    yield make_fact(
        rec, "last_visit_date", "Encounter", {"kind": "date", "value": last}, cited, LAST_VISIT, {}, rng
    )


def _years(encs: list[dict]) -> list[int]:
    return sorted({int(_enc_day(e)[:4]) for e in encs})


def facts_since_year(rec: Record, rng: random.Random) -> Iterator[dict]:
    encs = rec.encounters()
    options = []
    for y in range(min(_years(encs), default=0), max(_years(encs), default=-1) + 1):
        since = [e for e in encs if int(_enc_day(e)[:4]) >= y]
        within = [e for e in encs if int(_enc_day(e)[:4]) == y]
        if 2 <= len(since) < len(encs) and len(since) != len(within) and len(since) <= 40:
            options.append((y, since))
    if not options:
        return
    y, since = rng.choice(options)
    yield make_fact(
        rec,
        "visit_count_since_year",
        f"Encounter since {y}",
        {"kind": "count", "value": len(since)},
        [ref(e) for e in since],
        SINCE_YEAR,
        {"year": str(y)},
        rng,
    )


def facts_in_year(rec: Record, rng: random.Random) -> Iterator[dict]:
    encs = rec.encounters()
    by_year: dict[int, list[dict]] = defaultdict(list)
    for e in encs:
        by_year[int(_enc_day(e)[:4])].append(e)
    if not by_year:
        return
    multi = [y for y, es in by_year.items() if len(es) >= 2]
    y = rng.choice(sorted(multi or by_year))
    yield make_fact(
        rec,
        "visit_count_in_year",
        f"Encounter in {y}",
        {"kind": "count", "value": len(by_year[y])},
        [ref(e) for e in by_year[y]],
        IN_YEAR,
        {"year": str(y)},
        rng,
    )


def visit_kind(e: dict) -> set[str]:
    """The kinds (``VISIT_KINDS``) one Encounter counts as."""
    cls = str((e.get("class") or {}).get("code") or "")
    kinds = {"EMER": {"emergency"}, "IMP": {"inpatient"}, "AMB": {"outpatient"}}.get(cls, set())
    types = " ".join(_display(t).lower() for t in e.get("type", []))
    if re.search(r"check.?up|well child|general examination", types):
        kinds = kinds | {"wellness"}
    return set(kinds)


def facts_by_type(rec: Record, rng: random.Random) -> Iterator[dict]:
    counts: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for e in rec.encounters():
        for k in visit_kind(e):
            counts[(k, int(_enc_day(e)[:4]))].append(e)
    if not counts:
        return
    kinds = sorted({k for k, _ in counts})
    # the rarer kinds first: an ED or hospital question whenever the patient has one
    rare = [k for k in kinds if k in ("emergency", "inpatient")]
    kind = rng.choice(rare) if rare and rng.random() < 0.7 else rng.choice(kinds)
    years = sorted(y for k, y in counts if k == kind)
    y = rng.choice(years)
    words = VISIT_KINDS[kind]
    ctx = {**words, "year": str(y), "ttypo": typo(words["t1"], rng)}
    yield make_fact(
        rec,
        "visit_count_by_type",
        f"{kind} Encounter in {y}",
        {"kind": "count", "value": len(counts[(kind, y)])},
        [ref(e) for e in counts[(kind, y)]],
        BY_TYPE,
        ctx,
        rng,
    )


def _condition_words(display: str) -> tuple[str, str, str]:
    if display in tables.CONDITION_WORDS:
        return tables.CONDITION_WORDS[display]
    name = re.sub(r"\s*\((disorder|finding|situation)\)\s*$", "", display).strip().lower()
    return name, name, name


def _condition_ctx(display: str, rng: random.Random) -> dict[str, str]:
    name, abbr, lay = _condition_words(display)
    return {"name": name, "abbr": abbr, "lay": lay, "disp": display, "typo": typo(name, rng)}


def _conditions(rec: Record) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for c in rec.by_type["Condition"]:
        out[_display(c.get("code"))].append(c)
    return out


def _negative_options(rec: Record) -> list[str]:
    have = set(_conditions(rec))
    blocked = set(have)
    for group in tables.RELATED_CONDITIONS:
        if group & have:
            blocked |= group
    return [c for c in tables.NEGATIVE_CANDIDATES if c not in blocked]


def facts_history(
    rec: Record, rng: random.Random, op: str, positive: bool, avoid: set[str]
) -> Iterator[dict]:
    conds = _conditions(rec)
    templates = HISTORY_OF if op == "history_of" else EVER_HAD
    if positive:
        options = sorted(d for d in conds if d in tables.CONDITION_WORDS and d not in avoid) or sorted(
            d for d in conds if d not in avoid
        )
        if not options:
            return
        d = rng.choice(options)
        avoid.add(d)
        yield make_fact(
            rec,
            op,
            d,
            {"kind": "boolean", "value": True},
            [ref(c) for c in conds[d]],
            templates,
            _condition_ctx(d, rng),
            rng,
        )
        return
    options = [d for d in _negative_options(rec) if d not in avoid]
    if not options or not conds:
        return
    have = set(conds)
    # diabetes for a patient with prediabetes when possible: the near miss that must say no
    d = (
        "Diabetes"
        if "Diabetes" in options and "Prediabetes" in have and rng.random() < 0.6
        else rng.choice(options)
    )
    avoid.add(d)
    cited = [ref(c) for cs in conds.values() for c in cs]
    yield make_fact(
        rec, op, d, {"kind": "boolean", "value": False}, cited, templates, _condition_ctx(d, rng), rng
    )


def _med(r: dict) -> tuple[str, str]:
    c = _coding(r.get("medicationCodeableConcept"))
    return str(c.get("code") or ""), str(c.get("display") or "")


def facts_drug_class(rec: Record, rng: random.Random) -> Iterator[dict]:
    meds = rec.by_type["MedicationRequest"]
    if rec.deceased or not meds:
        return
    active: dict[str, list[dict]] = defaultdict(list)
    inactive: dict[str, list[dict]] = defaultdict(list)
    for r in meds:
        for cls in tables.drug_classes(*_med(r)):
            (active if r.get("status") == "active" else inactive)[cls].append(r)
    choices: list[tuple[str, bool]] = []
    if active:
        choices.append((rng.choice(sorted(active)), True))
    negatives = [c for c in tables.CLASS_ATC if c not in active]
    # a class the patient once took but no longer does is the sharper "no"
    stopped = [c for c in negatives if c in inactive]
    if stopped and rng.random() < 0.6:
        choices.append((rng.choice(stopped), False))
    elif negatives:
        choices.append((rng.choice(negatives), False))
    for cls, value in choices:
        plain, jargon, lay = tables.CLASS_WORDS[cls]
        if value:
            cited = [ref(r) for r in active[cls]]
        elif inactive.get(cls):
            cited = [ref(r) for r in inactive[cls]]
        else:
            cited = [ref(r) for r in meds]
        ctx = {"plain": plain, "jargon": jargon, "lay": lay, "typo": typo(jargon, rng)}
        yield make_fact(
            rec,
            "on_drug_class_now",
            cls,
            {"kind": "boolean", "value": value},
            cited,
            DRUG_CLASS_NOW,
            ctx,
            rng,
        )


def _drug_groups(rec: Record) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rec.by_type["MedicationRequest"]:
        code, _ = _med(r)
        if code in tables.DRUG_WORDS:
            groups[tables.DRUG_WORDS[code][0]].append(r)
    return groups


def _drug_ctx(
    rec: Record, reqs: list[dict], groups: dict[str, list[dict]], rng: random.Random
) -> dict[str, str]:
    code, disp = _med(reqs[0])
    _, generic, brand, lay = tables.DRUG_WORDS[code]
    lays = [tables.DRUG_WORDS[_med(rs[0])[0]][3] for rs in groups.values()]
    if lays.count(lay) > 1:  # "the water pill" when two diuretics: say the brand instead
        lay = brand
    return {"generic": generic, "brand": brand, "lay": lay, "disp": disp, "typo": typo(generic, rng)}


def facts_drug_since(rec: Record, rng: random.Random) -> Iterator[dict]:
    groups = _drug_groups(rec)
    options = sorted(g for g, rs in groups.items() if any(r.get("status") == "active" for r in rs))
    if not options:
        return
    g = rng.choice(options)
    reqs = sorted(groups[g], key=lambda r: r["authoredOn"])
    first = _day(reqs[0]["authoredOn"])
    cited = [ref(r) for r in reqs if _day(r["authoredOn"]) == first]
    yield make_fact(
        rec,
        "drug_since",
        g,
        {"kind": "date", "value": first},
        cited,
        DRUG_SINCE,
        _drug_ctx(rec, reqs, groups, rng),
        rng,
    )


def stop_day(r: dict) -> str:
    end = ((r.get("dispenseRequest") or {}).get("validityPeriod") or {}).get("end")
    return _day(end) or _day(r["authoredOn"]) or ""


def facts_drug_stopped(rec: Record, rng: random.Random) -> Iterator[dict]:
    groups = _drug_groups(rec)
    options = sorted(
        g for g, rs in groups.items() if all(r.get("status") in ("stopped", "completed") for r in rs)
    )
    if not options:
        return
    g = rng.choice(options)
    reqs = sorted(groups[g], key=stop_day)
    last = stop_day(reqs[-1])
    cited = [ref(r) for r in reqs if stop_day(r) == last]
    yield make_fact(
        rec,
        "drug_stopped",
        g,
        {"kind": "date", "value": last},
        cited,
        DRUG_STOPPED,
        _drug_ctx(rec, reqs, groups, rng),
        rng,
    )


def facts_smoking(rec: Record, rng: random.Random) -> Iterator[dict]:
    obs = [
        o
        for o in rec.by_type["Observation"]
        if _status(o.get("code")) == SMOKING_LOINC
        and "valueCodeableConcept" in o
        and o.get("effectiveDateTime")
    ]
    if not obs:
        return
    latest = max(o["effectiveDateTime"][:10] for o in obs)
    last = [o for o in obs if o["effectiveDateTime"][:10] == latest]
    vcc = last[0]["valueCodeableConcept"]
    value = vcc.get("text") or _display(vcc)
    yield make_fact(
        rec,
        "smoking_status",
        "Tobacco smoking status",
        {"kind": "text", "value": value},
        [ref(o) for o in last],
        SMOKING,
        {},
        rng,
    )


def facts_allergies(rec: Record, rng: random.Random) -> Iterator[dict]:
    allergies = rec.by_type["AllergyIntolerance"]
    if not allergies:
        return
    values = sorted({_display(a.get("code")) for a in allergies})
    yield make_fact(
        rec,
        "allergies_list",
        "AllergyIntolerance",
        {"kind": "list", "value": values},
        [ref(a) for a in allergies],
        ALLERGIES,
        {},
        rng,
    )


def facts_immunizations(rec: Record, rng: random.Random) -> Iterator[dict]:
    imms = rec.by_type["Immunization"]
    if not imms:
        return
    values = sorted({_display(i.get("vaccineCode")) for i in imms})
    yield make_fact(
        rec,
        "immunization_list",
        "Immunization",
        {"kind": "list", "value": values},
        [ref(i) for i in imms],
        IMMUNIZATIONS,
        {},
        rng,
    )


def facts_active_problems(rec: Record, rng: random.Random) -> Iterator[dict]:
    active = [c for c in rec.by_type["Condition"] if _status(c.get("clinicalStatus")) == "active"]
    if not active:
        return
    values = sorted({_display(c.get("code")) for c in active})
    yield make_fact(
        rec,
        "active_problem_list",
        "Condition active",
        {"kind": "list", "value": values},
        [ref(c) for c in active],
        ACTIVE_PROBLEMS,
        {},
        rng,
    )


def _num(x: float) -> str:
    return f"{x:g}"


def _round_steps(median: float) -> list[float]:
    step = 10 ** (len(str(int(abs(median)))) - 1) if abs(median) >= 1 else 0.1
    step = step / 2 if median / step < 3 else step
    base = round(median / step) * step
    return [round(base + k * step, 3) for k in (0, 1, -1, 2, -2)]


def choose_threshold(code: str, values: list[float]) -> float | None:
    """A threshold that splits the values and sits more than 1 % away from every one of them."""
    med = statistics.median(values)
    for t in [*tables.OBS_THRESHOLDS.get(code, ()), *_round_steps(med)]:
        if t <= 0:
            continue
        above = sum(v > t for v in values)
        if 1 <= above < len(values) and all(abs(v - t) > 0.01 * t for v in values):
            return t
    return None


def _unit_words(unit: str) -> str:
    return {"%": "%", "kg/m2": "kg/m2", "mm[Hg]": "mmHg", "Cel": "C"}.get(unit, unit)


def _obs_ctx(code: str, point: Point, rng: random.Random) -> dict[str, str]:
    name, abbr, lay = tables.OBS_WORDS[code]
    return {"name": name, "abbr": abbr, "lay": lay, "disp": point.display, "typo": typo(name, rng)}


def facts_above(rec: Record, rng: random.Random) -> Iterator[dict]:
    options = []
    for code, points in sorted(rec.series.items()):
        if len(points) >= 4:
            t = choose_threshold(code, [p.value for p in points])
            if t is not None:
                options.append((code, t))
    if not options:
        return
    code, t = rng.choice(options)
    points = rec.series[code]
    above = [p for p in points if p.value > t]
    ctx = {**_obs_ctx(code, points[-1], rng), "thr": _num(t), "unit": _unit_words(points[-1].unit)}
    yield make_fact(
        rec,
        "times_above_threshold",
        f"{points[-1].display} > {_num(t)}",
        {"kind": "count", "value": len(above)},
        [p.resource for p in above],
        ABOVE,
        ctx,
        rng,
        context_resources=[p.resource for p in points],
    )


def facts_time_since_last(rec: Record, rng: random.Random) -> Iterator[dict]:
    vaccines: dict[str, list[dict]] = defaultdict(list)
    for i in rec.by_type["Immunization"]:
        d = _display(i.get("vaccineCode"))
        if d in tables.VACCINE_WORDS and i.get("occurrenceDateTime"):
            vaccines[d].append(i)
    options: list[tuple[str, str]] = [("obs", c) for c in sorted(rec.series)] + [
        ("vax", v) for v in sorted(vaccines)
    ]
    if not options:
        return
    # labs and shots about equally often
    kinds = sorted({k for k, _ in options})
    kind = rng.choice(kinds)
    kind, what = rng.choice([o for o in options if o[0] == kind])
    if kind == "obs":
        points = rec.series[what]
        last = points[-1].day
        cited = [p.resource for p in points if p.day == last]
        yield make_fact(
            rec,
            "time_since_last",
            points[-1].display,
            {"kind": "date", "value": last},
            cited,
            LAST_LAB,
            _obs_ctx(what, points[-1], rng),
            rng,
        )
        return
    shots = vaccines[what]
    last = max(_day(i["occurrenceDateTime"]) or "" for i in shots)
    cited = [ref(i) for i in shots if _day(i["occurrenceDateTime"]) == last]
    name, abbr, lay = tables.VACCINE_WORDS[what]
    ctx = {"name": name, "abbr": abbr, "lay": lay, "disp": what, "typo": typo(lay, rng)}
    yield make_fact(
        rec, "time_since_last", what, {"kind": "date", "value": last}, cited, LAST_VACCINE, ctx, rng
    )


def facts_at_visit(rec: Record, rng: random.Random) -> Iterator[dict]:
    options = []
    for code, points in sorted(rec.series.items()):
        by_month: dict[str, list[Point]] = defaultdict(list)
        for p in points:
            by_month[p.day[:7]].append(p)
        options += [(code, ps[0]) for ps in by_month.values() if len(ps) == 1]
    if not options:
        return
    code, p = rng.choice(options)
    y, m = int(p.day[:4]), int(p.day[5:7])
    ctx = {
        **_obs_ctx(code, p, rng),
        "month": f"{MONTHS[m - 1]} {y}",
        "mon": f"{MONTHS[m - 1][:3]} {y}",
        "date": p.day,
    }
    yield make_fact(
        rec,
        "value_at_visit",
        f"{p.display} {p.day[:7]}",
        {"kind": "value", "value": round(p.value, 4), "unit": p.unit},
        [p.resource],
        AT_VISIT,
        ctx,
        rng,
    )


OPS = (
    "last_visit_date",
    "visit_count_since_year",
    "visit_count_in_year",
    "visit_count_by_type",
    "history_of",
    "ever_had",
    "on_drug_class_now",
    "drug_since",
    "drug_stopped",
    "smoking_status",
    "allergies_list",
    "immunization_list",
    "active_problem_list",
    "times_above_threshold",
    "time_since_last",
    "value_at_visit",
)


def build_facts(records: list[Record], seed: int = 13) -> list[dict]:
    facts: list[dict] = []
    for i, rec in enumerate(records):
        rng = random.Random(f"{seed}-{rec.patient_id}")
        facts += facts_last_visit(rec, rng)
        facts += facts_since_year(rec, rng)
        facts += facts_in_year(rec, rng)
        facts += facts_by_type(rec, rng)
        asked: set[str] = set()
        facts += facts_history(rec, rng, "history_of", positive=i % 2 == 0, avoid=asked)
        facts += facts_history(rec, rng, "ever_had", positive=i % 2 == 1, avoid=asked)
        facts += facts_drug_class(rec, rng)
        facts += facts_drug_since(rec, rng)
        facts += facts_drug_stopped(rec, rng)
        facts += facts_smoking(rec, rng)
        facts += facts_allergies(rec, rng)
        facts += facts_immunizations(rec, rng)
        facts += facts_active_problems(rec, rng)
        facts += facts_above(rec, rng)
        facts += facts_time_since_last(rec, rng)
        facts += facts_at_visit(rec, rng)
    order = {op: k for k, op in enumerate(OPS)}
    return sorted(facts, key=lambda f: order[f["op"]])


def main(argv: Iterable[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Everyday clinical-question facts from Synthea FHIR R4 bundles.")
    ap.add_argument("--data", type=Path, required=True, help="a folder of FHIR R4 bundles (*.json)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(list(argv) if argv is not None else None)
    facts = build_facts(load_records(args.data), seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w") as fh:
        for f in facts:
            fh.write(json.dumps(f) + "\n")
    counts: dict[str, int] = defaultdict(int)
    for f in facts:
        counts[f["op"]] += 1
    print(f"{len(facts)} facts -> {args.out}")
    for op in OPS:
        print(f"  {op}: {counts[op]}")


if __name__ == "__main__":
    main()

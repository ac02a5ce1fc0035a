"""Training questions that cannot be learned by their names or wording.

Each draw of a patient's questions names every concept one way, chosen at
random among the ways the record and the synonym table allow: the display as
the record spells it, a cleaned display, a clinician's short name, a synonym,
an abbreviation. Question text then gets the noise a typed question has
(case, punctuation, filler words, a typo). And a fixed fraction of concept
codes is never asked about in training at all (:func:`held_out_code`), so the
evaluation can compare names never seen against names seen.
"""

from __future__ import annotations

import calendar
import dataclasses
import random
import re
from typing import Any

from clinimem.grounding.lexicon import lexicon
from clinimem.grounding.match import clean_names
from clinimem_eval.questions.facts import PatientFacts
from clinimem_eval.questions.names import SPOKEN, clean_display
from clinimem_eval.questions.split import stable_fraction

HELD_OUT_FRACTION = 0.2
_SALT = "held-out-vocabulary/"
_FILLERS = (
    "can you tell me ",
    "quick question: ",
    "please, ",
    "I need to know: ",
    "do you know ",
    "pls ",
    "could you check ",
)
_WORD = re.compile(r"[A-Za-z]{6,}")
# a typo there would change the question's date window, not just its spelling
_MONTHS = frozenset(m.lower() for m in calendar.month_name[1:])


def held_out_code(code: str | None, fraction: float = HELD_OUT_FRACTION) -> bool:
    """Whether questions about this code are kept out of training (the same codes on every machine)."""
    return bool(code) and stable_fraction(_SALT + str(code)) < fraction


def name_choices(facts: PatientFacts, code: str) -> list[str]:
    """Every way a question may name the concept ``code`` of this patient."""
    entry = next((e for e in facts.entries if e.code == code), None)
    if entry is None:
        return []
    display = entry.display or entry.concept.split(": ", 1)[-1]
    choices = [clean_display(display, entry.kind), *clean_names(display, entry.kind)]
    if code in facts.names:
        choices.append(facts.names[code])
    if entry.kind == "observation" and code in SPOKEN:
        choices.append(SPOKEN[code])
    choices.extend(lexicon().names_for(entry.code_system, code))
    return list(dict.fromkeys(c for c in choices if c))


def with_random_names(facts: PatientFacts, rng: random.Random) -> PatientFacts:
    """The same patient with each coded concept named one of its ways, at random."""
    names = dict(facts.names)
    for code in sorted(facts.codes):
        choices = name_choices(facts, code)
        if choices:
            names[code] = rng.choice(choices)
    return dataclasses.replace(facts, names=names)


def typo(word: str, rng: random.Random) -> str:
    """One slip of the keyboard: a dropped, doubled or swapped letter."""
    i = rng.randrange(1, len(word) - 1)
    slip = rng.randrange(3)
    if slip == 0:
        return word[:i] + word[i + 1 :]
    if slip == 1:
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def add_noise(text: str, rng: random.Random, rate: float = 0.4) -> str:
    """``text`` as it might be typed: about ``rate`` of questions get one or two kinds of noise."""
    if rng.random() >= rate:
        return text
    for _ in range(rng.choice((1, 1, 2))):
        kind = rng.randrange(5)
        if kind == 0:
            text = text.lower()
        elif kind == 1:
            text = text.rstrip("?. ")
        elif kind == 2:
            text = rng.choice(_FILLERS) + text[0].lower() + text[1:]
        elif kind == 3:
            words = [m for m in _WORD.finditer(text) if m.group(0).lower() not in _MONTHS]
            if words:
                m = rng.choice(words)
                text = text[: m.start()] + typo(m.group(0), rng) + text[m.end() :]
        else:
            text = re.sub(r"\b(the|of|was|is)\s+", "", text, count=1)
    return text


def training_questions(
    bundles: list,
    *,
    seed: int,
    per_patient: int,
    variants: int = 2,
    phrasings: int = 3,
    noise: float = 0.4,
    notes: bool = False,
    held_out: float = HELD_OUT_FRACTION,
) -> list:
    """Questions to train on from FHIR bundles: ``variants`` draws per patient, each with its own
    random names, ``phrasings`` phrasings of each drawn question, noise on the text; none about a
    held-out code. Every split is used: these patients are training patients."""
    from clinimem_eval.questions.generate import generate_for_facts, load_facts

    out = []
    for facts in sorted(load_facts(bundles), key=lambda f: f.patient_id):
        by_entry = {e.entry_id: e for e in facts.entries}
        for variant in range(variants):
            rng = random.Random(int(stable_fraction(f"{seed}/names/{variant}/{facts.patient_id}") * 2**53))
            named = with_random_names(facts, rng) if variant or not facts.truth else facts
            drawn = generate_for_facts(named, seed + variant, per_patient, all_phrasings=True, notes=notes)
            by_draft: dict[tuple, list] = {}
            for q in drawn:
                by_draft.setdefault((q.template, json_key(q.params)), []).append(q)
            for group in by_draft.values():
                for q in rng.sample(group, min(phrasings, len(group))):
                    codes = {by_entry[e].code for e in q.evidence_entries if e in by_entry}
                    codes |= question_codes(q)
                    if any(held_out_code(c, held_out) for c in codes if c):
                        continue
                    out.append(dataclasses.replace(q, question=add_noise(q.question, rng, noise)))
    return out


def question_codes(question: Any) -> set[str]:
    """Every concept code a question is about (its target's and its anchor's)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            code = value.get("code")
            if isinstance(code, str) and code:
                found.add(code)
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(question.params)
    return found


def json_key(params: dict) -> str:
    import json

    return json.dumps(params, sort_keys=True, default=str)

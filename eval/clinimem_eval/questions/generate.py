"""Draw, phrase and answer questions for patients, deterministically from a seed."""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from clinimem_eval.questions.facts import PatientFacts, facts_for, read_bundle
from clinimem_eval.questions.model import CATEGORIES, Question
from clinimem_eval.questions.ops import compute
from clinimem_eval.questions.split import split_of, stable_fraction
from clinimem_eval.questions.templates import TEMPLATES, Draft, Template

PER_PATIENT = 10
# Questions per category out of ten; a category a patient has nothing for gives its share to the others.
QUOTAS = {
    "lookup": 2,
    "temporal": 2,
    "multihop": 1,
    "trend": 1,
    "aggregation": 2,
    "update": 1,
    "abstention": 1,
}
_NAME_SLOTS = ("lab", "drug", "condition")

PRONOUNS = {
    "female": {"subj": "she", "pos": "her", "obj": "her"},
    "male": {"subj": "he", "pos": "his", "obj": "him"},
}
NEUTRAL = {"subj": "the patient", "pos": "the patient's", "obj": "the patient"}


def render(phrasing: str, slots: dict[str, Any], sex: str | None) -> str:
    """Fill a phrasing's slots and capitalise the first letter."""
    text = phrasing.format(**PRONOUNS.get(sex or "", NEUTRAL), **slots)
    return text[0].upper() + text[1:]


def quotas(per_patient: int) -> dict[str, int]:
    """:data:`QUOTAS` scaled to ``per_patient`` questions (largest remainder)."""
    total = sum(QUOTAS.values())
    exact = {c: per_patient * q / total for c, q in QUOTAS.items()}
    out = {c: int(x) for c, x in exact.items()}
    for c in sorted(exact, key=lambda c: exact[c] - out[c], reverse=True)[: per_patient - sum(out.values())]:
        out[c] += 1
    return out


def ambiguous_names(facts: PatientFacts) -> set[str]:
    """Names that stand for two codes in this record ("glucose" in blood and in serum): never asked."""
    codes: dict[str, set[str]] = defaultdict(set)
    for code, series in facts.series.items():
        codes[facts.name(series[0])].add(code)
    for group in (facts.medications, facts.conditions):
        for code, entries in group.items():
            codes[facts.name(entries[0])].add(code)
    return {name for name, found in codes.items() if len(found) > 1}


def drafts_for(facts: PatientFacts) -> dict[str, dict[str, list[Draft]]]:
    """Category -> template -> every unambiguous draft of this patient."""
    unclear = ambiguous_names(facts)
    out: dict[str, dict[str, list[Draft]]] = {c: {} for c in CATEGORIES}
    for name, tmpl in TEMPLATES.items():
        drafts = [d for d in tmpl.build(facts) if not any(d.slots.get(s) in unclear for s in _NAME_SLOTS)]
        # two drafts with the same slots read as the same question: keep neither
        keys = Counter(_slot_key(d) for d in drafts)
        drafts = [d for d in drafts if keys[_slot_key(d)] == 1]
        if drafts:
            out[tmpl.category][name] = drafts
    return out


def _slot_key(draft: Draft) -> str:
    return json.dumps(draft.slots, sort_keys=True)


def _pick(pool: dict[str, list[Draft]], rng: random.Random) -> Draft:
    """A template uniformly among those left, then one of its drafts: templates stay balanced."""
    name = rng.choice(sorted(pool))
    draft = pool[name].pop(rng.randrange(len(pool[name])))
    if not pool[name]:
        del pool[name]
    return draft


def choose(
    drafts: dict[str, dict[str, list[Draft]]], rng: random.Random, per_patient: int
) -> list[tuple[str, Draft]]:
    pools = {c: {t: list(ds) for t, ds in by_t.items()} for c, by_t in drafts.items()}
    chosen: list[tuple[str, Draft]] = []
    for category, quota in quotas(per_patient).items():
        for _ in range(quota):
            if pools[category]:
                chosen.append((category, _pick(pools[category], rng)))
    # a patient without, say, medications hands the multihop share to the categories that have more
    while len(chosen) < per_patient and any(pools.values()):
        for category in CATEGORIES:
            if pools[category] and len(chosen) < per_patient:
                chosen.append((category, _pick(pools[category], rng)))
    return chosen


def to_question(facts: PatientFacts, tmpl: Template, draft: Draft, phrasing: int) -> Question:
    text = render(tmpl.phrasings[phrasing], draft.slots, facts.sex)
    entries = list(dict.fromkeys(draft.anchors + draft.targets))
    hops = [[e.entry_id for e in draft.targets]] if draft.targets else []
    if draft.anchors:
        hops.insert(0, [e.entry_id for e in draft.anchors])
    digest = hashlib.sha1(f"{facts.patient_id}|{tmpl.name}|{text}".encode()).hexdigest()[:16]
    return Question(
        qid=digest,
        patient_id=facts.patient_id,
        question=text,
        category=tmpl.category,
        template=tmpl.name,
        phrasing=phrasing,
        split=split_of(facts.patient_id, tmpl.is_held_out(phrasing)),
        op=draft.op,
        answer=compute(draft.op, draft.kind, draft.targets, draft.params),
        evidence=sorted({e.resource for e in entries}),
        evidence_entries=[e.entry_id for e in entries],
        hops=hops,
        params={**draft.params, "slots": dict(draft.slots)},
    )


def generate_for_facts(
    facts: PatientFacts,
    seed: int = 0,
    per_patient: int = PER_PATIENT,
    all_phrasings: bool = False,
    notes: bool = False,
) -> list[Question]:
    """About ``per_patient`` questions for one patient (fewer if the record is thin).

    ``all_phrasings`` writes every phrasing of each drawn question (training
    augmentation); the split of each follows its phrasing. ``notes`` adds up
    to ``per_patient // 5`` note questions (:mod:`.notes`; synthetic patients
    only, they need the truth's note mentions) on top.
    """
    rng = random.Random(int(stable_fraction(f"{seed}/{facts.patient_id}") * 2**53))
    questions: dict[str, Question] = {}
    for _category, draft in choose(drafts_for(facts), rng, per_patient):
        tmpl = TEMPLATES[draft.template]
        phrasings = range(len(tmpl.phrasings)) if all_phrasings else [rng.randrange(len(tmpl.phrasings))]
        for phrasing in phrasings:
            question = to_question(facts, tmpl, draft, phrasing)
            questions.setdefault(question.question, question)
    if notes and facts.truth:
        from clinimem_eval.questions.notes import note_questions

        note_rng = random.Random(int(stable_fraction(f"{seed}/notes/{facts.patient_id}") * 2**53))
        for data in note_questions(
            facts.truth, list(facts.entries), note_rng, max(1, per_patient // 5), all_phrasings
        ):
            question = Question.from_dict(data)
            questions.setdefault(question.question, question)
    return list(questions.values())


def _truth_next_to(bundle: Path) -> Path | None:
    candidate = bundle.with_name(bundle.name.removesuffix(".json") + ".truth.json")
    return candidate if candidate.exists() else None


def load_facts(
    bundle_paths: Iterable[str | Path], truth_paths: Sequence[str | Path] | None = None
) -> list[PatientFacts]:
    """Facts of every patient in the bundles; truth files enrich names and absent lists.

    ``truth_paths=None`` looks for ``{stem}.truth.json`` next to each bundle;
    pass ``[]`` to use none.
    """
    bundles = [Path(p) for p in bundle_paths if not str(p).endswith(".truth.json")]
    if truth_paths is None:
        truth_paths = [t for t in (_truth_next_to(b) for b in bundles) if t is not None]
    truths = [json.loads(Path(t).read_text(encoding="utf-8")) for t in truth_paths]
    entries: dict[str, Any] = {}
    for path in sorted(bundles):
        entries.update(read_bundle(path))
    return facts_for(entries, truths)


def generate_for_patients(
    bundle_paths: Iterable[str | Path],
    truth_paths: Sequence[str | Path] | None = None,
    seed: int = 0,
    per_patient: int = PER_PATIENT,
    all_phrasings: bool = False,
    notes: bool = False,
) -> list[Question]:
    """Questions for every patient of the bundles, in patient-id order (see the package docstring)."""
    questions: list[Question] = []
    for facts in sorted(load_facts(bundle_paths, truth_paths), key=lambda f: f.patient_id):
        questions.extend(generate_for_facts(facts, seed, per_patient, all_phrasings, notes))
    return questions

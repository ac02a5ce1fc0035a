"""Questions answered from notes: what a patient reported, denied, had done, and their family history.

Gold answers come from the generator's ground truth (each note mention with
its flags); gold evidence is the memory entries the ingest made for those
mentions (matched by resource and character span), so a question is only
written when every mention it rests on has its entry. Rules, as the issue
states them:

- a negated or hypothetical mention never supports a "yes": when a finding
  was only denied ("Denies chest pain") or only anticipated ("Return if chest
  pain develops"), the answer is false and those mentions are the evidence;
- a family-history mention never supports a patient diagnosis: "Has he had
  breast cancer?" with only "Mother with breast cancer" is false, citing it;
- "Any family history of X?" reads family mentions only.

Concepts that the structured record also codes for the patient are left out,
so the notes alone decide the answer.

Hook it into the generator per patient that has a truth file::

    from clinimem_eval.questions.model import Question
    from clinimem_eval.questions.notes import note_questions

    questions += [Question.from_dict(d) for d in note_questions(truth, list(facts.entries), rng)]
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clinimem.memory.entry import MemoryEntry
from clinimem_eval.questions.model import Question
from clinimem_eval.questions.split import split_of

FLAGS = ("negated", "historical", "hypothetical", "family", "uncertain")
PER_PATIENT = 4

PHRASINGS: dict[str, tuple[str, ...]] = {
    "note_reported": (
        "Has {subj} ever reported {finding}?",
        "Did {subj} ever complain of {finding}?",
        "Has {finding} ever been noted for {obj}?",
        "Any history of {finding} in {pos} notes?",
        "Has {subj} had {finding} at any visit?",
    ),
    "note_family_history": (
        "Any family history of {problem}?",
        "Does {pos} family have a history of {problem}?",
        "Has anyone in {pos} family had {problem}?",
        "Is there {problem} in {pos} family history?",
        "Family history of {problem}?",
    ),
    "note_ever_had": (
        "Has {subj} ever had {problem}?",
        "Was {subj} ever diagnosed with {problem}?",
        "Does {subj} have a history of {problem}?",
        "Has {problem} ever been {pos} own diagnosis?",
        "Did {subj} personally have {problem}?",
    ),
    "note_past_surgery": (
        "Has {subj} had {article} {procedure}?",
        "Did {subj} ever undergo {article} {procedure}?",
        "Is there a past {procedure} in {pos} history?",
        "Any history of {article} {procedure}?",
        "Has {subj} had {article} {procedure} in the past?",
    ),
}
HELD_OUT = 1  # the last phrasing of each template is test-only
# Problems commonly asked about in a family history: a "no" is asked when none is noted.
FAMILY_CANDIDATES = (
    "type 2 diabetes",
    "hypertension",
    "breast cancer",
    "colon cancer",
    "coronary artery disease",
    "stroke",
)
PRONOUNS = {
    "female": {"subj": "she", "pos": "her", "obj": "her"},
    "male": {"subj": "he", "pos": "his", "obj": "him"},
}
NEUTRAL = {"subj": "the patient", "pos": "the patient's", "obj": "the patient"}


@dataclass(frozen=True)
class _Said:
    """One truth mention and the entry the ingest made for it (None when the reader missed it)."""

    name: str
    label: str
    flags: frozenset[str]
    entry: MemoryEntry | None


def _mentions(truth: dict[str, Any], entries: Sequence[MemoryEntry]) -> list[_Said]:
    spans: dict[str, list[MemoryEntry]] = defaultdict(list)
    for entry in entries:
        if entry.kind == "note" and entry.span is not None:
            spans[entry.resource].append(entry)
    said = []
    for note in truth.get("notes") or []:
        candidates = spans.get(note["resource"], [])
        for m in note["mentions"]:
            match = next(
                (e for e in candidates if e.span and e.span[0] < m["end"] and m["start"] < e.span[1]),
                None,
            )
            flags = frozenset(f for f in FLAGS if m[f])
            said.append(_Said(m["text"].lower(), m["label"], flags, match))
    return said


def _coded_names(truth: dict[str, Any]) -> set[str]:
    names = set()
    for key in ("conditions", "medications", "procedures", "allergies"):
        for item in truth.get(key) or []:
            names.update(str(item.get(k) or "").lower() for k in ("name", "display"))
    return names - {""}


def _draft(
    template: str, slots: dict[str, str], value: bool, evidence: list[_Said], kind: str
) -> dict[str, Any]:
    return {"template": template, "slots": slots, "value": value, "evidence": evidence, "kind": kind}


def _drafts(truth: dict[str, Any], said: list[_Said]) -> list[dict[str, Any]]:
    coded = _coded_names(truth)
    by_name: dict[tuple[str, str], list[_Said]] = defaultdict(list)
    for s in said:
        by_name[(s.label, s.name)].append(s)
    drafts = []
    for (label, name), group in sorted(by_name.items()):
        if name in coded:
            continue
        affirmed = [s for s in group if not s.flags or s.flags == {"historical"}]
        family = [s for s in group if "family" in s.flags]
        own = [s for s in group if "family" not in s.flags]
        if label == "finding":
            denied = [s for s in own if s.flags & {"negated", "hypothetical"}]
            if affirmed:
                drafts.append(_draft("note_reported", {"finding": name}, True, affirmed, "affirmed"))
            elif denied and len(denied) == len(own):
                drafts.append(_draft("note_reported", {"finding": name}, False, denied, "denied"))
        elif label == "problem":
            if family:
                drafts.append(_draft("note_family_history", {"problem": name}, True, family, "family"))
                if not own:
                    drafts.append(_draft("note_ever_had", {"problem": name}, False, family, "family-only"))
        elif label == "procedure" and affirmed and all(s.flags == {"historical"} for s in affirmed):
            article = "an" if name[0] in "aeiou" else "a"
            drafts.append(
                _draft(
                    "note_past_surgery", {"procedure": name, "article": article}, True, affirmed, "historical"
                )
            )
    family_names = {s.name for s in said if "family" in s.flags}
    has_family_section = any(
        s.get("name") == "family_history" for n in truth.get("notes") or [] for s in n["sections"]
    )
    # A "no" needs a family history that the memory holds: its mentions. A section that names
    # nothing ("Family history: Noncontributory.") makes no memory entry, so the memory alone
    # cannot tell it from a note without a family history, and no question is asked of it.
    family_in_memory = any("family" in s.flags and s.entry is not None for s in said)
    if has_family_section and family_in_memory:
        for name in FAMILY_CANDIDATES:
            if name not in family_names:
                drafts.append(
                    _draft("note_family_history", {"problem": name}, False, [], "no-family-mention")
                )
    # every mention a draft rests on must have its memory entry
    return [d for d in drafts if all(s.entry is not None for s in d["evidence"])]


def note_questions(
    truth: dict[str, Any],
    entries: list[MemoryEntry],
    rng: random.Random,
    per_patient: int = PER_PATIENT,
    all_phrasings: bool = False,
) -> list[dict[str, Any]]:
    """Up to ``per_patient`` note questions for one patient, as :class:`Question` dicts.

    ``entries`` are the patient's memory entries as the ingest makes them
    (``clinimem_eval.questions.facts.bundle_entries``). Drafts are drawn round
    robin over (template, answer) pools, so templates and yes/no stay
    balanced; the phrasing is drawn from ``rng``, or with ``all_phrasings``
    every phrasing is written (training augmentation; each keeps its split).
    """
    patient_id = truth["patient_id"]
    drafts = _drafts(truth, _mentions(truth, entries))
    # pools per template and answer, so "yes" and "no" questions stay balanced
    by_template: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for draft in drafts:
        by_template[f"{draft['template']}/{draft['value']}"].append(draft)
    chosen: list[dict[str, Any]] = []
    # the pools' order is drawn per patient: with a small budget a fixed order would only
    # ever ask the first pools (always "no", never "yes")
    order = sorted(by_template)
    rng.shuffle(order)
    while len(chosen) < per_patient and any(by_template.values()):
        for name in order:
            pool = by_template[name]
            if pool and len(chosen) < per_patient:
                chosen.append(pool.pop(rng.randrange(len(pool))))
    pronouns = PRONOUNS.get(truth.get("sex") or "", NEUTRAL)
    out = []
    for draft in chosen:
        phrasings = PHRASINGS[draft["template"]]
        drawn = range(len(phrasings)) if all_phrasings else [rng.randrange(len(phrasings))]
        out += [_question(patient_id, draft, pronouns, phrasings, phrasing) for phrasing in drawn]
    return out


def _question(
    patient_id: str,
    draft: dict[str, Any],
    pronouns: dict[str, str],
    phrasings: tuple[str, ...],
    phrasing: int,
) -> dict[str, Any]:
    """One note question in one phrasing, as a :class:`Question` dict."""
    text = phrasings[phrasing].format(**pronouns, **draft["slots"])
    text = text[0].upper() + text[1:]
    cited = [s.entry for s in draft["evidence"] if s.entry is not None]
    question = Question(
        qid=hashlib.sha1(f"{patient_id}|{draft['template']}|{text}".encode()).hexdigest()[:16],
        patient_id=patient_id,
        question=text,
        category="notes",
        template=draft["template"],
        phrasing=phrasing,
        split=split_of(patient_id, phrasing >= len(phrasings) - HELD_OUT),
        op="exists",
        answer={"kind": "boolean", "value": draft["value"]},
        evidence=sorted({e.resource for e in cited}),
        evidence_entries=[e.entry_id for e in cited],
        hops=[[e.entry_id for e in cited]] if cited else [],
        params={
            "check": "note",
            "basis": draft["kind"],
            "flags": sorted({f for s in draft["evidence"] for f in s.flags}),
            "slots": dict(draft["slots"]),
        },
    )
    return question.to_dict()

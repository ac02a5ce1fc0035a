"""Clinical notes as DocumentReferences, with every mention's span known exactly.

Sentences are written as mention templates: ``[drug:metformin]`` is an
affirmed drug mention, ``[finding!neg:chest pain]`` a negated finding; flags
are ``neg`` (negated), ``hist`` (historical), ``hyp`` (hypothetical), ``fam``
(about a family member) and ``unc`` (uncertain). The writer strips the
brackets while it appends text, so each mention's ``start``/``end`` index the
final note text (plain text, or the HTML source for ``text/html`` notes).
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

from clinimem_eval.synth import vocab as v
from clinimem_eval.synth.facts import Allergy, Condition, Encounter, Mention, Note, Section
from clinimem_eval.synth.record import SECTIONS, PatientRecord

TEMPLATE = re.compile(r"\[(problem|drug|procedure|finding)((?:!(?:neg|hist|hyp|fam|unc))*):([^\[\]]+)\]")
FLAGS = {"neg": "negated", "hist": "historical", "hyp": "hypothetical", "fam": "family", "unc": "uncertain"}

# Symptoms a note may deny, unless the same note affirms them.
NEGATABLE = (
    "chest pain",
    "shortness of breath",
    "fever",
    "chills",
    "nausea",
    "vomiting",
    "headache",
    "abdominal pain",
    "palpitations",
    "dizziness",
    "weight loss",
    "cough",
)


class NoteWriter:
    """Appends text and markup, recording where each section and mention lands."""

    def __init__(self, as_html: bool) -> None:
        self.as_html = as_html
        self._parts: list[str] = []
        self._length = 0
        self.mentions: list[Mention] = []
        self.sections: list[Section] = []

    def markup(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)

    def plain(self, text: str) -> None:
        self.markup(html.escape(text, quote=False) if self.as_html else text)

    def write(self, template: str, section: str) -> None:
        """Append a mention template, recording its mentions' spans."""
        pos = 0
        for m in TEMPLATE.finditer(template):
            self.plain(template[pos : m.start()])
            label, flags, text = m.group(1), m.group(2), m.group(3)
            start = self._length
            self.plain(text)
            names = {FLAGS[f]: True for f in flags.split("!") if f}
            self.mentions.append(Mention(text, start, self._length, label, section, **names))
            pos = m.end()
        self.plain(template[pos:])

    def section(self, name: str, title: str, sentences: list[str]) -> None:
        start = self._length
        if self.as_html:
            self.markup(f"<h2>{title}</h2>\n<p>")
        else:
            self.plain(f"{title}: ")
        self.write(" ".join(sentences), name)
        self.sections.append(Section(name, start, self._length))
        self.markup("</p>\n" if self.as_html else "\n\n")

    def text(self) -> str:
        return "".join(self._parts)


def _affirmed(templates: list[str]) -> set[str]:
    """Lower-cased texts mentioned without any flag, so the note never denies them too."""
    return {m.group(3).lower() for t in templates for m in TEMPLATE.finditer(t) if not m.group(2)}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _sentences(rec: PatientRecord, enc: Encounter) -> dict[str, list[str]]:
    """What each section of this visit's note says."""
    rng, info = rec.rng, rec.info
    parts = {name: list(rec.note_parts.get(enc.id, {}).get(name, [])) for name, _ in SECTIONS}
    story_hpi = bool(parts["hpi"])

    if not parts["chief_complaint"]:
        default = {
            "checkup": "Annual physical examination.",
            "followup": "Follow-up visit.",
            "procedure": "Scheduled procedure.",
        }.get(enc.kind)
        parts["chief_complaint"] = [default or f"{v.display(enc.reason) if enc.reason else 'Acute visit'}."]

    person = "woman" if info.sex == "female" else "man"
    opening = f"{info.given} {info.family} is a {info.age_at(enc.start)}-year-old {person}"
    opening += " here for an annual examination." if enc.kind == "checkup" else "."
    hpi = [opening] + parts["hpi"]
    if not story_hpi and enc.kind == "checkup":
        hpi.append("Feels well.")
    affirmed = _affirmed([t for p in parts.values() for t in p])
    if rng.random() < 0.75:
        pool = [s for s in NEGATABLE if s not in affirmed]
        picked = [f"[finding!neg:{s}]" for s in rng.sample(pool, rng.randint(1, 3))]
        pattern = rng.choice(("Denies {}.", "No {}.", "Negative for {}."))
        hpi.append(pattern.format(_join(picked)))
    parts["hpi"] = hpi

    pmh: list[str] = []
    active = [
        c for c in rec.conditions_at(enc.start) if c.encounter != enc.id and c.category == "problem-list-item"
    ]
    if active:
        pmh.append("Active problems: " + ", ".join(f"[problem:{c.concept.name}]" for c in active) + ".")
    past: dict[str, int] = {}
    for c in rec.of(Condition):
        if c.abatement is not None and c.abatement <= enc.start:
            past.setdefault(c.concept.name, c.onset.year)
    for name, year in past.items():
        pmh.append(f"History of [problem!hist:{name}] ({year}).")
    for concept, year in info.surgical_history:
        pmh.append(f"History of [procedure!hist:{concept.name}] ({year}).")
    parts["past_medical_history"] = pmh or ["No significant past medical history."]

    fh = [f"{relation} with [problem!fam:{c.name}]." for relation, c in info.family_history]
    parts["family_history"] = fh or ["Noncontributory."]

    meds = [
        f"[drug:{m.drug.concept.name}] {m.drug.sig}"
        for m in rec.medications_at(enc.start)
        if m.encounter != enc.id
    ]
    med_text = ["; ".join(meds) + "." if meds else "No current medications."]
    allergies = [a for a in rec.of(Allergy) if a.recorded <= enc.end]
    if allergies:
        med_text.append(
            "Allergies: "
            + ", ".join(f"[problem:{a.concept.name}] ({a.reactions[0].name})" for a in allergies)
            + "."
        )
    else:
        med_text.append("No known [finding!neg:drug allergies].")
    parts["medications"] = med_text

    ap = parts["assessment_and_plan"]
    if enc.kind == "checkup":
        ap.insert(0, "Routine health maintenance.")
        if rng.random() < 0.35:
            ap.append("Return if [finding!hyp:chest pain] or [finding!hyp:shortness of breath] develops.")
        ap.append("Follow up in one year.")
    if not ap:
        ap.append("Continue current plan.")
    return parts


def write_notes(rec: PatientRecord) -> None:
    """Write one note for most visits (every problem and emergency visit)."""
    rng = rec.rng
    chance = {"checkup": 0.8, "followup": 0.85, "problem": 1.0, "emergency": 1.0, "procedure": 0.6}
    for n, enc in enumerate(rec.encounters()):
        if rng.random() >= chance[enc.kind]:
            continue
        is_hp = n == 0 or enc.kind == "emergency"
        concept = v.HISTORY_AND_PHYSICAL if is_hp else v.PROGRESS_NOTE
        as_html = rng.random() < 0.2
        parts = _sentences(rec, enc)
        writer = NoteWriter(as_html)
        title = "History and physical" if is_hp else "Progress note"
        day = enc.start.date().isoformat()
        if as_html:
            writer.markup(f"<html><body>\n<h1>{title}</h1>\n<p>Date of service: {day}</p>\n")
        else:
            writer.plain(f"{title}\nDate of service: {day}\n\n")
        for name, heading in SECTIONS:
            writer.section(name, heading, parts[name])
        if as_html:
            writer.markup("</body></html>\n")
        rec.add(
            Note(
                rec.new_id(),
                enc.id,
                enc.end + timedelta(minutes=rng.randint(5, 90)),
                concept,
                "text/html" if as_html else "text/plain",
                writer.text(),
                tuple(writer.sections),
                tuple(writer.mentions),
            )
        )

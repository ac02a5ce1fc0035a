"""The mutable builder that stories write a patient's facts into.

Facts themselves are frozen; "changing" one (stopping a drug, resolving a
condition) swaps in a replaced copy under the same id, so a later story can
revise what an earlier one wrote (e.g. the CKD story stops the metformin the
diabetes story started) while insertion order, and so the output, stays
deterministic.
"""

from __future__ import annotations

import bisect
import dataclasses
import random
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from clinimem_eval.synth import vocab
from clinimem_eval.synth.facts import (
    BloodPressure,
    CarePlan,
    Condition,
    Encounter,
    Event,
    Fact,
    Medication,
    Observation,
    PatientInfo,
    Procedure,
    ref,
)
from clinimem_eval.synth.vocab import Concept, Drug, Test

# Fixed namespace: ids depend only on (seed, patient index, order of creation).
ID_NAMESPACE = uuid.UUID("0b6f3f6e-9d1c-5a52-8f0e-5c1a2b3c4d5e")

F = TypeVar("F", bound=Fact)

ENCOUNTER_TYPES = {
    "checkup": (vocab.ENC_CHECKUP, 30),
    "problem": (vocab.ENC_PROBLEM, 25),
    "followup": (vocab.ENC_FOLLOWUP, 20),
    "emergency": (vocab.ENC_EMERGENCY, 180),
    "procedure": (vocab.ENC_PROCEDURE, 60),
}

# Note sections in the order they are written; stories add text to the three
# visit-specific ones, the note writer fills the rest from the record.
SECTIONS = (
    ("chief_complaint", "Chief complaint"),
    ("hpi", "HPI"),
    ("past_medical_history", "Past medical history"),
    ("family_history", "Family history"),
    ("medications", "Medications"),
    ("assessment_and_plan", "Assessment and plan"),
)


def as_day(when: date | datetime) -> date:
    return when.date() if isinstance(when, datetime) else when


class Curve:
    """Piecewise-linear value over time, flat before the first and after the last point."""

    def __init__(self, points: Sequence[tuple[datetime, float]]) -> None:
        ordered = sorted(points)
        self._times = [t.timestamp() for t, _ in ordered]
        self._values = [v for _, v in ordered]

    def at(self, when: datetime) -> float:
        x = when.timestamp()
        i = bisect.bisect_right(self._times, x)
        if i == 0:
            return self._values[0]
        if i == len(self._times):
            return self._values[-1]
        x0, x1 = self._times[i - 1], self._times[i]
        y0, y1 = self._values[i - 1], self._values[i]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


class PatientRecord:
    """All facts of one patient, in creation order, plus note fragments and events."""

    def __init__(self, info: PatientInfo, rng: random.Random) -> None:
        self.info = info
        self.rng = rng
        self._facts: dict[str, Fact] = {}
        self._count = 0
        self.events: list[Event] = []
        # encounter id -> section name -> templates (see notes.render_template)
        self.note_parts: dict[str, dict[str, list[str]]] = {}
        self.systolic = Curve([(datetime.combine(info.first_visit, time()), 120.0)])
        self.diastolic = Curve([(datetime.combine(info.first_visit, time()), 76.0)])
        self._bp: dict[str, BloodPressure] = {}
        # code -> display this patient's record writes (drawn once the facts are made)
        self.displays: dict[str, str] = {}

    # --- facts -----------------------------------------------------------
    def new_id(self) -> str:
        self._count += 1
        return str(uuid.uuid5(ID_NAMESPACE, f"{self.info.id}/{self._count}"))

    def add(self, fact: F) -> F:
        self._facts[fact.id] = fact
        return fact

    def replace(self, fact: F, **changes: object) -> F:
        new = dataclasses.replace(fact, **changes)
        self._facts[fact.id] = new
        return new

    def get(self, fact_id: str) -> Fact:
        return self._facts[fact_id]

    def current(self, fact: F) -> F:
        """The latest version of ``fact`` (stories may hold a stale copy)."""
        return self._facts[fact.id]  # type: ignore[return-value]

    def facts(self) -> list[Fact]:
        return list(self._facts.values())

    def of(self, cls: type[F]) -> list[F]:
        return [f for f in self._facts.values() if type(f) is cls]

    # --- encounters ------------------------------------------------------
    def encounters(self) -> list[Encounter]:
        return sorted(self.of(Encounter), key=lambda e: (e.start, e.id))

    def checkups(self) -> list[Encounter]:
        return [e for e in self.encounters() if e.kind == "checkup"]

    def visit(
        self,
        when: date | datetime,
        kind: str,
        reason: Concept | None = None,
        reuse_days: int = 0,
    ) -> Encounter:
        """An encounter on ``when``; with ``reuse_days``, a routine visit that close is reused."""
        day = min(max(as_day(when), self.info.first_visit), self.info.last_visit)
        if reuse_days:
            for enc in self.encounters():
                if enc.kind in ("checkup", "followup") and abs((enc.start.date() - day).days) <= reuse_days:
                    return enc
        concept, minutes = ENCOUNTER_TYPES[kind]
        if kind == "emergency":
            start = datetime.combine(day, time(self.rng.randrange(0, 24), self.rng.choice((5, 20, 35, 50))))
        else:
            start = datetime.combine(day, time(self.rng.randrange(8, 17), self.rng.choice((0, 15, 30, 45))))
        return self.add(
            Encounter(self.new_id(), start, start + timedelta(minutes=minutes), kind, concept, reason)
        )

    # --- clinical facts --------------------------------------------------
    def observe(
        self, enc: Encounter, test: Test, value: float, minutes: int = 10, status: str = "final"
    ) -> Observation:
        value = round(value, test.decimals) if test.decimals else float(round(value))
        return self.add(
            Observation(self.new_id(), enc.id, test, value, enc.start + timedelta(minutes=minutes), status)
        )

    def diagnose(
        self,
        enc: Encounter,
        concept: Concept,
        story: str,
        onset: datetime | None = None,
        abatement: datetime | None = None,
        category: str = "problem-list-item",
    ) -> Condition:
        return self.add(
            Condition(self.new_id(), enc.id, concept, onset or enc.start, story, abatement, category)
        )

    def resolve(self, cond: Condition, when: datetime) -> Condition:
        return self.replace(self.current(cond), abatement=when)

    def prescribe(
        self,
        enc: Encounter,
        drug: Drug,
        story: str,
        reason: Condition | None = None,
        course_days: int | None = None,
    ) -> Medication:
        """A drug ordered at ``enc``; with ``course_days`` a completed course (antibiotics)."""
        start = enc.start + timedelta(minutes=15)
        med = Medication(self.new_id(), enc.id, drug, start, story, reason.id if reason else None)
        if course_days is not None:
            med = dataclasses.replace(med, end=start + timedelta(days=course_days), status="completed")
        return self.add(med)

    def stop(self, med: Medication, when: datetime, why: str) -> Medication:
        return self.replace(self.current(med), end=when, status="stopped", stop_reason=why)

    def perform(
        self, enc: Encounter, concept: Concept, reason: Condition | None = None, minutes: int = 20
    ) -> Procedure:
        start = enc.start + timedelta(minutes=5)
        return self.add(
            Procedure(
                self.new_id(),
                enc.id,
                concept,
                start,
                start + timedelta(minutes=minutes),
                reason.id if reason else None,
            )
        )

    def care_plan(
        self, enc: Encounter, concept: Concept, cond: Condition, activities: tuple[Concept, ...]
    ) -> CarePlan:
        return self.add(
            CarePlan(self.new_id(), enc.id, concept, enc.start + timedelta(minutes=20), cond.id, activities)
        )

    def bp(self, enc: Encounter) -> BloodPressure:
        """The visit's blood pressure, read off the curves once and then kept."""
        if enc.id not in self._bp:
            bump = 8 if enc.kind == "emergency" else 0
            sys_ = round(self.systolic.at(enc.start) + self.rng.gauss(0, 4) + bump)
            dia = round(self.diastolic.at(enc.start) + self.rng.gauss(0, 3) + bump / 2)
            self._bp[enc.id] = self.add(
                BloodPressure(
                    self.new_id(), enc.id, enc.start + timedelta(minutes=3), sys_, min(dia, sys_ - 25)
                )
            )
        return self._bp[enc.id]

    # --- story bookkeeping -----------------------------------------------
    def event(self, what: str, kind: str, subject: str, fact: Fact, when: datetime, story: str) -> None:
        self.events.append(Event(what, kind, subject, when, ref(fact), story))

    def note(self, enc: Encounter, section: str, template: str) -> None:
        """Add a sentence (mention template) to ``section`` of the note for ``enc``."""
        self.note_parts.setdefault(enc.id, {}).setdefault(section, []).append(template)

    def conditions_at(self, when: datetime) -> list[Condition]:
        return [
            c for c in self.of(Condition) if c.onset <= when and (c.abatement is None or c.abatement > when)
        ]

    def medications_at(self, when: datetime) -> list[Medication]:
        return [m for m in self.of(Medication) if m.start <= when and (m.end is None or m.end > when)]

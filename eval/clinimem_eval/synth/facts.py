"""The patient record as plain facts, before it is written as FHIR or ground truth.

Stories add facts to a :class:`~clinimem_eval.synth.record.PatientRecord`; the
FHIR bundle and the truth file are both rendered from the same facts, so the
two agree by construction (the tests still recompute the truth from the
bundle independently). All times are naive datetimes meaning UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from clinimem_eval.synth.vocab import Concept, Drug, Test


@dataclass(frozen=True)
class PatientInfo:
    """Who the patient is and the window their record covers."""

    id: str
    given: str
    family: str
    sex: str  # "male" | "female"
    birth_date: date
    first_visit: date
    last_visit: date
    height_cm: float
    stories: tuple[str, ...]
    penicillin_allergy: bool
    family_history: tuple[tuple[str, Concept], ...]  # (relation, condition)
    surgical_history: tuple[tuple[Concept, int], ...]  # (procedure, year), before the record starts

    def age_at(self, when: datetime | date) -> int:
        day = when.date() if isinstance(when, datetime) else when
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


@dataclass(frozen=True)
class Encounter:
    id: str
    start: datetime
    end: datetime
    kind: str  # "checkup" | "problem" | "followup" | "emergency" | "procedure"
    concept: Concept
    reason: Concept | None = None


@dataclass(frozen=True)
class Condition:
    id: str
    encounter: str
    concept: Concept
    onset: datetime
    story: str
    abatement: datetime | None = None
    category: str = "problem-list-item"  # or "encounter-diagnosis" for acute episodes

    @property
    def clinical_status(self) -> str:
        return "resolved" if self.abatement is not None else "active"


@dataclass(frozen=True)
class Medication:
    id: str
    encounter: str
    drug: Drug
    start: datetime
    story: str
    reason: str | None = None  # Condition id the drug treats
    end: datetime | None = None
    status: str = "active"  # "active" | "stopped" (ended early, with stop_reason) | "completed" (a course)
    stop_reason: str | None = None


@dataclass(frozen=True)
class Observation:
    id: str
    encounter: str
    test: Test
    value: float
    time: datetime
    status: str = "final"  # or "entered-in-error"


@dataclass(frozen=True)
class BloodPressure:
    """A blood pressure panel: systolic is component 0, diastolic component 1."""

    id: str
    encounter: str
    time: datetime
    systolic: int
    diastolic: int
    status: str = "final"


@dataclass(frozen=True)
class Report:
    id: str
    encounter: str
    concept: Concept
    time: datetime
    results: tuple[str, ...]  # Observation ids


@dataclass(frozen=True)
class Allergy:
    id: str
    encounter: str
    concept: Concept
    category: str  # "medication" | "food" | "environment"
    criticality: str
    reactions: tuple[Concept, ...]
    severity: str
    onset: datetime
    recorded: datetime


@dataclass(frozen=True)
class Immunization:
    id: str
    encounter: str
    concept: Concept
    time: datetime


@dataclass(frozen=True)
class Procedure:
    id: str
    encounter: str
    concept: Concept
    start: datetime
    end: datetime
    reason: str | None = None  # Condition id


@dataclass(frozen=True)
class CarePlan:
    id: str
    encounter: str
    concept: Concept
    start: datetime
    addresses: str  # Condition id
    activities: tuple[Concept, ...]


@dataclass(frozen=True)
class Mention:
    """A span of note text naming a clinical concept, with its ConText-style flags."""

    text: str
    start: int
    end: int
    label: str  # "problem" | "drug" | "procedure" | "finding"
    section: str
    negated: bool = False
    historical: bool = False
    hypothetical: bool = False
    family: bool = False
    uncertain: bool = False


@dataclass(frozen=True)
class Section:
    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Note:
    id: str
    encounter: str
    time: datetime
    concept: Concept
    content_type: str  # "text/plain" | "text/html"
    text: str
    sections: tuple[Section, ...]
    mentions: tuple[Mention, ...]


@dataclass(frozen=True)
class Event:
    """A key moment of a story, for before/after and "since" questions."""

    what: str  # "metformin started"
    kind: str  # "diagnosed" | "started" | "stopped" | "resolved" | "exacerbation"
    subject: str  # short name: "metformin"
    time: datetime
    resource: str  # "MedicationRequest/<id>"
    story: str


Fact = (
    Encounter
    | Condition
    | Medication
    | Observation
    | BloodPressure
    | Report
    | Allergy
    | Immunization
    | Procedure
    | CarePlan
    | Note
)

# FHIR resource type of each fact class.
RESOURCE_TYPE: dict[type, str] = {
    Encounter: "Encounter",
    Condition: "Condition",
    Medication: "MedicationRequest",
    Observation: "Observation",
    BloodPressure: "Observation",
    Report: "DiagnosticReport",
    Allergy: "AllergyIntolerance",
    Immunization: "Immunization",
    Procedure: "Procedure",
    CarePlan: "CarePlan",
    Note: "DocumentReference",
}


def ref(fact: Fact) -> str:
    """``ResourceType/id`` of a fact, as the truth file cites it."""
    return f"{RESOURCE_TYPE[type(fact)]}/{fact.id}"

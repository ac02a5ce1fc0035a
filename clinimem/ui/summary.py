"""What the page says about a patient: picker labels, lookup by name or id, and the header.

Plain functions over :class:`PatientSummary` and :class:`MemoryEntry`; no gradio
here, so they are tested without a browser.

>>> from clinimem.memory.store import PatientSummary
>>> p = PatientSummary("abc-1", "Ann Lee", "female", "1970-01-02", entries=3, resources=3)
>>> patient_label(p)
'Ann Lee · female · born 1970-01-02 · abc-1'
>>> resolve_patient("ann", [p])
'abc-1'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from clinimem.memory.entry import MemoryEntry
from clinimem.memory.store import PatientSummary

# Medication request statuses that mean "the patient is on it now".
_CURRENT_MEDICATION = {"active", "on-hold"}
LABEL_SEPARATOR = " · "


def patient_label(patient: PatientSummary) -> str:
    """The picker's label: name, sex, birth date and id, so typing any of them finds the patient."""
    parts = [
        patient.name or "(no name)",
        patient.gender or "sex unknown",
        f"born {patient.birth_date}" if patient.birth_date else "birth date unknown",
        patient.patient_id,
    ]
    return LABEL_SEPARATOR.join(parts)


def patient_choices(patients: Sequence[PatientSummary]) -> list[tuple[str, str]]:
    """(label, patient id) pairs for a dropdown; the value sent back is the bare id."""
    return [(patient_label(p), p.patient_id) for p in patients]


def resolve_patient(text: str | None, patients: Sequence[PatientSummary]) -> str | None:
    """The id of the one patient that ``text`` names, or None.

    ``text`` may be an id, a picker label, or part of a name or id (case does
    not matter). An ambiguous fragment resolves to nothing rather than guessing:
    picking the wrong patient is the worst mistake this page can make.
    """
    wanted = (text or "").strip()
    if not wanted:
        return None
    for p in patients:
        if wanted == p.patient_id or wanted == patient_label(p):
            return p.patient_id
    if LABEL_SEPARATOR.strip() in wanted:
        # A label from an older list: its last part is the id.
        tail = wanted.rsplit(LABEL_SEPARATOR.strip(), 1)[-1].strip()
        for p in patients:
            if tail == p.patient_id:
                return p.patient_id
    needle = wanted.lower()
    exact_name = [p for p in patients if (p.name or "").lower() == needle]
    if len(exact_name) == 1:
        return exact_name[0].patient_id
    partial = [p for p in patients if needle in (p.name or "").lower() or needle in p.patient_id.lower()]
    return partial[0].patient_id if len(partial) == 1 else None


def age_years(birth: str | None, until: date) -> int | None:
    """Whole years from an ISO birth date to ``until`` (None if the date is missing or bad)."""
    if not birth:
        return None
    try:
        born = date.fromisoformat(birth[:10])
    except ValueError:
        return None
    return until.year - born.year - ((until.month, until.day) < (born.month, born.day))


def active_problems(entries: Sequence[MemoryEntry]) -> list[str]:
    """Conditions recorded as active and never ended, oldest first, each named once."""
    names = [
        e.display or e.text
        for e in entries
        if e.kind == "condition" and (e.status or "").lower() == "active" and not e.end_time
    ]
    return list(dict.fromkeys(names))


def current_medications(entries: Sequence[MemoryEntry]) -> list[str]:
    """Medication requests still active (no end date), each named once."""
    names = [
        e.display or e.text
        for e in entries
        if e.kind == "medication" and (e.status or "").lower() in _CURRENT_MEDICATION and not e.end_time
    ]
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class PatientHeader:
    """The facts shown above the question box."""

    patient_id: str
    name: str
    sex: str
    birth_date: str | None
    age: int | None
    died: str | None
    visits: int
    first_visit: str | None
    last_visit: str | None
    problems: tuple[str, ...]
    medications: tuple[str, ...]


def patient_header(
    patient_id: str,
    entries: Sequence[MemoryEntry],
    summary: PatientSummary | None = None,
    *,
    today: date | None = None,
) -> PatientHeader:
    """Compute the header from the patient's entries (the demographics entry first, then the summary)."""
    demographics = next((e for e in entries if e.kind == "patient"), None)
    name = (demographics.display if demographics else None) or (summary.name if summary else None)
    sex = (demographics.value if demographics else None) or (summary.gender if summary else None)
    birth = (demographics.time if demographics else None) or (summary.birth_date if summary else None)
    died = demographics.end_time[:10] if demographics and demographics.end_time else None
    until = date.fromisoformat(died) if died else (today or date.today())
    visits = [e for e in entries if e.kind == "encounter"]
    return PatientHeader(
        patient_id=patient_id,
        name=str(name or "(no name)"),
        sex=str(sex or "sex unknown"),
        birth_date=birth[:10] if birth else None,
        age=age_years(birth, until),
        died=died,
        visits=len(visits),
        first_visit=visits[0].date if visits else None,
        last_visit=visits[-1].date if visits else None,
        problems=tuple(active_problems(entries)),
        medications=tuple(current_medications(entries)),
    )


def header_markdown(header: PatientHeader) -> str:
    """The header as Markdown: who, how old, what is active now."""
    if header.age is None:
        age = "age unknown"
    elif header.died:
        age = f"died {header.died} aged {header.age}"
    else:
        age = f"{header.age} years"
    born = f" (born {header.birth_date})" if header.birth_date else ""
    span = (
        f" · {header.visits} visits, {header.first_visit} to {header.last_visit}"
        if header.visits
        else " · no visits recorded"
    )
    problems = "; ".join(header.problems) or "none recorded"
    medications = "; ".join(header.medications) or "none recorded"
    return (
        f"### {header.name}\n"
        f"{header.sex} · {age}{born}{span} · id `{header.patient_id}`\n\n"
        f"**Active problems:** {problems}  \n"
        f"**Current medications:** {medications}"
    )

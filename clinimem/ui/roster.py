"""The patient picker's search: the roster read once in a while, searched as the clinician types.

The roster is the store's small per-patient line (name, sex, birth date,
counts), never a patient's entries; a search returns at most ``limit`` of
them, so the picker never holds a hospital's list. Opening a patient reads
that patient only (:meth:`Roster.find` falls back to the patient's own manifest
when the roster read is older than the patient).

>>> from clinimem.memory.store import PatientSummary
>>> r = Roster(lambda: [PatientSummary("a-1", "Ann Lee", "female", "1970-01-02", 3, 3)])
>>> [p.patient_id for p in r.search("lee 1970")]
['a-1']
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from clinimem.memory.store import PatientSummary

# A roster read this old is read again: patients loaded meanwhile become findable without a restart.
ROSTER_TTL_S = 30.0
SEARCH_LIMIT = 20


def _haystack(patient: PatientSummary) -> str:
    return " ".join(
        part.lower()
        for part in (patient.name, patient.patient_id, patient.birth_date, patient.gender)
        if part
    )


class Roster:
    """Every patient's roster line, cached for ``ttl`` seconds; thread-safe."""

    def __init__(
        self,
        load: Callable[[], list[PatientSummary]],
        *,
        ttl: float = ROSTER_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load, self._ttl, self._clock = load, ttl, clock
        self._lock = threading.Lock()
        self._patients: list[PatientSummary] = []
        self._index: list[tuple[str, PatientSummary]] = []
        self._by_id: dict[str, PatientSummary] = {}
        self._read_at: float | None = None

    def patients(self) -> list[PatientSummary]:
        """The roster, read again when older than the ttl (the caller sees the store's errors)."""
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at > self._ttl:
                self._patients = self._load()
                self._index = [(_haystack(p), p) for p in self._patients]
                self._by_id = {p.patient_id: p for p in self._patients}
                self._read_at = now
            return self._patients

    def search(self, text: str | None, limit: int = SEARCH_LIMIT) -> list[PatientSummary]:
        """Patients whose name, id or birth date hold every word typed; names starting with it first."""
        self.patients()
        words = (text or "").lower().split()
        if not words:
            return self._patients[:limit]
        found = [p for hay, p in self._index if all(w in hay for w in words)]
        first = words[0]
        found.sort(key=lambda p: not (p.name or "").lower().startswith(first))
        return found[:limit]

    def find(self, patient_id: str) -> PatientSummary | None:
        self.patients()
        return self._by_id.get(patient_id)

    def __len__(self) -> int:
        return len(self.patients())

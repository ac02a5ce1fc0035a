"""One patient's memory as the answering systems read it: entries in time order and their vectors.

It lives beside the store that fills it (before issue 17 it lived in the facade ``clinimem.api``,
which the controller then had to import); ``clinimem.api`` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clinimem.memory.entry import MemoryEntry


@dataclass(frozen=True)
class PatientMemory:
    """One patient's entries in time order and their vectors (row i is entry i)."""

    patient_id: str
    entries: tuple[MemoryEntry, ...]
    vectors: np.ndarray  # (n_entries, 384), unit rows

    def __len__(self) -> int:
        return len(self.entries)

    def __deepcopy__(self, memo: dict) -> PatientMemory:
        return self  # immutable; Haystack deep-copies values between components

"""The train/test split: held-out patients and held-out phrasings.

A question is ``test`` when its patient is a test patient (any phrasing) or
its phrasing is one of its template's held-out phrasings (the last 2 of 6,
the last 1 of 4 or 5); every other question is ``train``. Test patients are the
20% whose ``sha256("clinimem-eval/split/" + patient_id)`` falls in the lowest
fifth: the same patient is on the same side for every seed and every run.
So a model trained on ``train`` has never seen a test patient's record nor a
held-out wording.
"""

from __future__ import annotations

import hashlib

TEST_PATIENT_FRACTION = 0.2
_SALT = "clinimem-eval/split/"


def stable_fraction(key: str) -> float:
    """A number in [0, 1) that depends only on ``key`` (not on Python's hash seed)."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_test_patient(patient_id: str) -> bool:
    return stable_fraction(_SALT + patient_id) < TEST_PATIENT_FRACTION


def split_of(patient_id: str, held_out_phrasing: bool) -> str:
    return "test" if held_out_phrasing or is_test_patient(patient_id) else "train"

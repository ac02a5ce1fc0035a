"""Memory slots: the per-entry features the controller attends over.

Besides the concept vector, each slot carries what makes "latest", "before",
"since", "at that visit" and "rising" learnable: its kind and status, its time
(absolute in the patient's span, its rank among entries of the same concept,
and relative to the question's date window), its visit ordinal, and its value
normalised within its concept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from clinimem.memory.entry import KINDS, MemoryEntry

STATUSES = (
    "active",
    "resolved",
    "inactive",
    "remission",
    "recurrence",
    "stopped",
    "completed",
    "cancelled",
    "on-hold",
    "final",
    "amended",
    "preliminary",
    "finished",
    "in-progress",
    "current",
    "superseded",
    "not-done",
    "alive",
    "deceased",
)
KIND_INDEX = {k: i + 1 for i, k in enumerate(KINDS)}  # 0 = unknown
STATUS_INDEX = {s: i + 1 for i, s in enumerate(STATUSES)}
MAX_RANK = 15
FLAGS = ("negated", "family", "historical", "hypothetical", "uncertain")  # note mentions' context
N_NUMERIC = 12 + len(FLAGS)


def to_ordinal(time: str | None) -> float:
    """Days since year 1 for an ISO date/datetime (NaN when absent or unreadable)."""
    if not time:
        return float("nan")
    try:
        return float(date.fromisoformat(time[:10]).toordinal())
    except ValueError:
        return float("nan")


@dataclass(frozen=True)
class SlotTable:
    """Static features of a patient's slots (computed once per patient memory)."""

    kind: np.ndarray  # (n,) int64
    status: np.ndarray  # (n,) int64
    rank_from_end: np.ndarray  # (n,) int64, 0 = the latest entry of its concept
    rank_from_start: np.ndarray  # (n,) int64, 0 = the earliest
    numeric: np.ndarray  # (n, N_NUMERIC) float32, without the question-dependent columns
    time: np.ndarray  # (n,) float64 day ordinals (NaN: no time)
    encounter: np.ndarray  # (n,) int64 encounter index (-1: none)
    code_key: np.ndarray  # (n,) int64 id of (kind, code) within the patient


def concept_key(entry: MemoryEntry) -> str:
    return f"{entry.kind}|{entry.code_system or ''}|{entry.code or entry.concept}|{entry.path != '$'}"


def build_slot_table(entries: tuple[MemoryEntry, ...] | list[MemoryEntry]) -> SlotTable:
    n = len(entries)
    kind = np.array([KIND_INDEX.get(e.kind, 0) for e in entries], dtype=np.int64)
    status = np.array([STATUS_INDEX.get(e.status or "", 0) for e in entries], dtype=np.int64)
    time = np.array([to_ordinal(e.time) for e in entries], dtype=np.float64)
    end = np.array([to_ordinal(e.end_time) for e in entries], dtype=np.float64)
    keys: dict[str, int] = {}
    code_key = np.array([keys.setdefault(concept_key(e), len(keys)) for e in entries], dtype=np.int64)
    encounters: dict[str, int] = {}
    encounter = np.array(
        [encounters.setdefault(e.encounter, len(encounters)) if e.encounter else -1 for e in entries],
        dtype=np.int64,
    )
    values = np.array(
        [
            float(e.value) if isinstance(e.value, float | int) and not isinstance(e.value, bool) else np.nan
            for e in entries
        ],
        dtype=np.float64,
    )
    rank_end = np.zeros(n, dtype=np.int64)
    rank_start = np.zeros(n, dtype=np.int64)
    zvalue = np.zeros(n, dtype=np.float64)
    filled_time = np.where(np.isnan(time), -1e9, time)
    for key in range(len(keys)):
        idx = np.nonzero(code_key == key)[0]
        order = idx[np.argsort(filled_time[idx], kind="stable")]
        rank_start[order] = np.arange(len(order))
        rank_end[order] = np.arange(len(order))[::-1]
        vals = values[idx]
        ok = ~np.isnan(vals)
        if ok.sum() >= 2:
            mu, sd = vals[ok].mean(), vals[ok].std() + 1e-6
            zvalue[idx[ok]] = np.clip((vals[ok] - mu) / sd, -3, 3)
    t_ok = ~np.isnan(time)
    t_min = time[t_ok].min() if t_ok.any() else 0.0
    t_max = time[t_ok].max() if t_ok.any() else 1.0
    span = max(t_max - t_min, 1.0)
    rel = np.where(t_ok, (time - t_min) / span, 0.0)
    enc_ok = encounter >= 0
    numeric = np.zeros((n, N_NUMERIC), dtype=np.float32)
    numeric[:, 0] = rel
    numeric[:, 1] = t_ok
    numeric[:, 2] = ~np.isnan(values)
    numeric[:, 3] = zvalue
    numeric[:, 4] = ~np.isnan(end)
    numeric[:, 5] = np.where(~np.isnan(end), (end - t_min) / span, 0.0)
    numeric[:, 6] = enc_ok
    numeric[:, 7] = np.array([e.path != "$" for e in entries])
    # columns 8..11 are filled per question (date window relations), see question_columns;
    # then a note mention's context flags: a negated or family mention must never count as the patient's
    for j, flag in enumerate(FLAGS):
        numeric[:, 12 + j] = np.array([flag in e.flags for e in entries], dtype=np.float32)
    return SlotTable(
        kind=kind,
        status=status,
        rank_from_end=np.minimum(rank_end, MAX_RANK),
        rank_from_start=np.minimum(rank_start, MAX_RANK),
        numeric=numeric,
        time=time,
        encounter=encounter,
        code_key=code_key,
    )


def question_columns(table: SlotTable, window_start: str | None, window_end: str | None) -> np.ndarray:
    """Slot numeric features with the question's date window relations filled in (n, N_NUMERIC)."""
    numeric = table.numeric.copy()
    if window_start and window_end:
        lo, hi = to_ordinal(window_start), to_ordinal(window_end)
        t = table.time
        ok = ~np.isnan(t)
        numeric[:, 8] = ok & (t >= lo) & (t <= hi + 0.999)
        numeric[:, 9] = ok & (t < lo)
        numeric[:, 10] = ok & (t > hi + 0.999)
        numeric[:, 11] = 1.0
    return numeric

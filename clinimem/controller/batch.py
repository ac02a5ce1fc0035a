"""Tensors for the controller: one patient's slots, and a batch of questions about them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from clinimem.controller.question import QuestionFeatures
from clinimem.controller.slots import SlotTable, build_slot_table, question_columns
from clinimem.grounding.match import Grounding, PatientConcepts, ground, patient_concepts
from clinimem.memory.entry import MemoryEntry


@dataclass(frozen=True)
class PatientSlots:
    """A patient's slot table and its static tensors, built once per patient memory."""

    table: SlotTable
    tensors: dict[str, torch.Tensor]
    concepts: PatientConcepts

    def __deepcopy__(self, memo: dict) -> PatientSlots:
        return self  # immutable; Haystack deep-copies values between components


def patient_slots(entries: Sequence[MemoryEntry], vectors: np.ndarray) -> PatientSlots:
    table = build_slot_table(list(entries))
    time = table.time
    first = np.nanmin(time) if np.isfinite(time).any() else 0.0
    days = np.where(np.isnan(time), first, time) - first
    tensors = {
        "vectors": torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32)),
        "kind": torch.from_numpy(table.kind),
        "status": torch.from_numpy(table.status),
        "rank_end": torch.from_numpy(table.rank_from_end),
        "rank_start": torch.from_numpy(table.rank_from_start),
        "encounter": torch.from_numpy(table.encounter),
        "days": torch.from_numpy(days.astype(np.float32)),
    }
    return PatientSlots(table, tensors, patient_concepts(entries))


def question_batch(
    slots: PatientSlots,
    questions: Sequence[QuestionFeatures],
    groundings: Sequence[Grounding] | None = None,
) -> dict[str, torch.Tensor]:
    """The model's input for ``questions`` about one patient (``groundings``: precomputed, in order)."""
    if groundings is None:
        groundings = [ground(q.text, slots.concepts) for q in questions]
    n = slots.table.kind.shape[0]
    width = max(q.tokens.shape[0] for q in questions)
    dim = questions[0].tokens.shape[1]
    tokens = np.zeros((len(questions), width, dim), dtype=np.float32)
    pad = np.ones((len(questions), width), dtype=bool)
    for b, q in enumerate(questions):
        tokens[b, : q.tokens.shape[0]] = q.tokens
        pad[b, : q.tokens.shape[0]] = False
    numeric = np.stack(
        [
            question_columns(
                slots.table,
                q.window.start if q.window else None,
                q.window.end if q.window else None,
            )
            for q in questions
        ]
    )
    batch = dict(slots.tensors)
    batch.update(
        tokens=torch.from_numpy(tokens),
        token_pad=torch.from_numpy(pad),
        sentence=torch.from_numpy(np.stack([q.vector for q in questions])),
        numeric=torch.from_numpy(numeric),
        slot_mask=torch.ones((len(questions), n), dtype=torch.bool),
        ground=torch.from_numpy(np.stack([g.slots for g in groundings])),
        ground_question=torch.from_numpy(np.stack([g.question for g in groundings])),
    )
    return batch

"""Training the controller on the evaluation harness's training questions.

Supervision per question: the operation, the answer kind, the evidence slots
(for single-value operations the evidence head learns the whole series of the
asked-about concept and the executor picks from it by time), and the
attention of each hop where the question generator knows it (hop 1: the anchor
event, last hop: the target). Deterministic per seed; 2 CPU cores.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from clinimem.controller.batch import PatientSlots, patient_slots, question_batch
from clinimem.controller.model import ANSWER_KINDS, OPS, Controller, ControllerConfig
from clinimem.controller.question import QuestionFeatures, expand_abbreviations, find_count, find_date_window
from clinimem.controller.slots import concept_key
from clinimem.controller.vocabulary import vocabulary
from clinimem.grounding.match import ground
from clinimem.memory.patient import PatientMemory

log = logging.getLogger(__name__)

# Answers read from one entry (or a window) picked by time from the asked-about series:
# the evidence head learns the whole series and the executor picks from it.
SERIES_KINDS = frozenset({"value", "date", "text", "trend"})


@dataclass(frozen=True)
class Example:
    """One training question with its labels as slot indices of the patient's memory."""

    patient_id: str
    question: str
    op: int
    kind: int
    evidence: tuple[int, ...]
    hop_targets: tuple[tuple[int, ...], ...]  # per hop; empty = unsupervised
    category: str = ""


@dataclass
class TrainConfig:
    epochs: int = 30
    lr: float = 2e-3
    weight_decay: float = 0.01
    seed: int = 0
    hops: int = 2
    d_model: int = 128
    batch_questions: int = 16
    hop_loss: float = 0.5
    threads: int = 2


@dataclass
class TrainLog:
    config: dict[str, Any]
    epochs: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    examples: int = 0
    patients: int = 0


def make_example(
    memory: PatientMemory,
    *,
    question: str,
    op: str,
    kind: str,
    evidence_entries: Sequence[str],
    hops: Sequence[Sequence[str]] = (),
    category: str = "",
) -> Example:
    """Labels for one question: evidence slots (series-expanded where the op picks by time)."""
    index = {e.entry_id: i for i, e in enumerate(memory.entries)}
    gold = [index[e] for e in evidence_entries if e in index]
    hop_sets = [tuple(index[e] for e in hop if e in index) for hop in hops]
    anchor = set(hop_sets[0]) if len(hop_sets) >= 2 else set()
    targets = [i for i in gold if i not in anchor]
    if (kind in SERIES_KINDS or op == "compare") and targets:
        keys = {concept_key(memory.entries[i]) for i in targets}
        evidence = tuple(i for i, e in enumerate(memory.entries) if concept_key(e) in keys)
    else:
        evidence = tuple(targets)
    if not hop_sets:
        hop_sets = [tuple(targets)] if targets else []
    if len(hop_sets) == 1:
        hop_sets = [hop_sets[0], hop_sets[0]]
    return Example(
        patient_id=memory.patient_id,
        question=question,
        op=OPS.index(op) if op in OPS else OPS.index("abstain"),
        kind=ANSWER_KINDS.index(kind) if kind in ANSWER_KINDS else ANSWER_KINDS.index("none"),
        evidence=evidence,
        hop_targets=tuple(hop_sets),
        category=category,
    )


def encode_questions(texts: Sequence[str]) -> dict[str, QuestionFeatures]:
    """Question features for training, encoded in batches (the spaCy negation pass is not needed)."""
    from clinimem.controller.question import shared_question_encoder

    encoder = shared_question_encoder()
    unique = list(dict.fromkeys(texts))
    features: dict[str, QuestionFeatures] = {}
    for start in range(0, len(unique), 128):
        chunk = unique[start : start + 128]
        expanded = [expand_abbreviations(text) for text in chunk]
        for text, (vector, tokens) in zip(chunk, encoder.vectors(expanded), strict=True):
            features[text] = QuestionFeatures(
                text=text, vector=vector, tokens=tokens, window=find_date_window(text), count=find_count(text)
            )
    return features


def _loss(
    model: Controller,
    slots: PatientSlots,
    examples: Sequence[Example],
    features,
    groundings,
    cfg: TrainConfig,
):  # noqa: ANN001, ANN202
    batch = question_batch(
        slots,
        [features[e.question] for e in examples],
        [groundings[(e.patient_id, e.question)] for e in examples],
    )
    out = model(batch)
    n = slots.table.kind.shape[0]
    op = torch.tensor([e.op for e in examples])
    kind = torch.tensor([e.kind for e in examples])
    evidence = torch.zeros((len(examples), n))
    for b, e in enumerate(examples):
        if e.evidence:
            evidence[b, list(e.evidence)] = 1.0
    # positives are rare among ~1,000 slots: weight them up
    pos_weight = torch.tensor(10.0)
    loss = F.cross_entropy(out.op_logits, op) + F.cross_entropy(out.kind_logits, kind)
    loss = loss + F.binary_cross_entropy_with_logits(out.evidence_logits, evidence, pos_weight=pos_weight)
    hop_terms = []
    for k, attention in enumerate(out.attention):
        for b, e in enumerate(examples):
            targets = e.hop_targets[min(k, len(e.hop_targets) - 1)] if e.hop_targets else ()
            if targets:
                hop_terms.append(-torch.log(attention[b, list(targets)].sum() + 1e-6))
    if hop_terms:
        loss = loss + cfg.hop_loss * torch.stack(hop_terms).mean()
    with torch.no_grad():
        predicted = torch.sigmoid(out.evidence_logits) > 0.5
        stats = {
            "op_acc": float((out.op_logits.argmax(-1) == op).float().mean()),
            "kind_acc": float((out.kind_logits.argmax(-1) == kind).float().mean()),
            "evidence_exact": float((predicted == evidence.bool()).all(-1).float().mean()),
        }
    return loss, stats


def train(
    examples: Sequence[Example],
    memories: dict[str, PatientMemory],
    cfg: TrainConfig,
    *,
    progress: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[Controller, TrainLog]:
    """Train a controller from scratch; deterministic for a given seed and data."""
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    model = Controller(ControllerConfig(d_model=cfg.d_model, hops=cfg.hops))
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    features = encode_questions([e.question for e in examples])
    by_patient: dict[str, list[Example]] = {}
    for e in examples:
        by_patient.setdefault(e.patient_id, []).append(e)
    slots = {pid: patient_slots(memories[pid].entries, memories[pid].vectors) for pid in by_patient}
    # the grounding signals depend only on the question and the patient: computed once, not per epoch
    groundings = {
        (e.patient_id, e.question): ground(expand_abbreviations(e.question), slots[e.patient_id].concepts)
        for e in examples
    }
    chunks = [
        (pid, items[i : i + cfg.batch_questions])
        for pid, items in sorted(by_patient.items())
        for i in range(0, len(items), cfg.batch_questions)
    ]
    total_steps = cfg.epochs * len(chunks)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=max(total_steps, 1))
    rng = random.Random(cfg.seed)
    log_ = TrainLog(config=asdict(cfg), examples=len(examples), patients=len(by_patient))
    started = time.perf_counter()
    model.train()
    for epoch in range(cfg.epochs):
        rng.shuffle(chunks)
        sums: dict[str, float] = {}
        for pid, items in chunks:
            loss, stats = _loss(model, slots[pid], items, features, groundings, cfg)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            for key, value in {"loss": float(loss.detach()), **stats}.items():
                sums[key] = sums.get(key, 0.0) + value * len(items)
        row = {k: v / len(examples) for k, v in sums.items()}
        row["epoch"] = epoch + 1
        row["seconds"] = time.perf_counter() - started
        log_.epochs.append(row)
        if progress:
            progress(epoch + 1, row)
    model.eval()
    log_.seconds = time.perf_counter() - started
    return model, log_


def save(model: Controller, path: Path, meta: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "config": asdict(model.cfg),
            "state_dict": model.state_dict(),
            "meta": meta,
            "vocabulary": vocabulary(),
        },
        path,
    )
    return path

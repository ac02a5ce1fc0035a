"""The question record and its JSONL form: the contract the controller is trained on."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from clinimem.answer import ANSWER_KINDS, OPS

# "notes": yes/no questions read from note mentions (clinimem_eval.questions.notes; asked with notes=True)
CATEGORIES = ("lookup", "temporal", "multihop", "trend", "aggregation", "update", "notes", "abstention")
GOLD_KINDS = ANSWER_KINDS
SPLITS = ("train", "test")


@dataclass(frozen=True)
class Question:
    """One question about one patient, with its gold answer and gold evidence.

    ``answer`` is ``{"kind", "value"}`` plus ``"unit"`` for measured values, in
    the answer contract's conventions: numbers as float, dates ``YYYY-MM-DD``,
    lists of display strings (sorted), booleans, counts as int, trend labels,
    ``None`` for abstention. ``evidence`` is the set of ``ResourceType/id`` that
    support the answer; ``evidence_entries`` their memory entry ids
    (``entry_id_for(resource, path)``); ``hops`` the entry ids per hop (anchor
    first, then targets) when the template knows them.
    """

    qid: str
    patient_id: str
    question: str
    category: str
    template: str
    phrasing: int
    split: str
    op: str
    answer: dict[str, Any]
    evidence: list[str] = field(default_factory=list)
    evidence_entries: list[str] = field(default_factory=list)
    hops: list[list[str]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")
        if self.op not in OPS:
            raise ValueError(f"unknown op {self.op!r}")
        if self.answer.get("kind") not in GOLD_KINDS:
            raise ValueError(f"unknown answer kind {self.answer.get('kind')!r}")
        if self.split not in SPLITS:
            raise ValueError(f"unknown split {self.split!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


def write_jsonl(questions: Iterable[Question], path: str | Path) -> Path:
    """Write one question a line (UTF-8, stable key order)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for question in questions:
            out.write(json.dumps(question.to_dict(), ensure_ascii=False) + "\n")
    return path


def read_jsonl(path: str | Path) -> list[Question]:
    """Read questions written by :func:`write_jsonl` (blank lines skipped)."""
    with Path(path).open(encoding="utf-8") as lines:
        return [Question.from_dict(json.loads(line)) for line in lines if line.strip()]

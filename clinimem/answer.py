"""The answer contract (see docs and ``design.md``): what ``ask`` returns, as frozen types.

``Answer.to_dict()`` is exactly the JSON that ``clinimem ask --json`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clinimem.memory.entry import MemoryEntry

ANSWER_KINDS = ("value", "date", "boolean", "count", "list", "trend", "text", "none")
# What a question asks to compute: the controller's operation head and the harness's gold ``op``.
OPS = (
    "lookup",
    "first",
    "last",
    "before",
    "after",
    "at_visit",
    "trend",
    "count",
    "list",
    "exists",
    "compare",
    "abstain",
)
# The answer kinds an operation can give (the controller picks its kind among these): a count
# is a number of things, never a list; a trend a label; exists and compare a yes or no.
OP_KINDS: dict[str, tuple[str, ...]] = {
    "lookup": ("value", "text", "list", "date", "boolean"),
    "first": ("value", "date", "text"),
    "last": ("value", "date", "text"),
    "before": ("value", "list", "date", "text"),
    "after": ("value", "list", "date", "text"),
    "at_visit": ("value", "text", "list"),
    "trend": ("trend",),
    "count": ("count",),
    "list": ("list",),
    "exists": ("boolean",),
    "compare": ("boolean",),
    "abstain": ("none",),
}
TRENDS = ("increasing", "decreasing", "stable")


@dataclass(frozen=True)
class Citation:
    """A memory entry the answer read, with how much weight it carried."""

    entry_id: str
    resource: str
    encounter: str | None
    time: str | None
    text: str
    weight: float
    kind: str = ""
    path: str = "$"

    @classmethod
    def of(cls, entry: MemoryEntry, weight: float) -> Citation:
        return cls(
            entry_id=entry.entry_id,
            resource=entry.resource,
            encounter=entry.encounter,
            time=entry.time,
            text=entry.text,
            weight=round(float(weight), 4),
            kind=entry.kind,
            path=entry.path,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "resource": self.resource,
            "encounter": self.encounter,
            "time": self.time,
            "text": self.text,
            "weight": self.weight,
            "kind": self.kind,
            "path": self.path,
        }


@dataclass(frozen=True)
class Hop:
    """One read of the memory: the entries attended and their attention weights."""

    hop: int
    attended: tuple[tuple[str, float], ...]

    def __deepcopy__(self, memo: dict) -> Hop:
        return self  # immutable

    def to_dict(self) -> dict[str, Any]:
        return {
            "hop": self.hop,
            "attended": [{"entry_id": e, "weight": round(float(w), 4)} for e, w in self.attended],
        }


@dataclass(frozen=True)
class AnswerValue:
    """``kind`` is one of ANSWER_KINDS; ``value`` is a number, ISO date, bool, int, list or trend label."""

    text: str
    kind: str
    value: Any = None
    unit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "kind": self.kind, "value": self.value}
        if self.unit is not None:
            data["unit"] = self.unit
        return data


NOT_IN_RECORD = "Not in the record: the patient's memory holds nothing that answers this."
# The record holds what the question names, but no operation computes the answer: never "not in
# the record", and never a value; the related entries come with it as context, not as citations.
NO_COMPUTED_ANSWER = (
    "No computed answer: the record holds entries related to this question (shown as context), "
    "but none of the operations computes what it asks."
)


@dataclass(frozen=True)
class Answer:
    patient_id: str
    question: str
    answer: AnswerValue
    abstained: bool
    citations: tuple[Citation, ...] = ()
    hops: tuple[Hop, ...] = ()
    timing_ms: dict[str, float] = field(default_factory=dict)
    system: str = "controller"
    operation: str | None = None
    # which of the patient's concepts the question named, and why (clinimem.grounding): the trace
    # of what was looked for, shown with the answer whether or not it abstained
    grounding: tuple[dict[str, Any], ...] = ()
    # with no computed answer: the entries most related to the question, for the reader to look at
    context: tuple[Citation, ...] = ()

    @classmethod
    def abstain(
        cls,
        patient_id: str,
        question: str,
        *,
        reason: str = NOT_IN_RECORD,
        hops: tuple[Hop, ...] = (),
        timing_ms: dict[str, float] | None = None,
        system: str = "controller",
        grounding: tuple[dict[str, Any], ...] = (),
        context: tuple[Citation, ...] = (),
    ) -> Answer:
        """The record does not support an answer: say so and cite nothing (``context``: related entries)."""
        return cls(
            patient_id=patient_id,
            question=question,
            answer=AnswerValue(text=reason, kind="none", value=None),
            abstained=True,
            citations=(),
            hops=hops,
            timing_ms=timing_ms or {},
            system=system,
            operation="abstain",
            grounding=grounding,
            context=context,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "patient_id": self.patient_id,
            "question": self.question,
            "answer": self.answer.to_dict(),
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "hops": [h.to_dict() for h in self.hops],
            "timing_ms": {k: round(v, 2) for k, v in self.timing_ms.items()},
            "system": self.system,
            "operation": self.operation,
            "grounding": [dict(g) for g in self.grounding],
            "context": [c.to_dict() for c in self.context],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        a = data["answer"]
        return cls(
            patient_id=data["patient_id"],
            question=data["question"],
            answer=AnswerValue(text=a["text"], kind=a["kind"], value=a.get("value"), unit=a.get("unit")),
            abstained=bool(data["abstained"]),
            citations=tuple(
                Citation(**{k: c.get(k) for k in Citation.__dataclass_fields__ if k in c})
                for c in data["citations"]
            ),
            hops=tuple(
                Hop(hop=h["hop"], attended=tuple((x["entry_id"], x["weight"]) for x in h["attended"]))
                for h in data.get("hops", [])
            ),
            timing_ms=dict(data.get("timing_ms", {})),
            system=data.get("system", "controller"),
            operation=data.get("operation"),
            grounding=tuple(dict(g) for g in data.get("grounding", [])),
            context=tuple(
                Citation(**{k: c.get(k) for k in Citation.__dataclass_fields__ if k in c})
                for c in data.get("context", [])
            ),
        )

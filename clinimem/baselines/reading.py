"""The baselines' answer rule: guess the kind from the wording, read it from the top hits.

Plain functions; :class:`~clinimem.baselines.components.RuleReader` wraps them
for a pipeline. Ties in retrieval score are broken by recency (the latest
entry first), so "most recent" questions read the latest of equal hits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clinimem.answer import Answer, AnswerValue, Citation
from clinimem.controller.executor import trend_label
from clinimem.memory.entry import MemoryEntry

_TREND = re.compile(
    r"\b(trend\w*|increasing|decreasing|rising|falling|going up|gone up|changed|moving|higher, lower)\b"
)
_COUNT = re.compile(r"^(how many|how often|count|number of|what is the number)\b|\bhow many\b")
_DATE = re.compile(r"^(when|date of|start date|what date|what is the date|since when)\b")
_BOOLEAN = re.compile(r"^(is|has|does|did|was|are|have)\b")
_LIST_START = re.compile(r"^(list|which|name|what)\b")
_LIST_WORDS = re.compile(
    r"\b(medications|drugs|conditions|diagnoses|problems|allergies|allergic|vaccines|vaccinations|"
    r"immunizations|shots|prescriptions|prescribed|medication)\b"
)
_RESOLVED = re.compile(r"\b(resolved|cleared|over)\b")
_HIGHER = re.compile(r"\b(higher|above|go up|went up)\b")
_CURRENT = re.compile(r"\b(current\w*|active|now|still|presently|taking|at present)\b")


def question_kind(question: str) -> str:
    """The answer kind the wording asks for: trend, count, date, boolean, list or value."""
    q = question.lower().strip()
    if _TREND.search(q):
        return "trend"
    if _COUNT.search(q):
        return "count"
    if _DATE.search(q):
        return "date"
    if _BOOLEAN.search(q):
        return "boolean"
    if _LIST_START.search(q) and _LIST_WORDS.search(q):
        return "list"
    return "value"


@dataclass(frozen=True)
class Hit:
    entry: MemoryEntry
    score: float


@dataclass(frozen=True)
class Hits:
    """Ranked hits, best first; one immutable object so the pipeline does not deep-copy entries."""

    items: tuple[Hit, ...]

    def __deepcopy__(self, memo: dict[int, Any]) -> Hits:
        return self


def rank(entries: Sequence[MemoryEntry], scores: Sequence[float], top_k: int) -> Hits:
    """Top ``top_k`` entries by score, ties broken by the latest time first."""
    order = sorted(range(len(entries)), key=lambda i: entries[i].time or "", reverse=True)
    order.sort(key=lambda i: -round(float(scores[i]), 6))  # stable: equal scores stay latest first
    return Hits(tuple(Hit(entries[i], float(scores[i])) for i in order[:top_k]))


def _is_number(value: Any) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def _trend(values: list[float]) -> str:
    # the one trend rule of the project (the harness's gold answers use it too)
    return trend_label(values) or "stable"


def read_answer(patient_id: str, question: str, hits: Hits, *, min_score: float, system: str) -> Answer:
    """Answer from the hits by the rule, citing what was read; abstain below ``min_score``."""
    if not hits.items or hits.items[0].score < min_score:
        return Answer.abstain(patient_id, question, system=system)
    top = hits.items[0]
    kind = question_kind(question)
    same = [h for h in hits.items if h.entry.concept == top.entry.concept]
    read: list[Hit] = [top]
    value: Any
    q = question.lower()
    if kind == "trend":
        series = sorted((h for h in same if _is_number(h.entry.value)), key=lambda h: h.entry.time or "")
        if len(series) < 2:
            kind, value = "value", top.entry.value
        else:
            read, value = series, _trend([float(h.entry.value) for h in series])  # type: ignore[arg-type]
    if kind == "count":
        read, value = same, len({h.entry.resource for h in same})
    elif kind == "date":
        value = top.entry.date
    elif kind == "boolean":
        if _RESOLVED.search(q):
            value = (
                top.entry.status in ("resolved", "inactive", "remission") or top.entry.end_time is not None
            )
        elif _HIGHER.search(q) and len(same) > 1:
            latest = sorted(same[:2], key=lambda h: h.entry.time or "")
            read = latest
            value = float(latest[-1].entry.value or 0) > float(latest[0].entry.value or 0)
        else:
            value = top.entry.status == "active" and top.entry.end_time is None
    elif kind == "list":
        pool = [h for h in hits.items if h.entry.kind == top.entry.kind]
        if _CURRENT.search(q):
            pool = [h for h in pool if h.entry.status == "active" and h.entry.end_time is None] or [top]
        read = pool
        value = sorted({h.entry.display or h.entry.text for h in pool}, key=str.lower)
    elif kind == "value":
        value = top.entry.value
    unit = None
    if kind == "value":
        if _is_number(value):
            value, unit = float(value), top.entry.unit
        else:
            kind, value = "text", top.entry.text if value is None else str(value)
    text = _text(kind, value, unit)
    return Answer(
        patient_id=patient_id,
        question=question,
        answer=AnswerValue(text=text, kind=kind, value=value, unit=unit),
        abstained=False,
        citations=tuple(Citation.of(h.entry, h.score) for h in read),
        system=system,
        operation=kind,
    )


def _text(kind: str, value: Any, unit: str | None) -> str:
    if kind == "list":
        return ", ".join(value) if value else "none"
    if kind == "boolean":
        return "yes" if value else "no"
    if kind == "value" and unit:
        return f"{value:g} {unit}"
    return str(value)

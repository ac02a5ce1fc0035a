"""Scoring answers against gold: correctness per kind, citations, abstention, latency.

Correctness by the gold answer's kind:

- ``value``: a number within the unit's rounding of the gold, i.e.
  ``|a - g| <= max(0.51 * 10**-d, 0.005 * |g|)`` where ``d`` is the gold's
  decimals (0.51 for 137, 0.051 for 7.5; 0.5% relative for long floats). Units
  are compared only when both sides give one.
- ``date``: the same day (``YYYY-MM-DD``; a datetime is cut to its day).
- ``list``: the same set of strings, case- and space-insensitive.
- ``count``: the same integer. ``boolean``: the same truth value.
  ``trend``: the same label.
- ``text``: the same text (case- and space-insensitive), or the same
  sequence of numbers each within the rounding rule ("137/91").
- ``none``: the system abstained (``abstained`` or kind ``none``).

A system that abstains on an answerable question is wrong, and so is an answer whose
citations include none of the gold evidence: a right-looking value read from another
concept (MCV's value for a question about MCHC, a "yes" from prediabetes for diabetes)
is not counted correct, whatever its kind. Citation
precision/recall/F1 compare the cited ``resource`` set with the gold
``evidence`` set; an empty gold set and no citations score 1.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from clinimem.answer import Answer

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def decimals(value: float) -> int:
    """Decimals a value was given with (``7.5`` -> 1, ``137.0`` -> 0), capped at 6."""
    text = repr(float(value))
    if "e" in text or "." not in text:
        return 0
    fraction = text.split(".", 1)[1].rstrip("0")
    return min(len(fraction), 6)


def number_matches(answer: Any, gold: float) -> bool:
    number = as_number(answer)
    if number is None:
        return False
    tolerance = max(0.51 * 10 ** -decimals(gold), 0.005 * abs(gold))
    return abs(number - float(gold)) <= tolerance + 1e-9


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        found = _NUMBER.search(value)
        return float(found.group()) if found else None
    return None


def _norm(text: Any) -> str:
    return " ".join(str(text).lower().split())


def _unit_ok(answer_unit: Any, gold_unit: Any) -> bool:
    if not answer_unit or not gold_unit:
        return True
    return _norm(answer_unit) == _norm(gold_unit)


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and _norm(value) in _TRUE | _FALSE:
        return _norm(value) in _TRUE
    return None


def is_abstention(answer: Answer) -> bool:
    return answer.abstained or answer.answer.kind == "none"


def answer_correct(gold: dict[str, Any], answer: Answer) -> bool:
    """Whether ``answer`` gives the gold answer (see the module docstring for the rules)."""
    kind = gold["kind"]
    if kind == "none":
        return is_abstention(answer)
    if is_abstention(answer):
        return False
    value, expected = answer.answer.value, gold["value"]
    if kind == "value":
        return number_matches(value, expected) and _unit_ok(answer.answer.unit, gold.get("unit"))
    if kind == "date":
        return isinstance(value, str) and value[:10] == str(expected)[:10]
    if kind == "list":
        items = value if isinstance(value, list | tuple) else [value] if value is not None else []
        return {_norm(v) for v in items} == {_norm(v) for v in expected}
    if kind == "count":
        number = as_number(value)
        return number is not None and number == int(expected)
    if kind == "boolean":
        return _bool(value) is expected
    if kind == "trend":
        return isinstance(value, str) and _norm(value) == _norm(expected)
    if kind == "text":
        if _norm(value) == _norm(expected):
            return True
        got, want = _NUMBER.findall(str(value)), _NUMBER.findall(str(expected))
        return (
            bool(want)
            and len(got) == len(want)
            and all(number_matches(float(g), float(w)) for g, w in zip(got, want, strict=True))
        )
    raise ValueError(f"unknown gold kind {kind!r}")


def citation_scores(cited: Iterable[str], gold: Iterable[str]) -> tuple[float, float, float]:
    """Precision, recall and F1 of cited ``ResourceType/id`` against the gold set."""
    cited_set, gold_set = set(cited), set(gold)
    if not cited_set and not gold_set:
        return 1.0, 1.0, 1.0
    hits = len(cited_set & gold_set)
    precision = hits / len(cited_set) if cited_set else 0.0
    recall = hits / len(gold_set) if gold_set else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass(frozen=True)
class Score:
    """How one system did on one question."""

    correct: bool
    precision: float
    recall: float
    f1: float
    abstained: bool
    gold_none: bool
    latency_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "correct": self.correct,
            "citation_precision": round(self.precision, 4),
            "citation_recall": round(self.recall, 4),
            "citation_f1": round(self.f1, 4),
            "abstained": self.abstained,
            "gold_none": self.gold_none,
            "latency_ms": round(self.latency_ms, 3),
        }


def cites_the_concept(evidence: Iterable[str], answer: Answer) -> bool:
    """Whether the answer cites at least one gold evidence resource (always, when there is none)."""
    gold = set(evidence)
    return not gold or bool(gold & {c.resource for c in answer.citations})


def score(gold: dict[str, Any], evidence: Iterable[str], answer: Answer, latency_ms: float) -> Score:
    evidence = list(evidence)
    precision, recall, f1 = citation_scores((c.resource for c in answer.citations), evidence)
    return Score(
        correct=answer_correct(gold, answer)
        and (gold["kind"] == "none" or cites_the_concept(evidence, answer)),
        precision=precision,
        recall=recall,
        f1=f1,
        abstained=is_abstention(answer),
        gold_none=gold["kind"] == "none",
        latency_ms=latency_ms,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """Aggregate of many scores. Abstention precision: of the abstentions, how many were right to;
    recall: of the unanswerable questions, how many were abstained on (NaN when undefined)."""

    n: int
    accuracy: float
    citation_precision: float
    citation_recall: float
    citation_f1: float
    abstention_precision: float
    abstention_recall: float
    latency_p50: float
    latency_p95: float

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def summarize(scores: Sequence[Score]) -> Summary:
    n = len(scores)
    if not n:
        nan = float("nan")
        return Summary(0, nan, nan, nan, nan, nan, nan, nan, nan)
    abstained = [s for s in scores if s.abstained]
    unanswerable = [s for s in scores if s.gold_none]
    latencies = [s.latency_ms for s in scores]
    return Summary(
        n=n,
        accuracy=sum(s.correct for s in scores) / n,
        citation_precision=sum(s.precision for s in scores) / n,
        citation_recall=sum(s.recall for s in scores) / n,
        citation_f1=sum(s.f1 for s in scores) / n,
        abstention_precision=(
            sum(s.gold_none for s in abstained) / len(abstained) if abstained else float("nan")
        ),
        abstention_recall=(
            sum(s.abstained for s in unanswerable) / len(unanswerable) if unanswerable else float("nan")
        ),
        latency_p50=percentile(latencies, 50),
        latency_p95=percentile(latencies, 95),
    )

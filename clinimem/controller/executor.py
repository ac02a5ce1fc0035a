"""The executor: computes an answer from the evidence slots the controller chose.

Values, dates and names in an answer are read from the cited entries only; the
network never writes a number. When the evidence cannot support the operation
(nothing selected, no anchor, no value to compute with), the executor abstains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinimem.answer import AnswerValue
from clinimem.controller.question import DateWindow
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers.common import format_number

ACTIVE = frozenset({"active", "recurrence", "relapse", "in-progress", "on-hold", "current"})
# The trend rule the evaluation harness uses too: relative change of the last value
# against the first of the window, beyond +/-5 %.
TREND_THRESHOLD = 0.05


def trend_label(values: list[float], threshold: float = TREND_THRESHOLD) -> str | None:
    """increasing / decreasing / stable for values in time order (None: fewer than two)."""
    if len(values) < 2:
        return None
    first, last = values[0], values[-1]
    change = (last - first) / abs(first) if first else (last - first)
    if change > threshold:
        return "increasing"
    if change < -threshold:
        return "decreasing"
    return "stable"


@dataclass(frozen=True)
class Plan:
    """What the controller decided: the operation, the answer kind, evidence and anchor slots."""

    op: str
    kind: str
    evidence: tuple[int, ...]  # slot indices the evidence head selected
    anchor: int | None  # slot hop 1 read most (the event of before/after/at-visit)
    window: DateWindow | None = None
    count: int | None = None
    question: str = ""


@dataclass(frozen=True)
class Result:
    value: AnswerValue
    cited: tuple[int, ...]  # slot indices that support the answer


def _day(entry: MemoryEntry) -> str:
    return (entry.time or "")[:10]


def _name(entry: MemoryEntry) -> str:
    return entry.display or entry.text


def _in_window(entry: MemoryEntry, window: DateWindow) -> bool:
    day = _day(entry)
    if not day:
        return False
    if window.relation == "since":
        return day >= window.start
    if window.relation == "before":
        return day < window.start
    return window.start <= day <= window.end


def _numeric(entry: MemoryEntry) -> float | None:
    value = entry.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _value_answer(entry: MemoryEntry, kind: str) -> AnswerValue | None:
    day = _day(entry)
    if kind == "date":
        return AnswerValue(text=f"{_name(entry)} on {day}", kind="date", value=day) if day else None
    if kind == "boolean":
        current = (entry.status or "") in ACTIVE and not entry.end_time
        return AnswerValue(text=f"{'Yes' if current else 'No'}: {entry.text}", kind="boolean", value=current)
    number = _numeric(entry)
    if kind == "value" and number is not None:
        unit = f" {entry.unit}" if entry.unit else ""
        return AnswerValue(
            text=f"{format_number(number)}{unit} on {day}", kind="value", value=number, unit=entry.unit
        )
    if kind in ("value", "text"):
        return AnswerValue(text=f"{_name(entry)} ({day})", kind="text", value=_name(entry))
    return None


def _unique_names(entries: list[MemoryEntry]) -> list[str]:
    return list(dict.fromkeys(_name(e) for e in entries))


def execute(plan: Plan, entries: tuple[MemoryEntry, ...] | list[MemoryEntry]) -> Result | None:
    """Run ``plan`` over the patient's entries; None means abstain."""
    if plan.op == "abstain" or plan.kind == "none":
        return None
    chosen = sorted(plan.evidence, key=lambda i: (entries[i].time or "", entries[i].path))
    if plan.window is not None and plan.op not in ("before", "after", "at_visit"):
        chosen = [i for i in chosen if _in_window(entries[i], plan.window)]
    anchor = entries[plan.anchor] if plan.anchor is not None else None
    anchored = ()
    if plan.op in ("before", "after", "at_visit"):
        if anchor is None or not _day(anchor):
            return None
        anchored = (plan.anchor,)
        chosen = [i for i in chosen if i != plan.anchor]
        if plan.op == "before":
            chosen = [i for i in chosen if _day(entries[i]) and _day(entries[i]) < _day(anchor)]
        elif plan.op == "after":
            chosen = [i for i in chosen if _day(entries[i]) > _day(anchor)]
        else:
            chosen = [
                i
                for i in chosen
                if (anchor.encounter and entries[i].encounter == anchor.encounter)
                or _day(entries[i]) == _day(anchor)
            ]
    if not chosen:
        return None
    op, kind = plan.op, plan.kind

    if kind == "list" or op == "list":
        names = _unique_names([entries[i] for i in chosen])
        return Result(AnswerValue(text="; ".join(names), kind="list", value=names), tuple(chosen) + anchored)
    if kind == "count" or op == "count":
        resources = list(dict.fromkeys(entries[i].resource for i in chosen))
        cited = tuple(dict.fromkeys(next(i for i in chosen if entries[i].resource == r) for r in resources))
        n = len(resources)
        return Result(
            AnswerValue(text=f"{n} ({_name(entries[chosen[0]])})", kind="count", value=n), cited + anchored
        )
    if kind == "trend" or op == "trend":
        series = [i for i in chosen if _numeric(entries[i]) is not None]
        if plan.count:
            series = series[-plan.count :]
        label = trend_label([_numeric(entries[i]) for i in series])  # type: ignore[misc]
        if label is None:
            return None
        first, last = entries[series[0]], entries[series[-1]]
        text = (
            f"{label}: {_name(last)} from {format_number(_numeric(first))} on {_day(first)} "  # type: ignore[arg-type]
            f"to {format_number(_numeric(last))} on {_day(last)}"  # type: ignore[arg-type]
        )
        return Result(
            AnswerValue(text=text, kind="trend", value=label, unit=last.unit), tuple(series) + anchored
        )
    if kind == "boolean" and op in ("exists", "list", "count"):
        return Result(
            AnswerValue(text=f"Yes: {entries[chosen[-1]].text}", kind="boolean", value=True), tuple(chosen)
        )
    if op == "compare":
        numbers = [i for i in chosen if _numeric(entries[i]) is not None]
        if len(numbers) < 2:
            return None
        first, last = entries[numbers[0]], entries[numbers[-1]]
        higher = _numeric(last) > _numeric(first)  # type: ignore[operator]
        lower_words = re.search(r"\b(lower|less|below|decrease|better|down)\b", plan.question, re.I)
        verdict = (not higher) if lower_words else higher
        text = f"{'Yes' if verdict else 'No'}: {last.text} ({_day(last)}) vs {first.text} ({_day(first)})"
        return Result(AnswerValue(text=text, kind="boolean", value=verdict), (numbers[0], numbers[-1]))
    # first/after read the earliest evidence; last, lookup, before, at_visit, exists the latest
    pick = chosen[0] if op in ("first", "after") else chosen[-1]
    value = _value_answer(entries[pick], kind)
    if value is None:
        return None
    return Result(value, (pick,) + anchored)

"""How an :class:`Answer` is shown: the answer in words, the cited-entry table, the hop trace, trends.

Plain functions (no gradio): the page's event handlers call them and hand the
results to components.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from clinimem.answer import Answer
from clinimem.memory.entry import MemoryEntry

CITATION_COLUMNS = ("date", "visit", "kind", "text", "value", "weight")
HOP_COLUMNS = ("hop", "rank", "date", "kind", "text", "weight")
# A hop reads every slot a little; showing the strongest few keeps the view readable.
HOP_TOP = 8


def format_value(value: object, unit: str | None = None) -> str:
    """A value as a clinician reads it: numbers rounded sensibly, with the unit."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        if math.isnan(value):
            return ""
        text = f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    return f"{text} {unit}" if unit else text


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def plain_words(answer: Answer, entries: Mapping[str, MemoryEntry]) -> str:
    """The answer as a sentence a clinician reads at a glance.

    Systems may answer tersely ("increasing", "85.2922 kg"); the cited entries
    say what and when, so a bare trend label or number is spelled out from
    them. Nothing is computed that the answer did not state.
    """
    value, text = answer.answer.value, answer.answer.text
    text = text or format_value(value, answer.answer.unit) or "(no answer text)"
    cited = [entries[c.entry_id] for c in answer.citations if c.entry_id in entries]
    kind = answer.answer.kind
    if kind == "trend" and isinstance(value, str) and text.strip().lower() == value.lower():
        points = sorted((e for e in cited if _number(e.value) and e.time), key=lambda e: e.time or "")
        if len(points) >= 2:
            first, last = points[0], points[-1]
            name = first.display or "The value"
            return (
                f"{name} is {value}: {format_value(first.value, first.unit)} on {first.date}, "
                f"{format_value(last.value, last.unit)} on {last.date} ({len(points)} values)"
            )
    if (
        kind == "boolean"
        and isinstance(value, bool)
        and text.strip().lower() in ("yes", "no", "true", "false")
    ):
        return "Yes" if value else "No"
    if kind == "value" and _number(value) and len(cited) == 1 and cited[0].date and cited[0].date not in text:
        what = cited[0].display or cited[0].text
        return f"{what}: {format_value(value, answer.answer.unit)} on {cited[0].date}"
    return text


def answer_markdown(
    answer: Answer, patient_name: str, system_name: str, entries: Mapping[str, MemoryEntry] | None = None
) -> str:
    """The answer in plain words, then which patient and which system it came from."""
    footer = (
        f"<small>About **{patient_name}** (`{answer.patient_id}`) · answered by `{system_name}`"
        f"{' · ' + answer.operation if answer.operation else ''}"
        f" · {answer.timing_ms.get('total', 0):.0f} ms</small>"
    )
    if answer.abstained and answer.context:
        # the record holds related entries: never "not in the record"; they are context, not citations
        related = "\n".join(f"- {c.text} ({(c.time or '')[:10]})" for c in answer.context)
        body = "### No computed answer\nThe record holds entries related to this question (context, not an answer):"
        return f"{body}\n{related}\n\n{footer}"
    if answer.abstained:
        reason = answer.answer.text or "the patient's memory holds nothing that answers this."
        if reason.lower().startswith("not in the record"):
            reason = reason[len("not in the record") :].lstrip(" :.")
        body = f"### Not in the record\n{reason}" if reason else "### Not in the record"
        return f"{body}\n\n{footer}"
    text = plain_words(answer, entries or {})
    cited = len(answer.citations)
    return f"### {text}\n{cited} cited {'entry' if cited == 1 else 'entries'} below.\n\n{footer}"


@dataclass(frozen=True)
class CitedRow:
    """One row of the citation table and the stored resource it opens."""

    cells: tuple[str, int | None, str, str, str, float]
    resource: str
    entry_id: str


def citation_rows(answer: Answer, entries: Mapping[str, MemoryEntry]) -> list[CitedRow]:
    """The cited entries, strongest first, with visit and value taken from the stored entry."""
    rows = []
    for citation in sorted(answer.citations, key=lambda c: -c.weight):
        entry = entries.get(citation.entry_id)
        time = citation.time or (entry.time if entry else None)
        cells = (
            (time or "")[:10],
            entry.visit if entry else None,
            citation.kind or (entry.kind if entry else ""),
            citation.text,
            format_value(entry.value, entry.unit) if entry else "",
            round(float(citation.weight), 3),
        )
        rows.append(CitedRow(cells, citation.resource, citation.entry_id))
    return rows


def match_row(
    rows: Sequence[CitedRow], index: int | None, row_value: Sequence[object] | None
) -> CitedRow | None:
    """The row a click selected: by its cells (the user may have sorted the table), else by position."""
    if row_value:
        wanted = [str(v) for v in row_value]
        for row in rows:
            if [str(c) if c is not None else "" for c in row.cells] == wanted:
                return row
        # Numbers may come back reformatted (e.g. 3 vs 3.0): match on date, kind and text.
        for row in rows:
            if len(wanted) >= 4 and [row.cells[0], row.cells[2], row.cells[3]] == [
                wanted[0],
                wanted[2],
                wanted[3],
            ]:
                return row
    if index is not None and 0 <= index < len(rows):
        return rows[index]
    return None


def hop_rows(answer: Answer, entries: Mapping[str, MemoryEntry], top: int = HOP_TOP) -> list[tuple]:
    """Per hop, the entries read most strongly: (hop, rank, date, kind, text, weight)."""
    rows: list[tuple] = []
    for hop in answer.hops:
        ranked = sorted(hop.attended, key=lambda item: -item[1])[:top]
        for rank, (entry_id, weight) in enumerate(ranked, start=1):
            entry = entries.get(entry_id)
            rows.append(
                (
                    hop.hop,
                    rank,
                    entry.date or "" if entry else "",
                    entry.kind if entry else "",
                    entry.text if entry else f"(entry {entry_id[:8]} not in memory)",
                    round(float(weight), 3),
                )
            )
    return rows


def is_trend(answer: Answer) -> bool:
    return not answer.abstained and (answer.answer.kind == "trend" or answer.operation == "trend")


@dataclass(frozen=True)
class Series:
    """One measured quantity over time; ``cited`` marks the points the answer read."""

    label: str
    unit: str | None
    times: tuple[str, ...]
    values: tuple[float, ...]
    cited: tuple[bool, ...]


def _quantity_key(entry: MemoryEntry) -> tuple[str, str]:
    return (entry.code_system or "", entry.code or entry.display or entry.concept)


def trend_series(answer: Answer, entries: Sequence[MemoryEntry]) -> list[Series]:
    """The full history of each quantity the answer cited, with the cited points marked."""
    cited_ids = {c.entry_id for c in answer.citations}
    numeric = [
        e
        for e in entries
        if isinstance(e.value, int | float) and not isinstance(e.value, bool) and e.time is not None
    ]
    keys = list(dict.fromkeys(_quantity_key(e) for e in numeric if e.entry_id in cited_ids))
    series = []
    for key in keys:
        points = sorted((e for e in numeric if _quantity_key(e) == key), key=lambda e: e.time or "")
        first = points[0]
        series.append(
            Series(
                label=first.display or first.concept,
                unit=first.unit,
                times=tuple(e.time or "" for e in points),
                values=tuple(float(e.value) for e in points),  # type: ignore[arg-type]
                cited=tuple(e.entry_id in cited_ids for e in points),
            )
        )
    return series

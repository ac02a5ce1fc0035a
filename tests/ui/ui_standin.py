"""A tiny keyword answerer, used ONLY by the UI tests while no real answering system can load.

It follows the answer contract (citations, a hop trace, abstention) so the page
can be exercised; it is no part of clinimem.
"""

from __future__ import annotations

import re

from clinimem.answer import Answer, AnswerValue, Citation, Hop

_STOP = {
    "what",
    "was",
    "the",
    "is",
    "has",
    "have",
    "been",
    "does",
    "did",
    "patient",
    "most",
    "recent",
    "last",
    "how",
    "many",
    "times",
    "when",
    "a",
    "an",
    "of",
    "any",
    "taking",
    "increasing",
    "measured",
    "latest",
}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP and len(w) > 2}


class StandInAnswerer:
    """Keyword overlap over entry text; trend / count / last / list by question words."""

    name = "standin"

    def __init__(self, store: object = None) -> None:
        self.store = store

    def answer(self, memory, question: str) -> Answer:  # noqa: ANN001 - PatientMemory
        wanted = _words(question)
        scored = [(len(wanted & _words(e.text)), e) for e in memory.entries if e.kind not in ("patient",)]
        hits = [e for s, e in sorted(scored, key=lambda x: -x[0]) if s > 0 and s == max(s for s, _ in scored)]
        hop = Hop(
            1,
            tuple(
                (e.entry_id, round(1.0 / (i + 2), 3))
                for i, (_, e) in enumerate(sorted(scored, key=lambda x: -x[0])[:8])
            ),
        )
        if not hits:
            return Answer.abstain(memory.patient_id, question, hops=(hop,), system=self.name)
        q = question.lower()
        numeric = [e for e in hits if isinstance(e.value, float)]
        if any(w in q for w in ("increas", "trend", "rising", "improv")) and len(numeric) >= 2:
            first, last = numeric[0].value, numeric[-1].value
            label = "increasing" if last > first * 1.02 else "decreasing" if last < first * 0.98 else "stable"
            value = AnswerValue(f"{numeric[0].display} is {label}: {first:.1f} to {last:.1f}", "trend", label)
            cited, op = numeric, "trend"
        elif "how many" in q:
            value, cited, op = AnswerValue(f"{len(hits)} times", "count", len(hits)), hits, "count"
        elif any(w in q for w in ("recent", "last", "latest")):
            e = hits[-1]
            value = AnswerValue(f"{e.text} on {e.date}", "value", e.value, e.unit)
            cited, op = [e], "last"
        else:
            value = AnswerValue(
                "; ".join(dict.fromkeys(e.display or e.text for e in hits)), "list", [e.display for e in hits]
            )
            cited, op = hits, "list"
        citations = tuple(Citation.of(e, 1.0 / len(cited)) for e in cited[:20])
        return Answer(
            memory.patient_id,
            question,
            value,
            False,
            citations,
            (hop, Hop(2, hop.attended[::-1])),
            system=self.name,
            operation=op,
        )

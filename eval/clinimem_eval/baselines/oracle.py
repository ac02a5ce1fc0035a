"""The ``oracle``: given the gold evidence, compute the answer with the gold op.

It reads the question's gold targets (the last hop) from the patient's
memory, as loaded in the store, and runs :func:`clinimem_eval.questions.ops.compute`
on them with the question's op and answer kind. It is the upper bound of an
executor that finds exactly the right entries and the right operation; any
shortfall from 100% means the store and the generator disagree about an entry.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from clinimem.answer import Answer, AnswerValue, Citation
from clinimem.api import PatientMemory
from clinimem_eval.questions.model import Question
from clinimem_eval.questions.ops import compute


def answer_text(kind: str, value: Any, unit: str | None) -> str:
    if kind == "list":
        return ", ".join(value) if value else "none"
    if kind == "boolean":
        return "yes" if value else "no"
    if unit:
        return f"{value:g} {unit}" if isinstance(value, float) else f"{value} {unit}"
    return str(value)


class OracleAnswerer:
    """Answers only the questions it was given (by patient and exact wording); abstains otherwise."""

    name = "oracle"

    def __init__(self, store: Any = None, questions: Iterable[Question] = ()) -> None:
        self._questions: dict[tuple[str, str], Question] = {}
        self.add(questions)

    def add(self, questions: Iterable[Question]) -> None:
        for q in questions:
            self._questions[(q.patient_id, q.question)] = q

    def answer(self, memory: PatientMemory, question: str) -> Answer:
        started = time.perf_counter()
        gold = self._questions.get((memory.patient_id, question))
        if gold is None or gold.op == "abstain" or gold.answer["kind"] == "none":
            return Answer.abstain(memory.patient_id, question, system=self.name)
        by_id = {e.entry_id: e for e in memory.entries}
        target_ids = gold.hops[-1] if gold.hops else gold.evidence_entries
        targets = [by_id[i] for i in target_ids if i in by_id]
        if len(targets) < len(target_ids):  # the store lacks a gold entry: nothing sound to compute
            return Answer.abstain(memory.patient_id, question, system=self.name)
        result = compute(gold.op, gold.answer["kind"], targets, gold.params)
        cited = [by_id[i] for i in gold.evidence_entries if i in by_id]
        unit = result.get("unit")
        return Answer(
            patient_id=memory.patient_id,
            question=question,
            answer=AnswerValue(
                text=answer_text(result["kind"], result["value"], unit),
                kind=result["kind"],
                value=result["value"],
                unit=unit,
            ),
            abstained=False,
            citations=tuple(Citation.of(e, 1.0) for e in cited),
            system=self.name,
            operation=gold.op,
            timing_ms={"oracle": (time.perf_counter() - started) * 1000},
        )

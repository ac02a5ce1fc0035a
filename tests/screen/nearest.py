"""A tiny, deterministic answering system for the screening machinery tests.

It answers with the patient's entry whose MiniLM vector is nearest to the
question's (ties go to the most recent entry), reading its value as the answer,
or abstains when nothing is close. It is no good at medicine, but its answers
depend on each patient's memory and never on a trained model, so the tests of
resuming, workers and Ray check the machinery and nothing else. Registered in
``SYSTEMS`` by the tests as ``screen-nearest``.
"""

from __future__ import annotations

import os
import time

import numpy as np

from clinimem.answer import Answer, AnswerValue, Citation
from clinimem.memory.embedder import shared_encoder
from clinimem.memory.patient import PatientMemory

NAME = "screen-nearest"
TARGET = "nearest:NearestAnswerer"
THRESHOLD = 0.45


class NearestAnswerer:
    name = NAME

    def __init__(self, store: object = None) -> None:
        self.store = store
        self._questions: dict[str, np.ndarray] = {}

    def answer(self, memory: PatientMemory, question: str) -> Answer:
        # The kill-and-resume tests slow answering down so that a run is surely killed midway.
        time.sleep(float(os.environ.get("SCREEN_TEST_DELAY", "0")))
        # The failure tests make one patient raise, or kill the worker process answering it.
        if memory.patient_id == os.environ.get("SCREEN_TEST_FAIL"):
            raise RuntimeError("planted failure")
        if memory.patient_id == os.environ.get("SCREEN_TEST_DIE") and os.getpid() != int(
            os.environ.get("SCREEN_TEST_PARENT", "0")
        ):
            os._exit(3)
        if question not in self._questions:
            self._questions[question] = shared_encoder().encode([question])[0]
        if not len(memory):
            return Answer.abstain(memory.patient_id, question, system=NAME)
        scores = memory.vectors @ self._questions[question]
        best = float(scores.max())
        if best < THRESHOLD:
            return Answer.abstain(memory.patient_id, question, system=NAME)
        # Entries are in time order: the last of the best-scoring ones is the most recent.
        index = int(np.flatnonzero(scores >= best - 1e-6)[-1])
        entry = memory.entries[index]
        if isinstance(entry.value, int | float) and not isinstance(entry.value, bool):
            value = AnswerValue(entry.text, "value", float(entry.value), entry.unit)
        else:
            value = AnswerValue(entry.text, "text", entry.text)
        return Answer(
            patient_id=memory.patient_id,
            question=question,
            answer=value,
            abstained=False,
            citations=(Citation.of(entry, best),),
            system=NAME,
            operation="lookup",
        )

"""The page's example questions, answered correctly on every demo patient.

The demo loads the four bundles of ``clinimem/samples``; each expected answer is computed
here from the patient's own entries.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clinimem.api import Clinimem
from clinimem.controller.executor import is_current, is_resolved, trend_label
from clinimem.grounding.lexicon import lexicon
from clinimem.memory.store import release_shared_store, shared_store
from clinimem.ui.app import EXAMPLE_QUESTIONS

SAMPLES = Path(__file__).resolve().parents[2] / "clinimem" / "samples"
BMI, WEIGHT = "39156-5", "29463-7"
BP_PANELS = frozenset({"85354-9", "55284-4"})  # LOINC blood pressure panel, new and old code


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - yields the engine
    from clinimem.ingest import load_sources

    location = str(tmp_path_factory.mktemp("demo") / "store")
    load_sources(sorted(str(p) for p in SAMPLES.glob("*.json")), store_location=location)
    store = shared_store(location)
    yield Clinimem(store)
    release_shared_store(store)


def _series(entries: tuple, code: str) -> list:
    return sorted(
        (e for e in entries if e.code == code and isinstance(e.value, int | float)), key=lambda e: e.time
    )


def expected(question: str, entries: tuple) -> object:
    """The answer each example question has in this record (None: the record does not hold it)."""
    if "BMI" in question:
        bmi = _series(entries, BMI)
        return bmi[-1].value if bmi else None
    if "trended" in question:
        weights = _series(entries, WEIGHT)[-3:]
        return trend_label([e.value for e in weights])
    if "medications" in question:
        taking = sorted(
            {e.display for e in entries if e.kind == "medication" and is_current(e)}, key=str.lower
        )
        return taking or None
    if "hypertension" in question:
        lex = lexicon()
        return any(
            e.kind == "condition"
            and "hypertension" in lex.classes_for(e.code_system, e.code)
            and not is_resolved(e)
            for e in entries
        )
    if "last visit" in question:
        return max(e.time[:10] for e in entries if e.kind == "encounter" and e.path == "$")
    if "blood pressure" in question:
        return len({e.resource for e in entries if e.code in BP_PANELS})
    raise AssertionError(f"no expected answer written for the example {question!r}")


def test_every_example_question_on_every_demo_patient(demo: Clinimem) -> None:
    patients = demo.patients()
    assert len(patients) == 4
    for patient in patients:
        entries = demo.memory(patient.patient_id).entries
        for question in EXAMPLE_QUESTIONS:
            want = expected(question, entries)
            answer = demo.ask(patient.patient_id, question)
            where = f"{patient.patient_id}: {question!r} -> {answer.answer.text!r}"
            if want is None:
                assert answer.abstained, where
                continue
            assert not answer.abstained, where
            got = answer.answer.value
            if isinstance(want, list):
                assert sorted(got, key=str.lower) == want, where
            else:
                assert got == want, where
            if want is not False:
                assert answer.citations, where

"""The screening examples written for real records, run on the 23 Synthea patients of the test data.

Each example must flag some patients and not others; who should be flagged is worked out here
from the patients' own entries, not by the system under test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLES

from clinimem.controller.executor import is_current, is_resolved
from clinimem.grounding.lexicon import lexicon
from clinimem.screen import MET, ScreenJob, load_criteria, run_job

SYSTOLIC, BMI = "8480-6", "39156-5"


def _latest(entries: tuple, code: str) -> float | None:
    values = sorted(
        (e for e in entries if e.code == code and isinstance(e.value, int | float)), key=lambda e: e.time
    )
    return values[-1].value if values else None


def _has_active(entries: tuple, cls: str) -> bool:
    lex = lexicon()
    return any(
        e.kind == "condition" and cls in lex.classes_for(e.code_system, e.code) and not is_resolved(e)
        for e in entries
    )


def uncontrolled_hypertension(entries: tuple) -> bool:
    last = _latest(entries, SYSTOLIC)
    return _has_active(entries, "hypertension") and last is not None and last > 140


def prediabetes_obesity_no_metformin(entries: tuple) -> bool:
    bmi = _latest(entries, BMI)
    on_metformin = any(
        e.kind == "medication" and is_current(e) and "metformin" in (e.display or "").lower() for e in entries
    )
    return _has_active(entries, "prediabetes") and bmi is not None and bmi >= 30 and not on_metformin


RULES: dict[str, Callable[[tuple], bool]] = {
    "uncontrolled_hypertension.yaml": uncontrolled_hypertension,
    "prediabetes_obesity_no_metformin.yaml": prediabetes_obesity_no_metformin,
}


@pytest.mark.parametrize("example", sorted(RULES))
def test_example_flags_the_patients_its_criteria_describe(
    synthea_store, example: str, tmp_path: Path
) -> None:  # noqa: ANN001
    from clinimem.api import Clinimem

    engine = Clinimem(synthea_store.store)
    expected = {
        p.patient_id for p in engine.patients() if RULES[example](engine.memory(p.patient_id).entries)
    }
    out = tmp_path / "flags.jsonl"
    summary = run_job(ScreenJob(load_criteria(EXAMPLES / example), out, store=synthea_store.location))
    assert summary.errors == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    flagged = {r["patient_id"] for r in rows if r["verdict"] == MET}
    assert flagged == expected, json.dumps({r["patient_id"]: r["criteria"] for r in rows}, indent=1)[:4000]
    # a real-record example shows both sides
    assert flagged and len(flagged) < len(rows)

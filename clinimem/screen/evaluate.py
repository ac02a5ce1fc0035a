"""Screen one patient: ask each criterion's question of the patient's memory, judge the answers.

This is the one function every runner calls (in-process, worker processes,
Ray actors), so all of them write the same rows for the same patient.

Logging: patient ids, answers and error messages (which may name resources)
go to DEBUG only; WARNING says which criterion failed and the error's code.
"""

from __future__ import annotations

import logging

from clinimem.answer import Answer
from clinimem.api import Answerer, PatientMemory
from clinimem.errors import ClinimemError
from clinimem.screen.conditions import evaluate_expect
from clinimem.screen.criteria import Criteria
from clinimem.screen.logic import UNKNOWN
from clinimem.screen.rows import CriterionResult, ScreenRow

log = logging.getLogger(__name__)


def error_text(err: BaseException) -> str:
    """``[code] message`` for clinimem errors, ``Type: message`` for anything else."""
    if isinstance(err, ClinimemError):
        return str(err)
    return f"{type(err).__name__}: {err}"


def error_code(err: BaseException) -> str:
    return err.code if isinstance(err, ClinimemError) else type(err).__name__


def screen_patient(criteria: Criteria, memory: PatientMemory, answerer: Answerer, system: str) -> ScreenRow:
    """The row of one patient; a failing criterion is unknown with its error, the others still run.

    Every question is asked first, then every condition is judged, because a
    condition may read another criterion's answer (``value < 0.75 * @egfr_before``).
    """
    answers: dict[str, Answer] = {}
    failures: dict[str, str] = {}
    for criterion in criteria.criteria:
        if criterion.expect is None:
            failures[criterion.name] = f"does not parse: {criterion.error}"
            continue
        try:
            answers[criterion.name] = answerer.answer(memory, criterion.question)
        except Exception as err:  # one failing question must not stop the patient or the job
            log.warning("criterion %r failed on a patient: %s", criterion.name, error_code(err))
            log.debug("criterion %r failed on %s", criterion.name, memory.patient_id, exc_info=True)
            failures[criterion.name] = error_text(err)
    results: list[CriterionResult] = []
    for criterion in criteria.criteria:
        answer = answers.get(criterion.name)
        if answer is None or criterion.expect is None:
            results.append(CriterionResult(criterion.name, UNKNOWN, error=failures.get(criterion.name)))
            continue
        verdict = evaluate_expect(criterion.expect, answer, answers)
        results.append(CriterionResult.of(criterion.name, verdict, answer))
    return _row(criteria, memory.patient_id, tuple(results), system)


def failed_row(criteria: Criteria, patient_id: str, err: BaseException | str, system: str) -> ScreenRow:
    """The row of a patient that could not be screened (unknown patient, store or worker failure)."""
    message = err if isinstance(err, str) else error_text(err)
    results = tuple(CriterionResult(c.name, UNKNOWN) for c in criteria.criteria)
    return ScreenRow(patient_id, UNKNOWN, results, message, system, criteria.fingerprint)


def _row(criteria: Criteria, patient_id: str, results: tuple[CriterionResult, ...], system: str) -> ScreenRow:
    if criteria.flag is None:
        verdict, error = UNKNOWN, f"flag does not parse: {criteria.flag_error}"
    else:
        by_name = {r.name: r.verdict for r in results}
        verdict, error = criteria.flag.evaluate(by_name.__getitem__), None
    return ScreenRow(patient_id, verdict, results, error, system, criteria.fingerprint)

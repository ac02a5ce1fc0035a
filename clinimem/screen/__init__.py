"""Batch screening: ask the same questions of many patients and flag those who meet the criteria.

>>> from pathlib import Path
>>> from clinimem.screen import ScreenJob, load_criteria, run_job
>>> criteria = load_criteria("docs/examples/ldl_no_statin.yaml")  # doctest: +SKIP
>>> run_job(ScreenJob(criteria, Path("ldl.jsonl"), workers=2)).render()  # doctest: +SKIP

Modules: :mod:`~clinimem.screen.criteria` (the YAML file),
:mod:`~clinimem.screen.conditions` (``value > 9``, ``trend == decreasing``),
:mod:`~clinimem.screen.logic` (and/or/not, three-valued verdicts),
:mod:`~clinimem.screen.evaluate` (one patient), :mod:`~clinimem.screen.rows`,
:mod:`~clinimem.screen.output` (resumable journal, CSV, parquet),
:mod:`~clinimem.screen.local`, :mod:`~clinimem.screen.pool` and
:mod:`~clinimem.screen.distributed` (in-process, processes, Ray),
:mod:`~clinimem.screen.triage` (which patient killed a worker), and
:mod:`~clinimem.screen.job` (all of it together).
"""

from __future__ import annotations

from clinimem.screen.criteria import Criteria, CriteriaError, Criterion, load_criteria, parse_criteria
from clinimem.screen.job import JobSummary, ScreenJob, read_patient_file, run_job
from clinimem.screen.logic import MET, NOT_MET, UNKNOWN
from clinimem.screen.rows import CriterionResult, ScreenRow

__all__ = [
    "MET",
    "NOT_MET",
    "UNKNOWN",
    "Criteria",
    "CriteriaError",
    "Criterion",
    "CriterionResult",
    "JobSummary",
    "ScreenJob",
    "ScreenRow",
    "load_criteria",
    "parse_criteria",
    "read_patient_file",
    "run_job",
]

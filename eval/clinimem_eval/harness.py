"""The evaluation run: synthetic patients -> store -> questions -> every system -> scores and report.

>>> from clinimem_eval.harness import EvalConfig, run_eval
>>> result = run_eval(EvalConfig(out=Path("eval-out"), patients=20))  # doctest: +SKIP
>>> result.report_path.read_text()                                       # doctest: +SKIP

Steps (each writes under ``out``): ``patients/`` (``clinimem synth`` bundles
and truth files), ``store/`` (an embedded Qdrant store loaded with
``load_sources``, unless ``store`` is given), ``questions.jsonl`` (every
generated question, both splits), then each system answers the questions of
the chosen split through the answer contract; ``results.jsonl`` holds one
line per question per system, ``report.md`` the tables, and two PNG plots.
With ``synthea`` the bundles of that folder are loaded too and their
questions (``questions_synthea.jsonl``) scored in a separate section.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clinimem.answer import Answer
from clinimem.api import Answerer, Clinimem, load_system
from clinimem.errors import ClinimemError
from clinimem.memory.store import MemoryStore, shared_store
from clinimem_eval.metrics import Score, score
from clinimem_eval.questions import Question, generate_for_patients, write_jsonl

log = logging.getLogger(__name__)

DEFAULT_SYSTEMS = ("dense", "bm25", "oracle", "controller")
SECTIONS = ("synthetic", "synthea")


@dataclass(frozen=True)
class EvalConfig:
    """What to run. ``systems=None`` runs :data:`DEFAULT_SYSTEMS`, skipping any that cannot be built."""

    out: Path
    patients: int = 200
    seed: int = 0
    systems: tuple[str, ...] | None = None
    split: str = "test"  # "test" | "all"
    store: Path | None = None
    synthea: Path | None = None
    per_patient: int = 10
    notes: bool = True  # add note questions (clinimem_eval.questions.notes) to the synthetic ones
    progress: bool = True
    threads: int | None = 1  # torch intra-op threads while answering (None: leave torch's default)


@dataclass(frozen=True)
class Result:
    """One system's answer to one question, scored."""

    section: str
    system: str
    question: Question
    answer: Answer
    score: Score
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        q = self.question
        return {
            "section": self.section,
            "system": self.system,
            "qid": q.qid,
            "patient_id": q.patient_id,
            "question": q.question,
            "category": q.category,
            "template": q.template,
            "split": q.split,
            "op": q.op,
            "gold": q.answer,
            "evidence": q.evidence,
            "answer": self.answer.to_dict(),
            "scores": self.score.to_dict(),
            "error": self.error,
        }


@dataclass
class EvalResult:
    config: EvalConfig
    questions: dict[str, list[Question]] = field(default_factory=dict)  # section -> all generated
    results: list[Result] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # system -> why
    timings: dict[str, float] = field(default_factory=dict)
    report_path: Path | None = None

    def of(self, section: str, system: str) -> list[Result]:
        return [r for r in self.results if r.section == section and r.system == system]

    @property
    def systems(self) -> list[str]:
        return list(dict.fromkeys(r.system for r in self.results))


def bundle_files(folder: Path) -> list[Path]:
    """FHIR bundles of a folder: ``*.json`` except truth files and the manifest."""
    return sorted(
        p
        for p in Path(folder).glob("*.json")
        if not p.name.endswith(".truth.json") and p.name != "manifest.json"
    )


def build_system(name: str, store: MemoryStore, questions: Sequence[Question]) -> Answerer:
    """A system by name: ``oracle``, a name in ``clinimem.api.SYSTEMS``, or ``module:Class``."""
    if name == "oracle":
        from clinimem_eval.baselines.oracle import OracleAnswerer

        return OracleAnswerer(store, questions)
    if ":" in name:
        module_name, class_name = name.split(":", 1)
        return getattr(importlib.import_module(module_name), class_name)(store=store)
    return load_system(name, store)


def _select(questions: list[Question], split: str) -> list[Question]:
    return questions if split == "all" else [q for q in questions if q.split == split]


def _load(paths: list[Path], store_dir: Path, progress: bool) -> None:
    from clinimem_connectors.load import load_sources

    with warnings.catch_warnings():
        # embedded Qdrant warns above 20,000 points; the harness is that size on purpose
        warnings.simplefilter("ignore", UserWarning)
        result = load_sources([str(p) for p in paths], store_location=str(store_dir), progress=progress)
    log.info("loaded %d resources (%d rejected)", result.report.total_seen, result.report.total_rejected)


def ask_timed(engine: Clinimem, system: Answerer, question: Question) -> tuple[Answer, float, str | None]:
    """Answer as ``Clinimem.ask`` does (memory read + system), timed; a failure is an abstention."""
    started = time.perf_counter()
    try:
        memory = engine.memory(question.patient_id)
        answer = system.answer(memory, question.question)
        error = None
    except Exception as err:  # noqa: BLE001 - batch work: one question's failure is reported, not fatal
        answer = Answer.abstain(question.patient_id, question.question, reason=f"error: {err}")
        error = f"{type(err).__name__}: {err}"
    return answer, (time.perf_counter() - started) * 1000, error


def run_system(
    engine: Clinimem, name: str, system: Answerer, questions: list[Question], section: str, progress: bool
) -> list[Result]:
    from tqdm import tqdm

    results = []
    for question in tqdm(questions, desc=f"{section}/{name}", unit="q", disable=not progress, leave=False):
        answer, latency, error = ask_timed(engine, system, question)
        results.append(
            Result(
                section,
                name,
                question,
                answer,
                score(question.answer, question.evidence, answer, latency),
                error,
            )
        )
    return results


def limit_threads(threads: int | None) -> int | None:
    """Answer one question at a time on ``threads`` torch threads.

    Single questions gain nothing from intra-op threads on MiniLM-sized models,
    and on a shared machine surplus threads turn into latency noise: a MiniLM
    question encoding measured 58 ms p50 on one thread and 583 ms on two with
    the cores busy.

    Returns the previous setting, to restore (None when nothing was changed).
    """
    if threads is None:
        return None
    try:
        import torch
    except ImportError:
        return None
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    return previous


def run_eval(config: EvalConfig) -> EvalResult:
    """Run the whole suite and write its files; returns everything it scored."""
    previous = limit_threads(config.threads)
    try:
        return _run(config)
    finally:
        limit_threads(previous)


def _run(config: EvalConfig) -> EvalResult:
    from clinimem_eval.synth import generate

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    result = EvalResult(config)
    clock = time.perf_counter()

    patients_dir = out / "patients"
    written = generate(config.patients, config.seed, patients_dir)
    # the files of this run only: a folder reused from a larger run keeps its other bundles
    keep = set(bundle_files(patients_dir))
    bundles = {"synthetic": [p for p in written if p in keep]}
    if config.synthea:
        bundles["synthea"] = bundle_files(config.synthea)
    result.timings["synth_s"] = time.perf_counter() - clock

    store_dir = Path(config.store) if config.store else out / "store"
    clock = time.perf_counter()
    _load([p for paths in bundles.values() for p in paths], store_dir, config.progress)
    result.timings["load_s"] = time.perf_counter() - clock

    clock = time.perf_counter()
    result.questions["synthetic"] = generate_for_patients(
        bundles["synthetic"], None, config.seed, config.per_patient, notes=config.notes
    )
    write_jsonl(result.questions["synthetic"], out / "questions.jsonl")
    if "synthea" in bundles:
        result.questions["synthea"] = generate_for_patients(
            bundles["synthea"], [], config.seed, config.per_patient
        )
        write_jsonl(result.questions["synthea"], out / "questions_synthea.jsonl")
    result.timings["questions_s"] = time.perf_counter() - clock

    store = shared_store(str(store_dir))
    engine = Clinimem(store)
    # real records are never trained on: every question of theirs is a test question
    selected = {s: qs if s == "synthea" else _select(qs, config.split) for s, qs in result.questions.items()}
    everything = [q for qs in selected.values() for q in qs]
    for pid in dict.fromkeys(q.patient_id for q in everything):
        engine.memory(pid)  # read every memory once, so no system pays the cold read
    names = config.systems or DEFAULT_SYSTEMS
    for name in names:
        try:
            system = build_system(name, store, everything)
        except (ClinimemError, ImportError, AttributeError) as err:
            if config.systems:  # asked for by name: do not hide the failure
                raise
            result.skipped[name] = str(err)
            log.warning("system %s skipped: %s", name, err)
            continue
        clock = time.perf_counter()
        for section, questions in selected.items():
            result.results.extend(run_system(engine, name, system, questions, section, config.progress))
        result.timings[f"{name}_s"] = time.perf_counter() - clock

    from clinimem_eval.plots import write_plots
    from clinimem_eval.report import write_report

    with (out / "results.jsonl").open("w", encoding="utf-8") as lines:
        for r in result.results:
            lines.write(json.dumps(r.to_dict(), ensure_ascii=False, default=str) + "\n")
    write_plots(result, out)
    result.report_path = write_report(result, out / "report.md")
    return result

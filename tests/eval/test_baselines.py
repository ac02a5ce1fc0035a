"""Dense, BM25 and oracle answer through the contract over a real embedded store and real MiniLM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from clinimem_eval.baselines.oracle import OracleAnswerer
from clinimem_eval.harness import bundle_files, limit_threads
from clinimem_eval.metrics import answer_correct
from clinimem_eval.questions import Question, generate_for_patients
from clinimem_eval.synth import generate

from clinimem.answer import ANSWER_KINDS, Answer
from clinimem.api import SYSTEMS, Clinimem, load_system
from clinimem.baselines.reading import question_kind
from clinimem.memory.store import release_shared_store, shared_store


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Iterator[tuple[Clinimem, list[Question]]]:
    from clinimem.ingest.load import load_sources

    folder = tmp_path_factory.mktemp("baselines")
    generate(4, seed=0, out_dir=folder / "patients")
    bundles = bundle_files(folder / "patients")
    location = str(folder / "store")
    load_sources([str(p) for p in bundles], store_location=location)
    store = shared_store(location)
    previous = limit_threads(1)  # one question at a time: as the harness measures it
    yield Clinimem(store), generate_for_patients(bundles, seed=0, per_patient=15)
    limit_threads(previous)
    release_shared_store(store)


def _check_contract(engine: Clinimem, answer: Answer, question: Question) -> None:
    data = json.loads(json.dumps(answer.to_dict()))
    assert Answer.from_dict(data).to_dict() == data
    assert answer.answer.kind in ANSWER_KINDS
    assert answer.patient_id == question.patient_id and answer.question == question.question
    if answer.abstained:
        assert answer.answer.kind == "none" and not answer.citations
    stored = {e.entry_id for e in engine.memory(question.patient_id).entries}
    assert {c.entry_id for c in answer.citations} <= stored  # every citation points at a stored entry


@pytest.mark.parametrize("name", ["dense", "bm25"])
def test_retrieval_baselines_answer_through_the_contract(loaded, name):
    engine, questions = loaded
    assert name in SYSTEMS
    right = 0
    for question in questions:
        answer = engine.ask(question.patient_id, question.question, system=name)
        _check_contract(engine, answer, question)
        assert answer.system == name and answer.timing_ms["total"] > 0
        right += answer_correct(question.answer, answer)
    assert 0 < right < len(questions)  # a baseline: some right, far from all


def test_dense_reads_the_latest_of_equal_hits(loaded):
    engine, questions = loaded
    latest = [q for q in questions if q.template == "last_value"]
    assert latest
    system = load_system("dense", engine.store)
    for question in latest:
        memory = engine.memory(question.patient_id)
        answer = system.answer(memory, question.question)
        top = answer.citations[0]
        same = [
            e
            for e in memory.entries
            if e.concept == next(x for x in memory.entries if x.entry_id == top.entry_id).concept
        ]
        assert top.time == max(e.time for e in same)


def test_oracle_is_the_upper_bound(loaded):
    engine, questions = loaded
    oracle = OracleAnswerer(engine.store, questions)
    for question in questions:
        answer = oracle.answer(engine.memory(question.patient_id), question.question)
        _check_contract(engine, answer, question)
        assert answer_correct(question.answer, answer), question
        assert sorted({c.resource for c in answer.citations}) == question.evidence
    unknown = oracle.answer(engine.memory(questions[0].patient_id), "a question it was not given")
    assert unknown.abstained


def test_question_kind_rule():
    assert question_kind("What was her most recent HbA1c?") == "value"
    assert question_kind("When was metformin first prescribed?") == "date"
    assert question_kind("How many visits did she have in 2019?") == "count"
    assert question_kind("Is she still taking lisinopril?") == "boolean"
    assert question_kind("Which medications were prescribed on 2014-01-16?") == "list"
    assert question_kind("How has his eGFR changed since starting lisinopril?") == "trend"
    assert question_kind("Is her HbA1c increasing, decreasing or stable over the last 3 results?") == "trend"


def test_pipelines_are_haystack_pipelines_that_serialise():
    from clinimem.baselines.bm25 import build_bm25_pipeline
    from clinimem.baselines.dense import build_dense_pipeline

    for pipeline, component in (
        (build_dense_pipeline(), "DenseMemoryRetriever"),
        (build_bm25_pipeline(), "BM25MemoryRetriever"),
    ):
        yaml = pipeline.dumps()
        assert f"clinimem.baselines.components.{component}" in yaml
        assert "clinimem.baselines.components.RuleReader" in yaml


def test_unknown_patient_fails_fast(loaded):
    from clinimem.errors import UnknownPatientError

    engine, _ = loaded
    with pytest.raises(UnknownPatientError):
        engine.ask("no-such-patient", "What was her last HbA1c?", system="bm25")


def test_bundle_files_skip_truth_and_manifest(tmp_path: Path):
    for name in ("a.json", "a.truth.json", "manifest.json"):
        (tmp_path / name).write_text("{}")
    assert [p.name for p in bundle_files(tmp_path)] == ["a.json"]

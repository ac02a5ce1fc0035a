"""``clinimem eval`` end to end on a few patients: files, report, scores, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from clinimem_eval.harness import EvalConfig, run_eval
from clinimem_eval.questions import read_jsonl

from clinimem.cli import main

pytestmark = pytest.mark.slow  # the whole harness on real and synthetic patients


@pytest.fixture(scope="module")
def run(tmp_path_factory, synthea_dir):
    out = tmp_path_factory.mktemp("eval-run")
    real = out / "synthea"
    real.mkdir()
    for path in sorted(synthea_dir.glob("*.json"))[:2]:
        shutil.copy(path, real / path.name)
    config = EvalConfig(
        out=out,
        patients=4,
        seed=0,
        systems=("dense", "bm25", "oracle"),
        split="all",
        synthea=real,
        progress=False,
    )
    return run_eval(config)


def test_every_file_is_written(run):
    out = run.config.out
    for name in ("report.md", "results.jsonl", "questions.jsonl", "questions_synthea.jsonl"):
        assert (out / name).stat().st_size > 0
    for name in ("accuracy_by_category.png", "latency.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list((out / "patients").glob("*.truth.json"))) == 4
    assert (out / "store").is_dir()


def test_results_one_line_per_question_per_system(run):
    out = run.config.out
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    n_questions = len(read_jsonl(out / "questions.jsonl")) + len(read_jsonl(out / "questions_synthea.jsonl"))
    assert len(lines) == 3 * n_questions
    assert {line["system"] for line in lines} == {"dense", "bm25", "oracle"}
    assert {line["section"] for line in lines} == {"synthetic", "synthea"}
    first = lines[0]
    assert set(first["scores"]) >= {"correct", "citation_f1", "latency_ms", "abstained"}
    assert first["answer"]["answer"]["kind"] and first["gold"]["kind"]
    assert not any(line["error"] for line in lines)


def test_oracle_scores_perfectly_and_report_has_tables(run):
    for section in ("synthetic", "synthea"):
        oracle = run.of(section, "oracle")
        assert oracle and all(r.score.correct and r.score.f1 == 1.0 for r in oracle)
    report = (run.config.out / "report.md").read_text()
    assert "## Synthetic patients" in report and "## Real Synthea bundles" in report
    assert "| category | n | dense acc | bm25 acc | oracle acc |" in report
    for category in ("lookup", "temporal", "multihop", "trend", "aggregation", "update", "abstention"):
        assert f"| {category} |" in report
    assert "p95 ms" in report


def test_split_test_scores_only_test_questions(tmp_path: Path, run):
    from clinimem_eval.synth import generate

    generate(6, seed=0, out_dir=tmp_path / "patients")  # a folder left by a larger run
    # reuse the loaded store of the first run: no second load
    config = EvalConfig(
        out=tmp_path,
        patients=4,
        systems=("oracle",),
        split="test",
        store=run.config.out / "store",
        progress=False,
    )
    result = run_eval(config)
    scored = result.of("synthetic", "oracle")
    assert scored and all(r.question.split == "test" for r in scored)
    assert len(scored) == sum(q.split == "test" for q in result.questions["synthetic"])
    assert len({q.patient_id for q in result.questions["synthetic"]}) == 4


def test_cli(tmp_path: Path, run, capsys):
    code = main(
        [
            "eval",
            "--patients",
            "3",
            "--systems",
            "bm25,oracle",
            "--split",
            "all",
            "--per-patient",
            "5",
            "--out",
            str(tmp_path),
            "--no-progress",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "synthetic bm25" in printed and "synthetic oracle" in printed and "report:" in printed
    assert (tmp_path / "report.md").exists()


def test_cli_refuses_a_missing_system(tmp_path: Path, run, capsys):
    code = main(["eval", "--patients", "1", "--systems", "nonesuch", "--out", str(tmp_path), "--no-progress"])
    assert code == 1
    assert "unknown answering system" in capsys.readouterr().err

"""Screening jobs on a real embedded store and real MiniLM: in-process, worker processes, outputs, failures."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import pytest
from conftest import NEAREST, Cohort

from clinimem.screen import MET, UNKNOWN, ScreenJob, load_criteria, read_patient_file, run_job

MACHINERY = """
name: machinery
criteria:
  ldl:
    question: Cholesterol in LDL
    expect: value > 190 mg/dL
  hba1c:
    question: Hemoglobin A1c
    expect: value > 9%
  broken:
    question: Anything
    expect: value >>> 3
flag: ldl or hba1c
"""
UNKNOWN_PATIENT = "no-such-patient"


@pytest.fixture
def machinery(tmp_path: Path):  # noqa: ANN201
    path = tmp_path / "machinery.yaml"
    path.write_text(MACHINERY)
    return load_criteria(path)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_in_process_rows_failures_and_logs(
    planted: Cohort, machinery, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "rows.jsonl"
    ids = [*planted.ids, UNKNOWN_PATIENT]
    job = ScreenJob(machinery, out, system=NEAREST, patients=tuple(ids), store=planted.store)
    with caplog.at_level(logging.INFO):
        summary = run_job(job)
    assert summary.complete and summary.screened == len(ids)
    rows = {r["patient_id"]: r for r in read_jsonl(out)}
    assert list(rows) == ids  # in-process: the input order

    # An unknown patient is a row with its error, and the job went on.
    missing = rows[UNKNOWN_PATIENT]
    assert missing["verdict"] == UNKNOWN and "[unknown-patient]" in missing["error"]
    # A criterion that does not parse is unknown in every row, with its error; the others ran.
    ada = rows[planted.by_name("Ada Lovell").patient_id]
    assert ada["criteria"]["broken"]["verdict"] == UNKNOWN
    assert "does not parse" in ada["criteria"]["broken"]["error"]
    assert ada["criteria"]["ldl"]["verdict"] == MET and ada["verdict"] == MET
    planted_ldl = planted.by_name("Ada Lovell").series["LDL cholesterol"][-1][0]
    assert ada["criteria"]["ldl"]["citations"] == [planted_ldl]
    assert ada["criteria"]["ldl"]["value"] == 212.0
    cora = rows[planted.by_name("Cora Lindqvist").patient_id]
    assert cora["criteria"]["ldl"]["verdict"] == "not met"

    # No patient data in the log at INFO and above.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "does not parse" in logged or "broken" in logged
    for pid in ids:
        assert pid not in logged
    assert "212" not in logged


def test_rerun_skips_what_is_written(planted: Cohort, machinery, tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    first = ScreenJob(machinery, out, system=NEAREST, patients=tuple(planted.ids[:4]), store=planted.store)
    run_job(first)
    before = out.read_text()
    summary = run_job(
        ScreenJob(machinery, out, system=NEAREST, patients=tuple(planted.ids), store=planted.store)
    )
    assert summary.resumed == 4 and summary.screened == len(planted.ids) - 4
    after = out.read_text()
    assert after.startswith(before)
    assert len(read_jsonl(out)) == len(planted.ids)


def test_workers_write_the_same_rows(planted: Cohort, machinery, tmp_path: Path) -> None:
    local = tmp_path / "local.jsonl"
    pooled = tmp_path / "pooled.jsonl"
    run_job(ScreenJob(machinery, local, system=NEAREST, store=planted.store))
    summary = run_job(ScreenJob(machinery, pooled, system=NEAREST, store=planted.store, workers=2))
    assert summary.screened == len(planted.ids)
    by_id = {r["patient_id"]: r for r in read_jsonl(local)}
    assert {r["patient_id"]: r for r in read_jsonl(pooled)} == by_id


def test_csv_and_parquet_hold_the_jsonl_rows(planted: Cohort, machinery, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    ids = tuple(planted.ids[:5])
    run_job(ScreenJob(machinery, tmp_path / "rows.jsonl", system=NEAREST, patients=ids, store=planted.store))
    run_job(ScreenJob(machinery, tmp_path / "rows.csv", system=NEAREST, patients=ids, store=planted.store))
    run_job(
        ScreenJob(machinery, tmp_path / "rows.parquet", system=NEAREST, patients=ids, store=planted.store)
    )
    rows = read_jsonl(tmp_path / "rows.jsonl")
    with open(tmp_path / "rows.csv", newline="") as f:
        table = list(csv.DictReader(f))
    parquet = pq.read_table(tmp_path / "rows.parquet").to_pylist()
    assert [r["patient_id"] for r in table] == [r["patient_id"] for r in parquet] == list(ids)
    for row, flat, pq_row in zip(rows, table, parquet, strict=True):
        assert flat["verdict"] == pq_row["verdict"] == row["verdict"]
        cited = row["criteria"]["ldl"]["citations"]
        assert flat["ldl.citations"] == ";".join(cited)
        assert pq_row["ldl.citations"] == cited
    assert (tmp_path / "rows.csv.journal.jsonl").exists()


def test_patient_file(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("# cohort A\nPatient/a1\n\na2  # second\na1\n")
    assert read_patient_file(path) == ("a1", "a2")
    (tmp_path / "ids.json").write_text('["b1", "b2"]')
    assert read_patient_file(tmp_path / "ids.json") == ("b1", "b2")


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "workers"])
def test_a_failing_patient_is_reported_and_the_job_goes_on(
    planted: Cohort, machinery, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    victim = planted.by_name("Kai Brennan").patient_id
    monkeypatch.setenv("SCREEN_TEST_FAIL", victim)
    out = tmp_path / "rows.jsonl"
    summary = run_job(ScreenJob(machinery, out, system=NEAREST, store=planted.store, workers=workers))
    rows = {r["patient_id"]: r for r in read_jsonl(out)}
    assert summary.complete and len(rows) == len(planted.ids)
    for name in ("ldl", "hba1c"):
        assert rows[victim]["criteria"][name]["verdict"] == UNKNOWN
        assert "RuntimeError: planted failure" in rows[victim]["criteria"][name]["error"]
    assert rows[victim]["verdict"] == UNKNOWN
    others = [r for pid, r in rows.items() if pid != victim]
    assert all(r["criteria"]["ldl"]["error"] is None for r in others)


def test_a_worker_that_dies_costs_one_row(
    planted: Cohort, machinery, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    victim = planted.by_name("Kai Brennan").patient_id
    monkeypatch.setenv("SCREEN_TEST_DIE", victim)  # the worker answering this patient exits
    monkeypatch.setenv("SCREEN_TEST_PARENT", str(os.getpid()))
    out = tmp_path / "rows.jsonl"
    summary = run_job(ScreenJob(machinery, out, system=NEAREST, store=planted.store, workers=2))
    rows = {r["patient_id"]: r for r in read_jsonl(out)}
    assert summary.complete and len(rows) == len(planted.ids)
    assert (
        rows[victim]["verdict"] == UNKNOWN and "worker process died on this patient" in rows[victim]["error"]
    )
    # Patients that were in flight beside it were sent again and screened.
    assert all(r["error"] is None for pid, r in rows.items() if pid != victim)

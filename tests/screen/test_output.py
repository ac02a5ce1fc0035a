"""The journal survives a torn last line, refuses other criteria's rows, and tables are written from it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from clinimem.screen import CriterionResult, ScreenRow
from clinimem.screen.output import Journal, OutputError, journal_path, ordered_rows, write_table


def row(pid: str, verdict: str = "met", fingerprint: str = "f1") -> ScreenRow:
    results = (
        CriterionResult("ldl", verdict, "LDL 212 mg/dL", "value", 212.0, "mg/dL", False, ("Observation/1",)),
        CriterionResult("statin", "unknown", error="does not parse: x"),
    )
    return ScreenRow(pid, verdict, results, None, "controller", fingerprint)


def test_rows_round_trip_through_json() -> None:
    original = row("p1")
    assert ScreenRow.from_dict(json.loads(original.to_json())) == original


def test_journal_cuts_a_torn_last_line_and_resumes(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    journal = Journal(path, "f1")
    assert journal.recover() == {}
    journal.open()
    journal.append(row("p1"))
    journal.append(row("p2"))
    journal.append(row("p2"))  # a patient is written once
    journal.close()
    whole = path.read_bytes()
    assert whole.count(b"\n") == 2
    # The process died in the middle of writing the third row.
    path.write_bytes(whole + row("p3").to_json().encode()[:57])
    again = Journal(path, "f1")
    assert list(again.recover()) == ["p1", "p2"]
    assert path.read_bytes() == whole
    again.open()
    again.append(row("p3"))
    again.close()
    assert [json.loads(line)["patient_id"] for line in path.read_text().splitlines()] == ["p1", "p2", "p3"]


def test_journal_refuses_rows_of_other_criteria(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text(row("p1", fingerprint="other").to_json() + "\n")
    with pytest.raises(OutputError, match="other criteria"):
        Journal(path, "f1").recover()


def test_journal_reports_a_corrupt_middle_line(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text(row("p1").to_json() + "\nnot json\n" + row("p2").to_json() + "\n")
    with pytest.raises(OutputError, match="line 2"):
        Journal(path, "f1").recover()


def test_tables_are_written_in_job_order(tmp_path: Path) -> None:
    rows = {"p2": row("p2"), "p1": row("p1", "not met"), "p9": row("p9")}
    ordered = ordered_rows(rows, ["p1", "p2", "p3"])
    assert [r.patient_id for r in ordered] == ["p1", "p2", "p9"]
    out = tmp_path / "flags.csv"
    assert journal_path(out) == tmp_path / "flags.csv.journal.jsonl"
    write_table(out, ordered)
    with open(out, newline="") as f:
        records = list(csv.DictReader(f))
    assert [r["patient_id"] for r in records] == ["p1", "p2", "p9"]
    assert records[0]["ldl.citations"] == "Observation/1"
    assert records[0]["statin.error"] == "does not parse: x"
    assert json.loads(records[0]["ldl.value"]) == 212.0

    import pyarrow.parquet as pq

    write_table(tmp_path / "flags.parquet", ordered)
    table = pq.read_table(tmp_path / "flags.parquet").to_pylist()
    assert [r["verdict"] for r in table] == ["not met", "met", "met"]
    assert table[0]["ldl.citations"] == ["Observation/1"]

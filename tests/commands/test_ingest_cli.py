"""``clinimem ingest``, ``patients`` and ``timeline`` as a user runs them: separate processes, real files."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from fhir_samples import bad_folder, raw_resources_of, run_cli

from clinimem.memory.store import release_shared_store, shared_store

ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)$")


@dataclass(frozen=True)
class Ingested:
    folder: Path
    store: str
    rejects: Path
    expected: dict
    stdout: str


def table(stdout: str) -> dict[str, tuple[int, int, int]]:
    """The totals table printed by ``clinimem ingest``: type -> (seen, loaded, rejected)."""
    rows = {}
    for line in stdout.splitlines():
        match = ROW.match(line.strip())
        if match:
            rows[match[1]] = (int(match[2]), int(match[3]), int(match[4]))
    return rows


@pytest.fixture(scope="module")
def ingested(synthea_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    root = tmp_path_factory.mktemp("cli")
    folder, store, rejects = root / "in", str(root / "store"), root / "rej.jsonl"
    expected = bad_folder(folder, synthea_dir)
    proc = run_cli("ingest", str(folder), "--store", store, "--rejects", str(rejects), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    return Ingested(folder, store, rejects, expected, proc.stdout)


def test_ingest_prints_totals_that_add_up(ingested: Ingested) -> None:
    rows = table(ingested.stdout)
    total = rows.pop("total")
    loaded, rejected = ingested.expected["loaded"], ingested.expected["rejected"]
    assert set(rows) == set(loaded) | set(rejected)
    for rtype, (seen, n_loaded, n_rejected) in rows.items():
        assert (n_loaded, n_rejected) == (loaded[rtype], rejected[rtype]), rtype
        assert seen == n_loaded + n_rejected
    assert total == (
        sum(loaded.values()) + sum(rejected.values()),
        sum(loaded.values()),
        sum(rejected.values()),
    )
    codes = ingested.expected["codes"]
    assert (
        "rejected: fhir-invalid 1, out-of-scope {}, unknown-type 1, unreadable 1".format(
            codes["out-of-scope"]
        )
        in ingested.stdout
    )
    assert f"{sum(loaded.values())} resources added, 0 updated, 0 unchanged" in ingested.stdout
    assert f"rejects written to {ingested.rejects}" in ingested.stdout


def test_rejects_file_explains_every_reject(ingested: Ingested) -> None:
    lines = [json.loads(line) for line in ingested.rejects.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == sum(ingested.expected["rejected"].values())
    assert Counter(r["code"] for r in lines) == Counter(ingested.expected["codes"])
    by_code = {r["code"]: r for r in lines if r["code"] != "out-of-scope"}
    assert by_code["unreadable"]["source"] == str(ingested.folder / "truncated.json")
    assert by_code["unreadable"]["resource_type"] is None
    bad = by_code["fhir-invalid"]
    assert (bad["source"], bad["entry"]) == (str(ingested.folder / "wrong-type.json"), 2)
    assert (bad["resource_type"], bad["resource_id"]) == ("Observation", "obs-bad")
    assert bad["path"] == "$.entry[2].resource.valueQuantity.value"
    assert "seven point nine" in bad["reason"]
    typo = by_code["unknown-type"]
    assert (typo["resource_type"], typo["entry"]) == ("Observatoin", 1)
    for reject in lines:
        assert reject["reason"] and reject["source"]
        if reject["code"] == "out-of-scope":
            assert reject["resource_type"] in (
                "Claim",
                "ExplanationOfBenefit",
                "Organization",
                "Practitioner",
            )


def test_second_ingest_changes_nothing(ingested: Ingested) -> None:
    proc = run_cli("ingest", str(ingested.folder), "--store", ingested.store, "--no-progress")
    assert proc.returncode == 0, proc.stderr
    loaded = sum(ingested.expected["loaded"].values())
    assert f"0 resources added, 0 updated, {loaded} unchanged" in proc.stdout
    assert "0 entries written, 0 deleted; 0 new concepts embedded" in proc.stdout
    assert table(proc.stdout) == table(ingested.stdout)
    # Without --rejects the problems are printed (billing types are not: they are expected).
    assert "rejected Observation/obs-bad [fhir-invalid]" in proc.stdout
    assert "[unreadable]" in proc.stdout and "[out-of-scope]" not in proc.stdout


def test_patients_lists_who_is_in_memory(ingested: Ingested) -> None:
    proc = run_cli("patients", "--store", ingested.store)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "4 patients"
    assert any(line.startswith("bad-p  Bea Broken  female  born 1960-04-01  2 entries") for line in lines)
    assert any(line.startswith("typo-p  Tom Typo  ") for line in lines)

    as_json = run_cli("patients", "--store", ingested.store, "--json")
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    good_ids = {
        r["id"]
        for p in ingested.expected["good"]
        for _, r in raw_resources_of(p)
        if r["resourceType"] == "Patient"
    }
    assert {r["patient_id"] for r in records} == good_ids | {"bad-p", "typo-p"}


def test_timeline_prints_visits_in_order(ingested: Ingested) -> None:
    raw = [r for _, r in raw_resources_of(ingested.expected["good"][0])]
    (patient_id,) = [r["id"] for r in raw if r["resourceType"] == "Patient"]
    starts = sorted(r["period"]["start"][:10] for r in raw if r["resourceType"] == "Encounter")

    proc = run_cli("timeline", "--patient", patient_id, "--store", ingested.store)
    assert proc.returncode == 0, proc.stderr
    headers = [line for line in proc.stdout.splitlines() if line.startswith("visit ")]
    assert [int(h.split()[1]) for h in headers] == list(range(1, len(starts) + 1))
    assert [h.split()[2] for h in headers] == starts
    assert proc.stdout.startswith("no visit\n")  # the patient's own entry is tied to no visit
    dates = re.findall(r"^  (\d{4}-\d{2}-\d{2})  ", proc.stdout, flags=re.MULTILINE)
    assert dates[1:] == sorted(dates[1:])  # after the birth date, everything in time order

    labs = run_cli(
        "timeline", "--patient", patient_id, "--store", ingested.store, "--kind", "observation", "--json"
    )
    kinds = Counter(json.loads(line)["kind"] for line in labs.stdout.splitlines())
    assert set(kinds) == {"encounter", "observation"}
    assert kinds["observation"] == sum(
        1 + len(r.get("component") or []) for r in raw if r["resourceType"] == "Observation"
    )

    missing = run_cli("timeline", "--patient", "nobody", "--store", ingested.store)
    assert missing.returncode == 1
    assert "[unknown-patient]" in missing.stderr and "clinimem patients" in missing.stderr


def test_old_fhir_version_is_refused_with_its_name(other_versions_dir: Path, tmp_path: Path) -> None:
    proc = run_cli(
        "ingest",
        str(other_versions_dir / "stu3_patient_bundle.json"),
        "--store",
        str(tmp_path / "s"),
        "--no-progress",
    )
    assert proc.returncode == 4, proc.stderr  # nothing was loaded (issue 15)
    # one reject for the bundle; each of its 206 resources counted as rejected under its type
    assert table(proc.stdout)["total"] == (206, 0, 206)
    assert "rejected: fhir-version 206" in proc.stdout
    assert "[fhir-version]" in proc.stdout and "this is FHIR STU3" in proc.stdout
    assert "clinimem reads R4/R4B only" in proc.stdout


def test_a_locked_store_fails_fast_with_a_hint(ingested: Ingested) -> None:
    store = shared_store(ingested.store)
    store.count()  # this process now holds the folder's lock
    try:
        for command in ("patients", "ingest"):
            args = (
                [ingested.store]
                if command == "patients"
                else [ingested.store, str(ingested.folder), "--no-progress"]
            )
            proc = run_cli(command, "--store", *args)
            assert proc.returncode == 1, proc.stdout
            (message,) = [line for line in proc.stderr.splitlines() if line.startswith("clinimem ")]
            assert message.startswith(
                f"clinimem {command}: [store-locked] the store is open in another process"
            )
            assert ingested.store in message and "--qdrant-url" in message
            assert "PipelineRuntimeError" not in proc.stderr
            assert proc.stdout == ""  # failed before reading any source: no totals
    finally:
        release_shared_store(store)

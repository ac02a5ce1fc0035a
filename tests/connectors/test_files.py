"""File connectors end to end: Synthea bundles, bad files rejected one by one, NDJSON, directory walk."""

from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from clinimem_connectors.bundle import read_json_file
from clinimem_connectors.ndjson import iter_ndjson_lines, read_ndjson
from clinimem_connectors.report import FILE_ROW, LoadReport
from clinimem_connectors.sources import iter_files, iter_sources

from clinimem.fhir.resource import Origin, Reject, SourcedResource

SYNTHEA_TYPES = {
    "Observation": 3426,
    "Claim": 781,
    "Encounter": 636,
    "ExplanationOfBenefit": 636,
    "Procedure": 447,
    "Immunization": 305,
    "DiagnosticReport": 239,
    "Condition": 151,
    "MedicationRequest": 145,
    "CarePlan": 71,
    "Goal": 51,
    "Organization": 35,
    "Practitioner": 35,
    "AllergyIntolerance": 30,
    "Patient": 23,
    "ImagingStudy": 12,
}


def _references(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def _patient(pid: str = "p1") -> dict:
    return {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1960-04-01"}


def _observation(oid: str, value: object = 7.9, subject: str = "Patient/p1") -> dict:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}], "text": "HbA1c"},
        "subject": {"reference": subject},
        "valueQuantity": {"value": value, "unit": "%"},
    }


def _bundle(*resources: dict) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['id']}",
                "resource": r,
                "request": {"method": "POST", "url": r["resourceType"]},
            }
            for r in resources
        ],
    }


def _write(path: Path, obj: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def test_all_synthea_bundles_load_without_rejects(synthea_dir: Path) -> None:
    report = LoadReport()
    patients_by_file: Counter[str] = Counter()
    unresolved = []
    for item in iter_sources([synthea_dir]):
        report.add(item)
        if isinstance(item, SourcedResource):
            if item.resource_type == "Patient":
                patients_by_file[item.origin.source] += 1
            unresolved.extend(r for r in _references(item.data) if r.startswith("urn:uuid:"))
    assert report.rejects == []
    assert dict(report.loaded) == SYNTHEA_TYPES
    for rtype, seen in report.seen.items():
        assert seen == report.loaded[rtype] + report.rejected[rtype]
    assert report.total_seen == 7023
    assert len(patients_by_file) == 23 and set(patients_by_file.values()) == {1}
    assert unresolved == []  # every urn:uuid: fullUrl reference became Type/id


def test_synthea_subject_points_at_the_bundle_patient(synthea_dir: Path) -> None:
    path = sorted(synthea_dir.glob("*.json"))[0]
    items = list(read_json_file(path))
    (patient,) = [i for i in items if i.resource_type == "Patient"]
    subjects = {i.data["subject"]["reference"] for i in items if "subject" in i.data}
    assert subjects == {patient.ref}


@pytest.mark.parametrize(("name", "version"), [("stu3", "STU3"), ("dstu2", "DSTU2")])
def test_old_version_files_are_refused_whole(other_versions_dir: Path, name: str, version: str) -> None:
    path = other_versions_dir / f"{name}_patient_bundle.json"
    items = list(read_json_file(path))
    assert len(items) == 1
    (reject,) = items
    assert isinstance(reject, Reject)
    assert reject.code == "fhir-version"
    assert f"FHIR {version}" in reject.reason
    assert str(path) in reject.reason


def test_bad_files_are_rejected_one_by_one_while_the_directory_loads(
    synthea_dir: Path, other_versions_dir: Path, tmp_path: Path
) -> None:
    good = sorted(synthea_dir.glob("*.json"))[:2]
    for src in good:
        shutil.copy(src, tmp_path / src.name)
    n_good = sum(len(json.loads(src.read_bytes())["entry"]) for src in good)

    # A bundle cut off in the middle of a copy.
    text = json.dumps(_bundle(_patient("t1"), _observation("t-o1", subject="urn:uuid:t1")), indent=1)
    (tmp_path / "truncated.json").write_text(text[: len(text) // 2], encoding="utf-8")
    # A valid bundle with one wrong value type and one unknown resource type among good entries.
    _write(
        tmp_path / "mixed.json",
        _bundle(
            _patient("m1"),
            _observation("m-ok", subject="urn:uuid:m1"),
            _observation("m-bad", value="abc", subject="urn:uuid:m1"),
            {"resourceType": "Spaceship", "id": "m-x"},
        ),
    )
    # An STU3 export next to the R4 ones.
    (tmp_path / "nested").mkdir()
    shutil.copy(other_versions_dir / "stu3_patient_bundle.json", tmp_path / "nested" / "stu3.json")

    report = LoadReport()
    for item in iter_sources([tmp_path]):
        report.add(item)

    assert report.total_loaded == n_good + 2  # the two bundles, plus Patient/m1 and Observation/m-ok
    by_code = {(r.code, Path(r.origin.source).name) for r in report.rejects}
    expected = {
        ("unreadable", "truncated.json"),
        ("fhir-invalid", "mixed.json"),
        ("unknown-type", "mixed.json"),
        ("fhir-version", "stu3.json"),
    }
    assert by_code == expected
    assert len(report.rejects) == len(expected)

    (truncated,) = [r for r in report.rejects if r.code == "unreadable"]
    assert "line" in truncated.reason and "column" in truncated.reason
    assert truncated.resource_type is None
    assert report.rejected[FILE_ROW] == 1
    (invalid,) = [r for r in report.rejects if r.code == "fhir-invalid"]
    assert invalid.ref == "Observation/m-bad"
    assert invalid.path == "$.entry[2].resource.valueQuantity.value"
    for rtype, seen in report.seen.items():
        assert seen == report.loaded[rtype] + report.rejected[rtype]


def _ndjson_lines() -> list[str]:
    return [
        json.dumps(_patient("p1")),
        json.dumps(_observation("o1")),
        "",  # blank lines hold nothing and are not counted
        '{"resourceType": "Observation", "id": "o2", "status": "fin',  # cut-off line
        json.dumps(_observation("o3", value="abc")),
        json.dumps(_observation("o4")),
    ]


@pytest.mark.parametrize("name", ["export.ndjson", "export.ndjson.gz", "export.jsonl"])
def test_ndjson_file_with_bad_lines(tmp_path: Path, name: str) -> None:
    data = ("\n".join(_ndjson_lines()) + "\n").encode("utf-8")
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)

    items = list(iter_sources([path]))
    loaded = [i for i in items if isinstance(i, SourcedResource)]
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [i.ref for i in loaded] == ["Patient/p1", "Observation/o1", "Observation/o4"]
    assert [i.origin.line for i in loaded] == [1, 2, 6]
    assert [(r.code, r.origin.line) for r in rejects] == [("unreadable", 4), ("fhir-invalid", 5)]
    assert "column" in rejects[0].reason
    assert f"{path}:4" in rejects[0].reason
    assert rejects[1].ref == "Observation/o3"
    assert rejects[1].path == "$.valueQuantity.value"
    assert loaded[1].data["subject"] == {"reference": "Patient/p1"}


def test_iter_ndjson_lines_takes_str_and_bytes() -> None:
    lines = [
        json.dumps(_patient("p1")).encode(),
        json.dumps(_observation("o1")) + "\n",
        b"\xff\xfe",
        b"[1, 2]",
    ]
    items = list(iter_ndjson_lines(lines, "https://server/export/1.ndjson"))
    assert [type(i).__name__ for i in items] == ["SourcedResource", "SourcedResource", "Reject", "Reject"]
    assert items[0].origin == Origin("https://server/export/1.ndjson", line=1)
    assert "UTF-8" in items[2].reason
    assert "not a resource object" in items[3].reason


def test_ndjson_stream_of_another_version_is_refused_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    old = {
        "resourceType": "Condition",
        "id": "c",
        "clinicalStatus": "active",
        "subject": {"reference": "Patient/1"},
    }
    # The Patient looks like R4, the Condition shows STU3: nothing of the stream loads (issue 15).
    items = list(iter_ndjson_lines([json.dumps(_patient()), json.dumps(old)], "x.ndjson"))
    assert len(items) == 1
    assert isinstance(items[0], Reject) and items[0].code == "fhir-version"
    assert "FHIR STU3" in items[0].reason and "line 2" in items[0].reason

    # Past the lines sniffed first, a line of another version is still rejected on its own.
    import clinimem_connectors.ndjson as ndjson_module

    monkeypatch.setattr(ndjson_module, "SNIFF_LINES", 1)
    items = list(iter_ndjson_lines([json.dumps(_patient()), json.dumps(old)], "x.ndjson"))
    assert isinstance(items[0], SourcedResource)
    assert isinstance(items[1], Reject) and items[1].code == "fhir-version"
    assert items[1].origin.line == 2


def test_ndjson_line_holding_a_bundle_yields_its_entries() -> None:
    line = json.dumps(_bundle(_patient("b1"), _observation("b-o", subject="urn:uuid:b1")))
    items = list(iter_ndjson_lines(["", line], "x.ndjson"))
    assert [(i.ref, i.origin.line, i.origin.entry) for i in items] == [
        ("Patient/b1", 2, 0),
        ("Observation/b-o", 2, 1),
    ]
    assert items[1].data["subject"] == {"reference": "Patient/b1"}


def test_truncated_gzip_loads_what_it_can_and_reports_the_break(tmp_path: Path) -> None:
    lines = [json.dumps(_observation(f"o{i}")) for i in range(2000)]
    blob = gzip.compress("\n".join(lines).encode())
    path = tmp_path / "cut.ndjson.gz"
    path.write_bytes(blob[: len(blob) // 2])
    items = list(read_ndjson(path))
    rejects = [i for i in items if isinstance(i, Reject)]
    assert rejects and rejects[-1].code == "unreadable"
    assert "download it again" in rejects[-1].reason
    assert sum(isinstance(i, SourcedResource) for i in items) > 0


def test_directory_walk_is_recursive_sorted_and_reports_unknown_files(tmp_path: Path) -> None:
    _write(tmp_path / "b" / "z.json", _patient("z"))
    _write(tmp_path / "b" / "a.json", _patient("a"))
    _write(tmp_path / "a.json", _patient("top"))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "d.ndjson").write_text(json.dumps(_patient("nd")) + "\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not FHIR", encoding="utf-8")
    _write(tmp_path / ".hidden" / "x.json", _patient("hidden"))
    (tmp_path / ".DS_Store").write_bytes(b"\0")

    files = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]
    assert files == ["a.json", "notes.txt", "b/a.json", "b/z.json", "c/d.ndjson"]

    items = list(iter_sources([tmp_path, tmp_path / "missing.json"]))
    loaded = [i.ref for i in items if isinstance(i, SourcedResource)]
    assert loaded == ["Patient/top", "Patient/a", "Patient/z", "Patient/nd"]
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [(Path(r.origin.source).name, r.code) for r in rejects] == [
        ("notes.txt", "unreadable"),
        ("missing.json", "unreadable"),
    ]
    assert "no such file" in rejects[1].reason
    assert list(iter_sources([tmp_path])) == list(iter_sources([tmp_path]))  # deterministic


def test_json_file_with_several_documents_points_to_ndjson(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text(json.dumps(_patient("a")) + "\n" + json.dumps(_patient("b")), encoding="utf-8")
    (reject,) = read_json_file(path)
    assert reject.code == "unreadable"
    assert "line 2 column 1" in reject.reason
    assert ".ndjson" in reject.reason


def test_load_report_takes_rejects_from_later_stages(tmp_path: Path) -> None:
    report = LoadReport()
    report.add_loaded("Observation", 3)
    report.add_reject(Reject(Origin("b.json", entry=4), "out-of-scope", "Claim is billing", "Claim", "c1"))
    report.add_reject(Reject(Origin("b.json", entry=5), "no-patient", "no subject", "Observation", "o9"))
    report.add_reject(Reject(Origin("bad.json"), "unreadable", "cut off"))
    assert report.seen == Counter({"Observation": 4, "Claim": 1, FILE_ROW: 1})
    assert (report.total_seen, report.total_loaded, report.total_rejected) == (6, 3, 3)
    assert report.by_code() == Counter({"out-of-scope": 1, "no-patient": 1, "unreadable": 1})

    text = report.render()
    lines = text.splitlines()
    assert lines[0].split() == ["resource", "type", "seen", "loaded", "rejected"]
    assert lines[1].split() == [FILE_ROW, "1", "0", "1"]
    assert "Observation" in text and lines[-2].split() == ["total", "6", "3", "3"]
    assert lines[-1] == "rejected: no-patient 1, out-of-scope 1, unreadable 1"

    out = report.write_rejects(tmp_path / "out" / "rejects.jsonl")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["code"] for r in rows] == ["out-of-scope", "no-patient", "unreadable"]
    assert rows[0]["resource_type"] == "Claim" and rows[0]["entry"] == 4

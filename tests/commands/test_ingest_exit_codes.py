"""``clinimem ingest`` exit codes and messages (issue 15): never 0 for a total failure, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

from fhir_samples import run_cli

BAD = Path(__file__).resolve().parents[1] / "data" / "bad-input"


def _ingest(tmp_path: Path, *sources: str) -> tuple[int, str, str]:
    proc = run_cli("ingest", *sources, "--store", str(tmp_path / "store"), "--no-progress")
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def test_missing_source_exits_3_and_reads_nothing(tmp_path: Path) -> None:
    good = tmp_path / "in"
    good.mkdir()
    shutil.copy(BAD / "status-case.json", good)
    code, out, err = _ingest(tmp_path, str(good), str(tmp_path / "no-such-folder"))
    assert code == 3
    assert "no-such-folder: no such file or directory" in err
    assert "nothing was loaded" in err
    assert out == ""


def test_empty_ndjson_says_so_and_exits_4(tmp_path: Path) -> None:
    code, out, err = _ingest(tmp_path, str(BAD / "empty.ndjson"))
    assert code == 4
    assert "the file is empty" in out
    assert "nothing was loaded: no source could be read, or all were empty" in err


def test_folder_of_unreadable_files_exits_4(tmp_path: Path) -> None:
    folder = tmp_path / "junk"
    folder.mkdir()
    (folder / "a.json").write_text("{not json", encoding="utf-8")
    (folder / "b.ndjson").write_bytes(b"\xff\xfe garbage\n")
    (folder / "c.txt").write_text("hello", encoding="utf-8")
    code, out, err = _ingest(tmp_path, str(folder))
    assert code == 4
    assert "nothing was loaded: no source could be read, or all were empty" in err
    assert "unreadable" in out


def test_old_version_only_exits_4_naming_the_version(tmp_path: Path) -> None:
    code, out, _ = _ingest(tmp_path, str(BAD / "stu3-export.ndjson"))
    assert code == 4
    assert "FHIR STU3" in out


def test_bad_folder_loads_the_good_part_exits_0_and_shows_warnings(tmp_path: Path) -> None:
    code, out, err = _ingest(tmp_path, str(BAD))
    assert code == 0, err
    assert "warnings (loaded): id-assigned 1, implausible 4, normalised 5" in out
    assert "duplicate 5" in out and "unknown-patient 1" in out and "fhir-version 4" in out
    assert "  warning " in out  # warnings are listed, not only counted

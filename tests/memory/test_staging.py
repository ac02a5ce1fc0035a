"""A patient's memory changes all at once: staged loads, commit, rollback, and a process killed mid-load.

The store is written directly (mapped resources, fixed per-concept vectors), so
these tests need neither the encoder nor a pipeline.
"""

from __future__ import annotations

import textwrap
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fhir_samples import bp_panel, encounter, observation, patient, run_python, sourced

from clinimem.memory.entry import entry_id_for
from clinimem.memory.mappers import MappedResource, map_resource
from clinimem.memory.store import MemoryStore

OLD, NEW = "2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z"
BP_DIASTOLIC = entry_id_for("Observation/bp1", "$.component[1]")


def mapped(*resources: dict[str, Any]) -> list[MappedResource]:
    out = [map_resource(sourced(r)) for r in resources]
    assert all(isinstance(m, MappedResource) for m in out), out
    return out  # type: ignore[return-value]


def vectors(batch: list[MappedResource]) -> dict[str, np.ndarray]:
    """A fixed vector per concept (the same in every process)."""
    concepts = {e.concept for m in batch for e in m.entries}
    return {
        c: np.random.default_rng(zlib.crc32(c.encode())).standard_normal(384).astype(np.float32)
        for c in concepts
    }


def write(store: MemoryStore, *resources: dict[str, Any]) -> None:
    batch = mapped(*resources)
    store.write(batch, vectors(batch))


def version_1() -> list[dict[str, Any]]:
    return [
        patient(),
        encounter("e1", "2020-01-01T09:00:00+00:00"),
        bp_panel("bp1", 142.0, 91.0, encounter_id="e1", last_updated=OLD),
        observation("a1c", 7.9, encounter_id="e1", last_updated=OLD),
    ]


def version_2_parts() -> list[list[dict[str, Any]]]:
    """A newer record, in three batches: a changed panel (one component fewer), a new result, a new A1c."""
    return [
        [bp_panel("bp1", 150.0, None, encounter_id="e1", last_updated=NEW)],
        [observation("a1c-2", 8.1, time="2020-02-01T10:00:00+00:00", encounter_id="e1")],
        [observation("a1c", 8.4, encounter_id="e1", last_updated=NEW)],
    ]


def snapshot(store: MemoryStore) -> dict[str, Any]:
    """Everything a reader can see, and every stored point (payload and vector) of every collection."""

    def points(collection: str) -> dict[str, tuple[Any, Any]]:
        found, offset = {}, None
        while True:
            page, offset = store.client.scroll(
                collection, limit=256, offset=offset, with_payload=True, with_vectors=True
            )
            found.update({str(p.id): (p.payload, p.vector) for p in page})
            if offset is None:
                return found

    return {
        "patients": store.patients(),
        "entries": store.entries("p1"),
        "sources": {r: store.source_resource(r) for r in ("Observation/bp1", "Observation/a1c")},
        "stored": {c: points(c) for c in (store.entries_collection, store.patients_collection)},
        "open loads": (
            store.client.count(store.loads_collection).count,
            store.client.count(store.staging_collection).count,
        ),
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MemoryStore]:
    opened = MemoryStore(tmp_path / "store")
    yield opened
    opened.close()


def test_a_staged_load_is_invisible_until_it_commits(store) -> None:
    with store.staging():
        write(store, *version_1()[:2])
        write(store, *version_1()[2:])
        assert store.patients() == [] and store.patient("p1") is None and store.entries("p1") == []
        assert store.search(np.ones(384, dtype=np.float32), patient_id="p1") == []
    assert [p.patient_id for p in store.patients()] == ["p1"]
    assert store.patient("p1").entries == 6 and store.patient("p1").name
    assert store.client.count(store.loads_collection).count == 0


def test_a_reload_shows_the_old_version_until_it_commits_then_only_the_new(store) -> None:
    write(store, *version_1())
    before = snapshot(store)
    with store.staging():
        for part in version_2_parts():
            write(store, *part)
            seen = snapshot(store)
            assert (seen["patients"], seen["entries"], seen["sources"]) == (
                before["patients"],
                before["entries"],
                before["sources"],
            )
    after = {e.entry_id: e for e in store.entries("p1")}
    assert BP_DIASTOLIC not in after and BP_DIASTOLIC not in store.entry_ids()
    assert after[entry_id_for("Observation/bp1", "$.component[0]")].value == 150.0
    assert after[entry_id_for("Observation/a1c", "$")].value == 8.4
    assert after[entry_id_for("Observation/a1c-2", "$")].value == 8.1
    assert store.source_resource("Observation/a1c")["valueQuantity"]["value"] == 8.4
    assert store.patient("p1").entries == len(after) == store.count()
    assert snapshot(store)["open loads"] == (0, 0)

    # The same end state as writing the newer record in one go into a fresh store.
    fresh = MemoryStore(":memory:")
    write(fresh, *version_1())
    write(fresh, *[r for part in version_2_parts() for r in part])
    assert store.entries("p1") == fresh.entries("p1")
    assert (
        snapshot(store)["stored"][store.entries_collection]
        == snapshot(fresh)["stored"][fresh.entries_collection]
    )
    fresh.close()


def test_a_failed_load_leaves_the_previous_version_point_for_point(store) -> None:
    write(store, *version_1())
    before = snapshot(store)
    with pytest.raises(RuntimeError, match="page 3"), store.staging():
        for part in version_2_parts()[:2]:
            write(store, *part)
        write(store, patient("p2", given="Bo"))  # a second patient of the same failed load
        raise RuntimeError("page 3 failed")
    assert snapshot(store) == before
    assert [p.patient_id for p in store.patients()] == ["p1"]


def test_a_commit_inside_the_load_is_a_checkpoint(store) -> None:
    with pytest.raises(RuntimeError), store.staging():
        write(store, *version_1())
        assert store.commit() == 1
        write(store, patient("p2", given="Bo"), observation("x", 5.0, pid="p2"))
        raise RuntimeError("the second patient failed")
    assert [p.patient_id for p in store.patients()] == ["p1"]
    assert store.patient("p1").entries == 6 and store.count() == 6


def test_a_commit_that_breaks_after_the_manifest_is_finished_not_mixed(store, monkeypatch) -> None:
    write(store, *version_1())
    copy = MemoryStore._copy_staged
    calls = []

    def breaks_once(self: MemoryStore, ids) -> None:
        calls.append(len(ids))
        if len(calls) == 1:
            raise OSError("disk went away")
        copy(self, ids)

    monkeypatch.setattr(MemoryStore, "_copy_staged", breaks_once)
    with pytest.raises(OSError), store.staging():
        for part in version_2_parts():
            write(store, *part)
    # The manifest was out when it broke: the rollback rolled it forward instead.
    assert calls == [3, 3]
    values = {e.entry_id: e.value for e in store.entries("p1")}
    assert values[entry_id_for("Observation/a1c", "$")] == 8.4
    assert BP_DIASTOLIC not in store.entry_ids()
    assert snapshot(store)["open loads"] == (0, 0)


KILLED_MID_LOAD = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, "tests/memory"); sys.path.insert(0, "tests")
    from test_staging import write, version_1, version_2_parts
    from clinimem.memory.store import MemoryStore
    store = MemoryStore(sys.argv[1])
    if sys.argv[2] == "v1":
        write(store, *version_1())
        store.close()
        sys.exit(0)
    if sys.argv[2] == "publishing":
        def die(self, ids):
            os._exit(9)
        MemoryStore._copy_staged = die
    with store.staging():
        for n, part in enumerate(version_2_parts()):
            write(store, *part)
            if sys.argv[2] == "staging" and n == 1:
                os._exit(9)  # as kill -9: no rollback, no close
    """
)


@pytest.mark.parametrize(("dies", "expected_a1c"), [("staging", 7.9), ("publishing", 8.4)])
def test_a_load_killed_mid_way_is_settled_when_the_store_next_opens(tmp_path, dies, expected_a1c) -> None:
    location = str(tmp_path / "store")
    assert run_python(KILLED_MID_LOAD, location, "v1").returncode == 0
    reference = MemoryStore(location)
    before = snapshot(reference)
    reference.close()

    proc = run_python(KILLED_MID_LOAD, location, dies)
    assert proc.returncode == 9, proc.stderr
    reopened = MemoryStore(location)
    try:
        after = snapshot(reopened)
        assert after["open loads"] == (0, 0)
        values = {e.entry_id: e.value for e in reopened.entries("p1")}
        assert values[entry_id_for("Observation/a1c", "$")] == expected_a1c
        if dies == "staging":  # rolled back: exactly the first version, point for point
            assert after == before
        else:  # rolled forward: the whole newer version
            assert values[entry_id_for("Observation/a1c-2", "$")] == 8.1
            assert BP_DIASTOLIC not in reopened.entry_ids()
            assert reopened.patient("p1").entries == len(values) == reopened.count()
    finally:
        reopened.close()


def test_reads_in_the_writing_process_see_whole_versions_while_loads_publish(tmp_path: Path) -> None:
    """The owner process publishes other processes' loads while its page reads: never half a version.

    Publishing writes the manifest, then copies the staged contents over the entries it replaces
    (same ids), then deletes the dropped ones; a read that overlaps it must not keep a mix.
    """
    import threading

    store = MemoryStore(tmp_path / "store")
    write(store, *version_1())
    pid = version_1()[0]["id"]
    systolic = entry_id_for("Observation/bp1", "$.component[0]")
    done = threading.Event()
    problems: list[str] = []

    def read_loop() -> None:
        while not done.is_set():
            entries = {e.entry_id: e for e in store.entries(pid)}
            value = entries[systolic].value
            # 142/91 (two components) or 150/- (one): a mix is a wrong pair.
            if (value == 142.0) != (BP_DIASTOLIC in entries):
                problems.append(f"systolic {value} with diastolic {BP_DIASTOLIC in entries}")

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        for round_ in range(30):
            stamp = f"2020-03-{round_ + 1:02d}T00:00:00Z"
            if round_ % 2 == 0:
                write(store, bp_panel("bp1", 150.0, None, encounter_id="e1", last_updated=stamp))
            else:
                write(store, bp_panel("bp1", 142.0, 91.0, encounter_id="e1", last_updated=stamp))
    finally:
        done.set()
        reader.join()
    assert problems == []
    assert {e.entry_id: e.value for e in store.entries(pid)}[systolic] == 142.0
    store.close()

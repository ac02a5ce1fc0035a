"""One embedded store, several processes (issue 14): the page's process owns the folder, a screening
job and an ingest run beside it through that owner, and nothing is locked out or half-written.

Every process here is a real one: the owner is a Python process that opens the store and serves it
on loopback as ``clinimem serve`` does (without the page's Gradio, which the slow test in
``test_fast_cli.py`` starts for real); ``clinimem screen`` and ``clinimem ingest`` are the commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fhir_samples import REPO, bundle, encounter, observation, patient, run_cli, write_json

from clinimem.memory.entry import entry_id_for
from clinimem.memory.remote import RemoteStore
from clinimem.memory.store import MemoryStore
from clinimem.owner import OwnerServer, ask_owner, owner_file
from clinimem.settings import Settings

A, B = "mp-a", "mp-b"
QUESTION = "What was the most recent HbA1c?"
CRITERIA = """\
name: HbA1c above 7.5
criteria:
  hba1c:
    question: What was the most recent HbA1c?
    expect: value > 7.5
flag: hba1c
"""
# The owner: opens the store, serves it on loopback and holds it until its stdin closes.
OWNER = """\
import sys
from clinimem.api import Clinimem
from clinimem.memory.store import release_shared_store, shared_store
from clinimem.owner import OwnerServer

store = shared_store(sys.argv[1])
store.patients()
serve = sys.argv[2] == "serve"
owner = OwnerServer(Clinimem(store), sys.argv[1]).start() if serve else None
print("ready", flush=True)
sys.stdin.read()
if owner is not None:
    owner.close()
release_shared_store(store)
"""


@dataclass(frozen=True)
class Folder:
    root: Path
    store: str


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    """Patient A (one HbA1c, 7.1) in a store; B and A's newer HbA1c (8.2) wait in ``new/``."""
    write_json(
        tmp_path / "first" / "a.json",
        bundle(
            patient(A),
            encounter("ae1", "2019-01-10T09:00:00+00:00", pid=A),
            observation("ao1", 7.1, time="2019-01-10T09:30:00+00:00", encounter_id="ae1", pid=A),
        ),
    )
    write_json(
        tmp_path / "new" / "b.json",
        bundle(
            patient(B, given="Bea"),
            encounter("be1", "2019-05-10T09:00:00+00:00", pid=B),
            observation("bo1", 9.4, time="2019-05-10T09:30:00+00:00", encounter_id="be1", pid=B),
            observation("ao2", 8.2, time="2020-01-10T09:30:00+00:00", pid=A),
        ),
    )
    (tmp_path / "criteria.yaml").write_text(CRITERIA)
    store = str(tmp_path / "store")
    loaded = run_cli("ingest", str(tmp_path / "first"), "--store", store, "--no-progress")
    assert loaded.returncode == 0, loaded.stderr
    return Folder(tmp_path, store)


def start_owner(store: str, *, serve: bool = True) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", OWNER, store, "serve" if serve else "hold"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", proc.stderr.read() if proc.stderr else ""
    return proc


def start_serve(store: str) -> subprocess.Popen:
    """A real ``clinimem serve`` (Gradio page, owner channel) on a free loopback port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "clinimem.cli", "serve", "--store", store, "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    path = owner_file(store)
    while not (path.exists() and json.loads(path.read_text())["pid"] == proc.pid):
        assert proc.poll() is None, "clinimem serve ended"
        assert time.monotonic() < deadline, "clinimem serve wrote no owner file in 240 s"
        time.sleep(0.5)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    else:  # clinimem serve: Ctrl-C, as a user stops it
        import signal

        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(params=["owner", pytest.param("serve", marks=pytest.mark.slow)])
def owner(request: pytest.FixtureRequest, folder: Folder) -> Iterator[subprocess.Popen]:
    """The page's process: a plain owner process, and (slow) a real ``clinimem serve``."""
    proc = start_owner(folder.store) if request.param == "owner" else start_serve(folder.store)
    yield proc
    if proc.poll() is None:
        stop(proc)


def test_page_screening_and_ingest_at_once_on_one_embedded_store(folder: Folder, owner) -> None:
    settings = Settings(store=folder.store)
    cli = [sys.executable, "-m", "clinimem.cli"]
    screen = subprocess.Popen(
        [
            *cli,
            "screen",
            str(folder.root / "criteria.yaml"),
            "--store",
            folder.store,
            "--out",
            str(folder.root / "rows.jsonl"),
            "--no-progress",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ingest = subprocess.Popen(
        [*cli, "ingest", str(folder.root / "new"), "--store", folder.store, "--no-progress"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The page reads while both run: each read of A is one whole version, the old or the new.
    seen: set[tuple[str, ...]] = set()
    while screen.poll() is None or ingest.poll() is None:
        entries = ask_owner(settings, "timeline", {"patient_id": A})
        seen.add(tuple(sorted(e["resource"] for e in entries)))
        time.sleep(0.05)
    out, err = ingest.communicate()
    assert ingest.returncode == 0, err
    assert "4 resources added" in out
    out, err = screen.communicate()
    assert screen.returncode == 0, err
    old = ("Encounter/ae1", "Observation/ao1", "Patient/mp-a")
    new = ("Encounter/ae1", "Observation/ao1", "Observation/ao2", "Patient/mp-a")
    assert seen <= {old, new} and old in seen

    # The screening job read through the owner; each row answers from one version of its patient.
    rows = {
        r["patient_id"]: r for r in map(json.loads, (folder.root / "rows.jsonl").read_text().splitlines())
    }
    assert A in rows and set(rows) <= {A, B}
    a = rows[A]["criteria"]["hba1c"]
    assert rows[A]["error"] is None and (a["value"], a["citations"]) in [
        (7.1, ["Observation/ao1"]),
        (8.2, ["Observation/ao2"]),
    ]
    if B in rows:
        assert rows[B]["criteria"]["hba1c"]["citations"] == ["Observation/bo1"]

    # The writer's entries reached the page without a restart.
    listed = {p["patient_id"]: p["entries"] for p in ask_owner(settings, "patients")}
    assert listed == {A: 4, B: 3}
    answer = ask_owner(settings, "ask", {"patient_id": A, "question": QUESTION})
    assert answer["answer"]["value"] == 8.2 and answer["citations"][0]["resource"] == "Observation/ao2"
    again = run_cli(
        "screen",
        str(folder.root / "criteria.yaml"),
        "--store",
        folder.store,
        "--out",
        str(folder.root / "after.jsonl"),
        "--no-progress",
    )
    assert again.returncode == 0, again.stderr
    after = {
        r["patient_id"]: r for r in map(json.loads, (folder.root / "after.jsonl").read_text().splitlines())
    }
    assert after[A]["criteria"]["hba1c"]["value"] == 8.2 and after[B]["criteria"]["hba1c"]["value"] == 9.4

    # Every entry is there once the owner has stopped, and nothing is left staged.
    stop(owner)
    assert not owner_file(folder.store).exists()
    store = MemoryStore(folder.store, create=False)
    try:
        expected = {
            entry_id_for(ref, "$")
            for ref in (
                f"Patient/{A}",
                "Encounter/ae1",
                "Observation/ao1",
                "Observation/ao2",
                f"Patient/{B}",
                "Encounter/be1",
                "Observation/bo1",
            )
        }
        assert store.entry_ids() == expected
        assert [e.resource for e in store.entries(B)] == ["Patient/mp-b", "Encounter/be1", "Observation/bo1"]
        assert store.client.count(store.loads_collection).count == 0
        assert store.client.count(store.staging_collection).count == 0
    finally:
        store.close()


def test_without_an_owner_a_second_process_is_told_who_holds_the_store(folder: Folder) -> None:
    holder = start_owner(folder.store, serve=False)
    try:
        listing = run_cli("patients", "--store", folder.store)
    finally:
        stop(holder)
    assert listing.returncode == 1
    assert "[store-locked]" in listing.stderr and f"pid {holder.pid}" in listing.stderr
    assert "clinimem serve" in listing.stderr and "Traceback" not in listing.stderr


def test_a_load_whose_process_died_is_rolled_back_by_the_owner(folder: Folder) -> None:
    """The owner's side of a remote load, in this process: a dead loader's patients stay as they were."""
    import os

    import numpy as np

    from clinimem.api import Clinimem
    from clinimem.errors import StoreError
    from clinimem.memory.entry import MemoryEntry
    from clinimem.memory.mappers.common import MappedResource
    from clinimem.memory.store import release_shared_store, shared_store

    store = shared_store(folder.store)
    before = store.entries(A)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    entry = MemoryEntry(A, "observation", "Observation/x1", "$", "HbA1c 9.9 %", "lab: HbA1c", value=9.9)
    item = MappedResource("Observation/x1", "Observation", A, (entry,), "hash-x1", None)
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    try:
        with OwnerServer(Clinimem(store), folder.store) as owner:
            record = {"pid": os.getpid(), "port": owner.port, "token": owner.token}
            loader = RemoteStore(folder.store, record)
            # A load begun by a process that is gone now, with a write staged in it.
            loader._load = loader._call("begin", {"pid": int(dead.stdout)})["load"]
            stats = loader.write([item], {"lab: HbA1c": vector})
            assert stats.added == 1 and store.entries(A) == before  # staged, not published
            # The next load finds the first one's process gone: it rolls that back and starts.
            second = RemoteStore(folder.store, record)
            second.open_load()
            assert second.close_load(commit=True) == 0
            with pytest.raises(StoreError, match="no longer open"):
                loader.commit()
        assert store.entries(A) == before
        assert entry.entry_id not in store.entry_ids()
        assert store.client.count(store.loads_collection).count == 0
        assert store.client.count(store.staging_collection).count == 0
    finally:
        release_shared_store(store)


def test_a_remote_store_reads_what_the_owners_store_reads(folder: Folder) -> None:
    """Every read a RemoteStore carries gives what the owner's own store gives."""
    import os

    from clinimem.api import Clinimem
    from clinimem.memory.store import release_shared_store, shared_store

    store = shared_store(folder.store)
    try:
        with OwnerServer(Clinimem(store), folder.store) as owner:
            remote = RemoteStore(folder.store, {"pid": os.getpid(), "port": owner.port, "token": owner.token})
            assert remote.patients() == store.patients() and remote.patient(A) == store.patient(A)
            assert remote.patient("nobody") is None and remote.entries("nobody") == []
            entries = remote.entries(A)
            assert entries == store.entries(A) and remote.entries(A) is entries  # kept while unchanged
            assert (remote.entry_vectors(entries) == store.entry_vectors(store.entries(A))).all()
            assert remote.source_resource("Observation/ao1") == store.source_resource("Observation/ao1")
            assert remote.count() == store.count() == 3
            query = store.entry_vectors(entries)[-1]
            assert remote.search(query, patient_id=A, limit=2) == store.search(query, patient_id=A, limit=2)
            assert remote.optimize() is False and "through the clinimem process" in remote.describe()
    finally:
        release_shared_store(store)

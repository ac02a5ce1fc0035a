"""``clinimem patients``, ``timeline`` and ``ask`` as a user runs them: what they import, what they print,
and how they ask a ``clinimem serve`` that owns the store (issue 16, "fast command line").
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fhir_samples import REPO, bundle, condition, encounter, observation, patient, run_cli, write_json

from clinimem.owner import OWNER_FILE, TOKEN_HEADER, OwnerServer, owner_file

# qdrant_client: its pydantic models took 1-2 s to import; the embedded store never needs them.
HEAVY = ("torch", "transformers", "sentence_transformers", "gradio", "ray", "qdrant_client")
PID = "fast-p1"
QUESTION = "What was the most recent HbA1c?"


@dataclass(frozen=True)
class SmallStore:
    location: str
    patient_id: str


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> SmallStore:
    """One patient, three visits: HbA1c at visits 1 and 3, a condition at visit 2 only."""
    root = tmp_path_factory.mktemp("fast-cli")
    write_json(
        root / "in" / "p.json",
        bundle(
            patient(PID),
            encounter("fe1", "2019-01-10T09:00:00+00:00", pid=PID),
            encounter("fe2", "2019-02-10T09:00:00+00:00", pid=PID),
            encounter("fe3", "2019-03-10T09:00:00+00:00", pid=PID),
            observation("fo1", 7.1, time="2019-01-10T09:30:00+00:00", encounter_id="fe1", pid=PID),
            condition(
                "fc2", "Acute bronchitis", onset="2019-02-10T09:30:00+00:00", encounter_id="fe2", pid=PID
            ),
            observation("fo3", 7.9, time="2019-03-10T09:30:00+00:00", encounter_id="fe3", pid=PID),
        ),
    )
    location = str(root / "store")
    loaded = run_cli("ingest", str(root / "in"), "--store", location, "--no-progress")
    assert loaded.returncode == 0, loaded.stderr
    return SmallStore(location, PID)


def in_process(*args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, list[str]]:
    """``clinimem ARGS`` run by ``clinimem.cli.main`` in a fresh interpreter; also the heavy modules it imported."""
    code = (
        "import json, sys\n"
        "from clinimem.cli import main\n"
        f"code = main({list(args)!r})\n"
        "sys.stdout.flush()\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
    return proc, json.loads(proc.stderr.strip().splitlines()[-1])


def headers(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("  ")]


def test_the_patients_command_module_imports_nothing_heavy() -> None:
    code = (
        "import json, sys\n"
        "import clinimem.commands.patients, clinimem.commands.timeline, clinimem.commands.ask\n"
        "import clinimem.memory.store, clinimem.memory.edge\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def test_timeline_kind_prints_only_the_visits_that_hold_that_kind(small_store: SmallStore) -> None:
    every = run_cli("timeline", "--patient", PID, "--store", small_store.location)
    assert every.returncode == 0, every.stderr
    assert [h.split()[:2] for h in headers(every.stdout)] == [
        ["no", "visit"],
        ["visit", "1"],
        ["visit", "2"],
        ["visit", "3"],
    ]

    conditions = run_cli("timeline", "--patient", PID, "--store", small_store.location, "--kind", "condition")
    assert conditions.returncode == 0, conditions.stderr
    assert headers(conditions.stdout) == ["visit 2  2019-02-10  Encounter/fe2"]
    lines = conditions.stdout.splitlines()[1:]
    assert len(lines) == 2 and lines[0].startswith("  2019-02-10  Visit: General examination")
    assert "condition" in lines[1] and "Acute bronchitis" in lines[1] and "[Condition/fc2]" in lines[1]
    assert "observation" not in conditions.stdout

    # The visits keep the ordinals of the whole record: the HbA1c visits are 1 and 3, not 1 and 2.
    labs = run_cli("timeline", "--patient", PID, "--store", small_store.location, "--kind", "observation")
    assert [h.split()[:3] for h in headers(labs.stdout)] == [
        ["visit", "1", "2019-01-10"],
        ["visit", "3", "2019-03-10"],
    ]
    assert "Acute bronchitis" not in labs.stdout and labs.stdout.count("observation ") == 2


def test_patients_and_timeline_never_import_torch_transformers_gradio_or_ray(small_store: SmallStore) -> None:
    listing, heavy = in_process("patients", "--store", small_store.location)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines() == [
        f"{PID}  Ada Lovelace  female  born 1960-04-01  7 entries",
        "1 patients",
    ]
    assert heavy == []

    timeline, heavy = in_process("timeline", "--patient", PID, "--store", small_store.location)
    assert timeline.returncode == 0, timeline.stderr
    assert "visit 3  2019-03-10  Encounter/fe3" in timeline.stdout
    assert heavy == []


@pytest.fixture
def served(small_store: SmallStore) -> Iterator[OwnerServer]:
    """This process owns the store, as ``clinimem serve`` does, and answers on loopback."""
    from clinimem.api import Clinimem
    from clinimem.memory.store import release_shared_store, shared_store

    store = shared_store(small_store.location)
    with OwnerServer(Clinimem(store), small_store.location) as owner:
        yield owner
    release_shared_store(store)


def test_the_owner_listens_on_loopback_behind_a_token_in_a_private_file(served: OwnerServer) -> None:
    record = json.loads(served.path.read_text())
    assert served.path.name == OWNER_FILE and served.path.stat().st_mode & 0o777 == 0o600
    assert record["host"] == "127.0.0.1" and record["port"] == served.port and record["token"] == served.token
    assert served._server is not None and served._server.server_address[0] == "127.0.0.1"
    assert served.handle("/v1/patients", "wrong", b"{}")[0] == 403
    assert served.handle("/v1/patients", "", b"{}")[0] == 403
    assert served.handle("/v1/drop", served.token, b"{}")[0] == 404
    status, reply = served.handle("/v1/patients", served.token, b"{}")
    assert status == 200 and [p["patient_id"] for p in reply["ok"]] == [PID]
    assert TOKEN_HEADER.lower().startswith("x-")


def test_with_a_server_owning_the_store_the_commands_ask_it(
    small_store: SmallStore, served: OwnerServer
) -> None:
    # Without the owner this store would be locked for another process (embedded Qdrant).
    listing, heavy = in_process("patients", "--store", small_store.location, "--json")
    assert listing.returncode == 0, listing.stderr
    assert [json.loads(line)["patient_id"] for line in listing.stdout.splitlines()] == [PID]
    assert heavy == []

    conditions, heavy = in_process(
        "timeline", "--patient", PID, "--store", small_store.location, "--kind", "condition"
    )
    assert conditions.returncode == 0, conditions.stderr
    assert headers(conditions.stdout) == ["visit 2  2019-02-10  Encounter/fe2"]
    assert heavy == []

    asked, heavy = in_process("ask", "--patient", PID, "--store", small_store.location, QUESTION, "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    direct = served.engine.ask(PID, QUESTION).to_dict()
    assert heavy == []  # the controller ran in the owner process, not here
    assert answer["patient_id"] == PID and answer["question"] == QUESTION
    assert answer["answer"] == direct["answer"] and answer["citations"] == direct["citations"]
    assert answer["answer"]["value"] == 7.9 and answer["citations"][0]["resource"] == "Observation/fo3"

    unknown, _ = in_process("ask", "--patient", "nobody", "--store", small_store.location, QUESTION)
    assert unknown.returncode == 1
    assert "[unknown-patient]" in unknown.stderr and "clinimem patients" in unknown.stderr


def test_a_stale_owner_file_is_ignored(small_store: SmallStore, tmp_path: Path) -> None:
    # A server killed with SIGKILL leaves its file behind: its process is gone, so the store is read here.
    path = owner_file(small_store.location)
    assert not path.exists()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    path.write_text(json.dumps({"pid": int(dead.stdout), "host": "127.0.0.1", "port": 9, "token": "t"}))
    try:
        listing = run_cli("patients", "--store", small_store.location)
    finally:
        path.unlink()
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines()[-1] == "1 patients"


def test_settings_default_store_is_the_store_default() -> None:
    from clinimem.memory import store
    from clinimem.settings import DEFAULT_STORE

    assert DEFAULT_STORE == store.DEFAULT_STORE


@pytest.mark.slow  # a real `clinimem serve` (gradio, the controller warming up) in its own process
def test_clinimem_serve_answers_the_commands_and_removes_its_file_when_stopped(
    small_store: SmallStore,
) -> None:
    import signal
    import socket
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = owner_file(small_store.location)
    server = subprocess.Popen(
        [sys.executable, "-m", "clinimem.cli", "serve", "--store", small_store.location, "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not (path.exists() and json.loads(path.read_text())["pid"] == server.pid):
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "clinimem serve wrote no owner file in 240 s"
            time.sleep(0.5)
        listing, heavy = in_process("patients", "--store", small_store.location)
        assert listing.returncode == 0, listing.stderr  # not "[store-locked]": the server answered
        assert listing.stdout.splitlines()[-1] == "1 patients" and heavy == []
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C, as a user stops it
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert not path.exists(), "the owner file outlived its server"

"""Fixtures for the UI tests: the sample patients in a store, the real page served on 127.0.0.1.

The page runs the engine's default answering system (or its fallback, as in
production). Only when no real system can load at all (neither ``controller``
nor ``dense`` has landed) is the tiny stand-in of ``ui_standin.py`` registered
in their place, and the tests say so in their output.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
# tests/ is not a package: the stand-in module is found through this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Asked of the engine in turn; the first one answered with citations drives the page tests.
CANDIDATE_QUESTIONS = (
    "What was the most recent body weight?",
    "What was the most recent body mass index?",
    "Has the body weight been increasing?",
    "When was the last visit?",
    "What medications is the patient taking?",
)
PATIENT = "Patria Schimmel"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample bundles shipped in ``clinimem/samples``, loaded into a temporary embedded store."""
    from clinimem.commands.demo import sample_bundles
    from clinimem.ingest.load import load_sources
    from clinimem.memory.store import release_shared_store, shared_store

    location = str(tmp_path_factory.mktemp("ui-store"))
    result = load_sources(sample_bundles(), store_location=location)
    assert result.report.total_rejected == sum(
        1 for r in result.report.rejects if r.code == "out-of-scope"
    ), "a sample bundle lost clinical resources"
    yield location
    release_shared_store(shared_store(location))


@dataclass(frozen=True)
class UiEngine:
    engine: object  # clinimem.api.Clinimem
    system: str  # the registry name the page uses
    stand_in: bool  # True when no real answering system could load


@pytest.fixture(scope="session")
def ui_engine(sample_store: str) -> Iterator[UiEngine]:
    """The engine over the sample store, with the answering system the page will use."""
    from clinimem.api import SYSTEMS, Clinimem
    from clinimem.memory.store import shared_store
    from clinimem.ui.backend import Backend

    engine = Clinimem(shared_store(sample_store))
    choice = Backend(engine).choose_system()
    saved = dict(SYSTEMS)
    stand_in = choice.name is None
    if stand_in:
        # Neither real system has landed: develop the page against the stand-in (reported below).
        SYSTEMS["dense"] = "ui_standin:StandInAnswerer"
        engine = Clinimem(shared_store(sample_store))
        choice = Backend(engine).choose_system()
    print(f"\n[ui tests] answering system: {choice.name}{' (test stand-in)' if stand_in else ''}")
    yield UiEngine(engine, choice.name or "", stand_in)
    SYSTEMS.clear()
    SYSTEMS.update(saved)


@pytest.fixture(scope="session")
def patients(ui_engine: UiEngine) -> dict[str, str]:
    """Sample patients: name -> id."""
    return {p.name: p.patient_id for p in ui_engine.engine.patients()}


@pytest.fixture(scope="session")
def answered_question(ui_engine: UiEngine, patients: dict[str, str]) -> str:
    """A question the system in use answers about the sample patient with at least one citation."""
    for question in CANDIDATE_QUESTIONS:
        answer = ui_engine.engine.ask(patients[PATIENT], question, system=ui_engine.system)
        if answer.citations:
            return question
    pytest.fail(f"the {ui_engine.system!r} system cites nothing for any of {CANDIDATE_QUESTIONS}")


@dataclass(frozen=True)
class Served:
    url: str
    demo: object  # gradio.Blocks


def _serve(engine: object, **options: object) -> Served:
    from clinimem.ui.app import serve

    port = free_port()
    demo = serve(engine, host="127.0.0.1", port=port, block=False, **options)
    return Served(f"http://127.0.0.1:{port}/", demo)


@pytest.fixture(scope="session")
def ui_server(ui_engine: UiEngine) -> Iterator[Served]:
    """The real page (uvicorn over HTTP) on a free loopback port, over the sample store."""
    served = _serve(ui_engine.engine)
    yield served
    served.demo.close()


@pytest.fixture
def serve_app() -> Iterator:
    """Start extra servers in a test (login, no store); they are closed after it."""
    started: list[Served] = []

    def start(engine: object, **options: object) -> Served:
        served = _serve(engine, **options)
        started.append(served)
        return served

    yield start
    for served in started:
        served.demo.close()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install it with `apt-get update && apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()

"""Fixtures shared by every test folder: the sample data and one loaded memory store per session.

The data comes from ``tests/data`` in the repository (nothing outside it is read).
Loading the 23 Synthea bundles (embedding their concepts with MiniLM and
writing ~6,000 points into embedded Qdrant) takes ~20 s, so it happens once
per session, into a temporary store that the memory, connector and command
tests read (and only re-load unchanged data into).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from testdata import BABI, OTHER_VERSIONS, SYNTHEA, SYNTHEA_COUNT, unpack

# No telemetry from test runs either: a test module may import haystack or gradio before clinimem.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def test_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tests/data`` unpacked once per session (see ``tests/testdata.py``); tests must not change it."""
    return unpack(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def synthea_dir(test_data: Path) -> Path:
    """The 23 Synthea R4 transaction bundles of ``tests/data/synthea-r4``."""
    folder = test_data / SYNTHEA
    assert len(list(folder.glob("*.json"))) == SYNTHEA_COUNT, folder
    return folder


@pytest.fixture(scope="session")
def other_versions_dir(test_data: Path) -> Path:
    """The STU3 and DSTU2 Synthea bundles that must be refused."""
    return test_data / OTHER_VERSIONS


@pytest.fixture(scope="session")
def babi_dir(test_data: Path) -> Path:
    """The bAbI English 1k files of tasks 1 and 2 (train and test)."""
    return test_data / BABI


@dataclass(frozen=True)
class LoadedStore:
    """A store folder holding the 23 Synthea bundles, and what the first load reported."""

    location: str
    result: object  # clinimem.ingest.load.LoadResult (imported lazily: it pulls in haystack)

    @property
    def store(self):  # noqa: ANN201 - MemoryStore, imported lazily
        from clinimem.memory.store import shared_store

        return shared_store(self.location)


@pytest.fixture(scope="session")
def synthea_store(synthea_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedStore]:
    """The 23 Synthea bundles loaded once through ``load_sources`` into a temporary embedded store.

    Tests may read it and re-load the same unchanged data; they must not change it.
    """
    from clinimem.ingest.load import load_sources
    from clinimem.memory.store import release_shared_store, shared_store

    location = str(tmp_path_factory.mktemp("synthea-store") / "store")
    result = load_sources([synthea_dir], store_location=location)
    yield LoadedStore(location, result)
    release_shared_store(shared_store(location))

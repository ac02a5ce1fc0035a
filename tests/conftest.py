"""Fixtures shared by every test folder: the sample data and one loaded memory store per session.

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

# No telemetry from test runs either: a test module may import haystack or gradio before clinimem.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SYNTHEA_DIR = Path(os.environ.get("CLINIMEM_SYNTHEA_DIR") or DATA_DIR / "synthea-r4")
OTHER_VERSIONS_DIR = SYNTHEA_DIR.parent / "other-versions"


@pytest.fixture(scope="session")
def synthea_dir() -> Path:
    """The 23 Synthea R4 transaction bundles (tests may read /work/shared; the product never does)."""
    if not SYNTHEA_DIR.is_dir() or not any(SYNTHEA_DIR.glob("*.json")):
        pytest.skip(f"Synthea sample bundles not found at {SYNTHEA_DIR}")
    return SYNTHEA_DIR


@pytest.fixture(scope="session")
def other_versions_dir(synthea_dir: Path) -> Path:
    """The STU3 and DSTU2 Synthea bundles that must be refused."""
    if not (OTHER_VERSIONS_DIR / "stu3_patient_bundle.json").exists():
        pytest.skip(f"other-version bundles not found at {OTHER_VERSIONS_DIR}")
    return OTHER_VERSIONS_DIR


@dataclass(frozen=True)
class LoadedStore:
    """A store folder holding the 23 Synthea bundles, and what the first load reported."""

    location: str
    result: object  # clinimem_connectors.load.LoadResult (imported lazily: it pulls in haystack)

    @property
    def store(self):  # noqa: ANN201 - MemoryStore, imported lazily
        from clinimem.memory.store import shared_store

        return shared_store(self.location)


@pytest.fixture(scope="session")
def synthea_store(synthea_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedStore]:
    """The 23 Synthea bundles loaded once through ``load_sources`` into a temporary embedded store.

    Tests may read it and re-load the same unchanged data; they must not change it.
    """
    from clinimem_connectors.load import load_sources

    from clinimem.memory.store import release_shared_store, shared_store

    location = str(tmp_path_factory.mktemp("synthea-store") / "store")
    result = load_sources([synthea_dir], store_location=location)
    yield LoadedStore(location, result)
    release_shared_store(shared_store(location))

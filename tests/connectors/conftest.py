"""Fixtures for the connector tests: a real FHIR server over HTTP on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/ is not a package (pytest's default import mode puts only this folder on
# sys.path), so the shared test server module is found through its folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fhir_server import FhirTestServer  # noqa: E402


@pytest.fixture(scope="session")
def fhir_server_session(synthea_dir: Path) -> Iterator[FhirTestServer]:
    with FhirTestServer(synthea_dir, page_size=50) as server:
        yield server


@pytest.fixture
def fhir_server(fhir_server_session: FhirTestServer, monkeypatch: pytest.MonkeyPatch) -> FhirTestServer:
    """The running server with its switches reset; no token in the environment."""
    monkeypatch.delenv("CLINIMEM_FHIR_TOKEN", raising=False)
    fhir_server_session.reset()
    return fhir_server_session

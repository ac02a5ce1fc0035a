"""Fixtures of the screening tests: a planted cohort loaded once into an embedded store."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
EXAMPLES = REPO / "docs" / "examples"
sys.path.insert(0, str(HERE))

from nearest import NAME as NEAREST  # noqa: E402
from nearest import TARGET as NEAREST_TARGET  # noqa: E402
from planted import PlantedPatient, build_patient, write_bundles  # noqa: E402

from clinimem.api import SYSTEMS  # noqa: E402

SYSTEMS.setdefault(NEAREST, NEAREST_TARGET)


def cohort() -> list[PlantedPatient]:
    """Planted positives and negatives for the three example criteria files (see docs/examples)."""
    return [
        # LDL above 190 and no statin ever
        build_patient("Ada Lovell", ldl=[150, 172, 212]),  # positive
        build_patient("Bert Okoro", ldl=[160, 204, 226], drugs={"simvastatin": 1}),
        build_patient("Cora Lindqvist", ldl=[118, 126, 131]),
        build_patient("Dev Rao", ldl=[198, 240], drugs={"atorvastatin": 0}),
        # HbA1c above 9% at the last two measurements and no insulin
        build_patient("Elin Marsh", hba1c=[7.6, 9.4, 9.8]),  # positive
        build_patient("Femi Adeyemi", hba1c=[8.1, 9.6, 10.2], drugs={"metformin": 0, "insulin": 1}),
        build_patient("Gus Hartmann", hba1c=[9.7, 8.3]),
        build_patient("Hana Sato", hba1c=[7.1, 8.2, 9.5]),
        # eGFR falling by more than 25% since metformin was started, still on metformin
        build_patient("Ivo Petrov", egfr=[78, 72, 61, 52], drugs={"metformin": 1}),  # positive
        build_patient("Jade Moreau", egfr=[81, 79, 76, 73], drugs={"metformin": 1}),
        build_patient("Kai Brennan", egfr=[71, 60, 49, 44]),
    ]


POSITIVES = {
    "ldl_no_statin.yaml": {"Ada Lovell"},
    "hba1c_no_insulin.yaml": {"Elin Marsh"},
    "egfr_falling_on_metformin.yaml": {"Ivo Petrov"},
}


@dataclass(frozen=True)
class Cohort:
    patients: tuple[PlantedPatient, ...]
    store: str  # embedded store folder (closed: tests and subprocesses may open it)
    bundles: Path

    def by_name(self, name: str) -> PlantedPatient:
        return next(p for p in self.patients if p.name == name)

    @property
    def ids(self) -> list[str]:
        return [p.patient_id for p in self.patients]


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Cohort:
    from clinimem.ingest.load import load_sources
    from clinimem.memory.store import release_shared_store, shared_store

    patients = cohort()
    root = tmp_path_factory.mktemp("screen-cohort")
    write_bundles(patients, root / "bundles")
    location = str(root / "store")
    result = load_sources([root / "bundles"], store_location=location)
    assert result.report.total_rejected == 0, result.report.render()
    release_shared_store(shared_store(location))
    return Cohort(tuple(patients), location, root / "bundles")


@pytest.fixture(autouse=True)
def _release_stores() -> Iterator[None]:
    """Close the stores a test opened, so that the next test (or a subprocess) can lock the folder."""
    yield
    from clinimem.memory.store import close_shared_stores

    close_shared_stores()


@pytest.fixture
def ray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ray workers import the test answering system from this folder."""
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(HERE), path) if p))

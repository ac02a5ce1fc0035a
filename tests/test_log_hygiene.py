"""The log scan of issue 18: no patient id or name in any log line below DEBUG, from any library.

The real commands run as a user runs them (separate processes, the sample bundles, default level
and ``-v``), and everything they write to stderr (log lines of clinimem and of every library,
warnings, error messages) is grepped for every id, identifier and name of the sample patients.

What counts as a log: stderr, always. Stdout is a command's answer, and may name the patient
only where that is the command's purpose: ``patients`` lists them, ``timeline`` prints one
patient's memory, ``ask`` answers about one. ``ingest`` has no such purpose, so its stdout (the
load report) is scanned too.

A REST load from the stub FHIR server (``tests/fhir_server.py``) serving the same bundles runs at
``-v`` with a retried 503 (httpx logs every request at INFO), and at the default level with a
load that fails for good, so the connector's error message (which names the URL) is scanned too.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fhir_samples import run_cli
from fhir_server import FhirTestServer

SAMPLES = Path(__file__).resolve().parents[1] / "clinimem" / "samples"
QUESTION = "What was the most recent body weight?"


@dataclass(frozen=True)
class SamplePatient:
    id: str
    terms: tuple[str, ...]  # the id, identifier values, given and family names


def sample_patients() -> list[SamplePatient]:
    """Every Patient of the sample bundles, read with nothing but ``json``."""
    found = []
    for path in sorted(SAMPLES.glob("*.json")):
        for entry in json.loads(path.read_text())["entry"]:
            resource = entry["resource"]
            if resource["resourceType"] != "Patient":
                continue
            terms = {resource["id"]}
            terms |= {i["value"] for i in resource.get("identifier", []) if i.get("value")}
            for name in resource.get("name", []):
                terms |= set(name.get("given", [])) | ({name["family"]} if name.get("family") else set())
            found.append(SamplePatient(resource["id"], tuple(sorted(terms))))
    return found


PATIENTS = sample_patients()
_TERMS = sorted({t for p in PATIENTS for t in p.terms}, key=len, reverse=True)
# Ids and identifiers anywhere, even inside a percent-encoded query (patient=Patient%2F{id});
# names as words, any case (a letter may not touch them: "Larson" yes, "Larsonville" no).
_IDS = [t for t in _TERMS if any(c.isdigit() for c in t)]
_NAMES = [t for t in _TERMS if t not in _IDS]
PATTERN = re.compile(
    "|".join(re.escape(t) for t in _IDS)
    + "|(?<![A-Za-z])(?:"
    + "|".join(re.escape(t) for t in _NAMES)
    + ")(?![A-Za-z])",
    re.IGNORECASE,
)


def hits(text: str) -> list[str]:
    """The lines of ``text`` that name a sample patient."""
    return [line for line in text.splitlines() if PATTERN.search(line)]


@dataclass
class Scan:
    """What each run wrote where it must not name a patient: label -> offending lines."""

    found: dict[str, list[str]]
    runs: int = 0

    def check(self, label: str, proc: subprocess.CompletedProcess, *, stdout_too: bool = False) -> None:
        self.runs += 1
        self.found[f"{label} stderr"] = hits(proc.stderr)
        if stdout_too:
            self.found[f"{label} stdout"] = hits(proc.stdout)

    def report(self) -> str:
        bad = {k: v for k, v in self.found.items() if v}
        lines = [f"{sum(map(len, bad.values()))} lines name a patient in {self.runs} runs"]
        for label, offending in bad.items():
            lines += [f"  {label}:", *(f"    {line[:200]}" for line in offending[:5])]
        return "\n".join(lines)


def test_the_scan_finds_what_it_looks_for() -> None:
    # The scan itself must not be blind: every sample patient is in the terms.
    assert len(PATIENTS) == 4
    someone = PATIENTS[0]
    assert hits(f"INFO httpx: GET http://h/fhir/Patient/{someone.id}/$everything")
    assert hits(f"INFO httpx: GET http://h/fhir/Encounter?patient=Patient%2F{someone.id}")
    assert hits("WARNING x: benito had a fall") and hits("name=Patria%20Schimmel")
    assert not hits("WARNING x: Benitoville")
    assert not hits("WARNING clinimem: Patient/<redacted>/$everything answered HTTP 503")


@pytest.fixture(scope="module")
def command_scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scan]:
    store = str(tmp_path_factory.mktemp("log-scan") / "store")
    bundles = [str(p) for p in sorted(SAMPLES.glob("*.json"))]
    patient = PATIENTS[0].id
    scan = Scan({})
    for verbosity in (["-v"], []):  # -v first: the fresh load, with every INFO line
        tag = " ".join(verbosity) or "default"
        proc = run_cli(*verbosity, "ingest", *bundles, "--store", store, "--no-progress")
        assert proc.returncode == 0, proc.stderr
        scan.check(f"ingest {tag}", proc, stdout_too=True)
        proc = run_cli(*verbosity, "patients", "--store", store)
        assert proc.returncode == 0, proc.stderr
        scan.check(f"patients {tag}", proc)
        proc = run_cli(
            *verbosity, "ask", QUESTION, "--patient", patient, "--system", "dense", "--store", store
        )
        assert proc.returncode == 0, proc.stderr
        scan.check(f"ask {tag}", proc)
    proc = run_cli("-v", "timeline", "--patient", patient, "--store", store)
    assert proc.returncode == 0, proc.stderr
    scan.check("timeline -v", proc)
    yield scan


def test_commands_log_no_patient_at_default_level_and_v(command_scan: Scan) -> None:
    print("\n" + command_scan.report())
    assert not any(command_scan.found.values()), command_scan.report()


@pytest.fixture(scope="module")
def stub_server() -> Iterator[FhirTestServer]:
    with FhirTestServer(SAMPLES, page_size=50) as server:
        yield server


def rest_ingest(
    server: FhirTestServer, patient: str, store: Path, *flags: str
) -> subprocess.CompletedProcess:
    return run_cli(
        *flags, "ingest", server.base_url, "--patient", patient, "--store", str(store), "--no-progress"
    )


def test_rest_loads_log_no_patient(
    stub_server: FhirTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLINIMEM_FHIR_TOKEN", raising=False)
    scan = Scan({})
    # Buster Hoeger: the smallest record. One 503 before the first page: a retry line at WARNING,
    # and httpx's request lines at INFO.
    small = next(p for p in PATIENTS if "Hoeger" in p.terms)
    stub_server.reset()
    stub_server.inject(f"Patient/{small.id}/$everything", status=503, times=1, retry_after="0")
    proc = rest_ingest(stub_server, small.id, tmp_path / "a", "-v")
    assert proc.returncode == 0, proc.stderr
    scan.check("REST ingest -v", proc, stdout_too=True)
    # A load that fails for good at the default level: the error names the URL.
    other = next(p for p in PATIENTS if "Larson" in p.terms)
    stub_server.reset()
    stub_server.inject(f"Patient/{other.id}/$everything", status=503, times=100, retry_after="0")
    proc = rest_ingest(stub_server, other.id, tmp_path / "b")
    assert proc.returncode == 1
    assert "HTTP 503 after 6 attempts" in proc.stderr, proc.stderr  # the error is still told
    scan.check("REST ingest failing", proc, stdout_too=True)
    # A server without $everything, whose Observation search fails for good, at -v: the
    # per-type searches put the patient in the query (patient=Patient/{id}).
    stub_server.reset()
    stub_server.everything_status = 404
    stub_server.inject("Observation", status=503, times=100, retry_after="0")
    proc = rest_ingest(stub_server, other.id, tmp_path / "c", "-v")
    assert proc.returncode == 1
    assert "Observation?" in proc.stderr and "HTTP 503" in proc.stderr, proc.stderr
    scan.check("REST per-type ingest failing -v", proc, stdout_too=True)
    print("\n" + scan.report())
    assert not any(scan.found.values()), scan.report()

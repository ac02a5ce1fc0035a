"""``--ray local``: a private Ray cluster on loopback only, writing the rows an in-process run writes."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from conftest import NEAREST, Cohort

from clinimem.screen import ScreenJob, load_criteria, run_job

pytest.importorskip("ray", reason="ray is not installed: pip install -e '.[dev]' installs it")

pytestmark = pytest.mark.slow  # a local Ray cluster of real processes

CRITERIA = """
criteria:
  ldl: {question: Cholesterol in LDL, expect: value > 190 mg/dL}
  hba1c: {question: Hemoglobin A1c, expect: value > 9%}
flag: ldl or hba1c
"""


def listening() -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket, from /proc (IPv4 and IPv6)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != "0A":  # LISTEN
                continue
            address, port = fields[1].split(":")
            raw = bytes.fromhex(address)
            # /proc writes each 32-bit word in host (little-endian) order
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add((str(ipaddress.ip_address(raw if width == 32 else raw[:4])), int(port, 16)))
    return found


def is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 (Python 3.11 calls it not loopback)
    return (mapped or ip).is_loopback


def test_ray_local_stays_on_loopback_and_matches(
    planted: Cohort, tmp_path: Path, ray_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import ray

    from clinimem.screen.distributed import start_ray

    criteria_path = tmp_path / "criteria.yaml"
    criteria_path.write_text(CRITERIA)
    criteria = load_criteria(criteria_path)

    local = tmp_path / "local.jsonl"
    run_job(ScreenJob(criteria, local, system=NEAREST, store=planted.store))

    # The actor that gets this patient exits (Ray workers take the environment of ray.init).
    victim = planted.by_name("Kai Brennan").patient_id
    monkeypatch.setenv("SCREEN_TEST_DIE", victim)
    monkeypatch.setenv("SCREEN_TEST_PARENT", str(os.getpid()))
    others = tuple(p for p in planted.ids if p != victim)

    before = listening()
    assert start_ray("local", num_cpus=2)
    try:
        opened = listening() - before
        assert opened, "Ray opened no listening socket?"
        outside = {(a, p) for a, p in opened if not is_loopback(a)}
        assert not outside, f"Ray listens beyond loopback: {sorted(outside)}"
        assert {n["NodeManagerAddress"] for n in ray.nodes()} == {"127.0.0.1"}

        out = tmp_path / "ray.jsonl"
        job = ScreenJob(
            criteria, out, system=NEAREST, patients=others, store=planted.store, ray="local", workers=2
        )
        summary = run_job(job)
        assert summary.complete and summary.screened == len(others)

        # An actor dies on the victim: a fresh actor takes over, the patients beside it are re-run.
        died = tmp_path / "died.jsonl"
        job = ScreenJob(
            criteria,
            died,
            system=NEAREST,
            patients=(victim, *others[:5]),
            store=planted.store,
            ray="local",
            workers=2,
        )
        assert run_job(job).complete
    finally:
        ray.shutdown()
    expected = {r["patient_id"]: r for r in map(json.loads, local.read_text().splitlines())}
    rows = {r["patient_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows == {p: expected[p] for p in others}
    rows = {r["patient_id"]: r for r in map(json.loads, died.read_text().splitlines())}
    assert "actor died on this patient" in rows.pop(victim)["error"]
    assert rows == {p: expected[p] for p in others[:5]}

"""A run killed midway (SIGKILL, or Ctrl-C) and run again writes exactly what an uninterrupted run writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import HERE, NEAREST, NEAREST_TARGET, Cohort

from clinimem.memory.store import close_shared_stores
from clinimem.screen import ScreenJob, load_criteria, run_job

pytestmark = pytest.mark.slow  # kills and resumes real screen processes

# The CLI in a fresh process, with the test answering system registered.
LAUNCH = (
    "import sys; sys.path.insert(0, {here!r});"
    "from clinimem.api import SYSTEMS; SYSTEMS[{name!r}] = {target!r};"
    "from clinimem.cli import main; sys.exit(main(sys.argv[1:]))"
)
CRITERIA = """
criteria:
  ldl: {question: Cholesterol in LDL, expect: value > 190 mg/dL}
  hba1c: {question: Hemoglobin A1c, expect: value > 9%}
  egfr: {question: Glomerular filtration rate, expect: value < 60}
flag: ldl or hba1c or (egfr and not hba1c)
"""


def screen(args: list[str], **popen: object) -> subprocess.Popen:
    code = LAUNCH.format(here=str(HERE), name=NEAREST, target=NEAREST_TARGET)
    return subprocess.Popen([sys.executable, "-c", code, "screen", *args], **popen)  # type: ignore[call-overload]


def rows_in(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.parametrize(
    ("sig", "suffix", "workers"),
    [(signal.SIGKILL, ".jsonl", 0), (signal.SIGINT, ".csv", 0), (signal.SIGINT, ".jsonl", 2)],
    ids=["sigkill-jsonl", "ctrl-c-csv", "ctrl-c-workers"],
)
def test_killed_run_resumes_to_identical_output(
    planted: Cohort, tmp_path: Path, sig: signal.Signals, suffix: str, workers: int
) -> None:
    """Ctrl-C goes to the whole process group, as a terminal sends it (workers included)."""
    criteria = tmp_path / "criteria.yaml"
    criteria.write_text(CRITERIA)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(planted.ids) + "\n")
    common = [
        str(criteria),
        "--patients",
        str(ids),
        "--store",
        planted.store,
        "--system",
        NEAREST,
        "--no-progress",
        "--workers",
        str(workers),
    ]
    env = {**os.environ, "SCREEN_TEST_DELAY": "0.15"}

    # The uninterrupted run, in this process (the rows do not depend on where they are computed).
    whole = tmp_path / f"whole{suffix}"
    run_job(
        ScreenJob(
            load_criteria(criteria), whole, system=NEAREST, patients=tuple(planted.ids), store=planted.store
        )
    )
    close_shared_stores()  # unlock the store folder for the subprocesses

    out = tmp_path / f"killed{suffix}"
    journal = out if suffix == ".jsonl" else tmp_path / f"killed{suffix}.journal.jsonl"
    k = 4
    proc = screen([*common, "--out", str(out)], env=env, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 240
    while rows_in(journal) < k:
        assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "no rows written in time"
        time.sleep(0.02)
    os.killpg(proc.pid, sig)
    code = proc.wait(timeout=60)
    assert code == (-signal.SIGKILL if sig == signal.SIGKILL else 130)
    written = rows_in(journal)
    assert k <= written < len(planted.ids), "the run was not stopped midway"
    assert not (suffix == ".csv" and out.exists()), "a table is written only when every patient is done"

    resumed = screen([*common, "--out", str(out)], env=env, stdout=subprocess.PIPE)
    stdout, _ = resumed.communicate(timeout=300)
    assert resumed.returncode == 0
    assert f"{written} already done" in stdout.decode()
    if workers:  # rows land in the order they finish
        assert sorted(out.read_bytes().splitlines()) == sorted(whole.read_bytes().splitlines())
    else:
        assert out.read_bytes() == whole.read_bytes()

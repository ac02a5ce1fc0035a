"""``kill -9`` of a ``clinimem screen --workers 2`` driver takes its workers and the resource tracker with it.

Before the fix both workers (each with its models, ~750 MB) and the
multiprocessing resource tracker lived on, blocked on the dead driver's pipes.
Processes are found through ``/proc`` (Linux only), so no psutil is needed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Cohort
from test_resume import CRITERIA, rows_in, screen

pytestmark = [
    pytest.mark.slow,  # kills real screen processes and waits for their workers
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

GONE_WITHIN_S = 5.0


def process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, start time) of every process visible in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        table[int(entry)] = (int(fields[1]), fields[0], fields[19])
    return table


def descendants(root: int) -> dict[int, str]:
    """pid -> start time of every process below ``root``."""
    table = process_table()
    found: dict[int, str] = {}
    parents = {root}
    while parents:
        children = {pid for pid, (ppid, _, _) in table.items() if ppid in parents and pid not in found}
        found.update({pid: table[pid][2] for pid in children})
        parents = children
    return found


def living(processes: dict[int, str]) -> dict[int, str]:
    """The ones still running (a zombie or a reused pid is not), with their command lines."""
    table = process_table()
    alive = {}
    for pid, started in processes.items():
        if pid in table and table[pid][2] == started and table[pid][1] not in "ZX":
            try:
                alive[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
    return alive


@pytest.mark.parametrize("when", ["screening", "starting"])
def test_workers_die_with_a_killed_driver(planted: Cohort, tmp_path: Path, when: str) -> None:
    """Killed while its workers screen, or while they still import (before they arm anything)."""
    criteria = tmp_path / "criteria.yaml"
    criteria.write_text(CRITERIA)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(planted.ids) + "\n")
    out = tmp_path / "rows.jsonl"
    args = [str(criteria), "--patients", str(ids), "--store", planted.store, "--out", str(out)]
    args += ["--system", "screen-nearest", "--no-progress", "--workers", "2"]
    env = {**os.environ, "SCREEN_TEST_DELAY": "0.15"}
    log = tmp_path / "driver.log"
    with log.open("wb") as stderr:  # not a pipe: orphans would hold it open
        driver = screen(args, env=env, stderr=stderr, start_new_session=True)
    below: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        while True:
            assert driver.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the workers did not start in time"
            below = descendants(driver.pid)
            commands = living(below).values()
            workers = [c for c in commands if "multiprocessing.spawn" in c]
            trackers = [c for c in commands if "resource_tracker" in c]
            ready = rows_in(out) >= 2 if when == "screening" else True
            if len(workers) == 2 and trackers and ready:
                break
            time.sleep(0.05)
        os.kill(driver.pid, signal.SIGKILL)  # the driver alone: its workers get no signal from us
        assert driver.wait(timeout=30) == -signal.SIGKILL
        if when == "screening":
            assert rows_in(out) < len(planted.ids), "the run was not stopped midway"
        # Workers that were still importing first finish importing, then see their driver gone.
        within = GONE_WITHIN_S if when == "screening" else 60.0
        deadline = time.monotonic() + within
        while living(below) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not living(below), f"outlived the driver by {within:.0f} s: {living(below)}"
    finally:
        if driver.poll() is None:
            driver.kill()
        for pid in living(descendants(driver.pid) | below):  # never leave processes behind a failed test
            os.kill(pid, signal.SIGKILL)


# A driver that starts one process which arms only the portable watcher, as on a system
# without prctl or when the pool is started from a thread other than the main one.
DRIVER = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
time.sleep(600)
"""
WATCHER = """
import os, sys, time
from clinimem.screen.pool import die_with_driver
die_with_driver(os.getppid(), death_signal=False)
open(sys.argv[1], "w").close()
time.sleep(600)
"""


def test_without_the_death_signal_a_worker_watches_its_driver(tmp_path: Path) -> None:
    armed = tmp_path / "armed"
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, WATCHER, str(armed)], start_new_session=True)
    below: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 60
        while not armed.exists():
            assert driver.poll() is None and time.monotonic() < deadline, "the watcher did not start"
            time.sleep(0.05)
        below = descendants(driver.pid)
        assert len(below) == 1
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=30)
        deadline = time.monotonic() + GONE_WITHIN_S
        while living(below) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not living(below), f"outlived the driver: {living(below)}"
    finally:
        if driver.poll() is None:
            driver.kill()
        for pid in living(below):
            os.kill(pid, signal.SIGKILL)

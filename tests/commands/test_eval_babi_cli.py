"""``clinimem eval babi`` as a user types it: a separate process, the real bAbI files, a tiny sweep.

``clinimem eval babi`` is the issue's spelling of the bAbI evaluation (``clinimem eval-babi``);
``clinimem eval`` with anything else is still the clinical harness.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fhir_samples import run_cli

from clinimem.cli import _resolve_alias

pytest.importorskip("torch")

ROW = re.compile(r"^\| (\d+) [a-z-]+ \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$")


@pytest.mark.slow  # trains two memory networks in a separate process
def test_eval_babi_runs_the_babi_sweep_and_writes_its_table(babi_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "babi"
    # Two tasks, one model for both, 1 and 2 hops, one epoch: about 10 s on one core.
    proc = run_cli(
        "eval", "babi", "--joint", "--hops", "1,2", "--tasks", "1,2", "--epochs", "1",
        "--data", str(babi_dir), "--out", str(out), timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["joint"] is True
    assert results["config"]["tasks"] == [1, 2] and results["config"]["hops"] == [1, 2]
    assert results["config"]["train"]["epochs"] == 1
    errors = results["errors"]  # hops -> task -> test error (fraction)
    assert set(errors) == {"1", "2"} and all(set(by_task) == {"1", "2"} for by_task in errors.values())

    table = (out / "babi.md").read_text()
    assert table.startswith("# bAbI 1k, joint, weakly supervised, seed 0")
    assert (
        "| task | MemN2N 1k (PE LS RN joint, 3 hops) | clinimem 1 hop (joint) | clinimem 2 hops (joint) |"
        in table
    )
    rows = {int(m[1]): m for m in map(ROW.match, table.splitlines()) if m}
    assert set(rows) == {1, 2}
    # MemN2N's published 1k errors for tasks 1 and 2, then ours as in results.json.
    assert (float(rows[1][2]), float(rows[2][2])) == (0.0, 11.4)
    for task, row in rows.items():
        for col, hops in ((3, "1"), (4, "2")):
            assert float(row[col]) == pytest.approx(100 * errors[hops][str(task)], abs=0.051)
    for hops in ("1", "2"):
        mean = 100 * sum(errors[hops].values()) / 2
        assert f"**{mean:.1f}**" in table
    assert "failed tasks (> 5%)" in table
    assert (out / "babi.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The same table goes to stdout.
    assert "| 2 two-supporting-facts | 11.4 |" in proc.stdout
    assert f"wrote {out / 'babi.md'}" in proc.stdout


def test_eval_babi_help_and_errors_name_the_two_word_form() -> None:
    proc = run_cli("eval", "babi", "--help", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: clinimem eval babi ")
    assert "--joint" in proc.stdout and "--hops" in proc.stdout
    bad = run_cli("eval", "babi", "--tasks", "21", "--data", "/nonexistent", timeout=60)
    assert bad.returncode == 2 and "clinimem eval babi: unknown task(s) [21]" in bad.stderr


def test_eval_help_mentions_babi_and_keeps_its_own_options() -> None:
    proc = run_cli("eval", "--help", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: clinimem eval [-h] [--patients N]")
    assert "clinimem eval babi [--joint] [--hops K[,K]]" in proc.stdout
    assert "clinimem eval-babi" in proc.stdout


def test_only_the_word_after_eval_selects_babi() -> None:
    assert _resolve_alias(["eval", "babi", "--joint"]) == (["eval-babi", "--joint"], "eval babi")
    assert _resolve_alias(["-v", "eval", "babi", "--hops", "3"]) == (
        ["-v", "eval-babi", "--hops", "3"],
        "eval babi",
    )
    # The clinical harness, whatever its option values are called.
    for argv in (["eval"], ["eval", "--out", "babi"], ["eval", "--patients", "5"], ["eval-babi", "--joint"]):
        assert _resolve_alias(argv) == (argv, None)
    assert _resolve_alias([]) == ([], None)

"""The evaluation package's commands reach the core CLI through entry points (issue 17).

``synth``, ``eval``, ``eval babi`` and ``train`` live in ``clinimem_eval.commands`` and are
registered under the entry point group ``clinimem.commands``; ``clinimem.cli`` never imports
``clinimem_eval``. Without it the core commands still work and those four say how to get them.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from fhir_samples import REPO, run_cli

from clinimem import cli

EVAL_COMMANDS = ("synth", "eval", "eval-babi", "train")


def test_the_installed_package_registers_the_evaluation_commands() -> None:
    add_ons = cli.add_on_commands()
    assert set(EVAL_COMMANDS) <= set(add_ons)
    for name in EVAL_COMMANDS:
        module = add_ons[name]
        assert module.__name__.startswith("clinimem_eval.commands.")
        assert module.HELP and callable(module.add_arguments) and callable(module.run)
    assert set(cli.ADD_ON_HINTS) == set(EVAL_COMMANDS)


def test_help_lists_the_core_and_the_registered_commands() -> None:
    proc = run_cli("--help", timeout=60)
    assert proc.returncode == 0, proc.stderr
    for name in (*cli.COMMANDS, *EVAL_COMMANDS):
        assert f"    {name} " in proc.stdout, name
    assert "not installed" not in proc.stdout


def test_a_registered_command_runs_with_its_options(tmp_path: Path) -> None:
    proc = run_cli("synth", "--patients", "1", "--seed", "0", "--out", str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote 1 patients (seed 0) to {tmp_path}" in proc.stdout
    assert (tmp_path / "manifest.json").is_file()


def test_the_help_of_a_registered_command_does_not_import_torch() -> None:
    # `clinimem --help` imports every registered command module to read its HELP line.
    code = (
        "import sys, contextlib, io\n"
        "from clinimem.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "print(sorted(m for m in ('torch', 'gradio', 'transformers') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def _without_add_ons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "entry_points", lambda group: ())


@pytest.mark.parametrize("argv", [["synth", "--out", "x"], ["eval", "babi", "--joint"], ["train", "--help"]])
def test_without_the_evaluation_package_its_commands_say_how_to_get_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    _without_add_ons(monkeypatch)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    typed = "eval babi" if argv[:2] == ["eval", "babi"] else argv[0]
    assert err.startswith(f"clinimem {typed}: not installed: this command comes with the evaluation package")
    assert "pip install -e '.[dev]'" in err


def test_without_the_evaluation_package_the_core_commands_still_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _without_add_ons(monkeypatch)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert " ask " in out and " synth " not in out
    assert "not installed: eval, eval-babi, synth, train: each comes with the evaluation package" in out
    with pytest.raises(SystemExit) as exit_:
        cli.main(["ask", "--help"])
    assert exit_.value.code == 0


def test_a_registration_that_cannot_be_imported_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    gone = EntryPoint(name="synth", value="clinimem_eval_gone.commands.synth", group=cli.COMMAND_GROUP)
    clash = EntryPoint(name="ask", value="clinimem_eval.commands.synth", group=cli.COMMAND_GROUP)
    monkeypatch.setattr(cli, "entry_points", lambda group: (gone, clash))
    # an add-on can neither fail the CLI by a stale registration nor replace a core command
    assert cli.add_on_commands() == {}

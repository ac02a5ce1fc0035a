"""A newcomer's first hour, replayed in a fresh virtual environment.

One new venv (``python -m venv`` in a temporary folder, ``PIP_NO_CACHE_DIR=1``, no
cache or site-packages of the developer's environment) and a copy of the project:

1. the Dockerfile's ``pip install`` steps, replayed (torch 2.13.0, then the project as a
   wheel, as the image installs it), then the image's build-time checks and the command-line
   flow ``--help``, ``synth``, ``ingest``, ``patients``, ``ask`` run from another folder, so
   the installed wheel (not the source tree) is what runs;
2. README.md's fenced ``bash`` blocks, literally, in order (``pip install -e '.[dev]'`` then
   ``clinimem demo``, then the first cited answer);
3. every command of docs/tutorial.md's fenced ``bash`` blocks.

Marker convention in those blocks: a command whose comment ends with ``[server]`` starts a
server; it is run with ``--port`` set to a free port (unless it names one), the test waits for
the page to answer on 127.0.0.1 and stops it. ``[not tested]`` marks a command the test skips
(the test suite itself; commands that need the reader's own FHIR server).

The image installs torch from the CPU wheel index; that index is unreachable here, so the
replay drops ``--index-url`` and pip takes the same ``torch 2.13.0+cpu`` wheel from this
machine's local wheels. Until the controller's trained weights are in the repository, ``ask``
runs with ``--system dense`` (the code path is otherwise the same).

This is the slowest test of the suite (several minutes, mostly pip): its step timings are
printed (``pytest -s``) and written to ``quickstart-timings.json`` in the temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "deploy"))
from dockerfile_reader import check_commands, copies, pip_install_steps, read  # noqa: E402

WEIGHTS = Path("clinimem") / "controller" / "weights" / "controller.pt"
FENCE = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)
TAG = re.compile(r"\[(server|not tested)\]\s*$")
SERVER_START_S = 600  # `clinimem demo` loads the samples (MiniLM, spaCy) before it serves

pytestmark = pytest.mark.timeout(3000)


@dataclass(frozen=True)
class Command:
    line: str  # the command as written, tags and comment included
    tag: str | None  # "server", "not tested" or None

    @property
    def shell(self) -> str:
        return self.line


def bash_commands(markdown: str) -> list[list[Command]]:
    """The commands of each fenced ``bash`` block, continuation lines joined."""
    blocks = []
    for body in FENCE.findall(markdown):
        commands, pending = [], ""
        for raw in body.splitlines():
            line = raw.rstrip()
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            line, pending = pending + line, ""
            found = TAG.search(line)
            commands.append(Command(line, found.group(1) if found else None))
        blocks.append(commands)
    return blocks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class FreshEnv:
    root: Path
    venv: Path
    project: Path  # a copy of the repository
    work: Path  # a folder outside the project
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)

    def run(self, argv: list[str] | str, *, cwd: Path, step: str, timeout: float = 1500) -> str:
        started = time.perf_counter()
        shell = isinstance(argv, str)
        done = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", argv] if shell else argv,
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        seconds = time.perf_counter() - started
        self.timings[step] = self.timings.get(step, 0.0) + seconds
        print(f"[{seconds:6.1f} s] {step}: {argv if shell else shlex.join(argv)}", flush=True)
        assert done.returncode == 0, (
            f"{step} failed ({done.returncode}): {argv}\n--- stdout\n{done.stdout[-4000:]}"
            f"\n--- stderr\n{done.stderr[-4000:]}"
        )
        return done.stdout

    def serve(self, line: str, *, cwd: Path, step: str) -> None:
        """Start a ``[server]`` command, wait for its page on 127.0.0.1, stop it."""
        argv = shlex.split(line.split("#", 1)[0])
        if "--port" not in argv:
            argv += ["--port", str(free_port())]
        port = int(argv[argv.index("--port") + 1])
        argv = [self.command(argv[0]), *argv[1:]]
        log = self.root / f"server-{port}.log"
        started = time.perf_counter()
        with open(log, "w") as out:
            process = subprocess.Popen(argv, cwd=cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        try:
            while True:
                assert process.poll() is None, f"{line} exited early:\n{log.read_text()[-4000:]}"
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                        assert page.status == 200
                        break
                except OSError:
                    pass
                assert time.perf_counter() - started < SERVER_START_S, (
                    f"{line}: no page after {SERVER_START_S} s"
                )
                time.sleep(1)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        seconds = time.perf_counter() - started
        self.timings[step] = self.timings.get(step, 0.0) + seconds
        print(f"[{seconds:6.1f} s] {step}: {shlex.join(argv)} (served, then stopped)", flush=True)

    def command(self, name: str) -> str:
        found = self.venv / "bin" / name
        return str(found) if found.exists() else name

    def run_markdown(self, path: Path, *, step: str) -> list[Command]:
        """Run every command of the file's bash blocks in the project copy; return those run."""
        ran = []
        for block in bash_commands(path.read_text(encoding="utf-8")):
            for command in block:
                if command.tag == "not tested":
                    continue
                if command.tag == "server":
                    self.serve(command.shell, cwd=self.project, step=f"{step} (server)")
                else:
                    self.run(self.adapt(command.shell), cwd=self.project, step=step)
                ran.append(command)
        return ran

    def adapt(self, line: str) -> str:
        """``clinimem ask`` uses the dense system until the controller's weights exist."""
        if not (self.project / WEIGHTS).exists() and re.search(r"\bclinimem ask\b", line):
            return re.sub(r"\bclinimem ask\b", "clinimem ask --system dense", line, count=1)
        return line


def copy_project(destination: Path) -> None:
    """The files git tracks or would track (what a fresh clone plus this change holds)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if listed.returncode != 0:
        shutil.copytree(
            REPO,
            destination,
            ignore=shutil.ignore_patterns(
                ".git", ".venv", ".clinimem", "build", "out", "*.egg-info", "__pycache__"
            ),
        )
        return
    for name in filter(None, listed.stdout.split("\0")):
        source = REPO / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> FreshEnv:
    root = tmp_path_factory.mktemp("quickstart")
    project, work, venv = root / "clinimem", root / "work", root / "venv"
    copy_project(project)
    work.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLINIMEM_", "PYTHON", "VIRTUAL_ENV", "PIP_CACHE", "HF_", "TRANSFORMERS_"))
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        PIP_NO_CACHE_DIR="1",  # nothing from the developer's pip cache
        PYTHONNOUSERSITE="1",
        XDG_CACHE_HOME=str(root / "cache"),
    )
    fresh = FreshEnv(root=root, venv=venv, project=project, work=work, env=env)
    fresh.run([sys.executable, "-m", "venv", str(venv)], cwd=root, step="venv")
    yield fresh
    (root / "quickstart-timings.json").write_text(json.dumps(fresh.timings, indent=2))
    total = sum(fresh.timings.values())
    print(f"\nquick-start timings ({total:.0f} s in all): {json.dumps(fresh.timings, indent=1)}", flush=True)


def image_context(fresh: FreshEnv) -> Path:
    """The files the Dockerfile COPYs, laid out as in the image's /app."""
    app = fresh.root / "app"
    for sources, dest in copies(read()):
        for source in sources:
            src = fresh.project / source
            target = app / (Path(source).name if dest.endswith("/") or dest == "./" else dest.lstrip("./"))
            if src.is_dir():
                shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
    return app


@pytest.mark.slow
def test_dockerfile_install_steps_in_a_fresh_venv(fresh: FreshEnv) -> None:
    instructions = read()
    app = image_context(fresh)
    for step in pip_install_steps(instructions):
        fresh.run([fresh.command("pip"), "install", *step], cwd=app, step="docker: pip install")
    for check in check_commands(instructions):
        fresh.run(check, cwd=fresh.work, step="docker: build-time check")
    installed = fresh.run(
        [
            fresh.command("python"),
            "-c",
            "import clinimem, pathlib; print(pathlib.Path(clinimem.__file__).parent)",
        ],
        cwd=fresh.work,
        step="docker: where clinimem is",
    ).strip()
    assert Path(installed).is_relative_to(fresh.venv), installed  # the wheel, not the source tree
    for data in ("notes/vocab/problems.txt", "samples/NOTICE.md"):
        assert (Path(installed) / data).is_file(), f"{data} is missing from the wheel (package-data)"
    fresh.done.add("docker")


@pytest.mark.slow
def test_command_line_flow_on_the_installed_wheel(fresh: FreshEnv) -> None:
    if "docker" not in fresh.done:
        pytest.skip("the Dockerfile replay failed")
    clinimem = fresh.command("clinimem")
    store, synth = str(fresh.work / "store"), str(fresh.work / "synth")
    assert "ingest" in fresh.run([clinimem, "--help"], cwd=fresh.work, step="cli")
    fresh.run([clinimem, "synth", "--patients", "2", "--out", synth], cwd=fresh.work, step="cli")
    loaded = fresh.run(
        [clinimem, "ingest", synth, "--store", store, "--no-progress"], cwd=fresh.work, step="cli"
    )
    assert "resources added" in loaded
    listing = fresh.run([clinimem, "patients", "--store", store, "--json"], cwd=fresh.work, step="cli")
    patients = [json.loads(line) for line in listing.splitlines()]
    assert len(patients) == 2 and all(p["entries"] > 0 for p in patients)
    system = [] if (fresh.project / WEIGHTS).exists() else ["--system", "dense"]
    question = "What was the most recent systolic blood pressure?"
    out = fresh.run(
        [
            clinimem,
            "ask",
            *system,
            "--store",
            store,
            "--patient",
            patients[0]["patient_id"],
            question,
            "--json",
        ],
        cwd=fresh.work,
        step="cli",
    )
    answer = json.loads(out)
    assert answer["patient_id"] == patients[0]["patient_id"] and answer["question"] == question
    assert answer["answer"]["kind"] in ("value", "date", "boolean", "count", "list", "trend", "text", "none")
    assert answer["abstained"] or answer["citations"]
    for citation in answer["citations"]:
        assert re.fullmatch(r"[A-Za-z]+/[^/]+", citation["resource"])


@pytest.mark.slow
def test_readme_quick_start_literally(fresh: FreshEnv) -> None:
    ran = fresh.run_markdown(REPO / "README.md", step="readme")
    lines = [c.line for c in ran]
    assert lines[0].startswith("pip install torch==2.13.0 && pip install -e '.[dev]'")
    assert any(line.startswith("clinimem demo") for line in lines)
    assert any(line.startswith("clinimem ask") for line in lines)
    skipped = [c.line for block in bash_commands((REPO / "README.md").read_text()) for c in block if c.tag]
    assert any("python -m pytest -q" in line for line in skipped)  # the test command, not run from itself
    fresh.done.add("readme")


@pytest.mark.slow
def test_every_tutorial_command_runs(fresh: FreshEnv) -> None:
    if "readme" not in fresh.done:
        pytest.skip("the README's install failed")
    ran = fresh.run_markdown(REPO / "docs" / "tutorial.md", step="tutorial")
    assert len(ran) >= 10
    assert any(c.tag == "server" for c in ran)


def test_markdown_commands_are_found() -> None:
    """The block reader itself, on a small example."""
    text = (
        "intro\n```bash\npip install x  # comment\n# only a comment\nclinimem serve  # page [server]\n"
        "long \\\n  --flag\nmy-server --url X  # [not tested]\n```\n```\nnot bash\n```\n"
    )
    (block,) = bash_commands(text)
    assert [(c.line.split("#")[0].strip(), c.tag) for c in block] == [
        ("pip install x", None),
        ("clinimem serve", "server"),
        ("long    --flag", None),
        ("my-server --url X", "not tested"),
    ]

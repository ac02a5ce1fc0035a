"""A small Dockerfile reader: instructions in order, continuation lines joined, comments dropped.

Enough for the checks in test_manifests.py and for replaying the image's ``pip install``
steps in a fresh virtual environment (tests/docs/test_quickstart.py).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[2] / "deploy" / "Dockerfile"
# The CPU wheel index the image installs torch from; no route to it here, and pip's local
# wheels hold the same torch 2.13.0+cpu build, so a replay drops it.
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, ...
    value: str  # the rest of the instruction, continuation lines joined with a space
    line: int  # 1-based line where it starts

    def exec_form(self) -> list[str] | None:
        """The JSON array of ``CMD ["a", "b"]``-style instructions, else None."""
        text = self.value.strip()
        if not text.startswith("["):
            return None
        return json.loads(text)


def parse(text: str) -> list[Instruction]:
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        continued = line.endswith("\\")
        pending.append(line[:-1].strip() if continued else line)
        if not continued:
            joined = " ".join(p for p in pending if p)
            keyword, _, value = joined.partition(" ")
            instructions.append(Instruction(keyword.upper(), value.strip(), start))
            pending = []
    if pending:
        raise ValueError(f"line {start}: the last instruction ends with a continuation")
    return instructions


def read(path: Path = DOCKERFILE) -> list[Instruction]:
    return parse(path.read_text(encoding="utf-8"))


def run_commands(instruction: Instruction) -> list[str]:
    """The shell commands of a RUN, split at ``&&``."""
    return [part.strip() for part in instruction.value.split("&&") if part.strip()]


def pip_install_steps(instructions: list[Instruction]) -> list[list[str]]:
    """Every ``pip install`` of the RUN steps, as argv lists, the CPU index dropped (see CPU_INDEX)."""
    steps = []
    for instruction in instructions:
        if instruction.keyword != "RUN":
            continue
        for command in run_commands(instruction):
            argv = shlex.split(command)
            if argv[:2] != ["pip", "install"]:
                continue
            replay = []
            skip = False
            for arg in argv[2:]:
                if skip:
                    skip = False
                    continue
                if arg in ("--index-url", "-i"):
                    skip = True
                    continue
                if arg.startswith("--index-url="):
                    continue
                replay.append(arg)
            steps.append(replay)
    return steps


def check_commands(instructions: list[Instruction]) -> list[str]:
    """The image's build-time checks: RUN commands that start with ``clinimem`` or ``python``."""
    found = []
    for instruction in instructions:
        if instruction.keyword == "RUN":
            found += [c for c in run_commands(instruction) if c.split()[0] in ("clinimem", "python")]
    return found


def copies(instructions: list[Instruction]) -> list[tuple[list[str], str]]:
    """``COPY src... dest`` pairs (sources relative to the build context, the repository root)."""
    pairs = []
    for instruction in instructions:
        if instruction.keyword != "COPY":
            continue
        parts = [p for p in shlex.split(instruction.value) if not p.startswith("--")]
        pairs.append((parts[:-1], parts[-1]))
    return pairs

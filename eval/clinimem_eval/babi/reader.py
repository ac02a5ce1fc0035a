"""Reading the bAbI tasks (Weston et al. 2015, "Towards AI-complete question answering").

A bAbI file is a sequence of numbered lines. Numbering restarts at 1 for a new
story; a line with a tab is a question ``text<TAB>answer<TAB>supporting ids``
and the story so far (statements only, questions are not memories) is its
context. One :class:`Sample` per question, its story holding only statements.

Example::

    train, test = load_task(Path("../shared/data/babi/en"), 1)
    train[0].question, train[0].answer, train[0].supporting
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from clinimem.errors import ClinimemError

TASK_NAMES: dict[int, str] = {
    1: "single-supporting-fact",
    2: "two-supporting-facts",
    3: "three-supporting-facts",
    4: "two-arg-relations",
    5: "three-arg-relations",
    6: "yes-no-questions",
    7: "counting",
    8: "lists-sets",
    9: "simple-negation",
    10: "indefinite-knowledge",
    11: "basic-coreference",
    12: "conjunction",
    13: "compound-coreference",
    14: "time-reasoning",
    15: "basic-deduction",
    16: "basic-induction",
    17: "positional-reasoning",
    18: "size-reasoning",
    19: "path-finding",
    20: "agents-motivations",
}
ALL_TASKS: tuple[int, ...] = tuple(TASK_NAMES)

_TOKEN = re.compile(r"[a-z0-9]+")


class BabiDataError(ClinimemError):
    code = "babi-data"


@dataclass(frozen=True)
class Sample:
    """One question with the story that precedes it.

    ``story`` holds the statements (questions removed) in order; ``supporting``
    are indices into ``story`` (0-based), translated from the file's line ids.
    """

    task: int
    story: tuple[tuple[str, ...], ...]
    question: tuple[str, ...]
    answer: str  # comma-joined for the multi-word answers of tasks 8 and 19
    supporting: tuple[int, ...]


def tokenize(text: str) -> tuple[str, ...]:
    """Lower-cased word tokens; punctuation dropped ('?' and '.' carry nothing in bAbI)."""
    return tuple(_TOKEN.findall(text.lower()))


def parse_lines(lines: list[str], task: int, *, source: str = "<lines>") -> list[Sample]:
    """Parse bAbI lines into samples; see the module docstring for the format."""
    samples: list[Sample] = []
    story: list[tuple[str, ...]] = []
    line_to_index: dict[int, int] = {}  # file line id -> index into story (statements only)
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        head, _, text = line.partition(" ")
        if not head.isdigit():
            raise BabiDataError(f"line {number} does not start with a line id", file=source)
        line_id = int(head)
        if line_id == 1:
            story, line_to_index = [], {}
        if "\t" in text:
            parts = text.split("\t")
            if len(parts) < 3:
                raise BabiDataError(f"question on line {number} lacks answer or supporting ids", file=source)
            try:
                supporting = tuple(line_to_index[int(i)] for i in parts[2].split())
            except (KeyError, ValueError) as err:
                raise BabiDataError(f"line {number}: bad supporting fact id {err}", file=source) from err
            samples.append(
                Sample(
                    task=task,
                    story=tuple(story),
                    question=tokenize(parts[0]),
                    answer=parts[1].strip().lower(),
                    supporting=supporting,
                )
            )
        else:
            line_to_index[line_id] = len(story)
            story.append(tokenize(text))
    return samples


def task_files(data_dir: Path, task: int) -> tuple[Path, Path]:
    """The (train, test) files of one 1k English task, e.g. ``qa1_single-supporting-fact_train.txt``."""
    stem = f"qa{task}_{TASK_NAMES[task]}"
    train, test = data_dir / f"{stem}_train.txt", data_dir / f"{stem}_test.txt"
    for path in (train, test):
        if not path.is_file():
            raise BabiDataError(
                "bAbI task file not found",
                file=str(path),
                hint="pass --data DIR pointing at the English 1k tasks (qa1..qa20 *_train.txt/*_test.txt)",
            )
    return train, test


def load_task(data_dir: Path, task: int) -> tuple[list[Sample], list[Sample]]:
    """The (train, test) samples of one task."""
    train, test = task_files(data_dir, task)
    return (
        parse_lines(train.read_text().splitlines(), task, source=str(train)),
        parse_lines(test.read_text().splitlines(), task, source=str(test)),
    )

"""ConText-style context flags: negated, historical, hypothetical, family, uncertain.

After Chapman et al. (NegEx 2001, ConText 2009): a trigger phrase ("denies",
"history of", "return if", "mother", "possible") flags the mentions in its
scope. A scope runs from the trigger to the end of its sentence (forward),
back to the sentence start (backward) or both, and stops early at a
terminating word ("but", "because", ";") or at a comma that does not continue
a list: "No fever, chills or cough" negates
three findings, while in "possible pneumonia, chest X-ray clear" the X-ray is
not uncertain. Likewise a scope passes from one kind of mention to another
(a problem, then a procedure) only through list words: "history of
hypertension and appendectomy", but not "no pneumonia on the chest X-ray".
A pseudo-trigger ("no change", "history and physical") hides the real
triggers it overlaps; overlapping triggers resolve to the longest.

Pure functions over token indices, so the rules test without spaCy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CONTEXT_FILE = Path(__file__).with_name("vocab") / "context.txt"
FLAGS = ("negated", "historical", "hypothetical", "family", "uncertain")
# "ignore": the mentions in scope are not facts about the patient (a drug's
# indication in its sig: "albuterol 2 puffs as needed for wheezing") and are dropped.
CATEGORIES = (*FLAGS, "ignore", "pseudo", "terminate")
DIRECTIONS = ("forward", "backward", "both")
_LIST_WORDS = frozenset({"and", "or", "and/or", "&"})


@dataclass(frozen=True)
class Rule:
    category: str
    direction: str
    phrase: str


@dataclass(frozen=True)
class Trigger:
    """A trigger phrase found in a note: tokens ``[start, end)``."""

    category: str
    direction: str
    start: int
    end: int


@dataclass(frozen=True)
class Target:
    """A mention whose flags are wanted: tokens ``[start, end)`` and its label."""

    start: int
    end: int
    label: str


@lru_cache(maxsize=1)
def load_rules(path: Path = CONTEXT_FILE) -> tuple[Rule, ...]:
    """Rules of ``context.txt``: ``category direction: phrase | phrase``."""
    rules: list[Rule] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head, phrases = line.split(":", 1)
        category, direction = head.split()
        if category not in CATEGORIES or direction not in DIRECTIONS:
            raise ValueError(f"{path.name}: unknown rule head {head!r}")
        rules.extend(Rule(category, direction, p.strip().lower()) for p in phrases.split("|") if p.strip())
    return tuple(rules)


def resolve_triggers(found: Sequence[Trigger], targets: Sequence[Target]) -> list[Trigger]:
    """Longest trigger wins where triggers overlap; pseudo ones and ones inside a mention drop out."""
    taken: set[int] = set()
    for t in targets:
        taken.update(range(t.start, t.end))
    kept: list[Trigger] = []
    for trig in sorted(found, key=lambda t: (-(t.end - t.start), t.start)):
        span = range(trig.start, trig.end)
        if any(i in taken for i in span):
            continue
        taken.update(span)
        kept.append(trig)
    return sorted((t for t in kept if t.category != "pseudo"), key=lambda t: t.start)


class _Sentence:
    """The tokens of one sentence, its mentions and the positions that stop a scope."""

    def __init__(
        self,
        lower: Sequence[str],
        start: int,
        end: int,
        targets: Sequence[Target],
        triggers: Sequence[Trigger],
    ) -> None:
        self.lower, self.start, self.end = lower, start, end
        self.by_start = {t.start: t for t in targets}
        self.by_end = {t.end: t for t in targets}
        # Only terminators end a scope: "mother with history of X" is family (and history).
        self.stop = {i for t in triggers if t.category == "terminate" for i in range(t.start, t.end)}

    def _joined(self, left: int, right: int) -> bool:
        """Only list words between tokens ``left`` and ``right``: "hypertension and appendectomy"."""
        return all(self.lower[k] in _LIST_WORDS or self.lower[k] == "," for k in range(left, right))

    def forward(self, trig: Trigger) -> Iterator[Target]:
        i, label, last = trig.end, None, trig.end
        while i < self.end:
            if i in self.stop:
                return
            if self.lower[i] == ",":
                j = i + 1
                while j < self.end and self.lower[j] in _LIST_WORDS:
                    j += 1
                nxt = self.by_start.get(j)
                if nxt is None or label is None or nxt.label != label:
                    return
                i = j
                continue
            target = self.by_start.get(i)
            if target is not None:
                if label is not None and target.label != label and not self._joined(last, i):
                    return  # "no pneumonia on the chest X-ray": the X-ray is not negated
                label = label or target.label
                last = target.end
                yield target
                i = target.end
                continue
            i += 1

    def backward(self, trig: Trigger) -> Iterator[Target]:
        i, label, first = trig.start - 1, None, trig.start
        while i >= self.start:
            if i in self.stop:
                return
            if self.lower[i] == ",":
                j = i - 1
                while j >= self.start and self.lower[j] in _LIST_WORDS:
                    j -= 1
                prev = self.by_end.get(j + 1)
                if prev is None or label is None or prev.label != label:
                    return
                i = j
                continue
            target = self.by_end.get(i + 1)
            if target is not None:
                if label is not None and target.label != label and not self._joined(target.end, first):
                    return
                label = label or target.label
                first = target.start
                yield target
                i = target.start - 1
                continue
            i -= 1


def sentence_flags(
    lower: Sequence[str],
    start: int,
    end: int,
    targets: Sequence[Target],
    triggers: Sequence[Trigger],
) -> dict[Target, set[str]]:
    """Flags of each target in the sentence ``lower[start:end]`` from its resolved triggers."""
    flags: dict[Target, set[str]] = {t: set() for t in targets}
    sentence = _Sentence(lower, start, end, targets, triggers)
    for trig in triggers:
        if trig.category == "terminate":
            continue
        reached: list[Target] = []
        if trig.direction in ("forward", "both"):
            reached.extend(sentence.forward(trig))
        if trig.direction in ("backward", "both"):
            reached.extend(sentence.backward(trig))
        for target in reached:
            flags[target].add(trig.category)
    return flags


def ordered(flags: set[str]) -> tuple[str, ...]:
    """Flags in the fixed order of :data:`FLAGS` (and ``ignore`` last, for the reader to drop).

    A family mention is not the patient's own history.
    """
    if "family" in flags:
        flags = flags - {"historical"}
    return tuple(f for f in (*FLAGS, "ignore") if f in flags)

"""Template registry and the draft a template yields before it is phrased."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from clinimem.memory.entry import MemoryEntry
from clinimem_eval.questions.facts import PatientFacts


@dataclass(frozen=True)
class Draft:
    """One question instance before phrasing: what it targets and how the answer is computed.

    ``targets`` are the entries the op reads (the last hop); ``anchors`` the
    entries that locate them (the event of "before metformin was started").
    Gold evidence is anchors + targets.
    """

    template: str
    op: str
    kind: str
    targets: tuple[MemoryEntry, ...]
    slots: dict[str, Any]
    params: dict[str, Any]
    anchors: tuple[MemoryEntry, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", tuple(self.targets))
        object.__setattr__(self, "anchors", tuple(self.anchors))


Builder = Callable[[PatientFacts], list[Draft]]


@dataclass(frozen=True)
class Template:
    """A question template: its category, phrasings (the last ``held_out`` are test-only) and builder."""

    name: str
    category: str
    phrasings: tuple[str, ...]
    build: Builder = field(repr=False)

    @property
    def held_out(self) -> int:
        """How many of the last phrasings are held out of training: 2 of 6, 1 of 4-5."""
        return 2 if len(self.phrasings) >= 6 else 1

    def is_held_out(self, phrasing: int) -> bool:
        return phrasing >= len(self.phrasings) - self.held_out


TEMPLATES: dict[str, Template] = {}


def template(name: str, category: str, phrasings: Sequence[str]) -> Callable[[Builder], Builder]:
    """Register a builder under ``name`` (4-6 phrasings; slots in braces, see ``generate.render``)."""
    if not 4 <= len(phrasings) <= 6:
        raise ValueError(f"template {name}: 4-6 phrasings, got {len(phrasings)}")

    def register(build: Builder) -> Builder:
        TEMPLATES[name] = Template(name, category, tuple(phrasings), build)
        return build

    return register


def unique_per_day(entries: Sequence[MemoryEntry]) -> dict[str, MemoryEntry]:
    """Day -> the entry of that day, for days with exactly one (a question about a day must be unambiguous)."""
    counts: dict[str, list[MemoryEntry]] = {}
    for entry in entries:
        counts.setdefault(entry.date or "", []).append(entry)
    return {day: found[0] for day, found in counts.items() if day and len(found) == 1}


def target_params(entry: MemoryEntry, name: str) -> dict[str, Any]:
    return {"code": entry.code, "display": entry.display, "name": name, "kind": entry.kind}

"""Section headings of a clinical note ("Family history:", an HTML <h2> turned into a line)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SECTIONS_FILE = Path(__file__).with_name("vocab") / "sections.txt"

# Sections whose content is about someone else or about the past, whatever the sentence says.
FAMILY_SECTIONS = frozenset({"family_history"})
HISTORY_SECTIONS = frozenset({"past_surgical_history"})


@dataclass(frozen=True)
class Heading:
    """One heading in the plain text: ``[start, end)`` covers the heading and its colon."""

    name: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _heading_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = {}
    for raw in SECTIONS_FILE.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, forms = line.split(":", 1)
            for form in forms.split("|"):
                names[form.strip().lower()] = name.strip()
    alternatives = "|".join(re.escape(f) for f in sorted(names, key=len, reverse=True))
    # At a line start: the heading, then a colon, or nothing else on the line.
    pattern = re.compile(
        rf"^[ \t]*(?P<h>{alternatives})[ \t]*(?::|(?=[ \t]*$))", re.IGNORECASE | re.MULTILINE
    )
    return pattern, names


def find_headings(text: str) -> list[Heading]:
    """Headings in document order."""
    pattern, names = _heading_pattern()
    return [Heading(names[m.group("h").lower()], m.start("h"), m.end()) for m in pattern.finditer(text)]

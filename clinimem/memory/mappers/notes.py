"""Note mentions -> memory entries of kind ``note``, one per mention.

Each entry is tied to the note's patient, visit and time; ``display`` is the
canonical concept ("chest pain"), ``concept`` is ``note mention: chest pain``
(shared across patients and notes, so one vector serves them all), ``text``
the sentence the mention came from, ``flags`` its context flags, ``category``
its label (problem, drug, procedure, finding), ``path`` the note's JSON path
plus ``#mention[i]``, and ``span`` the mention's ``[start, end)`` in the
decoded note, so a citation can show and highlight where it was said.

It lives with the mappers (before issue 17: ``clinimem.notes.entries``), so :mod:`clinimem.notes`
reads text and knows nothing of the memory.
"""

from __future__ import annotations

from collections.abc import Sequence

from clinimem.memory.entry import MemoryEntry
from clinimem.notes.reader import NoteMention

MAX_TEXT = 200


def mention_concept(concept: str) -> str:
    return f"note mention: {concept}"


def short_sentence(mention: NoteMention, limit: int = MAX_TEXT) -> str:
    """The mention's sentence, cut around the mention when longer than ``limit``."""
    sentence = mention.sentence
    if len(sentence) <= limit:
        return sentence
    at = sentence.lower().find(mention.text.lower())
    at = max(at, 0)
    start = max(0, min(at - limit // 3, len(sentence) - limit))
    piece = sentence[start : start + limit].strip()
    return ("…" if start > 0 else "") + piece + ("…" if start + limit < len(sentence) else "")


def mention_entries(
    mentions: Sequence[NoteMention],
    *,
    patient_id: str,
    resource: str,
    path: str,
    time: str | None,
    encounter: str | None,
    status: str | None = None,
) -> list[MemoryEntry]:
    """One entry per mention, in note order (``path#mention[i]``)."""
    return [
        MemoryEntry(
            patient_id=patient_id,
            kind="note",
            resource=resource,
            path=f"{path}#mention[{index}]",
            text=short_sentence(mention),
            concept=mention_concept(mention.concept),
            time=time,
            encounter=encounter,
            display=mention.concept,
            status=status,
            category=mention.label,
            flags=mention.flags,
            span=(mention.start, mention.end),
        )
        for index, mention in enumerate(mentions)
    ]

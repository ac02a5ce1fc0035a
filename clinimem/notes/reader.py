"""Read notes: text in, sections and mentions with flags out, offsets into the decoded note.

Compute and annotate are separate: :func:`read_notes` runs the spaCy pipeline
over many notes at once (``nlp.pipe``) and turns each ``Doc`` into plain frozen
records; :mod:`clinimem.memory.mappers.notes` turns those into memory entries.

>>> reading = read_note("HPI: Denies chest pain. Mother with breast cancer.")
>>> [(m.concept, m.flags) for m in reading.mentions]
[('chest pain', ('negated',)), ('breast cancer', ('family',))]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from clinimem.notes.pipeline import sentence_bounds, shared_pipeline, token_offsets
from clinimem.notes.text import PlainText, readable


@dataclass(frozen=True)
class NoteSection:
    """A section of a note: canonical name and ``[start, end)`` in the decoded note."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class NoteMention:
    """One problem, drug, procedure or finding named in a note.

    ``start``/``end`` index the decoded note (the HTML source for an HTML note),
    so ``note[start:end]`` is the mention as written; ``sentence_start`` and
    ``sentence_end`` bound its sentence the same way. ``sentence`` is the
    sentence as plain text. ``flags`` is a subset of ``negated, historical,
    hypothetical, family, uncertain`` in that order; empty means affirmed.
    """

    text: str
    start: int
    end: int
    label: str
    concept: str
    section: str | None
    sentence: str
    sentence_start: int
    sentence_end: int
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoteReading:
    """What the reader found in one note."""

    text: str  # the decoded note, as the offsets index it
    sections: tuple[NoteSection, ...]
    mentions: tuple[NoteMention, ...]


def read_note(text: str, content_type: str | None = "text/plain") -> NoteReading:
    """Read one note (plain text, or HTML when ``content_type`` says so)."""
    return read_notes([(text, content_type)])[0]


def read_notes(notes: Iterable[tuple[str, str | None]], batch_size: int = 64) -> list[NoteReading]:
    """Read many ``(text, content_type)`` notes in one ``nlp.pipe`` pass."""
    sources = [readable(text, content_type) for text, content_type in notes]
    nlp = shared_pipeline()
    docs = nlp.pipe((s.text for s in sources), batch_size=batch_size)
    return [_reading(doc, source) for doc, source in zip(docs, sources, strict=True)]


def _reading(doc: object, source: PlainText) -> NoteReading:
    sections = []
    for span in doc.spans.get("sections", []):  # type: ignore[attr-defined]
        start, end = source.source_span(span.start_char, span.end_char)
        sections.append(NoteSection(span.label_, start, end))
    section_at = _section_lookup(sections)
    mentions = []
    bounds = sentence_bounds(doc)
    # Character offsets by token from attribute arrays: Span.text builds a Token per token.
    starts, ends = token_offsets(doc)
    for ent in doc.ents:  # type: ignore[attr-defined]
        if "ignore" in ent._.context_flags:
            continue
        start, end = source.source_span(ent.start_char, ent.end_char)
        first, last = bounds(ent.start)
        raw = source.text[starts[first] : ends[last - 1]]
        sent_text = raw.strip()
        lead = starts[first] + len(raw) - len(raw.lstrip())
        s_start, s_end = source.source_span(lead, lead + len(sent_text))
        mentions.append(
            NoteMention(
                text=source.source[start:end],
                start=start,
                end=end,
                label=ent.label_,
                concept=ent.kb_id_,
                section=section_at(start),
                sentence=" ".join(sent_text.split()),
                sentence_start=s_start,
                sentence_end=s_end,
                flags=tuple(ent._.context_flags),
            )
        )
    return NoteReading(source.source, tuple(sections), tuple(mentions))


def _section_lookup(sections: Sequence[NoteSection]):  # noqa: ANN202 - a small closure
    def lookup(offset: int) -> str | None:
        for section in sections:
            if section.start <= offset < section.end:
                return section.name
        return None

    return lookup


def sentence_of(reading: NoteReading, mention: NoteMention) -> str:
    """The decoded source of the mention's sentence (for highlighting in the note)."""
    return reading.text[mention.sentence_start : mention.sentence_end]

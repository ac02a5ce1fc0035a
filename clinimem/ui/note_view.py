"""A cited note entry shown in its note: the note's text with the cited sentence and mention marked.

Plain functions (no gradio). A note entry (kind ``note``) keeps the note's
resource, its JSON ``path`` (``$.content[0].attachment#mention[3]``) and the
mention's ``span`` in the decoded note; its ``text`` is the sentence (cut with
"…" when long). The panel shows the note as plain text (an HTML note reduced
to text, never rendered), the sentence in a ``<mark class="cm-sentence">`` and
the mention inside it in a ``<mark class="cm-mention">``. Note text is
untrusted: every character of it is HTML-escaped.

>>> highlight_html("Denies chest pain. Mother: <b>", mention=(7, 17), sentence=(0, 18))
'<mark class="cm-sentence">Denies <mark class="cm-mention">chest pain</mark>.</mark> Mother: &lt;b&gt;'
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from clinimem.memory.entry import MemoryEntry
from clinimem.notes.text import PlainText, note_source_at, readable

Span = tuple[int, int]

# Longer notes are shown as a window around the cited sentence.
MAX_SHOWN = 20_000
_ELLIPSIS = "…"
_SPACES = re.compile(r"\s+")


def clip_span(span: Sequence[Any] | None, length: int) -> Span | None:
    """``span`` as ``[start, end)`` inside ``0..length``; None when it is missing, malformed or empty."""
    if span is None or len(span) != 2:
        return None
    try:
        start, end = int(span[0]), int(span[1])
    except (TypeError, ValueError):
        return None
    start, end = max(0, min(start, length)), max(0, min(end, length))
    return (start, end) if end > start else None


def highlight_html(text: str, mention: Sequence[Any] | None, sentence: Sequence[Any] | None = None) -> str:
    """``text`` escaped for HTML, the sentence and the mention in it marked.

    Spans are ``[start, end)`` into ``text``; each is clipped to the text and
    dropped when empty. A sentence that overlaps the mention only in part is
    widened to hold it (the marks always nest); one that misses the mention
    entirely is not marked, as it cannot be the mention's sentence.
    """
    m = clip_span(mention, len(text))
    s = clip_span(sentence, len(text))
    if m and s:
        overlap = s[0] < m[1] and m[0] < s[1]
        s = (min(s[0], m[0]), max(s[1], m[1])) if overlap else None
    esc = html.escape
    if m is None and s is None:
        return esc(text)
    if m is None:
        assert s is not None
        return (
            f'{esc(text[: s[0]])}<mark class="cm-sentence">{esc(text[s[0] : s[1]])}</mark>{esc(text[s[1] :])}'
        )
    marked = f'<mark class="cm-mention">{esc(text[m[0] : m[1]])}</mark>'
    if s is None:
        return f"{esc(text[: m[0]])}{marked}{esc(text[m[1] :])}"
    return (
        f'{esc(text[: s[0]])}<mark class="cm-sentence">{esc(text[s[0] : m[0]])}{marked}'
        f"{esc(text[m[1] : s[1]])}</mark>{esc(text[s[1] :])}"
    )


def plain_span(reading: PlainText, start: int, end: int) -> Span | None:
    """The span of ``reading.text`` that source span ``[start, end)`` covers (the inverse of ``source_span``)."""
    if reading.starts is None or reading.ends is None:
        return clip_span((start, end), len(reading.text))
    first = next((i for i, s in enumerate(reading.starts) if s >= start), None)
    last = next((i for i in range(len(reading.ends) - 1, -1, -1) if reading.ends[i] <= end), None)
    if first is None or last is None or last < first:
        return None
    return first, last + 1


def _squeezed(text: str) -> tuple[str, list[int]]:
    """``text`` with whitespace runs read as one space, and where each of its characters sits in ``text``."""
    chars: list[str] = []
    where: list[int] = []
    pos = 0
    for run in _SPACES.finditer(text):
        chars.extend(text[pos : run.start()])
        where.extend(range(pos, run.start()))
        chars.append(" ")
        where.append(run.start())
        pos = run.end()
    chars.extend(text[pos:])
    where.extend(range(pos, len(text)))
    return "".join(chars), where


def sentence_span(text: str, mention: Span, sentence: str) -> Span | None:
    """Where in ``text`` the entry's ``sentence`` (whitespace squeezed, maybe cut with "…") holds the mention."""
    core = " ".join(sentence.strip().strip(_ELLIPSIS).split())
    if not core:
        return None
    squeezed, where = _squeezed(text)
    found: list[Span] = []
    at = squeezed.find(core)
    while at >= 0:
        found.append((where[at], where[at + len(core) - 1] + 1))
        at = squeezed.find(core, at + 1)
    holding = [s for s in found if s[0] <= mention[0] and mention[1] <= s[1]]
    touching = [s for s in found if s[0] < mention[1] and mention[0] < s[1]]
    best = holding or touching
    return min(best, key=lambda s: s[1] - s[0]) if best else None


def _window(text: str, focus: Span, limit: int) -> tuple[str, int]:
    """At most ``limit`` characters of ``text`` around ``focus``; returns the piece and its offset."""
    if len(text) <= limit:
        return text, 0
    middle = (focus[0] + focus[1]) // 2
    start = max(0, min(middle - limit // 2, len(text) - limit))
    return text[start : start + limit], start


def note_panel(entry: MemoryEntry | None, resource: dict[str, Any] | None, *, limit: int = MAX_SHOWN) -> str:
    """The HTML panel for a cited note entry; "" when the entry is not a note or its note cannot be read."""
    if entry is None or entry.kind != "note" or not resource or "#" not in entry.path:
        return ""
    found = note_source_at(resource, entry.path)
    if not found or not found[0]:
        return ""
    source, content_type = found
    reading = readable(source, content_type)
    text = reading.text
    mention = None
    if entry.span is not None and (span := clip_span(entry.span, len(source))) is not None:
        mention = plain_span(reading, *span)
    sentence = sentence_span(text, mention, entry.text) if mention else None
    focus = sentence or mention or (0, 0)
    shown, offset = _window(text, focus, limit)

    def moved(span: Span | None) -> Span | None:
        return (span[0] - offset, span[1] - offset) if span else None

    body = highlight_html(shown, moved(mention), moved(sentence))
    if offset > 0:
        body = _ELLIPSIS + body
    if offset + len(shown) < len(text):
        body += _ELLIPSIS
    what = html.escape(entry.display or "mention")
    flags = ", ".join(entry.flags) if entry.flags else "affirmed"
    when = f" · {html.escape(entry.date)}" if entry.date else ""
    head = (
        f'<div class="cm-note-head"><strong>{html.escape(entry.resource)}</strong>{when} · '
        f"mention <em>{what}</em> ({html.escape(flags)})</div>"
    )
    if mention is None:
        head += '<div class="cm-note-head">The mention\'s place in this note is not known.</div>'
    return f'{head}<div class="cm-note-text">{body}</div>'

"""A cited note entry shown in its note: escaping, spans at the edges, bad spans, HTML notes, long notes."""

from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser

from fhir_samples import document_reference, encounter, sourced

from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers import MappedResource, map_resource
from clinimem.notes.text import reduce_html
from clinimem.ui.note_view import clip_span, highlight_html, note_panel, plain_span, sentence_span


class _Marks(HTMLParser):
    """The text inside each ``<mark class=...>``, by class, nesting followed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mark":
            name = dict(attrs).get("class") or ""
            self.open.append(name)
            self.text.setdefault(name, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for name in set(self.open):
            self.text[name][-1] += data


SENTENCE, MENTION = "cm-sentence", "cm-mention"


def marked(panel: str, name: str) -> str:
    """The text of the first ``<mark class=name>`` in ``panel``, entities decoded."""
    parser = _Marks()
    parser.feed(panel)
    parser.close()
    found = parser.text.get(name)
    assert found, panel
    return found[0]


def shown_text(panel: str) -> str:
    body = panel.split('<div class="cm-note-text">', 1)[1].rsplit("</div>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def note_entries(data: dict) -> list[MemoryEntry]:
    result = map_resource(sourced(data))
    assert isinstance(result, MappedResource), result
    return [e for e in result.entries if e.kind == "note" and e.span]


# -- highlight_html ------------------------------------------------------------------------------


def test_note_text_is_escaped_inside_and_outside_the_marks() -> None:
    text = "<script>alert(\"x\")</script> & <b>chest pain</b> said 'no'"
    start = text.index("chest pain")
    out = highlight_html(text, (start, start + 10), (0, len(text)))
    assert "<script>" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in out
    assert "&#x27;no&#x27;" in out
    # Only the two marks are tags; the escaped text reads back as the note.
    assert re.findall(r"<(/?\w+)", out) == ["mark", "mark", "/mark", "/mark"]
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text


def test_mention_nested_in_its_sentence() -> None:
    text = "HPI: Denies chest pain. Mother with breast cancer."
    out = highlight_html(text, (12, 22), (5, 23))
    assert out == (
        'HPI: <mark class="cm-sentence">Denies <mark class="cm-mention">chest pain</mark>.</mark>'
        " Mother with breast cancer."
    )


def test_spans_at_the_start_and_end_of_the_text() -> None:
    text = "Chest pain on exertion. Denies fever"
    at_start = highlight_html(text, (0, 10), (0, 23))
    assert at_start.startswith('<mark class="cm-sentence"><mark class="cm-mention">Chest pain</mark>')
    at_end = highlight_html(text, (31, 36), (24, 36))
    assert at_end.endswith('<mark class="cm-sentence">Denies <mark class="cm-mention">fever</mark></mark>')
    whole = highlight_html("Cough", (0, 5), (0, 5))
    assert whole == '<mark class="cm-sentence"><mark class="cm-mention">Cough</mark></mark>'


def test_out_of_range_and_malformed_spans() -> None:
    text = "No fever."
    # Clipped to the text.
    assert highlight_html(text, (3, 99), (-5, 99)) == (
        '<mark class="cm-sentence">No <mark class="cm-mention">fever.</mark></mark>'
    )
    # Wholly outside, empty, inverted, malformed, missing: no mark, the text still shown (escaped).
    for bad in [(20, 30), (-9, -1), (4, 4), (6, 3), ("a", "b"), (1,), None]:
        assert highlight_html(text, bad, bad) == text
    assert highlight_html("a<b", (50, 60)) == "a&lt;b"
    assert clip_span([2, 5], 10) == (2, 5) and clip_span((8, 20), 10) == (8, 10)
    assert clip_span(None, 10) is None and clip_span((3, 3), 10) is None


def test_overlapping_spans_nest_and_a_stray_sentence_is_dropped() -> None:
    text = "Denies chest pain or fever today."
    # The sentence overlaps the mention in part: widened to hold it, marks still nest.
    out = highlight_html(text, (7, 17), (10, 26))  # "st pain or fever"
    assert out.startswith('Denies <mark class="cm-sentence"><mark class="cm-mention">chest pain</mark>')
    assert marked(out, SENTENCE) == "chest pain or fever"
    # A sentence inside the mention: the mention's bounds win.
    assert marked(highlight_html(text, (7, 17), (9, 12)), SENTENCE) == "chest pain"
    # A sentence that misses the mention is not its sentence: the mention alone is marked.
    assert highlight_html(text, (7, 17), (21, 26)) == (
        'Denies <mark class="cm-mention">chest pain</mark> or fever today.'
    )
    # A sentence without a mention is still marked.
    assert (
        highlight_html(text, None, (0, 6))
        == '<mark class="cm-sentence">Denies</mark> chest pain or fever today.'
    )


# -- finding the sentence and mapping spans --------------------------------------------------------


def test_sentence_found_around_its_mention_across_line_breaks_and_cuts() -> None:
    text = "No fever.\nPlan: return if\n  fever   develops. No fever."
    second = text.index("fever", 12)
    span = sentence_span(text, (second, second + 5), "Plan: return if fever develops.")
    assert span is not None and text[span[0] : span[1]] == "Plan: return if\n  fever   develops."
    # Of two identical sentences, the one holding the mention.
    last = text.rindex("fever")
    span = sentence_span(text, (last, last + 5), "No fever.")
    assert span == (len(text) - 9, len(text))
    # A sentence cut with "…" is found by what is left of it.
    span = sentence_span(text, (second, second + 5), "…return if fever…")
    assert span is not None and text[span[0] : span[1]] == "return if\n  fever"
    assert sentence_span(text, (0, 2), "Not in this note.") is None


def test_html_source_spans_map_to_the_reduced_text() -> None:
    markup = "<p>Mother &amp; father with <b>type 2 diabetes</b>.</p>"
    reading = reduce_html(markup)
    start = markup.index("type 2 diabetes")
    span = plain_span(reading, start, start + len("type 2 diabetes"))
    assert span is not None and reading.text[span[0] : span[1]] == "type 2 diabetes"
    amp = markup.index("&amp;")
    span = plain_span(reading, amp, amp + 5)
    assert span is not None and reading.text[span[0] : span[1]] == "&"
    assert plain_span(reading, 1, 2) is None  # inside a tag: no plain text


# -- note_panel over real note entries ------------------------------------------------------------

NOTE = (
    "Progress note\n\n"
    "HPI: Dry cough for several weeks. Denies chest pain.\n\n"
    "Family history: Mother with breast cancer <not verified> & type 2 diabetes.\n"
)


def test_panel_of_a_plain_text_note_marks_each_entry_sentence_and_mention() -> None:
    data = document_reference("n1", NOTE)
    entries = note_entries(data)
    assert {e.display for e in entries} >= {"cough", "chest pain", "breast cancer"}
    for entry in entries:
        panel = note_panel(entry, data)
        assert marked(panel, SENTENCE) == entry.text
        assert marked(panel, MENTION) == NOTE[slice(*entry.span)]
        assert shown_text(panel) == NOTE  # the whole note, as written
        assert "<not verified>" not in panel and "&lt;not verified&gt; &amp;" in panel
        assert html.escape(entry.resource) in panel


def test_panel_of_an_html_note_shows_its_text_not_its_markup() -> None:
    markup = (
        "<div><h2>Family history</h2><p>Father with <i>type 2 diabetes</i>.</p>"
        '<p onclick="x()">No fever.</p><script>alert(1)</script></div>'
    )
    data = document_reference("n2", markup, content_type="text/html")
    diabetes, fever = note_entries(data)
    panel = note_panel(diabetes, data)
    assert marked(panel, SENTENCE) == "Father with type 2 diabetes."
    assert marked(panel, MENTION) == "type 2 diabetes"
    assert "onclick" not in panel and "script" not in panel and "<i>" not in panel
    assert marked(note_panel(fever, data), MENTION) == "fever"


def test_panel_of_a_narrative_div() -> None:
    data = encounter("e9", "2020-02-01T09:00:00+00:00")
    data["text"] = {
        "status": "additional",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Seen for cough. Denies fever.</p></div>',
    }
    cough, fever = note_entries(data)
    assert marked(note_panel(fever, data), SENTENCE) == "Denies fever."
    assert marked(note_panel(cough, data), MENTION) == "cough"


def test_long_note_shows_a_window_around_the_sentence() -> None:
    filler = "Routine review of systems otherwise unremarkable today. " * 60
    text = filler + "Denies chest pain. " + filler
    data = document_reference("n3", text)
    chest = next(e for e in note_entries(data) if e.display == "chest pain")
    panel = note_panel(chest, data, limit=500)
    assert marked(panel, SENTENCE) == "Denies chest pain."
    shown = shown_text(panel)
    assert shown.startswith("…") and shown.endswith("…") and len(shown) <= 502


def test_no_panel_for_other_entries_or_unreadable_notes() -> None:
    data = document_reference("n4", NOTE)
    chest = next(e for e in note_entries(data) if e.display == "chest pain")
    assert note_panel(None, data) == ""
    assert note_panel(chest, None) == ""
    condition = MemoryEntry(
        patient_id="p", kind="condition", resource="Condition/c", path="$", text="x", concept="x"
    )
    assert note_panel(condition, data) == ""
    # The note entry for the whole document (path "$") has no span to show.
    whole = MemoryEntry(
        patient_id="p", kind="note", resource="DocumentReference/n4", path="$", text="x", concept="x"
    )
    assert note_panel(whole, data) == ""
    # The attachment is gone from the resource: nothing to show.
    assert note_panel(chest, {**data, "content": []}) == ""
    # A span that no longer fits the note: the note is shown, nothing marked, and it says so.
    stale = MemoryEntry.from_payload({**chest.payload(), "span": [5000, 5010]})
    panel = note_panel(stale, data)
    assert "<mark" not in panel and "not known" in panel
    assert shown_text(panel) == base64.b64decode(data["content"][0]["attachment"]["data"]).decode()

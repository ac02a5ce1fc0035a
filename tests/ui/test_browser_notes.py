"""A cited note entry in a real browser: opening its row shows the note with the cited sentence marked.

Synthetic patients from the generator (``clinimem synth``) have notes; they
are loaded into their own embedded store and served by the real page. The
page answers with the engine's default system when that one cites a note
entry for a note question, else with the dense retrieval baseline.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,  # a real browser against a served page
    pytest.mark.timeout(300),
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

N_PATIENTS, SEED = 2, 0
# In the phrasings of the harness's note questions (eval/clinimem_eval/questions/notes.py).
NOTE_QUESTIONS = (
    "Has the patient ever reported chest pain?",
    "Did the patient ever complain of cough?",
    "Any history of shortness of breath in the notes?",
    "Any family history of diabetes?",
)


@dataclass(frozen=True)
class NoteCase:
    engine: object  # clinimem.api.Clinimem, its default system the one that cites a note here
    system: str
    patient_id: str
    patient_name: str
    question: str
    row: int  # 0-based row of the citation table that holds a note entry
    entries: dict  # entry id -> MemoryEntry, the patient's memory


@pytest.fixture(scope="module")
def note_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Generated patients (with notes) loaded into a temporary embedded store."""
    from clinimem_eval.synth.generator import generate

    from clinimem.ingest.load import load_sources
    from clinimem.memory.store import release_shared_store, shared_store

    folder = tmp_path_factory.mktemp("synth-notes")
    bundles = [
        p
        for p in generate(N_PATIENTS, seed=SEED, out_dir=folder / "bundles")
        if p.suffix == ".json" and not p.name.endswith(".truth.json") and p.name != "manifest.json"
    ]
    location = str(folder / "store")
    result = load_sources(bundles, store_location=location)
    assert result.report.total_rejected == 0
    yield location
    release_shared_store(shared_store(location))


@pytest.fixture(scope="module")
def note_case(note_store: str) -> NoteCase:
    """The first system, patient and question whose answer cites a note entry that has a span."""
    from clinimem.api import Clinimem
    from clinimem.memory.store import shared_store
    from clinimem.ui import views
    from clinimem.ui.backend import FALLBACK_SYSTEM

    store = shared_store(note_store)
    default = Clinimem(store).default_system
    tried = []
    for system in dict.fromkeys([default, FALLBACK_SYSTEM]):
        engine = Clinimem(store, system=system)
        try:
            engine.system(system)
        except Exception as err:  # not loadable here: the page would not use it either
            tried.append(f"{system}: {type(err).__name__}")
            continue
        for patient in engine.patients():
            entries = {e.entry_id: e for e in engine.memory(patient.patient_id).entries}
            for question in NOTE_QUESTIONS:
                answer = engine.ask(patient.patient_id, question)
                rows = views.citation_rows(answer, entries)
                for index, row in enumerate(rows):
                    entry = entries.get(row.entry_id)
                    if entry is not None and entry.kind == "note" and entry.span:
                        return NoteCase(
                            engine, system, patient.patient_id, patient.name, question, index, entries
                        )
            tried.append(f"{system}: no note cited for {patient.name}")
    pytest.fail(f"no answering system cites a note entry for {NOTE_QUESTIONS}: {tried}")


@pytest.fixture(scope="module")
def note_server(note_case: NoteCase) -> Iterator[str]:
    """The real page (uvicorn over HTTP) on a free loopback port, over the generated patients."""
    import socket

    from clinimem.ui.app import serve

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    demo = serve(note_case.engine, host="127.0.0.1", port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_opening_a_cited_note_entry_shows_its_sentence_highlighted(
    browser, note_server: str, note_case: NoteCase, tmp_path: Path
) -> None:  # noqa: ANN001 - playwright types
    from clinimem.notes.text import note_at

    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(note_server)
        page.wait_for_selector("#status:has-text('patients in the memory')")
        assert note_case.system in page.locator("#status").inner_text()
        box = page.locator("#patient input")
        box.click()
        box.fill(note_case.patient_name.split()[-1])
        page.get_by_role("option", name=note_case.patient_name).first.click()
        page.locator("#patient-header").locator("text=Active problems").wait_for()

        page.locator("#question textarea").fill(note_case.question)
        page.locator("#ask").click()
        page.locator("#answer").locator(f"text={note_case.patient_id}").wait_for()
        rows = page.locator("#citations [role=row]")
        rows.nth(note_case.row + 1).wait_for()  # row 0 is the header
        # The panels follow the answer: the strongest citation's card opens by itself.
        page.locator("#card .cm-card").wait_for()

        # Open the note entry's row: its text cell (the 4th column).
        cells = rows.nth(note_case.row + 1).locator("[role=gridcell]")
        date, _, kind, text = (cells.nth(i).inner_text().strip() for i in range(4))
        assert kind == "note"
        cells.nth(3).click()

        sentence = page.locator("#note mark.cm-sentence")
        sentence.wait_for()
        mention = sentence.locator("mark.cm-mention")
        head = page.locator("#note .cm-note-head").first.inner_text()
        # The entries the clicked row may be (notes repeat sentences): same date and sentence.
        candidates = [
            e
            for e in note_case.entries.values()
            if e.kind == "note"
            and e.span
            and e.text == text
            and (e.date or "") == date
            and e.resource in head
        ]
        assert candidates, (date, text, head)
        # The panel names the mention it marks: that picks the entry among those sharing the sentence.
        entry = next(e for e in candidates if f"mention {e.display} (" in head)
        # The highlighted sentence is the entry's sentence as stored; the mention is its span of the note.
        assert " ".join(sentence.inner_text().split()) == entry.text
        note = note_at(note_case.engine.store.source_resource(entry.resource), entry.path)
        assert note is not None
        assert mention.inner_text() == note[slice(*entry.span)]
        # The mark is shown as a highlight (CSS applied), inside the note's own text.
        assert sentence.evaluate("m => getComputedStyle(m).backgroundColor") not in ("", "rgba(0, 0, 0, 0)")
        assert page.locator("#note .cm-note-text").inner_text().strip()[:20] in note
        # Only the two marks are elements in the note's text: the note itself is never rendered as HTML.
        tags = page.locator("#note .cm-note-text *").evaluate_all("els => els.map(e => e.tagName)")
        assert tags == ["MARK", "MARK"]
        # The text box is scrolled so that the highlighted sentence is in view.
        page.wait_for_function(
            """() => {
              const box = document.querySelector('#note .cm-note-text');
              const mark = box && box.querySelector('mark.cm-sentence');
              if (!mark) return false;
              const b = box.getBoundingClientRect(), m = mark.getBoundingClientRect();
              return m.top >= b.top && m.bottom <= b.bottom;
            }"""
        )
        # ... and the source FHIR resource still opens as formatted JSON beside it, behind its toggle.
        page.locator("#source-toggle").get_by_text("Source FHIR resource").click()
        source = page.locator("#source")
        source.locator("text=DocumentReference").first.wait_for()
        assert note_case.patient_id in source.inner_text()
        assert "Traceback" not in page.content()

        shot = tmp_path / "note-citation.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        print(f"\n[ui tests] {note_case.system}: {note_case.question!r} -> note screenshot {shot}")

        # A new question hides the panel again.
        page.locator("#question textarea").fill("When was the last visit?")
        page.locator("#ask").click()
        page.locator("#note mark").first.wait_for(state="hidden")
    finally:
        context.close()

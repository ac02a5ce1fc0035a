"""Note mentions as memory entries: through map_resource, and loaded into a real embedded store."""

from __future__ import annotations

import base64
import copy
from pathlib import Path

from fhir_samples import PID, bundle, document_reference, encounter, patient, sourced, write_json

from clinimem.ingest.load import load_sources
from clinimem.memory.entry import entry_id_for
from clinimem.memory.mappers import MappedResource, map_resource
from clinimem.memory.mappers.notes import short_sentence
from clinimem.memory.store import release_shared_store, shared_store

NOTE = (
    "Progress note\n\n"
    "HPI: Dry cough for several weeks since starting lisinopril. Denies chest pain.\n\n"
    "Family history: Mother with breast cancer.\n\n"
    "Assessment and plan: Stopped lisinopril because of cough; started losartan. "
    "Possible pneumonia. Return if shortness of breath develops.\n"
)


def mapped(data: dict) -> MappedResource:
    result = map_resource(sourced(data))
    assert isinstance(result, MappedResource), result
    return result


def test_document_reference_gives_the_note_entry_and_one_entry_per_mention() -> None:
    data = document_reference("n1", NOTE, encounter_id="e1", date="2019-04-02T11:00:00+00:00")
    note, *mentions = mapped(data).entries
    assert note.path == "$" and note.kind == "note" and note.concept == "note: History and physical note"
    assert [(m.display, m.flags) for m in mentions] == [
        ("cough", ()),
        ("lisinopril", ()),
        ("chest pain", ("negated",)),
        ("breast cancer", ("family",)),
        ("lisinopril", ()),
        ("cough", ()),
        ("losartan", ()),
        ("pneumonia", ("uncertain",)),
        ("shortness of breath", ("hypothetical",)),
    ]
    decoded = base64.b64decode(data["content"][0]["attachment"]["data"]).decode()
    for index, entry in enumerate(mentions):
        assert entry.kind == "note"
        assert entry.resource == "DocumentReference/n1"
        assert entry.path == f"$.content[0].attachment#mention[{index}]"
        assert entry.entry_id == entry_id_for("DocumentReference/n1", entry.path)
        assert entry.encounter == "Encounter/e1" and entry.time == "2019-04-02T11:00:00+00:00"
        assert entry.patient_id == PID
        assert entry.concept == f"note mention: {entry.display}"
        assert entry.span is not None
        assert decoded[slice(*entry.span)].lower() == entry.display  # the span indexes the decoded note
        assert decoded[slice(*entry.span)] in entry.text  # the text is the sentence it came from
    assert mentions[2].text == "Denies chest pain."
    assert mentions[2].category == "finding" and mentions[3].category == "problem"
    assert mentions[6].category == "drug"


def test_html_document_reference_spans_index_the_html_source() -> None:
    markup = (
        "<div><h2>Family history</h2><p>Father with type 2 diabetes.</p><h2>HPI</h2><p>No fever.</p></div>"
    )
    data = document_reference("n2", markup, content_type="text/html")
    _, diabetes, fever = mapped(data).entries
    assert (diabetes.display, diabetes.flags, diabetes.text) == (
        "type 2 diabetes",
        ("family",),
        "Father with type 2 diabetes.",
    )
    assert markup[slice(*diabetes.span)] == "type 2 diabetes"
    assert (fever.display, fever.flags) == ("fever", ("negated",))


def test_mapping_is_a_function_of_the_resource_alone() -> None:
    data = document_reference("n3", NOTE)
    first, second = mapped(data).entries, mapped(copy.deepcopy(data)).entries
    assert [e.entry_id for e in first] == [e.entry_id for e in second]
    assert first == second


def test_diagnostic_report_presented_form_is_read_as_a_note() -> None:
    text = "Impression: possible pneumonia. No pleural effusion."
    data = {
        "resourceType": "DiagnosticReport",
        "id": "r1",
        "status": "final",
        "code": {"text": "Chest X-ray report"},
        "subject": {"reference": f"Patient/{PID}"},
        "encounter": {"reference": "Encounter/e1"},
        "effectiveDateTime": "2020-01-05T09:00:00+00:00",
        "presentedForm": [
            {"contentType": "application/pdf", "data": "JVBERi0="},
            {"contentType": "text/plain", "data": base64.b64encode(text.encode()).decode()},
        ],
    }
    report, pneumonia = mapped(data).entries
    assert report.kind == "report" and report.path == "$"
    assert pneumonia.path == "$.presentedForm[1]#mention[0]"
    assert (pneumonia.display, pneumonia.flags, pneumonia.kind) == ("pneumonia", ("uncertain",), "note")
    assert (pneumonia.encounter, pneumonia.time) == ("Encounter/e1", "2020-01-05T09:00:00+00:00")
    assert text[slice(*pneumonia.span)] == "pneumonia"


def test_generated_narratives_are_skipped_and_authored_ones_read() -> None:
    data = encounter("e9", "2020-02-01T09:00:00+00:00")
    data["text"] = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Fever</div>'}
    assert [e.kind for e in mapped(data).entries] == ["encounter"]
    data["text"] = {
        "status": "additional",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Seen for cough. Denies fever.</p></div>',
    }
    visit, cough, fever = mapped(data).entries
    assert (cough.path, cough.display, cough.flags) == ("$.text.div#mention[0]", "cough", ())
    assert (fever.display, fever.flags) == ("fever", ("negated",))
    assert fever.time == visit.time and fever.encounter == "Encounter/e9"
    assert data["text"]["div"][slice(*fever.span)] == "fever"


def test_long_sentences_are_shortened_around_the_mention() -> None:
    long_note = "Reports " + "tiredness after meals and at night, " * 12 + "and new chest pain on exertion."
    (_, *mentions) = mapped(document_reference("n4", long_note)).entries
    chest = next(m for m in mentions if m.display == "chest pain")
    assert len(chest.text) <= 202 and "chest pain" in chest.text and chest.text.startswith("…")
    assert short_sentence.__name__  # the helper is public for the UI


def test_notes_load_into_an_embedded_store(tmp_path: Path) -> None:
    note = document_reference("n5", NOTE, encounter_id="e1", date="2019-04-02T11:00:00+00:00")
    source = write_json(
        tmp_path / "bundle.json", bundle(patient(), encounter("e1", "2019-04-02T10:00:00+00:00"), note)
    )
    location = str(tmp_path / "store")
    result = load_sources([source], store_location=location)
    assert result.report.total_rejected == 0
    store = shared_store(location)
    try:
        entries = store.entries(PID)
        notes = [e for e in entries if e.kind == "note" and e.path != "$"]
        assert len(notes) == 9
        chest = next(e for e in notes if e.display == "chest pain")
        assert chest.flags == ("negated",) and chest.span is not None
        assert chest.visit == 1 and chest.encounter == "Encounter/e1"
        # the note's JSON is kept, so a citation can decode the note and highlight the span
        source_json = store.source_resource("DocumentReference/n5")
        decoded = base64.b64decode(source_json["content"][0]["attachment"]["data"]).decode()
        assert decoded[slice(*chest.span)] == "chest pain"
        # one vector per concept, shared by every mention of it
        assert len({e.concept for e in notes}) == 7
        # loading again changes nothing
        again = load_sources([source], store_location=location)
        assert again.stats.entries_written == 0
    finally:
        release_shared_store(store)


def test_note_at_gives_the_text_a_span_indexes() -> None:
    from clinimem.notes.text import note_at

    data = document_reference("n6", NOTE)
    _, first, *_ = mapped(data).entries
    text = note_at(data, first.path)
    assert text == NOTE and text[slice(*first.span)] == "cough"
    assert note_at(data, "$.content[3].attachment#mention[0]") is None
    assert note_at({"text": {"div": "<div>x</div>"}}, "$.text.div#mention[0]") == "<div>x</div>"

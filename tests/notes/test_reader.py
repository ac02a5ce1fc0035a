"""The note reader: context flags on hand-written sentences, sections, HTML, spans into the decoded text."""

from __future__ import annotations

import base64

import pytest

from clinimem.notes import read_note
from clinimem.notes.context import Target, Trigger, sentence_flags
from clinimem.notes.lexicon import condition_names, display_terms, drug_names
from clinimem.notes.text import decode_attachment, reduce_html


def flags_of(text: str) -> dict[str, tuple[str, ...]]:
    return {m.concept: m.flags for m in read_note(text).mentions}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Denies chest pain.", {"chest pain": ("negated",)}),
        ("Mother had breast cancer.", {"breast cancer": ("family",)}),
        ("History of appendectomy.", {"appendectomy": ("historical",)}),
        ("Return if shortness of breath develops.", {"shortness of breath": ("hypothetical",)}),
        ("Possible pneumonia.", {"pneumonia": ("uncertain",)}),
        ("Stopped lisinopril because of cough.", {"lisinopril": (), "cough": ()}),
        ("No fever, chills or chest pain.", {f: ("negated",) for f in ("fever", "chills", "chest pain")}),
        ("Breast cancer in her mother.", {"breast cancer": ("family",)}),
        ("Father with history of hypertension.", {"hypertension": ("family",)}),
        ("Pneumonia was ruled out.", {"pneumonia": ("negated",)}),
        ("Consider insulin if HbA1c stays above 9 %.", {"insulin": ("hypothetical",)}),
        ("No history of asthma.", {"asthma": ("negated",)}),
        ("Cough but no fever.", {"cough": (), "fever": ("negated",)}),
        ("No change in wheezing.", {"wheezing": ()}),
    ],
)
def test_context_flags_on_hand_written_sentences(sentence: str, expected: dict) -> None:
    assert flags_of(sentence) == expected


def test_a_comma_ends_a_scope_unless_the_list_goes_on() -> None:
    found = flags_of("Acute bronchitis; possible pneumonia, chest X-ray clear. Return if fever develops.")
    assert found == {
        "acute bronchitis": (),
        "pneumonia": ("uncertain",),
        "chest x-ray": (),
        "fever": ("hypothetical",),
    }


def test_two_mentions_of_one_drug_keep_their_own_flags() -> None:
    reading = read_note("Discussed starting insulin; patient declines insulin for now.")
    assert [(m.concept, m.flags) for m in reading.mentions] == [
        ("insulin", ("hypothetical",)),
        ("insulin", ("negated",)),
    ]


def test_sections_family_history_and_headings() -> None:
    note = (
        "Progress note\n\nHPI: Cough for a week. Denies fever.\n\n"
        "Past medical history: Active problems: hypertension. History of appendectomy (2002).\n\n"
        "Family history: Diabetes.\n\n"
        "Medications: albuterol 2 puffs as needed for wheezing. Allergies: penicillin allergy (hives).\n"
    )
    reading = read_note(note)
    assert [s.name for s in reading.sections] == [
        "hpi",
        "past_medical_history",
        "family_history",
        "medications",
    ]
    by = {(m.concept, m.section): m.flags for m in reading.mentions}
    assert by == {
        ("cough", "hpi"): (),
        ("fever", "hpi"): ("negated",),
        ("hypertension", "past_medical_history"): (),  # active: the section alone says nothing
        ("appendectomy", "past_medical_history"): ("historical",),
        ("diabetes", "family_history"): ("family",),  # the section makes it family
        ("albuterol", "medications"): (),
        ("penicillin allergy", "medications"): (),
    }  # "wheezing" is the drug's indication and "hives" the allergy's reaction: not facts of their own


def test_spans_index_the_text_exactly_and_sentences_are_whole() -> None:
    note = "Chief complaint: cough.\nHPI: Productive cough and chest congestion. No fever or chills."
    reading = read_note(note)
    assert [m.text for m in reading.mentions] == [
        "cough",
        "Productive cough",
        "chest congestion",
        "fever",
        "chills",
    ]
    for mention in reading.mentions:
        assert note[mention.start : mention.end] == mention.text
        assert note[mention.sentence_start : mention.sentence_end] == mention.sentence
    assert reading.mentions[3].sentence == "No fever or chills."
    assert reading.mentions[0].label == "finding"


def test_html_notes_are_read_and_spans_index_the_html_source() -> None:
    markup = (
        "<html><body><h1>History and physical</h1>\n<h2>Family history</h2>\n"
        "<p>Mother with <b>breast cancer</b>.</p>\n<h2>HPI</h2><p>Denies chest&#160;pain &amp; "
        "fever.</p></body></html>"
    )
    reading = read_note(markup, "text/html")
    assert [(m.concept, m.section, m.flags) for m in reading.mentions] == [
        ("breast cancer", "family_history", ("family",)),
        ("chest pain", "hpi", ("negated",)),
        ("fever", "hpi", ("negated",)),
    ]
    assert [markup[m.start : m.end] for m in reading.mentions] == [
        "breast cancer",
        "chest&#160;pain",
        "fever",
    ]
    assert reading.text == markup
    assert reading.mentions[0].sentence == "Mother with breast cancer."


def test_reduce_html_keeps_blocks_and_maps_every_character_back() -> None:
    markup = "<div><p>Assessment: asthma &amp; rhinitis</p><script>x()</script><p>Plan:  inhaler</p></div>"
    plain = reduce_html(markup)
    assert plain.text == "\nAssessment: asthma & rhinitis\nPlan: inhaler\n"
    at = plain.text.index("&")
    assert markup[slice(*plain.source_span(at, at + 1))] == "&amp;"
    at = plain.text.index("inhaler")
    assert markup[slice(*plain.source_span(at, at + 7))] == "inhaler"


def test_attachments_base64_inline_and_not_text() -> None:
    note = "Denies chest pain.\n"
    encoded = base64.b64encode(note.encode()).decode()
    assert decode_attachment({"contentType": "text/plain", "data": encoded}) == (note, "text/plain")
    # MIME-style line breaks inside the base64 are allowed
    wrapped = "\n".join(encoded[i : i + 8] for i in range(0, len(encoded), 8))
    assert decode_attachment({"contentType": "text/plain; charset=utf-8", "data": wrapped}) == (
        note,
        "text/plain",
    )
    # a note put inline as plain text (not base64) is read as it is, not garbled
    assert decode_attachment({"contentType": "text/plain", "data": "No fever."}) == (
        "No fever.",
        "text/plain",
    )
    assert decode_attachment({"contentType": "text/plain", "data": "Cold"}) == ("Cold", "text/plain")
    latin1 = base64.b64encode("Denies fever, café".encode("latin-1")).decode()
    assert decode_attachment({"contentType": "text/plain", "data": latin1}) == (
        "Denies fever, caf\ufffd",
        "text/plain",
    )
    assert decode_attachment({"contentType": "application/pdf", "data": encoded}) is None
    assert decode_attachment({"contentType": "text/plain", "url": "Binary/1"}) is None


def test_vocabulary_from_coded_displays() -> None:
    assert drug_names("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet") == ["metformin"]
    assert drug_names(
        "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML Injectable Suspension"
    ) == ["insulin"]
    assert drug_names("24 HR metoprolol succinate 100 MG Extended Release Oral Tablet [Toprol]") == [
        "metoprolol",
        "toprol",
    ]
    assert drug_names("Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet")[0] == "amoxicillin-clavulanate"
    assert condition_names("Allergy to penicillin") == ["penicillin allergy", "allergy to penicillin"]
    assert condition_names("Fracture of ankle")[0] == "ankle fracture"
    ((term, forms),) = display_terms("Condition", "Diabetes mellitus type 2 (disorder)")
    assert (term.label, term.canonical, forms) == (
        "problem",
        "diabetes mellitus type 2",
        ["diabetes mellitus type 2"],
    )
    ((term, _),) = display_terms("Condition", "Cough (finding)")
    assert term.label == "finding"
    assert display_terms("Condition", "Medication review due (situation)") == []
    assert display_terms("Procedure", "Medication Reconciliation (procedure)") == []


def test_context_scopes_without_spacy() -> None:
    lower = ["no", "fever", ",", "chest", "x-ray", "clear"]
    fever, xray = Target(1, 2, "finding"), Target(3, 5, "procedure")
    flags = sentence_flags(lower, 0, len(lower), [fever, xray], [Trigger("negated", "forward", 0, 1)])
    assert flags == {fever: {"negated"}, xray: set()}


def test_empty_and_mentionless_notes() -> None:
    assert read_note("").mentions == ()
    assert read_note("Follow up in one year.").mentions == ()


def test_a_scope_changes_kind_of_mention_only_through_a_list() -> None:
    assert flags_of("There is no evidence of pneumonia on the chest x-ray.") == {
        "pneumonia": ("negated",),
        "chest x-ray": (),
    }
    assert flags_of("History of hypertension and appendectomy.") == {
        "hypertension": ("historical",),
        "appendectomy": ("historical",),
    }

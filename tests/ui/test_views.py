"""The page's plain functions: header facts, patient lookup, answer rendering."""

from __future__ import annotations

from datetime import date

from clinimem.answer import Answer, AnswerValue, Citation, Hop
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.store import PatientSummary
from clinimem.ui import summary, views

PID = "p-1"


def entry(kind: str, text: str, **fields: object) -> MemoryEntry:
    resource = fields.pop("resource", f"{kind.title()}/{abs(hash(text)) % 10_000}")
    return MemoryEntry(
        patient_id=PID, kind=kind, resource=resource, path="$", text=text, concept=text, **fields
    )


ENTRIES = [
    entry("patient", "Patient Ann Lee", display="Ann Lee", value="female", time="1970-06-15"),
    entry(
        "encounter",
        "Visit 1",
        time="2019-01-02T10:00:00+00:00",
        resource="Encounter/e1",
        encounter="Encounter/e1",
    ),
    entry("condition", "Diabetes", display="Diabetes", status="active", time="2019-01-02"),
    entry(
        "condition",
        "Sinusitis",
        display="Sinusitis",
        status="resolved",
        time="2019-01-02",
        end_time="2019-02-01",
    ),
    entry(
        "condition",
        "Old active",
        display="Old active",
        status="active",
        time="2010-01-01",
        end_time="2011-01-01",
    ),
    entry("medication", "Metformin: active", display="Metformin", status="active", time="2019-01-02"),
    entry("medication", "Naproxen: stopped", display="Naproxen", status="stopped", time="2018-01-02"),
    entry(
        "observation", "HbA1c 7.9 %", display="HbA1c", code="4548-4", value=7.9, unit="%", time="2019-01-02"
    ),
    entry(
        "observation", "HbA1c 7.1 %", display="HbA1c", code="4548-4", value=7.1, unit="%", time="2020-01-02"
    ),
    entry(
        "observation", "HbA1c 6.5 %", display="HbA1c", code="4548-4", value=6.5, unit="%", time="2021-01-02"
    ),
]


def test_header_lists_active_problems_and_current_medications() -> None:
    header = summary.patient_header(PID, ENTRIES, today=date(2024, 6, 14))
    assert header.name == "Ann Lee" and header.sex == "female"
    assert header.age == 53  # the birthday is the next day
    assert header.problems == ("Diabetes",)
    assert header.medications == ("Metformin",)
    text = summary.header_markdown(header)
    assert "Diabetes" in text and "Metformin" in text and "Sinusitis" not in text and "Naproxen" not in text


def test_age_stops_at_death() -> None:
    died = [
        entry("patient", "Patient B", display="B", value="male", time="1950-01-01", end_time="2000-06-01")
    ]
    header = summary.patient_header(PID, died, today=date(2024, 1, 1))
    assert header.age == 50 and header.died == "2000-06-01"
    assert "died 2000-06-01 aged 50" in summary.header_markdown(header)


def test_resolve_patient_by_id_label_name_or_fragment() -> None:
    people = [
        PatientSummary("aaa-111", "Ann Lee", "female", "1970-01-01", 1, 1),
        PatientSummary("bbb-222", "Bob Lee", "male", "1980-01-01", 1, 1),
    ]
    assert summary.resolve_patient("bbb-222", people) == "bbb-222"
    assert summary.resolve_patient(summary.patient_label(people[0]), people) == "aaa-111"
    assert summary.resolve_patient("ann lee", people) == "aaa-111"
    assert summary.resolve_patient("bbb", people) == "bbb-222"
    assert summary.resolve_patient("lee", people) is None  # two matches: never guess
    assert summary.resolve_patient("zzz", people) is None
    assert summary.resolve_patient("  ", people) is None


def trend_answer() -> Answer:
    cited = [e for e in ENTRIES if e.kind == "observation"]
    return Answer(
        patient_id=PID,
        question="Has her HbA1c improved?",
        answer=AnswerValue("HbA1c decreasing: 7.9 to 6.5 %", "trend", "decreasing", "%"),
        abstained=False,
        citations=tuple(Citation.of(e, 0.3) for e in cited[1:]),
        hops=(Hop(1, tuple((e.entry_id, 0.2) for e in cited)), Hop(2, ((cited[-1].entry_id, 0.9),))),
        operation="trend",
    )


def test_citation_rows_and_source_match() -> None:
    answer = trend_answer()
    rows = views.citation_rows(answer, {e.entry_id: e for e in ENTRIES})
    assert [r.cells[3] for r in rows] == ["HbA1c 7.1 %", "HbA1c 6.5 %"]
    assert rows[0].cells[4] == "7.1 %"
    # A click on a sorted table comes back with the row's values: matched by value, not position.
    picked = views.match_row(rows, 0, [str(c) for c in rows[1].cells])
    assert picked is rows[1]
    assert views.match_row(rows, 5, None) is None


def test_trend_series_marks_cited_points() -> None:
    answer = trend_answer()
    assert views.is_trend(answer)
    (series,) = views.trend_series(answer, ENTRIES)
    assert series.values == (7.9, 7.1, 6.5)
    assert series.cited == (False, True, True)
    assert series.unit == "%"


def test_abstained_answer_says_not_in_the_record() -> None:
    answer = Answer.abstain(PID, "Any MRI?")
    text = views.answer_markdown(answer, "Ann Lee", "controller")
    assert text.startswith("### Not in the record")
    assert "Ann Lee" in text and PID in text
    assert not views.is_trend(answer)


def test_hop_rows_rank_each_hop() -> None:
    rows = views.hop_rows(trend_answer(), {e.entry_id: e for e in ENTRIES})
    assert [r[:2] for r in rows] == [(1, 1), (1, 2), (1, 3), (2, 1)]
    assert rows[-1][-1] == 0.9


def test_format_value() -> None:
    assert views.format_value(7.912, "%") == "7.912 %"
    assert views.format_value(123456.0) == "123,456"
    assert views.format_value(True) == "yes"
    assert views.format_value(["a", "b"]) == "a, b"
    assert views.format_value(None) == ""


def test_plain_words_spell_out_terse_answers() -> None:
    by_id = {e.entry_id: e for e in ENTRIES}
    hba1c = [e for e in ENTRIES if e.kind == "observation"]
    trend = Answer(
        PID,
        "q",
        AnswerValue("decreasing", "trend", "decreasing"),
        False,
        tuple(Citation.of(e, 1) for e in hba1c),
    )
    assert (
        views.plain_words(trend, by_id)
        == "HbA1c is decreasing: 7.9 % on 2019-01-02, 6.5 % on 2021-01-02 (3 values)"
    )
    latest = Answer(PID, "q", AnswerValue("6.5 %", "value", 6.5, "%"), False, (Citation.of(hba1c[-1], 1),))
    assert views.plain_words(latest, by_id) == "HbA1c: 6.5 % on 2021-01-02"
    no = Answer(PID, "q", AnswerValue("no", "boolean", False), False, ())
    assert views.plain_words(no, by_id) == "No"
    stated = Answer(PID, "q", AnswerValue("HbA1c fell from 7.9 to 6.5 %", "trend", "decreasing"), False, ())
    assert views.plain_words(stated, by_id) == "HbA1c fell from 7.9 to 6.5 %"

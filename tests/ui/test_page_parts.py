"""The page's new plain parts: chart data, the entry card, the conversation, the roster search."""

from __future__ import annotations

import html
import json
import re

from test_views import ENTRIES, PID, entry, trend_answer

from clinimem.answer import Answer, Hop
from clinimem.memory.store import PatientSummary
from clinimem.ui import card, charts, conversation, views
from clinimem.ui.roster import Roster


def chart_of(markup: str) -> dict:
    found = re.search(r'data-chart="([^"]*)"', markup)
    assert found, markup
    return json.loads(html.unescape(found.group(1)))


def test_timeline_sends_every_dated_entry_with_the_cited_ones_marked() -> None:
    answer = trend_answer()
    data = chart_of(charts.timeline_html(ENTRIES, [c.entry_id for c in answer.citations]))
    dated = [e for e in ENTRIES if e.kind in charts.LANES and e.time]
    assert len(data["points"]) == len(dated)
    assert data["lanes"][0] == "encounter"  # visits on top
    cited = {p[3] for p in data["points"] if p[2]}
    assert cited == {c.entry_id for c in answer.citations}
    assert data["cited"] == 2 and data["visits"] == 1
    # Points carry what hover shows: date, kind and text with the value.
    label = next(p[4] for p in data["points"] if p[3] == answer.citations[0].entry_id)
    assert label.startswith("2020-01-02 · observation · HbA1c 7.1 %")
    assert "No dated entries" in charts.timeline_html([])


def test_record_text_is_escaped_in_every_panel() -> None:
    hostile = entry("observation", "<img src=x onerror=alert(1)>", time="2020-01-01", value=1.0)
    answer = Answer(PID, "?", trend_answer().answer, False, (), (Hop(1, ((hostile.entry_id, 0.5),)),))
    for markup in (
        charts.timeline_html([hostile]),
        charts.hops_html(answer, {hostile.entry_id: hostile}),
        card.card_html(card.entry_card(hostile, {"meta": {"source": "<b>lab</b>"}})),
        conversation.conversation_html((conversation.Turn("<q>", "<a>", ("<c>",)),)),
    ):
        assert "<img" not in markup and "<b>lab" not in markup and "<q>" not in markup


def test_hops_show_whole_labels_and_say_attention_is_not_the_weight() -> None:
    answer = trend_answer()
    markup = charts.hops_html(answer, {e.entry_id: e for e in ENTRIES})
    assert markup.count("<h4>Hop") == 2
    assert "HbA1c 6.5 %" in markup and "…" not in markup
    assert "not the citation weight" in markup
    assert "no hop trace" in charts.hops_html(Answer.abstain(PID, "?"), {})
    assert "how strongly the answer leans on this entry" in charts.WEIGHT_NOTE


def test_trend_frame_marks_the_cited_values() -> None:
    series = views.trend_series(trend_answer(), ENTRIES)
    frame = charts.trend_frame(series)
    assert list(frame.columns) == list(charts.TREND_COLUMNS)
    assert list(frame["value"]) == [7.9, 7.1, 6.5]
    assert list(frame["point"]) == [charts.OTHER_POINT, charts.CITED_POINT, charts.CITED_POINT]
    assert charts.trend_title(series).startswith("HbA1c (%)")
    assert charts.trend_frame([]).empty


def test_card_reads_what_when_value_range_status_visit_and_who() -> None:
    lab = entry(
        "observation",
        "Hemoglobin 11.2 g/dL",
        display="Hemoglobin",
        code="718-7",
        code_system="http://loinc.org",
        value=11.2,
        unit="g/dL",
        status="final",
        time="2020-03-04T09:30:00+00:00",
        encounter="Encounter/e1",
        visit=1,
    )
    resource = {
        "resourceType": "Observation",
        "referenceRange": [{"low": {"value": 12, "unit": "g/dL"}, "high": {"value": 16, "unit": "g/dL"}}],
        "interpretation": [{"coding": [{"code": "L", "display": "Low"}]}],
        "performer": [{"display": "Dr. Ada Quinn"}],
        "meta": {"source": "lab-system"},
    }
    shown = card.entry_card(lab, resource, card.visits_by_resource(ENTRIES), weight=0.97)
    assert shown.title == "Hemoglobin"
    assert shown.when == "2020-03-04 09:30"
    assert shown.value == "11.2 g/dL"
    assert shown.reference_range == "12 g/dL to 16 g/dL"
    assert shown.interpretation == "Low"
    assert shown.status == "final"
    assert shown.visit == "visit 1 on 2019-01-02 (Visit 1)"
    assert shown.who == "Dr. Ada Quinn; from lab-system"
    assert shown.code == "loinc.org 718-7"
    markup = card.card_html(shown)
    assert "Reference range" in markup and "0.970: how strongly the answer leans on this entry" in markup
    # A component entry reads its own component's range.
    part = {"component": [{}, {"referenceRange": [{"text": "under 120 mmHg"}]}]}
    systolic = entry("observation", "Systolic 130 mmHg", value=130.0, unit="mmHg", time="2020-01-01")
    systolic = type(systolic)(**{**systolic.__dict__, "path": "$.component[1]", "entry_id": ""})
    assert card.entry_card(systolic, part).reference_range == "under 120 mmHg"
    # Nothing the record does not say is shown.
    bare = card.card_html(card.entry_card(ENTRIES[2], None))
    assert "Reference range" not in bare and "Recorded by" not in bare


def test_conversation_is_kept_per_session_and_patient() -> None:
    talks = conversation.Conversations(max_turns=3)
    talks.add("s1", "a", conversation.Turn("q1", "a1", ()))
    talks.add("s1", "b", conversation.Turn("q2", "b1", ()))
    for n in range(4):
        talks.add("s1", "a", conversation.Turn(f"again {n}", "a", ()))
    assert [t.question for t in talks.turns("s1", "a")] == ["again 1", "again 2", "again 3"]
    assert [t.question for t in talks.turns("s1", "b")] == ["q2"]
    assert talks.turns("s2", "a") == ()  # another session sees nothing
    talks.forget("s1")
    assert talks.turns("s1", "a") == ()
    markup = conversation.conversation_html(
        (conversation.Turn("What?", "That.", ("2020-01-01 · lab · HbA1c",)),), "Ann Lee"
    )
    assert "Q1." in markup and "1 cited" in markup and "Ann Lee" in markup
    assert "No questions" in conversation.conversation_html(())


def test_roster_searches_name_id_and_birth_date_and_is_read_again_after_its_ttl() -> None:
    now = [0.0]
    people = [
        PatientSummary("id-aaa-111", "Ann Lee", "female", "1970-01-02", 3, 3),
        PatientSummary("id-bbb-222", "Bob Lee", "male", "1980-05-06", 3, 3),
        PatientSummary("id-ccc-333", "Leona Park", "female", "1970-09-09", 3, 3),
    ]
    reads = []

    def load() -> list[PatientSummary]:
        reads.append(1)
        return list(people)

    roster = Roster(load, ttl=30, clock=lambda: now[0])
    assert [p.name for p in roster.search("le")] == ["Leona Park", "Ann Lee", "Bob Lee"]  # name starts first
    assert [p.name for p in roster.search("le 1970")] == ["Leona Park", "Ann Lee"]  # every word must match
    assert [p.patient_id for p in roster.search("BBB")] == ["id-bbb-222"]
    assert [p.name for p in roster.search("1980-05")] == ["Bob Lee"]
    assert len(roster.search("", limit=2)) == 2
    assert roster.find("id-ccc-333").name == "Leona Park"
    assert len(reads) == 1  # searches read the cached roster
    people.append(PatientSummary("id-ddd-444", "Dan New", "male", "1990-01-01", 1, 1))
    assert roster.find("id-ddd-444") is None
    now[0] = 31.0
    assert roster.find("id-ddd-444").name == "Dan New" and len(reads) == 2

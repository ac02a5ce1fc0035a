"""The executor computes answers from the chosen evidence only, by the harness's rules."""

from clinimem.controller.executor import Plan, execute, trend_label
from clinimem.controller.question import DateWindow
from clinimem.memory.entry import MemoryEntry


def lab(value: float, day: str, n: int, code: str = "4548-4") -> MemoryEntry:
    return MemoryEntry(
        patient_id="p1",
        kind="observation",
        resource=f"Observation/o{n}",
        path="$",
        text=f"HbA1c {value} %",
        concept="laboratory: HbA1c",
        time=f"{day}T10:00:00+00:00",
        code=code,
        display="HbA1c",
        value=value,
        unit="%",
        status="final",
        encounter=f"Encounter/e{n}",
    )


def med(name: str, day: str, n: int, status: str = "active", end: str | None = None) -> MemoryEntry:
    return MemoryEntry(
        patient_id="p1",
        kind="medication",
        resource=f"MedicationRequest/m{n}",
        path="$",
        text=f"{name}: {status}",
        concept=f"medication: {name}",
        time=f"{day}T10:00:00+00:00",
        end_time=end,
        display=name,
        status=status,
        encounter=f"Encounter/e{n}",
    )


ENTRIES = (
    lab(8.1, "2015-01-10", 1),
    lab(7.6, "2016-01-10", 2),
    med("metformin", "2016-01-10", 3),
    lab(7.0, "2017-01-10", 4),
    lab(6.8, "2018-01-10", 5),
    med("lisinopril", "2017-06-01", 6, status="stopped"),
)
SERIES = (0, 1, 3, 4)


def run(op, kind, evidence=SERIES, anchor=None, window=None, count=None, question=""):
    return execute(Plan(op, kind, tuple(evidence), anchor, window, count, question), ENTRIES)


def test_first_last_and_dates_come_from_the_cited_entry():
    last = run("last", "value")
    assert last.value.value == 6.8 and last.value.unit == "%" and last.cited == (4,)
    first = run("first", "date")
    assert first.value.value == "2015-01-10" and first.cited == (0,)


def test_before_and_after_an_event_cite_the_event_too():
    before = run("before", "value", anchor=2)
    assert before.value.value == 8.1  # same-day result is not "before" (day granularity)
    assert set(before.cited) == {0, 2}
    after = run("after", "value", anchor=2)
    assert after.value.value == 7.0


def test_window_count_list_trend():
    since = DateWindow("2016-01-01", "2016-12-31", "since", "2016")
    assert run("count", "count", window=since).value.value == 3
    assert run("trend", "trend", count=3).value.value == "decreasing"
    assert run("list", "list", evidence=(2, 5)).value.value == ["lisinopril", "metformin"]
    assert trend_label([100.0, 104.0]) == "stable" and trend_label([100.0, 106.0]) == "increasing"


def test_current_medication_check_and_abstention():
    assert run("exists", "boolean", evidence=(2,)).value.value is True
    assert run("exists", "boolean", evidence=(5,)).value.value is False
    assert run("last", "value", evidence=()) is None  # nothing chosen: abstain
    assert run("abstain", "none") is None
    assert run("before", "value", anchor=None) is None  # no event to read before


def note(concept: str, n: int, flags: tuple[str, ...] = (), sentence: str = "") -> MemoryEntry:
    return MemoryEntry(
        patient_id="p1",
        kind="note",
        resource=f"DocumentReference/d{n}",
        path=f"$.content[0].attachment#mention[{n}]",
        text=sentence or concept,
        concept=f"note mention: {concept}",
        time=f"2019-0{n}-01T10:00:00+00:00",
        display=concept,
        category="finding",
        flags=flags,
        span=(0, len(concept)),
    )


NOTES = (
    note("chest pain", 1, ("negated",), "Denies chest pain."),
    note("chest pain", 2, ("hypothetical",), "Return if chest pain develops."),
    note("breast cancer", 3, ("family",), "Mother with breast cancer."),
    note("cough", 4, (), "Reports a dry cough."),
    note("asthma", 5, ("uncertain",), "Possible asthma."),
)


def ask_notes(question: str, evidence: tuple[int, ...], entries=NOTES):
    return execute(Plan("exists", "boolean", evidence, None, None, None, question), entries)


def test_a_negated_or_hypothetical_mention_never_supports_a_yes():
    denied = ask_notes("Has she ever reported chest pain?", (0, 1))
    assert denied.value.value is False and set(denied.cited) == {0, 1}
    assert "Return if chest pain develops." in denied.value.text  # the latest sentence is quoted
    assert ask_notes("Possible asthma?", (4,)).value.value is False
    said = ask_notes("Has she had cough at any visit?", (3,))
    assert said.value.value is True and said.cited == (3,) and "2019-04-01" in said.value.text
    # an affirmed mention next to denied ones: yes, citing only the affirmed one
    mixed = ask_notes("Has she ever complained of it?", (0, 3))
    assert mixed.value.value is True and mixed.cited == (3,)


def test_a_family_mention_supports_family_history_but_never_the_patients_own_diagnosis():
    own = ask_notes("Has she ever had breast cancer?", (2,))
    assert own.value.value is False and own.cited == (2,)
    family = ask_notes("Any family history of breast cancer?", (2,))
    assert family.value.value is True and family.cited == (2,)


def test_family_history_without_the_problem_is_a_no_that_cites_nothing():
    no = ask_notes("Any family history of stroke?", ())
    assert no.value.value is False and no.cited == ()
    # without any family history in the notes the record cannot tell: abstain
    without_family = tuple(e for e in NOTES if "family" not in e.flags)
    assert ask_notes("Any family history of stroke?", (), without_family) is None
    # and a patient question with nothing chosen abstains as before
    assert ask_notes("Has she ever reported palpitations?", ()) is None


def test_family_history_rule_applies_to_yes_no_family_questions_only():
    abstained = execute(
        Plan("abstain", "none", (), None, None, None, "Has anyone in her family had stroke?"), NOTES
    )
    assert abstained.value.value is False and abstained.cited == ()
    for question in ("What is her family history?", "Which problems run in his family?"):
        assert execute(Plan("abstain", "none", (), None, None, None, question), NOTES) is None
    assert execute(Plan("abstain", "none", (), None, None, None, "Has she had a stroke?"), NOTES) is None


def bp_component(code: str, value: float, index: int) -> MemoryEntry:
    return MemoryEntry(
        patient_id="p1",
        kind="observation",
        resource="Observation/bp1",
        path=f"$.component[{index}]",
        text=f"{code} {value} mm[Hg]",
        concept=f"vital sign: {code}",
        time="2015-09-13T10:00:00+00:00",
        code=code,
        value=value,
        unit="mm[Hg]",
    )


def test_a_blood_pressure_reads_systolic_first_whatever_the_component_order():
    panel = MemoryEntry(
        patient_id="p1",
        kind="observation",
        resource="Observation/bp1",
        path="$",
        text="Blood pressure panel",
        concept="vital sign: blood pressure",
        time="2015-09-13T10:00:00+00:00",
        code="85354-9",
    )
    # Synthea writes diastolic (8462-4) as component[0]
    entries = (panel, bp_component("8462-4", 84.1114, 0), bp_component("8480-6", 122.809, 1))
    result = execute(Plan("lookup", "text", (0, 1, 2), None, None, None, "BP on 2015-09-13?"), entries)
    assert result.value.value == "122.8/84.11" and set(result.cited) == {0, 1, 2}


def test_the_result_before_the_last_comes_from_the_series_and_is_cited():
    back = execute(Plan("last", "value", SERIES, None, None, None, "q", from_end=1), ENTRIES)
    assert back.value.value == 7.0 and back.cited == (3,)
    assert execute(Plan("last", "value", (0,), None, None, None, "q", from_end=1), ENTRIES) is None


def test_a_trend_or_comparison_reads_the_one_series_the_evidence_head_is_surest_of():
    # two panels, each with systolic (8480-6) and diastolic (8462-4) components: the evidence
    # head picked all four; the focus (its surest slot) is a diastolic one
    entries = (
        bp_component("8480-6", 120.0, 0),
        bp_component("8462-4", 80.0, 1),
        *(
            MemoryEntry(**{**e.__dict__, "resource": "Observation/bp2", "time": "2016-09-13T10:00:00+00:00"})
            for e in (bp_component("8480-6", 140.0, 0), bp_component("8462-4", 70.0, 1))
        ),
    )
    compare = execute(Plan("compare", "boolean", (0, 1, 2, 3), None, None, None, "q", focus=3), entries)
    assert compare.value.value is False and set(compare.cited) == {1, 3}  # diastolic 80 -> 70
    trend = execute(Plan("trend", "trend", (0, 1, 2, 3), None, None, None, "q", focus=0), entries)
    assert trend.value.value == "increasing" and set(trend.cited) == {0, 2}  # systolic 120 -> 140
    # without a focus the series stays as chosen (and the comparison mixes them: why focus exists)
    mixed = execute(Plan("compare", "boolean", (0, 1, 2, 3), None, None, None, "q"), entries)
    assert set(mixed.cited) != {1, 3}


def problem(name: str, day: str, n: int, status: str = "active", end: str | None = None) -> MemoryEntry:
    return MemoryEntry(
        patient_id="p1",
        kind="condition",
        resource=f"Condition/c{n}",
        path="$",
        text=f"{name}: {status}",
        concept=f"problem: {name}",
        time=f"{day}T10:00:00+00:00",
        end_time=end,
        display=name,
        status=status,
    )


PROBLEMS = (
    problem("Hypertension", "2010-03-01", 1),
    problem("Acute bronchitis", "2012-02-01", 2, status="resolved", end="2012-02-20"),
    med("warfarin", "2019-05-01", 3),
    med("amoxicillin", "2012-02-01", 4, status="stopped"),
)


def ask_yes_no(question: str, evidence: tuple[int, ...]) -> bool:
    result = execute(Plan("exists", "boolean", evidence, None, question=question), PROBLEMS)
    assert result is not None and result.cited, question
    return result.value.value


def test_a_yes_no_question_is_answered_for_what_it_asks_now_over_ever_or_stopped():
    # a problem that holds: "still active" yes, "resolved" no; one that is over: the other way round
    assert ask_yes_no("Is her hypertension still active?", (0,)) is True
    assert ask_yes_no("Does she have hypertension?", (0,)) is True
    assert ask_yes_no("Has the hypertension resolved?", (0,)) is False
    assert ask_yes_no("Is the bronchitis still an active problem?", (1,)) is False
    assert ask_yes_no("Has the bronchitis cleared up?", (1,)) is True
    # "history of" asks whether it was ever there, resolved or not
    assert ask_yes_no("Any history of acute bronchitis?", (1,)) is True
    assert ask_yes_no("Is he on warfarin?", (2,)) is True
    assert ask_yes_no("Was warfarin stopped?", (2,)) is False
    assert ask_yes_no("Is he still taking amoxicillin?", (3,)) is False
    assert ask_yes_no("Has he ever been on amoxicillin?", (3,)) is True


def test_a_list_of_what_holds_now_keeps_only_current_drugs_and_unresolved_problems():
    everything = execute(
        Plan("list", "list", (0, 1, 2, 3), None, question="All diagnoses and meds?"), PROBLEMS
    )
    assert everything.value.value == ["Acute bronchitis", "amoxicillin", "Hypertension", "warfarin"]
    now = execute(
        Plan("list", "list", (0, 1, 2, 3), None, question="What is she on now, and active problems?"),
        PROBLEMS,
    )
    assert now.value.value == ["Hypertension", "warfarin"] and now.cited == (0, 2)


def test_a_value_asked_of_entries_without_one_gives_the_date_of_the_one_picked():
    # "her most recent warfarin?": a prescription has no value; its date answers
    result = execute(Plan("last", "value", (2, 3), None, question="most recent one?"), PROBLEMS)
    assert result.value.kind == "date" and result.value.value == "2019-05-01" and result.cited == (2,)


def test_a_misspelt_current_still_lists_what_holds_now_and_both_ends_list_all():
    def names(question: str) -> list[str]:
        return execute(Plan("list", "list", (0, 1, 2, 3), None, question=question), PROBLEMS).value.value

    assert names("what are her currnet meds and problems?") == ["Hypertension", "warfarin"]
    for question in ("Her diagnoses and meds, active and resolved?", "full problem list incl resolved"):
        assert names(question) == ["Acute bronchitis", "amoxicillin", "Hypertension", "warfarin"]


def test_history_words_ask_whether_it_ever_held() -> None:
    from clinimem.controller.executor import asks

    for question in (
        "Is ankle sprain part of her history?",
        "PMH ankle sprain?",
        "Had she been diagnosed with ankle sprain?",
        "Has he had a sprained ankle?",
    ):
        assert asks(question, "condition") == "ever", question
    assert asks("Is the ankle sprain still active?", "condition") == "now"
    assert asks("Has the ankle sprain resolved?", "condition") == "over"


def test_a_status_question_read_as_a_measurement_is_never_a_no() -> None:
    from clinimem.controller.executor import Plan, execute
    from clinimem.memory.entry import MemoryEntry

    bmi = MemoryEntry(
        patient_id="p",
        kind="observation",
        resource="Observation/1",
        path="$",
        concept="vital: Body Mass Index",
        time="2020-01-01T00:00:00+00:00",
        code_system="http://loinc.org",
        code="39156-5",
        display="Body Mass Index",
        value=29.5,
        unit="kg/m2",
        status="final",
        text="Body Mass Index 29.5 kg/m2",
    )
    plan = Plan(op="exists", kind="boolean", evidence=(0,), anchor=None, question="pt still has BMI 30+?")
    assert execute(plan, [bmi]) is None


def test_ever_asked_with_a_typo_or_in_other_words() -> None:
    from clinimem.controller.executor import asks

    for question in (
        "any histroy of ankle sparin",
        "Had he at any point had acute viral pharyngitis?",
        "has he evr had acute viral pharnygitis",
        "Colon polyp at any time - yes or no?",
    ):
        assert asks(question, "condition") == "ever", question
    assert asks("Does she have hypertension?", "condition") == "now"

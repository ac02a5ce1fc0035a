"""The question pass: date windows, counts and shorthand the executor relies on."""

from clinimem.controller.question import expand_abbreviations, find_count, find_date_window


def test_day_month_year_and_range_windows():
    day = find_date_window("What was her HbA1c on 2014-03-02?")
    assert (day.start, day.end, day.relation) == ("2014-03-02", "2014-03-02", "on")
    month = find_date_window("Which drugs were started in March 2016?")
    assert (month.start, month.end) == ("2016-03-01", "2016-03-31")
    since = find_date_window("How many HbA1c measurements since 2015?")
    assert (since.start, since.relation) == ("2015-01-01", "since")
    span = find_date_window("Which conditions were diagnosed between 2019 and 2021?")
    assert (span.start, span.end, span.relation) == ("2019-01-01", "2021-12-31", "on")
    assert find_date_window("Which new conditions appeared in 2020-2025?").end == "2025-12-31"


def test_from_a_date_means_on_that_date():
    assert find_date_window("Tell me her BMI from 2017-04-04.").relation == "on"


def test_no_date_no_window_and_counts():
    assert find_date_window("What is her latest LDL?") is None
    assert find_count("over the last 3 results") == 3
    assert find_count("across the most recent four readings") == 4
    assert find_count("what is the trend of her LDL") is None


def test_shorthand_is_spelled_out_as_words_only():
    assert (
        expand_abbreviations("On 2025-08-15, what was her BP?")
        == "On 2025-08-15, what was her blood pressure?"
    )
    assert expand_abbreviations("List her meds") == "List her medications"
    assert expand_abbreviations("BPH history") == "BPH history"  # not inside another word


def test_the_result_before_the_last_one_is_read_as_one_step_back():
    from clinimem.controller.question import one_before_last

    assert one_before_last("What was the HbA1c before the last one?") == (
        "What was the most recent HbA1c?",
        1,
    )
    assert one_before_last("What was her previous LDL?") == ("What was her most recent LDL?", 1)
    assert one_before_last("Second most recent eGFR?")[1] == 1
    # comparisons, counts and "prior to"/"previous to" an event are not this
    for text in (
        "Is her latest HbA1c higher than the previous one?",
        "Compared with the previous result, is his last LDL higher?",
        "How has the eGFR moved over the previous 3 results?",
        "Last LDL value prior to the statin start?",
        "Any labs previous to 2019?",
        "What was the last LDL before simvastatin was started?",
    ):
        assert one_before_last(text) == (text, 0), text


def test_a_day_written_out_is_a_window_of_that_day():
    for text in ("DBP on May 21, 2012?", "DBP on 21 May 2012", "DBP 5/21/2012", "DBP on May 21st 2012"):
        window = find_date_window(text)
        assert (window.start, window.end) == ("2012-05-21", "2012-05-21"), text
    assert find_date_window("BMI in March 2019").start == "2019-03-01"


def test_the_n_most_recent_in_other_words():
    assert find_count("How has her calcium trended over the 3 most recent readings?") == 3
    assert find_count("Cr trend x3") == 3
    assert find_count("Ca trajectory (last 3)?") == 3
    assert find_count("What was her BMI in 2019?") is None

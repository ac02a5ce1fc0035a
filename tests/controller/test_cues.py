"""The explicit operation cues: words that settle what a question asks, over the op head's guess."""

import pytest

from clinimem.controller.cues import operation_cue


@pytest.mark.parametrize(
    ("question", "head", "whole", "expected"),
    [
        ("# IIV doses?", "exists", False, "count"),
        ("How many flu shots has she had?", "list", True, "count"),
        ("When was the HPV4 last done?", "first", False, "last"),
        ("When did he first get put on metformin?", "last", False, "first"),
        ("Since when has she had obesity?", "count", False, "first"),
        ("pharyngitis dx date?", "exists", False, "first"),
        ("all rx ever written", "exists", True, "list"),
        ("Full medication history?", "count", True, "list"),
    ],
)
def test_the_words_that_settle_an_operation_override_the_head(
    question: str, head: str, whole: bool, expected: str
) -> None:
    assert operation_cue(question, head, named_whole_kind=whole).op == expected


@pytest.mark.parametrize(
    ("question", "head", "whole"),
    [
        ("What was the last HbA1c?", "last", False),  # the head agrees
        ("How has her weight trended over the last 3 readings?", "trend", False),
        ("What was her first weight after metformin was started?", "after", False),
        ("How many COVID shots has she had?", "abstain", False),  # nothing in the record: stays abstain
        ("Has she had any vaccines?", "exists", True),  # a yes/no question is not a list
        ("What was her weight over the last 2 visits?", "last", False),  # a window, not an end
    ],
)
def test_no_cue_where_the_words_do_not_settle_it(question: str, head: str, whole: bool) -> None:
    assert operation_cue(question, head, named_whole_kind=whole).op is None


@pytest.mark.parametrize(
    ("question", "head", "named", "count_in_name", "expected"),
    [
        ("BMI trajectory (last 3)?", "last", True, False, "trend"),
        ("Is the calcium rising or falling?", "lookup", True, False, "trend"),
        ("HTG still active y/n?", "list", True, False, "exists"),
        ("prediabetes ongoing?", "count", True, False, "exists"),
        ("total flu vaccine doses?", "list", True, False, "count"),
        ("nmber of flu vacine doses", "list", True, False, "count"),
        # the name's own "[#/volume]" and "count" are not a count asked
        ("Most recent Platelets [#/volume] in Blood by Automated count result?", "count", True, True, "last"),
    ],
)
def test_trend_status_and_count_words(
    question: str, head: str, named: bool, count_in_name: bool, expected: str
) -> None:
    cue = operation_cue(
        question, head, named_whole_kind=False, named_concept=named, count_in_name=count_in_name
    )
    assert cue.op == expected


def test_a_status_word_in_a_question_for_a_value_is_not_a_yes_no():
    cue = operation_cue("What is the current dose of metformin?", "last", False, named_concept=True)
    assert cue.op is None

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

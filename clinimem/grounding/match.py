"""Which of a patient's concepts a question names, as explicit per-slot signals.

Every concept of the patient (a coded lab, drug, problem, vaccine, visit type…)
has names: its display as the record spells it, the display cleaned of
LOINC/SNOMED qualifiers, and the synonyms of :mod:`clinimem.grounding.lexicon`
for its code. A question is matched against them token by token (exact,
plural-folded, one or two typos, a shared stem), weighted by how rare each word
is among the patient's concept names, so "MCHC" points at MCHC and not at MCV,
and "hemoglobin A1c" at HbA1c more than at hemoglobin. Drug and condition
classes ("a statin", "blood thinner", "diabetes") match every member concept.

The signals are features, not decisions: the controller weighs them
(:data:`FEATURES`), and :func:`ground` returns them per slot with the
question-level summary of :data:`QUESTION_FEATURES`.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from clinimem.memory.entry import MemoryEntry

FEATURES = ("cover", "question_cover", "score", "relative", "best", "class", "kind_named", "max_score")
QUESTION_FEATURES = ("max_score", "class_named", "kind_named", "unexplained")
N_FEATURES = len(FEATURES)
N_QUESTION_FEATURES = len(QUESTION_FEATURES)

_TOKEN = re.compile(r"[a-z0-9]+")
# A code a user types: LOINC-style ("8462-4") or five digits and more (RxNorm, SNOMED); a day, a
# month or a year is never read as a code, and nobody types a CVX vaccine code.
_CODE_LIKE = re.compile(r"\b\d{3,5}-\d\b|\b\d{5,}\b")
# Words that say nothing about which concept is meant.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "for",
        "to",
        "by",
        "with",
        "from",
        "and",
        "or",
        "but",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "doe",  # "does" as the stemmer leaves it
        "did",
        "done",
        "have",
        "has",
        "had",
        "having",
        "her",
        "his",
        "their",
        "its",
        "it",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "me",
        "my",
        "i",
        "we",
        "our",
        "you",
        "your",
        "she",
        "he",
        "they",
        "them",
        "him",
        "hers",
        "patient",
        "patients",
        "pt",
        "pts",
        "tell",
        "show",
        "give",
        "list",
        "please",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "let",
        "know",
        "want",
        "see",
        "find",
        "look",
        "about",
        "any",
        "anything",
        "found",
        "some",
        "all",
        "every",
        "each",
        "per",
        "than",
        "then",
        "so",
        "if",
        "not",
        "no",
        "yes",
        "ever",
        "also",
        "just",
        "only",
        "still",
        "currently",
        "current",
        "now",
        "today",
        "right",
        "up",
        "down",
        "out",
        "into",
        "onto",
        "over",
        "under",
        "again",
        "ago",
        "very",
        "much",
        "many",
        "more",
        "less",
        "most",
        "least",
        "recent",
        "recently",
        "latest",
        "last",
        "first",
        "earliest",
        "initial",
        "previous",
        "prior",
        "before",
        "after",
        "since",
        "during",
        "until",
        "while",
        "between",
        "value",
        "values",
        "result",
        "results",
        "level",
        "levels",
        "reading",
        "readings",
        "number",
        "numbers",
        "measurement",
        "measurements",
        "measured",
        "recorded",
        "record",
        "records",
        "documented",
        "noted",
        "note",
        "chart",
        "check",
        "checked",
        "value",
        "get",
        "got",
        "time",
        "times",
        "date",
        "dates",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "trend",
        "trends",
        "trajectory",
        "direction",
        "health",
        "medical",
        "trended",
        "trending",
        "change",
        "changed",
        "changing",
        "going",
        "been",
        "go",
        "went",
        "come",
        "came",
        "like",
        "kind",
        "sort",
        "type",
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "whats",
        "hows",
        "yet",
        "anymore",
        "already",
        "um",
        "uh",
        "hey",
        "ok",
        "okay",
        "quick",
        "quickly",
        "again",
        "hi",
        "hello",
        "quick",
        "just",
        "like",
        "wondering",
        "checking",
        "pull",
        "up",
        "come",
        "came",
        "get",
        "got",
        "record",
        "chart",
        "file",
        "ever",
        "still",
        "now",
        "currently",
        "then",
        "so",
        "if",
        "thanks",
        "written",
        "given",
        "documented",
        "recorded",
        "received",
        "full",
        "entire",
        "complete",
        "dose",
        "doses",
        "thank",
        "us",
        "we",
        "one",
    ]
)
# Words of an operation: ignored as question content, but they may still match a concept's own
# name ("Platelets [#/volume] … by Automated count", "Last menstrual period").
OP_WORDS = frozenset(
    [
        "count",
        "counted",
        "how",
        "many",
        "number",
        "total",
        "often",
        "frequency",
        "increase",
        "increased",
        "increasing",
        "decrease",
        "decreased",
        "decreasing",
        "rise",
        "rising",
        "rose",
        "fall",
        "falling",
        "fell",
        "stable",
        "higher",
        "lower",
        "high",
        "low",
        "above",
        "below",
        "compare",
        "compared",
        "improve",
        "improved",
        "improving",
        "worse",
        "worsen",
        "worsening",
        "better",
        "same",
        # what holds when: the executor's business, not a concept's name
        "active",
        "inactive",
        "current",
        "resolved",
        "past",
        "present",
        "ongoing",
        "stopped",
        "discontinued",
        "lately",
        "moment",
        "known",
        "taken",
        "incl",
        "including",
        "request",
        "need",
        "point",
        "old",
        "against",
        "put",
        "thing",
        "rundown",
        # "followed for", "clinical status": how a list is asked, not what
        "followed",
        "clinical",
        "status",
        "pls",
    ]
)
_MONTH_WORDS = frozenset(m.lower() for m in (*calendar.month_name[1:], *calendar.month_abbr[1:], "Sept"))
# Words that name conditions themselves (not "history", which any kind has).
_CONDITION_WORDS = (
    "diagnosis",
    "diagnoses",
    "diagnosed",
    "prob",
    "condition",
    "problem",
    "disease",
    "disorder",
    "dx",
    "illness",
)
# A concept's kind, as a question names it ("at her last visit", "which vaccines").
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "encounter": ("visit", "encounter", "appointment", "admission", "admitted", "seen", "consultation"),
    "medication": (
        "medication",
        "medicine",
        "med",
        "drug",
        "prescription",
        "prescribed",
        "taking",
        "pill",
        "rx",
    ),
    "condition": (*_CONDITION_WORDS, "history", "hx", "pmh"),
    "immunization": (
        "vaccine",
        "vaccination",
        "vaccinated",
        "immunization",
        "immunisation",
        "shot",
        "jab",
        "booster",
        "vax",
        "imm",
    ),
    "allergy": ("allergy", "allergic", "allergies"),
    "procedure": ("procedure", "surgery", "operation", "operated"),
    "observation": ("lab", "test", "vital", "sign"),
    "careplan": ("plan", "careplan"),
    "note": ("note", "notes"),
}
# the kinds' own words: a question naming a kind ("at her last visit") is not naming a concept
_KIND_STEMS = frozenset(w.removesuffix("s") for words in KIND_WORDS.values() for w in words)
# stop words that are the whole point of some names ("Tobacco smoking status", "Never smoker" keep theirs)
_KEEP = frozenset({"no", "not", "never", "current", "last", "first"})
_QUALIFIER = re.compile(
    r"\s*\((disorder|finding|procedure|situation|morphologic abnormality|qualifier value|"
    r"observable entity|regime/therapy|substance|product|physical object|event|record artifact)\)",
    re.I,
)
_BRACKETS = re.compile(r"\s*\[[^\]]*\]")
_SPECIMEN = re.compile(
    r"\s+(?:in|by|from)\s+(?:serum|plasma|blood|urine|arterial|venous|capillary)\b.*$", re.I
)
_STRENGTH = re.compile(r"\b\d[\d.,/]*\s*(?:mg|mcg|ml|unt|hr|meq|%|g|actuat)\b.*$", re.I)


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, plural-folded word tokens ("Platelets [#/volume]" -> platelet, volume)."""
    return [_stem(w) for w in _TOKEN.findall(text.lower().replace("'s ", " "))]


def clean_names(display: str, kind: str) -> tuple[str, ...]:
    """The display and the forms a clinician would shorten it to."""
    names = [display]
    text = _QUALIFIER.sub("", display).strip()
    names.append(text)
    short = _SPECIMEN.sub("", _BRACKETS.sub("", text)).strip()
    names.append(short)
    if kind == "medication":
        words = _STRENGTH.sub("", short).split()
        # "24 HR Metformin hydrochloride 500 MG …", "NDA020800 0.3 ML Epinephrine …": leading amounts
        while words and (any(ch.isdigit() for ch in words[0]) or words[0].upper() in ("HR", "ML", "MG")):
            words = words[1:]
        names.append(" ".join(words))
    if "/" in short and kind == "observation":
        names.extend(part for part in short.split("/") if len(part) > 3)
    return tuple(dict.fromkeys(n for n in names if n and tokenize(n)))


def _within_edits(a: str, b: str, limit: int) -> bool:
    """Edit distance of a and b (adjacent swaps count one, "aalnine"/"alanine") is at most ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return False
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return False
        before, previous = previous, current
    return previous[-1] <= limit


@lru_cache(maxsize=200_000)
def tokens_match(q: str, v: str) -> bool:
    """One question word read as one name word: equal, a typo or two apart, or the same stem."""
    if q == v:
        return True
    if q.isdigit() or v.isdigit() or min(len(q), len(v)) < 5:
        return False
    limit = 2 if min(len(q), len(v)) >= 8 else 1
    return _within_edits(q, v, limit) or _same_stem(q, v)


def has_word_like(text: str, words: Sequence[str]) -> bool:
    """Whether a word of ``text`` reads as one of ``words``, typos allowed ("currnet", "nmber")."""
    return any(tokens_match(w, v) for w in re.findall(r"[a-z]+", text.lower()) for v in words)


@lru_cache(maxsize=200_000)
def abbreviates(q: str, v: str) -> bool:
    """One word a clipped form of the other ("alb"/"albumin", "trig"/"triglyceride", "hep"/"hepatitis")."""
    short, long = (q, v) if len(q) < len(v) else (v, q)
    return 3 <= len(short) <= 5 and short.isalpha() and len(long) >= len(short) + 3 and long.startswith(short)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    for ca, cb in zip(a, b, strict=False):
        if ca != cb:
            break
        n += 1
    return a[:n]


@dataclass(frozen=True)
class Concept:
    """One concept of the patient: its names (each a tuple of tokens) and its classes."""

    kind: str
    code: str | None
    display: str
    names: tuple[tuple[str, ...], ...]
    classes: frozenset[str]


@dataclass(frozen=True)
class PatientConcepts:
    """A patient's concepts and which concept each slot (entry) is, built once per memory."""

    concepts: tuple[Concept, ...]
    slot_concept: np.ndarray  # (n,) int64 index into concepts
    slot_kind: tuple[str, ...]
    idf: dict[str, float] = field(repr=False)
    unseen_idf: float = 1.0

    def __deepcopy__(self, memo: dict) -> PatientConcepts:
        return self  # immutable; Haystack deep-copies values between components


def _name_tokens(name: str) -> tuple[str, ...]:
    # a name's function words ("in", "by") are not what distinguishes it
    return tuple(t for t in tokenize(name) if t not in STOPWORDS or t in _KEEP)


def _acronyms(name: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The initials of every run of three to five words of a name ("low density lipoprotein" -> ldl)."""
    words = [w for w in name if w.isalpha()]
    found = []
    for size in range(3, 6):
        for start in range(len(words) - size + 1):
            found.append(("".join(w[0] for w in words[start : start + size]),))
    return tuple(found)


def _leading_words(name: tuple[str, ...]) -> tuple[str, ...]:
    """A name's words up to its first number or end: "body mass index" of "body mass index 30 obesity"."""
    lead: list[str] = []
    for w in name:
        if not w.isalpha():
            return tuple(lead) if lead and len(lead) < len(name) else ()
        lead.append(w)
    return ()


def _display(entry: MemoryEntry) -> str:
    return entry.display or entry.concept.split(": ", 1)[-1]


def patient_concepts(entries: Sequence[MemoryEntry]) -> PatientConcepts:
    """Group the entries by concept and give each concept its names and classes."""
    from clinimem.grounding.lexicon import lexicon

    lex = lexicon()
    index: dict[tuple, int] = {}
    found_names: list[tuple[MemoryEntry, list[tuple[str, ...]], list[tuple[str, ...]]]] = []
    slot_concept = np.zeros(len(entries), dtype=np.int64)
    for i, entry in enumerate(entries):
        key = (entry.kind, entry.code_system, entry.code, _display(entry))
        found = index.get(key)
        if found is None:
            found = index[key] = len(found_names)
            names = clean_names(_display(entry), entry.kind) if entry.kind != "patient" else ()
            names += lex.names_for(entry.code_system, entry.code, _display(entry))
            if entry.code and not entry.code.isdigit():
                names += (entry.code,)
            spelled = [t for t in (_name_tokens(n) for n in names) if t]
            # initials only of names as the record or the tables spell them out (not of a code)
            initials = [a for t in spelled if len(t) >= 3 for a in _acronyms(t)]
            # the initials of a name's whole leading run of words ("body mass index" of "Body mass index
            # 30+ - obesity") are its own, whoever else has them
            leads = [_leading_words(t) for t in spelled]
            spelled += [("".join(w[0] for w in lead),) for lead in leads if 3 <= len(lead) <= 5]
            found_names.append((entry, spelled, initials))
        slot_concept[i] = found
    # a made-up initialism never takes a name another concept really has: "mch" of "mean corpuscular
    # hemoglobin concentration" is MCH's own abbreviation, not MCHC's
    one_word = {name[0] for _, spelled, _ in found_names for name in spelled if len(name) == 1}
    concepts = [
        Concept(
            kind=entry.kind,
            code=entry.code,
            display=_display(entry),
            names=tuple(
                dict.fromkeys(spelled + [a for a in initials if a[0] not in one_word or a in spelled])
            ),
            classes=frozenset(lex.classes_for(entry.code_system, entry.code)),
        )
        for entry, spelled, initials in found_names
    ]
    df: dict[str, int] = {}
    for concept in concepts:
        for token in {t for name in concept.names for t in name}:
            df[token] = df.get(token, 0) + 1
    total = max(len(concepts), 1)
    idf = {t: math.log(1.0 + total / d) for t, d in df.items()}
    return PatientConcepts(
        concepts=tuple(concepts),
        slot_concept=slot_concept,
        slot_kind=tuple(e.kind for e in entries),
        idf=idf,
        unseen_idf=math.log(1.0 + total / 0.5),
    )


@dataclass(frozen=True)
class ConceptMatch:
    """Why one concept was matched: for the answer's trace."""

    display: str
    code: str | None
    score: float
    cover: float
    question_cover: float
    classes: tuple[str, ...]
    words: tuple[str, ...]  # the question's words that matched


@dataclass(frozen=True)
class Grounding:
    """Per-slot signals (n, N_FEATURES), the question-level summary, and the best matches."""

    slots: np.ndarray = field(repr=False)
    question: np.ndarray = field(repr=False)
    matches: tuple[ConceptMatch, ...] = ()

    def __deepcopy__(self, memo: dict) -> Grounding:
        return self


def _question_words(question: str) -> tuple[list[str], list[str], set[str]]:
    """All meaningful words, the content words (no operation words), and code-like strings."""
    words = [
        w for w in tokenize(question) if w not in STOPWORDS and w not in _MONTH_WORDS and not _is_number(w)
    ]
    content = [w for w in words if w not in OP_WORDS and w not in _KIND_STEMS and not _kinds_of_word(w)]
    codes = set(_CODE_LIKE.findall(question))
    return words, content, codes


def _is_number(word: str) -> bool:
    return word.isdigit() and word not in ("1", "2")  # "type 2 diabetes", "type 1"


@lru_cache(maxsize=50_000)
def _kinds_of_word(word: str) -> tuple[str, ...]:
    """The kinds a question word names: a kind word itself, or a typo of one ("vacine", "medicaton");
    a short word only as itself ("viral" is not a typo of "vital")."""
    if len(word) < 6:
        return tuple(k for k, ws in KIND_WORDS.items() if any(word == _stem(w) for w in ws))
    return tuple(k for k, ws in KIND_WORDS.items() if any(tokens_match(word, _stem(w)) for w in ws))


def _condition_word(word: str) -> bool:
    return any(tokens_match(word, _stem(w)) for w in _CONDITION_WORDS)


def kinds_named_in(question: str) -> tuple[str, ...]:
    """The kinds of entry ``question`` names ("vaccines" -> immunization), in :data:`KIND_WORDS` order."""
    stems = set(tokenize(question))
    named = {k for w in stems for k in _kinds_of_word(w)}
    kinds = [k for k in KIND_WORDS if k in named]
    if "condition" in kinds and len(kinds) > 1 and not any(_condition_word(w) for w in stems):
        kinds.remove("condition")  # "medication history": the history of another kind
    return tuple(kinds)


# Kinds a question can mean every entry of ("what vaccines has she had?", "when was the last
# visit?"); not labs or notes, which a question names one by one.
LISTED_KINDS = ("medication", "condition", "immunization", "allergy", "procedure", "encounter")


def listed_kind(question: str) -> str | None:
    """The one kind of :data:`LISTED_KINDS` the question names, or None (none, or several)."""
    kinds = [k for k in kinds_named_in(question) if k in LISTED_KINDS]
    return kinds[0] if len(kinds) == 1 else None


def listed_slots(question: str, grounding: Grounding, concepts: PatientConcepts) -> tuple[int, ...]:
    """The slots a question about a whole class or kind names, or () when it names neither.

    A class ("her statins") names its members; else one kind ("vaccines",
    "diagnoses", "visits") names every entry of that kind: which of them hold
    now, or which is the latest, is the executor's rule.
    """
    classes = grounding.slots[:, FEATURES.index("class")] > 0
    if classes.any():
        return tuple(int(i) for i in np.nonzero(classes)[0])
    kind = listed_kind(question)
    if kind is None:
        return ()
    return tuple(i for i, slot_kind in enumerate(concepts.slot_kind) if slot_kind == kind)


@lru_cache(maxsize=1)
def _one_word_class_terms() -> tuple[str, ...]:
    from clinimem.grounding.lexicon import lexicon

    words = {t.lower() for terms in lexicon().class_terms().values() for t in terms}
    return tuple(sorted(w for w in words if " " not in w and len(w) >= 5 and w.isalpha()))


def class_terms_in(question: str, vocabulary: frozenset[str] = frozenset()) -> tuple[tuple[str, str], ...]:
    """The classes ``question`` names (see ``Lexicon.class_terms_in``), a one-word class name typed
    with a typo read as that name ("staitn", "NSIAD", "duiretic"), unless the word is one of the
    patient's own name words (``vocabulary``)."""
    from clinimem.grounding.lexicon import lexicon

    found = lexicon().class_terms_in(question)
    if found:
        return found
    fixed = question
    for word in set(re.findall(r"[A-Za-z]{5,}", question)):
        low = word.lower()
        if low in vocabulary or low in _one_word_class_terms():
            continue
        # one slip only (a swap counts one): "diruetic" is diuretic, never diabetic
        term = next((t for t in _one_word_class_terms() if _within_edits(low, t, 1)), None)
        if term is not None:
            fixed = re.sub(rf"\b{re.escape(word)}\b", term, fixed)
    return lexicon().class_terms_in(fixed) if fixed != question else ()


# How a question is put, never what it is about, when no name of the patient's holds the word (a
# patient with "Chronic low back pain" still has "back" read as a name word): "what did it come back
# as", "first started", "anywhere in his record", "greater than", "up, down or flat". Collected from the
# unexplained words of the tuning questions on the training records (judge_dev), never the test ones.
FILLER = frozenset(
    [
        "started",
        "start",
        "begin",
        "began",
        "order",
        "ordered",
        "back",
        "next",
        "onset",
        "overall",
        "gotten",
        "administered",
        "administration",
        "across",
        "anywhere",
        "appear",
        "greater",
        "include",
        "included",
        "take",
        "post",
        "whether",
        "lifetime",
        "final",
        "among",
        "amongst",
        "read",
        "flat",
        "held",
        "gone",
        "way",
        "heading",
        "steady",
        "stop",
        "never",
        "q",
        "y",
        "n",
        "o",
        "d",
        "long",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "receive",
        "received",
        "documented",
        "chart",
        "record",
        "recorded",
        "list",
        "mention",
        "mentioned",
        "anything",
    ]
)


@lru_cache(maxsize=1)
def _table_words() -> frozenset[str]:
    """Every word of every name in the tables (synonyms, class terms, ingredients, vaccines)."""
    from clinimem.grounding.lexicon import lexicon

    lex = lexicon()
    names = [n for ns in lex.synonyms.values() for n in ns]
    names += [t for ts in lex.class_terms().values() for t in ts]
    names += [n for ns in lex.ingredients.values() for n in ns] + list(lex.ingredients)
    return frozenset(t for n in names for t in tokenize(n) if len(t) >= 4 and t.isalpha())


def _clips(word: str, name_word: str) -> bool:
    """A question word clipped from a name word ("trig" / "triglyceride"), or a name's clipped word of
    four letters and more spelt out in the question ("cholesterol" / "chol"); never a whole word read as
    a name's three-letter initials ("smoked" is not "smo")."""
    return abbreviates(word, name_word) and (len(word) < len(name_word) or len(name_word) >= 4)


def _same_stem(a: str, b: str) -> bool:
    """The same word with another ending ("fractures" / "fracture", "diagnosed" / "diagnosis")."""
    common = len(_common_prefix(a, b))
    return common >= 6 and common >= 0.75 * min(len(a), len(b))


@lru_cache(maxsize=50_000)
def _filler(word: str) -> bool:
    """A word that says how a question is put: a filler word, or one typed with a slip ("waht",
    "lsat", "frist", "currnetly", "befroe")."""
    if word in FILLER:
        return True
    return len(word) >= 4 and any(_within_edits(word, f, 1) for f in _filler_pool())


@lru_cache(maxsize=1)
def _filler_pool() -> tuple[str, ...]:
    return tuple(sorted(w for w in STOPWORDS | OP_WORDS | FILLER | _KIND_STEMS if len(w) >= 4))


def ground(question: str, concepts: PatientConcepts, top: int = 5) -> Grounding:
    """The grounding signals of ``question`` over one patient's slots."""

    words, content, codes = _question_words(question)
    vocabulary = concepts.idf
    # question word -> the name words it reads as: itself when some name has it (then "weight" is
    # never a typo of "height"), else its typos, stems and clipped forms
    # (a word the tables know as a word of its own, "basal" or "viral", is never read as a slip for
    # another, "nasal" or "vital"; it may still be a clipped form)
    reads: dict[str, set[str]] = {}
    for w in set(words):
        if w in vocabulary:
            reads[w] = {w}
        elif w in _table_words():
            # (nor, as a whole word, a clipped form: "colon" is not Colonoscopy; "chol" still clips)
            reads[w] = {v for v in vocabulary if (len(w) <= 4 and _clips(w, v)) or _same_stem(w, v)}
        else:
            reads[w] = {v for v in vocabulary if tokens_match(w, v) or _clips(w, v)}
    matched_vocab = set().union(*reads.values()) if reads else set()
    # a word no name reads that only says how the question is put weighs nothing
    content = [w for w in content if reads.get(w) or not _filler(w)]

    def weight(w: str) -> float:
        # a word no name reads is weighed as a common one: filler must not drown the words that match
        if not reads.get(w):
            return 1.0
        return max(concepts.idf.get(v, 1.0) for v in reads[w])

    content_mass = sum(weight(w) for w in content) or 1.0
    class_words: dict[str, set[str]] = {
        c: set(tokenize(term)) for c, term in class_terms_in(question, frozenset(vocabulary))
    }
    named_classes = set(class_words)
    named_kinds = set(kinds_named_in(question))

    m = len(concepts.concepts)
    per = np.zeros((m, 7), dtype=np.float32)
    explained: set[str] = set()
    words_of: list[tuple[str, ...]] = [()] * m
    for c, concept in enumerate(concepts.concepts):
        best = (0.0, 0.0, 0.0)
        best_words: tuple[str, ...] = ()
        class_hit = bool(named_classes & concept.classes)
        member_words = (
            {w for c in named_classes & concept.classes for w in class_words[c]} & set(content)
            if class_hit
            else set()
        )
        # a name's own kind word stands for any word of that kind the question uses: "flu vax" is
        # "flu shot" is "flu vaccine"
        kind_said = concept.kind in named_kinds
        # the question's words any of the concept's names reads: "seasonal influenza vaccine" is
        # "Influenza, seasonal, ..." and "influenza vaccine" at once
        all_names = {t for name in concept.names for t in name}
        used_all = tuple(w for w in content if reads.get(w, set()) & all_names)
        q_cover_all = min(1.0, sum(weight(w) for w in set(used_all) | member_words) / content_mass)
        for name in concept.names:
            name_set = set(name)
            hit = name_set & matched_vocab
            if kind_said and hit:
                hit |= {t for t in name_set if concept.kind in _kinds_of_word(t)}
            if not hit:
                continue
            name_mass = sum(concepts.idf.get(t, 1.0) for t in name_set)
            cover = sum(concepts.idf.get(t, 1.0) for t in hit) / name_mass
            used = tuple(w for w in content if reads.get(w, set()) & name_set)
            q_cover = min(1.0, sum(weight(w) for w in set(used) | member_words) / content_mass)
            if q_cover_all > q_cover:
                used, q_cover = used_all, q_cover_all
            score = cover * q_cover
            if (score, cover) > (best[2], best[0]):
                best, best_words = (cover, q_cover, score), used
        if concept.code and concept.code in codes:
            best, best_words = (1.0, 1.0, 1.0), (concept.code,)
        # a class the question names ("statins") reads every member as fully named, for the
        # question's words that named the class: "LDL cholesterol" still prefers LDL to HDL
        # (a little below a name's own match, so "total cholesterol" is Total Cholesterol, not any lipid)
        class_score = (
            0.9 * min(1.0, sum(weight(w) for w in member_words) / content_mass) if class_hit else 0.0
        )
        score = max(best[2], class_score)
        if score > 0:
            # ties go to the plainer concept: "glucose" is Glucose, not "Glucose [Mass/volume] in Blood < 108"
            score -= 0.001 * min(len(concept.names[0]) if concept.names else 0, 10)
        per[c, :3] = (best[0], best[1], score)
        per[c, 5] = class_hit
        per[c, 6] = concept.kind in named_kinds
        words_of[c] = best_words
        if score >= 0.5:
            explained.update(best_words)
            explained.update(member_words)
    max_score = float(per[:, 2].max()) if m else 0.0
    if max_score > 0:
        per[:, 3] = per[:, 2] / max_score
        per[:, 4] = per[:, 2] >= max_score - 1e-6
    unexplained = sum(weight(w) for w in set(content) - explained) / content_mass
    slots = np.zeros((len(concepts.slot_concept), N_FEATURES), dtype=np.float32)
    slots[:, :7] = per[concepts.slot_concept]
    slots[:, 7] = max_score
    summary = np.array(
        [max_score, float(bool(named_classes)), float(bool(named_kinds)), unexplained if content else 0.0],
        dtype=np.float32,
    )
    order = np.argsort(-per[:, 2], kind="stable")[:top]
    matches = tuple(
        ConceptMatch(
            display=concepts.concepts[c].display,
            code=concepts.concepts[c].code,
            score=round(float(per[c, 2]), 3),
            cover=round(float(per[c, 0]), 3),
            question_cover=round(float(per[c, 1]), 3),
            classes=tuple(sorted(named_classes & concepts.concepts[c].classes)),
            words=words_of[c],
        )
        for c in order
        if per[c, 2] > 0
    )
    return Grounding(slots=slots, question=summary, matches=matches)

"""The spaCy pipeline that reads a note: sections and sentences, terms, context flags.

``spacy.blank("en")`` with a regex tokenizer (:mod:`clinimem.notes.tokenizer`;
no statistical model is needed, and none is loaded) plus three rule components:

- ``clinimem_sections``: headings -> ``doc.spans["sections"]`` (label = section
  name) and sentence starts (after . ! ?, at line breaks and after a heading);
- ``clinimem_terms``: the vocabulary (:mod:`clinimem.notes.lexicon`) as a
  ``PhraseMatcher`` on lower-cased tokens -> ``doc.ents`` labelled
  problem/drug/procedure/finding, longest match first; the canonical name of
  each is ``ent.kb_id_``;
- ``clinimem_context``: ConText triggers (:mod:`clinimem.notes.context`) ->
  ``ent._.context_flags``, plus the flags a section implies (family history).

The pipeline is built once per process, lazily, by :func:`shared_pipeline`.
"""

from __future__ import annotations

import threading
from typing import Any

from clinimem.notes.context import Target, Trigger, load_rules, ordered, resolve_triggers, sentence_flags
from clinimem.notes.lexicon import load_lexicon
from clinimem.notes.sections import FAMILY_SECTIONS, HISTORY_SECTIONS, find_headings

_SENTENCE_END = frozenset({".", "!", "?"})
_LOCK = threading.Lock()
_NLP: Any = None


def _register() -> None:
    """Register the components and the span extension (once per process)."""
    from spacy.attrs import SENT_START
    from spacy.language import Language
    from spacy.matcher import PhraseMatcher
    from spacy.tokens import Span
    from spacy.util import filter_spans

    if not Span.has_extension("context_flags"):
        Span.set_extension("context_flags", default=())

    @Language.component("clinimem_sections")
    def sections(doc: Any) -> Any:
        text = doc_text(doc)
        headings = find_headings(text)
        starts = sentence_starts(doc)
        spans, heads = [], []
        for n, head in enumerate(headings):
            head_span = doc.char_span(head.start, head.end, alignment_mode="expand")
            if head_span is None:
                continue
            end_char = headings[n + 1].start if n + 1 < len(headings) else len(text)
            body = doc.char_span(head.start, end_char, label=head.name, alignment_mode="contract")
            if body is not None:
                spans.append(body)
            heads.append(head_span)
            starts[head_span.start] = 1
            if head_span.end < len(doc):
                starts[head_span.end] = 1  # the first sentence starts after "HPI:"
        if len(doc):
            doc.from_array([SENT_START], starts.astype("uint64").reshape(-1, 1))
        doc.spans["sections"] = spans
        doc.spans["headings"] = heads
        return doc

    @Language.factory("clinimem_terms")
    def make_terms(nlp: Language, name: str) -> Any:
        matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        by_key: dict[str, list[str]] = {}
        for form, term in load_lexicon().items():
            by_key.setdefault(f"{term.label}|{term.canonical}", []).append(form)
        for key, forms in by_key.items():
            matcher.add(key, list(nlp.tokenizer.pipe(forms)))  # type: ignore[union-attr]

        def terms(doc: Any) -> Any:
            in_heading = {i for span in doc.spans.get("headings", []) for i in range(span.start, span.end)}
            found = []
            for key, start, end in matcher(doc):
                if in_heading.intersection(range(start, end)):
                    continue
                label, canonical = nlp.vocab.strings[key].split("|", 1)
                found.append(Span(doc, start, end, label=label, kb_id=canonical))
            doc.ents = [e for e in filter_spans(found) if not _allergy_reaction(doc, e)]
            return doc

        return terms

    @Language.factory("clinimem_context")
    def make_context(nlp: Language, name: str) -> Any:
        matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for rule in load_rules():
            matcher.add(f"{rule.category}|{rule.direction}", [nlp.make_doc(rule.phrase)])

        def context(doc: Any) -> Any:
            ents = doc.ents  # each access rebuilds the spans
            if not ents:
                return doc
            targets = {Target(e.start, e.end, e.label_): e for e in ents}
            found = [
                Trigger(*nlp.vocab.strings[key].split("|", 1), start, end)  # type: ignore[arg-type, call-arg]
                for key, start, end in matcher(doc)
            ]
            triggers = resolve_triggers(found, list(targets))
            lower = _LowerText(doc)
            bounds = sentence_bounds(doc)
            sections = [(span.start, span.end, span.label_) for span in doc.spans.get("sections", [])]
            by_sentence: dict[tuple[int, int], list[Target]] = {}
            for target in targets:
                by_sentence.setdefault(bounds(target.start), []).append(target)
            for (start, end), in_sent in by_sentence.items():
                trigs = [t for t in triggers if start <= t.start < end]
                flags = sentence_flags(lower, start, end, in_sent, trigs)  # type: ignore[arg-type]
                for target, found_flags in flags.items():
                    section = next((name for s, e, name in sections if s <= target.start < e), None)
                    if section in FAMILY_SECTIONS and target.label in ("problem", "finding"):
                        found_flags.add("family")
                    if section in HISTORY_SECTIONS:
                        found_flags.add("historical")
                    targets[target]._.context_flags = ordered(found_flags)
            return doc

        return context


def sentence_starts(doc: Any) -> Any:
    """1 where a sentence starts, -1 elsewhere: after . ! ? and at line breaks.

    Works on token attribute arrays: creating a Python ``Token`` per token was
    most of the pipeline's time.
    """
    import numpy as np
    from spacy.attrs import IS_PUNCT, IS_SPACE, ORTH

    strings = doc.vocab.strings
    ends = {strings.add(p) for p in _SENTENCE_END}
    array = doc.to_array([ORTH, IS_SPACE, IS_PUNCT])
    starts = np.full(len(doc), -1, dtype=np.int64)
    if not len(doc):
        return starts
    starts[0] = 1
    orth, space, punct = array[:, 0], array[:, 1], array[:, 2]
    boundary = np.zeros(len(doc), dtype=bool)
    for i in np.nonzero(punct)[0]:
        boundary[i] = int(orth[i]) in ends
    for i in np.nonzero(space)[0]:
        boundary[i] = "\n" in strings[int(orth[i])]
    after = np.nonzero(boundary[:-1])[0] + 1
    starts[after] = 1
    return starts


def doc_text(doc: Any) -> str:
    """The text of a doc: kept by :class:`NoteTokenizer` (``doc.text`` rebuilds it token by token)."""
    text = doc.user_data.get("clinimem_text")
    return text if isinstance(text, str) else doc.text


def token_offsets(doc: Any) -> tuple[list[int], list[int]]:
    """Start and end character offsets of every token."""
    from spacy.attrs import IDX, LENGTH

    array = doc.to_array([IDX, LENGTH])
    starts = array[:, 0].tolist()
    return starts, [s + n for s, n in zip(starts, array[:, 1].tolist(), strict=True)]


def sentence_bounds(doc: Any) -> Any:
    """A function token index -> (start, end) of its sentence, from the SENT_START annotation."""
    import bisect

    import numpy as np
    from spacy.attrs import SENT_START

    values = doc.to_array([SENT_START]).reshape(-1)
    starts = np.nonzero(values == 1)[0].tolist() or [0]
    n = len(doc)

    def bounds(i: int) -> tuple[int, int]:
        k = bisect.bisect_right(starts, i) - 1
        return starts[k], starts[k + 1] if k + 1 < len(starts) else n

    return bounds


class _LowerText:
    """Lower-case token text by index, looked up only for the tokens a scope walks over."""

    def __init__(self, doc: Any) -> None:
        from spacy.attrs import LOWER

        self._lower = doc.to_array(LOWER)
        self._strings = doc.vocab.strings

    def __getitem__(self, i: int) -> str:
        return self._strings[int(self._lower[i])]

    def __len__(self) -> int:
        return len(self._lower)


def _allergy_reaction(doc: Any, ent: Any) -> bool:
    """A finding in parentheses right after an allergy ("penicillin allergy (hives)") is its reaction."""
    if ent.label_ != "finding" or ent.start < 2 or ent.end >= len(doc):
        return False
    if doc[ent.start - 1].text != "(" or doc[ent.end].text != ")":
        return False
    return doc[ent.start - 2].lower_ in ("allergy", "allergies")


def build_pipeline() -> Any:
    """A fresh note pipeline (prefer :func:`shared_pipeline`)."""
    import spacy

    from clinimem.notes.tokenizer import NoteTokenizer

    _register_once()
    nlp = spacy.blank("en")
    nlp.tokenizer = NoteTokenizer(nlp.vocab)
    for name in ("clinimem_sections", "clinimem_terms", "clinimem_context"):
        nlp.add_pipe(name)
    return nlp


_REGISTERED = False


def _register_once() -> None:
    global _REGISTERED
    if not _REGISTERED:
        _register()
        _REGISTERED = True


def shared_pipeline() -> Any:
    """The process's note pipeline, built on first use (about half a second)."""
    global _NLP
    if _NLP is None:
        with _LOCK:
            if _NLP is None:
                _NLP = build_pipeline()
    return _NLP

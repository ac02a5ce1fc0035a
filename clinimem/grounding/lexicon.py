"""Explicit vocabulary tables: other names, classes and class words for coded concepts.

The tables live in ``clinimem/grounding/data`` (tab-separated, one header line,
every row naming its source):

- ``synonyms.tsv`` (``system code name source``): names a clinician uses for a
  coded concept besides its display ("A1c" for LOINC 4548-4, "Coumadin" for a
  warfarin product);
- ``classes.tsv`` (``system code class source``): class membership (drug classes
  after WHO ATC, condition groups after the SNOMED CT hierarchy, lab groups), each
  ancestor class written out as its own row;
- ``class_terms.tsv`` (``class term source``): the words that name a class in a
  question ("blood thinner" -> anticoagulant, "water pill" -> diuretic);
- ``ingredients.tsv`` (``ingredient name source``): names of a drug ingredient
  ("Tylenol", "APAP", "paracetamol" for acetaminophen). Every RxNorm concept whose
  display (or a name ``synonyms.tsv`` gives it) holds the ingredient as a whole word,
  case-insensitive, gets the ingredient and its names, so a brand or an abbreviation
  reaches a drug code no table lists. An ingredient written ``a / b`` (a
  combination brand: "Augmentin" for amoxicillin / clavulanate) needs every part in
  the display. The longest ingredient is read first: "ethinyl estradiol" is not
  "estradiol". A brand, abbreviation or INN row names its ingredient in a display
  too ("Lasix 40mg" is furosemide);
- ``vaccines.tsv`` (``cvx name source``): trade names and other names of a CVX
  vaccine code ("Fluzone" for CVX 140), read as synonyms of that code.

Systems are written as FHIR writes them (``http://loinc.org``,
``http://snomed.info/sct``, ``http://www.nlm.nih.gov/research/umls/rxnorm``,
``http://hl7.org/fhir/sid/cvx``). ``bench/lexicon_coverage.py`` reports how much
of the records at hand the tables cover.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

_DATA_PACKAGE = "clinimem.grounding"
_DATA_DIR = "data"

# Other spellings of a system URL -> the spelling the tables use.
_SYSTEM_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.1": "http://loinc.org",
    "urn:oid:2.16.840.1.113883.6.96": "http://snomed.info/sct",
    "urn:oid:2.16.840.1.113883.6.88": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "urn:oid:2.16.840.1.113883.12.292": "http://hl7.org/fhir/sid/cvx",
}

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"

_Key = tuple[str, str]


def normalize_system(system: str | None) -> str | None:
    """``system`` as the tables write it (no trailing slash, OID aliases resolved)."""
    if system is None:
        return None
    system = system.strip().rstrip("/")
    return _SYSTEM_ALIASES.get(system, system)


def normalize_code(system: str | None, code: str) -> str:
    """``code`` as the tables key it: a CVX code without leading zeros ("08" and "8" are one code)."""
    code = code.strip()
    if system == CVX and code.isdigit():
        return str(int(code))
    return code


def _ingredient_key(text: str) -> str:
    return " ".join(w for w in re.split(r"[\s\-]+", text.strip().lower()) if w)


def _ingredient_parts(ingredient: str) -> tuple[str, ...]:
    """The ingredients of a table key: one, or each part of ``a / b``."""
    return tuple(_ingredient_key(part) for part in ingredient.split(" / "))


# Names of ingredients.tsv that name their ingredient in a drug's display as well ("Lasix 40mg").
_NAMING_SOURCES = frozenset({"RxNorm brand name", "clinical abbreviation", "INN"})


def _ingredient_pattern(ingredients: list[str]) -> re.Pattern[str] | None:
    """One whole-word, case-insensitive alternation of ``ingredients`` (as ``_ingredient_key``), longest first."""
    if not ingredients:
        return None
    ordered = sorted(set(ingredients), key=lambda w: (-len(w), w))
    body = "|".join(r"[\s\-]+".join(map(re.escape, w.split(" "))) for w in ordered)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def _read_rows(name: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of one data table, checked for its header and a non-empty value in every column."""
    text = resources.files(_DATA_PACKAGE).joinpath(_DATA_DIR).joinpath(name).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    if tuple(reader.fieldnames or ()) != columns:
        raise ValueError(f"{name}: header {reader.fieldnames} is not {list(columns)}")
    rows = []
    for line, row in enumerate(reader, start=2):
        values = {c: (row.get(c) or "").strip() for c in columns}
        if not all(values.values()):
            raise ValueError(f"{name}:{line}: empty column in {row}")
        rows.append(values)
    return rows


def term_pattern(term: str) -> re.Pattern[str]:
    """A case-insensitive whole-word pattern for ``term``, tolerant of plurals and of space/hyphen.

    A term is not matched right after a hyphen or a letter, so "diabetes" is not
    found in "pre-diabetes" or "prediabetes".
    """
    words = [w for w in re.split(r"[\s\-]+", term.strip()) if w]
    body = r"[\s\-]+".join(re.escape(w).replace("'", "['\u2019]?") for w in words)
    last = words[-1]
    if len(last) > 2 and last[-1].lower() == "y" and last[-2].lower() not in "aeiou":
        stem = r"[\s\-]+".join([*map(re.escape, words[:-1]), re.escape(last[:-1])])
        body = rf"(?:{stem}ies|{body})"
    return re.compile(rf"(?<![\w\-]){body}(?:e?s|'s)?(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Lexicon:
    """The tables, indexed by (system, code), by class and by ingredient."""

    synonyms: dict[_Key, tuple[str, ...]] = field(repr=False)
    classes: dict[_Key, tuple[str, ...]] = field(repr=False)
    terms: dict[str, tuple[str, ...]] = field(repr=False)
    _patterns: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = field(repr=False, default=())
    ingredients: dict[str, tuple[str, ...]] = field(repr=False, default_factory=dict)
    _ingredient_re: re.Pattern[str] | None = field(repr=False, default=None)
    _brands: dict[str, tuple[str, ...]] = field(repr=False, default_factory=dict)
    _brand_re: re.Pattern[str] | None = field(repr=False, default=None)
    _terms_seen: dict[str, tuple[tuple[str, str], ...]] = field(
        repr=False, default_factory=dict, compare=False
    )

    @staticmethod
    def _lookup(table: dict[_Key, tuple[str, ...]], system: str | None, code: str | None) -> tuple[str, ...]:
        if not code:
            return ()
        code = code.strip()
        system = normalize_system(system)
        if system:
            return table.get((system, normalize_code(system, code)), ())
        found: list[str] = []  # no system: every system's rows for this code
        for (sys_, c), values in table.items():
            if c == code or (sys_ == CVX and c == normalize_code(CVX, code)):
                found.extend(values)
        return tuple(dict.fromkeys(found))

    def names_for(self, system: str | None, code: str | None, display: str | None = None) -> tuple[str, ...]:
        """Other names of the concept (abbreviations, lay terms, ingredient and brand names).

        With the ``display`` of an RxNorm concept, the names of each ingredient it
        holds (``ingredients.tsv``) come too, for a code the tables do not list as well.
        """
        names = self._lookup(self.synonyms, system, code)
        if display and normalize_system(system) == RXNORM:
            names = tuple(dict.fromkeys(names + self.ingredient_names(display)))
        return names

    def ingredients_in(self, text: str) -> tuple[str, ...]:
        """The ingredients of ``ingredients.tsv`` that ``text`` holds (whole words, longest first).

        A brand, an abbreviation or an INN name of the table names its ingredients too
        ("Lasix 40mg" holds furosemide, "Yaz 28 Day Pack" drospirenone and ethinyl
        estradiol). A combination key (``amoxicillin / clavulanate``) is found when all
        its parts are.
        """
        if not text or self._ingredient_re is None:
            return ()
        found = {_ingredient_key(m.group(0)) for m in self._ingredient_re.finditer(text)}
        if self._brand_re is not None:
            for m in self._brand_re.finditer(text):
                for key in self._brands.get(_ingredient_key(m.group(0)), ()):
                    found.update(_ingredient_parts(key))
        return tuple(k for k in self.ingredients if set(_ingredient_parts(k)) <= found)

    def ingredient_names(self, text: str) -> tuple[str, ...]:
        """Each ingredient ``text`` holds by its own name (a combination by each part), then its other names."""
        names: list[str] = []
        for key in self.ingredients_in(text):
            names.extend(_ingredient_parts(key))
            names.extend(self.ingredients[key])
        return tuple(dict.fromkeys(names))

    def classes_for(self, system: str | None, code: str | None) -> tuple[str, ...]:
        """The classes the concept belongs to, ancestors included ("statin", "lipid-lowering drug")."""
        return self._lookup(self.classes, system, code)

    def class_terms(self) -> dict[str, tuple[str, ...]]:
        """Class -> the words that name it (its own name first)."""
        return dict(self.terms)

    def class_terms_in(self, text: str) -> tuple[tuple[str, str], ...]:
        """Each class ``text`` names, with the words that named it, in the order they appear.

        Terms are matched whole-word and case-insensitive, longest first: the words
        a longer term took ("blood pressure medication") are not read again by a
        shorter one ("blood pressure").
        """
        if not text:
            return ()
        # a question is read for classes several times while it is answered (grounding, rules): once
        cached = self._terms_seen.get(text)
        if cached is not None:
            return cached
        found_terms = self._class_terms_in(text)
        if len(self._terms_seen) > 4096:
            self._terms_seen.clear()
        self._terms_seen[text] = found_terms
        return found_terms

    def _class_terms_in(self, text: str) -> tuple[tuple[str, str], ...]:
        taken: list[tuple[int, int]] = []
        hits: list[tuple[int, str, tuple[str, ...]]] = []
        for pattern, classes in self._patterns:
            for m in pattern.finditer(text):
                start, end = m.span()
                if any(start < e and s < end for s, e in taken):
                    continue
                taken.append((start, end))
                hits.append((start, m.group(0), classes))
        hits.sort(key=lambda hit: hit[0])
        found: dict[str, str] = {}
        for _, term, classes in hits:
            for c in classes:
                found[c] = f"{found[c]} {term}" if c in found else term
        return tuple(found.items())

    def classes_named_in(self, text: str) -> tuple[str, ...]:
        """The classes ``text`` names, in the order they appear (see :meth:`class_terms_in`)."""
        return tuple(c for c, _ in self.class_terms_in(text))


def _build() -> Lexicon:
    synonyms: dict[_Key, list[str]] = {}
    for row in _read_rows("synonyms.tsv", ("system", "code", "name", "source")):
        names = synonyms.setdefault((row["system"], normalize_code(row["system"], row["code"])), [])
        if row["name"] not in names:
            names.append(row["name"])
    for row in _read_rows("vaccines.tsv", ("cvx", "name", "source")):
        names = synonyms.setdefault((CVX, normalize_code(CVX, row["cvx"])), [])
        if row["name"] not in names:
            names.append(row["name"])
    ingredients: dict[str, list[str]] = {}
    brands: dict[str, list[str]] = {}
    for row in _read_rows("ingredients.tsv", ("ingredient", "name", "source")):
        key = " / ".join(_ingredient_parts(row["ingredient"]))
        names = ingredients.setdefault(key, [])
        if row["name"] not in names:
            names.append(row["name"])
        if row["source"] in _NAMING_SOURCES:
            keys = brands.setdefault(_ingredient_key(row["name"]), [])
            if key not in keys:
                keys.append(key)
    ingredient_re = _ingredient_pattern([p for key in ingredients for p in _ingredient_parts(key)])
    partial = Lexicon(
        synonyms={},
        classes={},
        terms={},
        ingredients={k: tuple(v) for k, v in ingredients.items()},
        _ingredient_re=ingredient_re,
        _brands={k: tuple(v) for k, v in brands.items()},
        _brand_re=_ingredient_pattern(list(brands)),
    )
    for (system, _), names in synonyms.items():
        if system == RXNORM:  # a listed drug code gets its ingredients' names as well
            for name in partial.ingredient_names(" / ".join(names)):
                if name not in names:
                    names.append(name)
    classes: dict[_Key, list[str]] = {}
    for row in _read_rows("classes.tsv", ("system", "code", "class", "source")):
        members = classes.setdefault((row["system"], normalize_code(row["system"], row["code"])), [])
        if row["class"] not in members:
            members.append(row["class"])
    terms: dict[str, list[str]] = {}
    for row in _read_rows("class_terms.tsv", ("class", "term", "source")):
        terms.setdefault(row["class"], [row["class"]])
        if row["term"] not in terms[row["class"]]:
            terms[row["class"]].append(row["term"])
    for cls in {c for members in classes.values() for c in members}:
        terms.setdefault(cls, [cls])
    by_term: dict[str, list[str]] = {}
    for cls, words in terms.items():
        for word in words:
            named = by_term.setdefault(word.lower(), [])
            if cls not in named:
                named.append(cls)
    ordered = sorted(by_term, key=lambda w: (-len(w), w))
    return Lexicon(
        synonyms={k: tuple(v) for k, v in synonyms.items()},
        classes={k: tuple(v) for k, v in classes.items()},
        terms={k: tuple(v) for k, v in terms.items()},
        _patterns=tuple((term_pattern(w), tuple(by_term[w])) for w in ordered),
        ingredients=partial.ingredients,
        _ingredient_re=ingredient_re,
        _brands=partial._brands,
        _brand_re=partial._brand_re,
    )


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The tables of ``clinimem/grounding/data``, read once."""
    return _build()

"""Criteria files: named questions with the answer each expects, and how they combine.

A criteria file is YAML::

    name: HbA1c above 9% at the last two measurements and no insulin
    criteria:
      last_hba1c_high:
        question: What was the most recent HbA1c?
        expect: value > 9%
      insulin:
        question: Has the patient ever been prescribed insulin?
        expect: boolean == true
    flag: last_hba1c_high and not insulin

``criteria`` is a mapping name -> ``{question, expect}`` (or a list of
``{name, question, expect}``); ``flag`` (alias ``combine``) joins the names with
and/or/not and parentheses, and defaults to all criteria joined by ``and``.
``expect`` is a condition of :mod:`clinimem.screen.conditions`.

A criterion that does not parse is kept with its error: it is reported in
every row and counts as unknown, and the job still runs the others. Only a
file that cannot be read as criteria at all raises :class:`CriteriaError`.

>>> criteria = parse_criteria({"criteria": {"a": {"question": "Any insulin?", "expect": "boolean == true"}}})
>>> [c.name for c in criteria.criteria], criteria.flag_text
(['a'], 'a')
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinimem.errors import ClinimemError
from clinimem.screen.conditions import Condition, parse_condition, references
from clinimem.screen.logic import KEYWORDS, ExpressionError, Node, parse_expression

_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")


class CriteriaError(ClinimemError):
    """The criteria file cannot be used at all (unreadable, not YAML, no criteria)."""

    code = "criteria"


@dataclass(frozen=True)
class Criterion:
    """One question and the answer condition it expects; ``error`` set when it does not parse."""

    name: str
    question: str
    expect_text: str
    expect: Node[Condition] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Criteria:
    """A parsed criteria file. ``fingerprint`` names its content (what a resumed job checks)."""

    name: str
    criteria: tuple[Criterion, ...]
    flag_text: str
    flag: Node[str] | None
    flag_error: str | None
    fingerprint: str
    source: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.criteria)

    @property
    def errors(self) -> list[str]:
        """Every parse problem, one line each (for the log and the command's summary)."""
        found = [f"criterion {c.name!r}: {c.error}" for c in self.criteria if c.error]
        if self.flag_error:
            found.append(f"flag: {self.flag_error}")
        return found


def load_criteria(path: str | Path) -> Criteria:
    """Read and parse a criteria YAML file."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CriteriaError(f"cannot read the criteria file: {err.strerror}", file=str(path)) from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise CriteriaError(
            f"not valid YAML: {err}".splitlines()[0], file=str(path), hint="see docs/examples/"
        ) from err
    return parse_criteria(data, source=str(path))


def parse_criteria(data: Any, *, source: str | None = None) -> Criteria:
    """Parse the YAML document of a criteria file (see the module docstring)."""
    if not isinstance(data, dict) or "criteria" not in data:
        raise CriteriaError(
            "a criteria file is a mapping with a 'criteria' key",
            file=source,
            hint="see docs/examples/ for the layout",
        )
    raw = data["criteria"]
    items: list[tuple[Any, Any]]
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = [(d.get("name") if isinstance(d, dict) else None, d) for d in raw]
    else:
        raise CriteriaError("'criteria' must be a mapping or a list", file=source)
    if not items:
        raise CriteriaError("the criteria file names no criteria", file=source)
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for index, (name, spec) in enumerate(items, start=1):
        criterion = _parse_criterion(name, spec, index)
        if criterion.name in seen:
            criterion = Criterion(
                f"{criterion.name}#{index}", criterion.question, criterion.expect_text, None, "duplicate name"
            )
        seen.add(criterion.name)
        criteria.append(criterion)
    criteria = [_check_references(c, seen) for c in criteria]
    flag_raw = data.get("flag", data.get("combine"))
    flag_text = " and ".join(c.name for c in criteria) if flag_raw is None else str(flag_raw)
    flag: Node[str] | None = None
    flag_error = None
    try:
        flag = parse_expression(flag_text, lambda tokens: tokens.take_name())
        unknown = sorted(set(flag.atoms()) - seen)
        if unknown:
            flag, flag_error = None, f"names no criterion: {', '.join(unknown)}"
    except ExpressionError as err:
        flag_error = str(err)
    canonical = json.dumps(
        {
            "criteria": [[c.name, c.question, c.expect_text] for c in criteria],
            "flag": flag_text,
        },
        sort_keys=True,
    )
    return Criteria(
        name=str(data.get("name") or (Path(source).stem if source else "criteria")),
        criteria=tuple(criteria),
        flag_text=flag_text,
        flag=flag,
        flag_error=flag_error,
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest()[:16],
        source=source,
    )


def _check_references(criterion: Criterion, names: set[str]) -> Criterion:
    """A criterion whose ``expect`` names a missing criterion (or itself) does not parse."""
    if criterion.expect is None:
        return criterion
    refs = references(criterion.expect)
    missing = sorted(refs - names)
    if criterion.name in refs:
        missing.append(f"{criterion.name} (itself)")
    if not missing:
        return criterion
    error = (
        f"expect {criterion.expect_text!r}: names no other criterion: {', '.join('@' + m for m in missing)}"
    )
    return Criterion(criterion.name, criterion.question, criterion.expect_text, None, error)


def _parse_criterion(name: Any, spec: Any, index: int) -> Criterion:
    label = str(name) if name not in (None, "") else f"criterion_{index}"
    if not isinstance(spec, dict):
        return Criterion(label, "", "", None, "expected a mapping with 'question' and 'expect'")
    question = spec.get("question")
    expect_text = spec.get("expect")
    question = question.strip() if isinstance(question, str) else ""
    expect_text = str(expect_text).strip() if expect_text is not None else ""
    error = None
    expect = None
    if not _NAME.match(label) or label.lower() in KEYWORDS:
        error = "a name is letters, digits, '_', '.', '-' (starting with a letter or '_'), not and/or/not"
    elif not question:
        error = "no 'question'"
    elif not expect_text:
        error = "no 'expect' condition (e.g. 'value > 9', 'trend == decreasing')"
    else:
        try:
            expect = parse_condition(expect_text)
        except ExpressionError as err:
            error = f"expect {expect_text!r}: {err}"
    return Criterion(label, question, expect_text, expect, error)

"""Answer conditions: ``field op literal`` comparisons read against one :class:`Answer`.

Fields and what they read from the answer contract:

==========  =======================================  =======================================
field       reads                                    operators and literals
==========  =======================================  =======================================
value       ``answer.value`` (any kind but none)     ``== != > >= < <=`` number (``9``, ``9%``,
                                                     ``190 mg/dL``), date, word; ``in [..]``;
                                                     ``contains`` (lists, text)
trend       value of a ``trend`` answer              ``== !=`` increasing/decreasing/stable; ``in``
boolean     value of a ``boolean`` answer            ``== !=`` true/false
count       a ``count`` answer, or a list's length   ``== != > >= < <=`` integer
date        value of a ``date`` answer               ``== != > >= < <=`` ISO date ``2020-01-31``
list        items of a ``list`` answer               ``contains`` word (case-insensitive, part of
                                                     an item is enough)
text        ``answer.text`` (any kind but none)      ``== != contains``
unit        ``answer.unit``                          ``== !=``
kind        ``answer.kind``                          ``== != in``
abstained   ``abstained`` (always readable)          ``== !=`` true/false
==========  =======================================  =======================================

A number can also be another criterion's answer, scaled: ``value < 0.75 *
@egfr_before`` reads "this value is below three quarters of the value that
criterion ``egfr_before`` got" (a fall of more than 25%). It is unknown when
that answer is not a number, has another unit, or was an abstention.

A condition is **unknown** when the system abstained (except for ``abstained``
itself) or when the answer's kind does not fit the field (``value > 9`` on a
trend answer, a unit that differs from the literal's). Comparisons of text are
case-insensitive. Conditions combine with and/or/not: ``boolean == false or
abstained == true`` ("no insulin, or nothing about insulin in the record").
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clinimem.answer import ANSWER_KINDS, TRENDS, Answer
from clinimem.screen.logic import (
    MET,
    NOT_MET,
    UNKNOWN,
    ExpressionError,
    Node,
    Token,
    Tokens,
    parse_expression,
)

COMPARE = ("==", "!=", ">", ">=", "<", "<=")
EQUALITY = ("==", "!=")
# field -> operators it accepts
FIELDS: dict[str, tuple[str, ...]] = {
    "value": (*COMPARE, "in", "contains"),
    "trend": (*EQUALITY, "in"),
    "boolean": EQUALITY,
    "count": COMPARE,
    "date": COMPARE,
    "list": ("contains",),
    "text": (*EQUALITY, "contains"),
    "unit": EQUALITY,
    "kind": (*EQUALITY, "in"),
    "abstained": EQUALITY,
}
_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Number:
    """A numeric literal and the unit written after it, if any (``9%`` -> 9.0, ``%``)."""

    value: float
    unit: str | None = None


@dataclass(frozen=True)
class Ref:
    """Another criterion's numeric answer times ``factor`` (``0.75 * @egfr_before``)."""

    name: str
    factor: float = 1.0


@dataclass(frozen=True)
class Condition:
    """One comparison of an answer field with a literal."""

    field: str
    op: str
    literal: Any  # Number | Ref | bool | str | tuple[...] (for ``in``)

    def evaluate(self, answer: Answer, others: Mapping[str, Answer] | None = None) -> str:
        return evaluate_condition(self, answer, others)


def references(tree: Node[Condition]) -> set[str]:
    """Names of the criteria whose answers ``tree`` reads (``@name``)."""
    return {c.literal.name for c in tree.atoms() if isinstance(c.literal, Ref)}


def parse_condition(text: str) -> Node[Condition]:
    """Parse an ``expect`` text (comparisons joined by and/or/not) or raise :class:`ExpressionError`."""
    return parse_expression(text, _parse_comparison)


def evaluate_expect(tree: Node[Condition], answer: Answer, others: Mapping[str, Answer] | None = None) -> str:
    """The verdict of an ``expect`` tree on ``answer``; ``others``: answers of the criteria it names."""
    return tree.evaluate(lambda condition: evaluate_condition(condition, answer, others))


# -- parsing --------------------------------------------------------------------------------


def _parse_comparison(tokens: Tokens) -> Condition:
    token = tokens.next("a field")
    field = token.text.lower()
    if token.kind != "word" or field not in FIELDS:
        raise ExpressionError(
            f"unknown field {token.text!r} {tokens.where(token)}; fields: {', '.join(FIELDS)}"
        )
    op_token = tokens.next(f"an operator after {field!r}")
    op = op_token.text.lower()
    if op not in FIELDS[field]:
        raise ExpressionError(
            f"{field!r} takes {' '.join(FIELDS[field])}, not {op_token.text!r} {tokens.where(op_token)}"
        )
    if op == "in":
        literal: Any = tuple(_parse_list(tokens))
        for item in literal:
            _check_literal(field, op, item, tokens, op_token)
    else:
        literal = _parse_literal(tokens)
        _check_literal(field, op, literal, tokens, op_token)
    return Condition(field, op, literal)


def _parse_list(tokens: Tokens) -> list[Any]:
    opening = tokens.next("'['")
    if opening.text != "[":
        raise ExpressionError(f"'[' expected after 'in' {tokens.where(opening)}")
    items = []
    while True:
        items.append(_parse_literal(tokens))
        sep = tokens.next("',' or ']'")
        if sep.text == "]":
            return items
        if sep.text != ",":
            raise ExpressionError(f"',' or ']' expected {tokens.where(sep)}")


def _parse_literal(tokens: Tokens) -> Any:
    token = tokens.next("a value")
    if token.kind == "word" and token.text.startswith("@"):
        return Ref(_ref_name(token, tokens), _factor(tokens))
    if token.kind == "string":
        return re.sub(r"\\(.)", r"\1", token.text[1:-1])
    if token.kind != "word" or token.keyword:
        raise ExpressionError(f"a value expected {tokens.where(token)}, got {token.text!r}")
    low = token.text.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    if _DATE.match(token.text):
        return token.text
    match = _NUMBER.match(token.text)
    if match:
        star = tokens.peek()
        if star is not None and star.text == "*" and not match.group(2).strip():
            tokens.next()
            ref = tokens.next("'@name' after '*'")
            if ref.kind != "word" or not ref.text.startswith("@"):
                raise ExpressionError(f"'@name' of a criterion expected after '*' {tokens.where(ref)}")
            return Ref(_ref_name(ref, tokens), float(match.group(1)))
        unit = match.group(2).strip() or _take_unit(tokens)
        return Number(float(match.group(1)), unit or None)
    return token.text


def _ref_name(token: Token, tokens: Tokens) -> str:
    name = token.text[1:]
    if not name:
        raise ExpressionError(f"a criterion name expected after '@' {tokens.where(token)}")
    return name


def _factor(tokens: Tokens) -> float:
    """The ``* 0.75`` after ``@name``, if written."""
    star = tokens.peek()
    if star is None or star.text != "*":
        return 1.0
    tokens.next()
    number = tokens.next("a number after '*'")
    match = _NUMBER.match(number.text) if number.kind == "word" else None
    if not match or match.group(2).strip():
        raise ExpressionError(f"a plain number expected after '*' {tokens.where(number)}")
    return float(match.group(1))


def _take_unit(tokens: Tokens) -> str | None:
    """A unit written apart from its number (``190 mg/dL``): a word that is not a keyword."""
    token: Token | None = tokens.peek()
    if token and token.kind == "word" and not token.keyword and token.text.lower() not in ("in", "contains"):
        tokens.next()
        return token.text
    return None


def _check_literal(field: str, op: str, literal: Any, tokens: Tokens, at: Token) -> None:
    """Reject literals that could never match the field, at parse time rather than as 'unknown'."""
    where = tokens.where(at)
    if field in ("boolean", "abstained") and not isinstance(literal, bool):
        raise ExpressionError(f"{field!r} compares with true or false {where}")
    if field == "trend" and (not isinstance(literal, str) or literal.lower() not in TRENDS):
        raise ExpressionError(f"'trend' compares with {', '.join(TRENDS)} {where}")
    if field == "kind" and (not isinstance(literal, str) or literal.lower() not in ANSWER_KINDS):
        raise ExpressionError(f"'kind' compares with {', '.join(ANSWER_KINDS)} {where}")
    if isinstance(literal, Ref):
        if field not in ("value", "count") or op not in COMPARE:
            raise ExpressionError(f"'@name' compares numbers: use it with value or count {where}")
        return
    if field == "count" and not isinstance(literal, Number):
        raise ExpressionError(f"'count' compares with a number {where}")
    if field == "date" and not (isinstance(literal, str) and _DATE.match(literal)):
        raise ExpressionError(f"'date' compares with an ISO date such as 2020-01-31 {where}")
    if op in (">", ">=", "<", "<=") and not (
        isinstance(literal, Number) or (isinstance(literal, str) and _DATE.match(literal))
    ):
        raise ExpressionError(f"{op!r} compares with a number or a date {where}")
    if field in ("list", "text", "unit") and not isinstance(literal, str):
        raise ExpressionError(f"{field!r} compares with a word or a quoted text {where}")


# -- evaluation -----------------------------------------------------------------------------

_MISSING = object()


def _subject(field: str, answer: Answer) -> Any:
    """What ``field`` reads from the answer, or _MISSING when the answer's kind does not fit."""
    value = answer.answer
    kind = value.kind
    if field == "abstained":
        return answer.abstained
    if answer.abstained or kind == "none":
        return _MISSING
    if field == "value":
        return value.value if value.value is not None else _MISSING
    if field in ("trend", "boolean", "date", "list"):
        return value.value if kind == field else _MISSING
    if field == "count":
        if kind == "count":
            return value.value
        return len(value.value) if kind == "list" and isinstance(value.value, list | tuple) else _MISSING
    if field == "text":
        return value.text
    if field == "unit":
        return value.unit or ""
    if field == "kind":
        return kind
    return _MISSING


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _same_unit(a: str | None, b: str | None) -> bool:
    def norm(u: str | None) -> str:
        return (u or "").replace(" ", "").lower()

    return norm(a) == norm(b)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    return left <= right


def _match(op: str, subject: Any, literal: Any, unit: str | None) -> bool | None:
    """True / False, or None when the subject's type does not fit the literal."""
    if op == "in":
        results = [_match("==", subject, item, unit) for item in literal]
        if True in results:
            return True
        return None if all(r is None for r in results) else False
    if op == "contains":
        if isinstance(subject, list | tuple):
            needle = str(literal).lower()
            return any(needle in str(item).lower() for item in subject)
        if isinstance(subject, str):
            return str(literal).lower() in subject.lower()
        return None
    if isinstance(literal, Number):
        if not _is_number(subject):
            return None
        if literal.unit is not None and not _same_unit(unit, literal.unit):
            return None
        if op in EQUALITY:
            close = math.isclose(float(subject), literal.value, rel_tol=1e-9, abs_tol=1e-9)
            return close if op == "==" else not close
        return _compare(op, float(subject), literal.value)
    if isinstance(literal, bool):
        return _compare(op, subject, literal) if isinstance(subject, bool) else None
    if isinstance(literal, str) and _DATE.match(literal):
        if not (isinstance(subject, str) and _DATE.match(subject)):
            return None
        return _compare(op, subject[:10], literal[:10])
    if isinstance(literal, str):
        if isinstance(subject, bool) or not isinstance(subject, str | int | float):
            return None
        return _compare(op, str(subject).lower(), literal.lower())
    return None


def _resolve(ref: Ref, others: Mapping[str, Answer] | None) -> Number | None:
    """The number a reference stands for, or None when the other answer cannot give one."""
    other = (others or {}).get(ref.name)
    if other is None or other.abstained:
        return None
    value = other.answer.value
    if other.answer.kind == "list" and isinstance(value, list | tuple):
        value = len(value)
    if not _is_number(value):
        return None
    # Both units must agree; the literal carries the other answer's unit for the check below.
    return Number(float(value) * ref.factor, other.answer.unit)


def evaluate_condition(
    condition: Condition, answer: Answer, others: Mapping[str, Answer] | None = None
) -> str:
    """MET, NOT_MET, or UNKNOWN when the answer cannot say (abstained, wrong kind or unit)."""
    subject = _subject(condition.field, answer)
    if subject is _MISSING:
        return UNKNOWN
    if condition.field == "unit":
        return MET if _same_unit(subject, condition.literal) == (condition.op == "==") else NOT_MET
    literal = condition.literal
    if isinstance(literal, Ref):
        literal = _resolve(literal, others)
        if literal is None:
            return UNKNOWN
        if condition.field == "count":
            literal = Number(literal.value)  # a count has no unit
    result = _match(condition.op, subject, literal, answer.answer.unit)
    if result is None:
        return UNKNOWN
    return MET if result else NOT_MET

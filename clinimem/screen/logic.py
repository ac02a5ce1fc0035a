"""Three-valued verdicts and a small boolean expression language (and / or / not / parentheses).

The same parser reads a criteria file's ``combine`` expression (atoms are
criterion names) and each criterion's ``expect`` condition (atoms are
comparisons such as ``value > 9``): the caller passes the atom parser.

Verdicts follow Kleene's logic, so a patient is flagged only on evidence:
``met and unknown`` is unknown, ``not met or unknown`` is unknown, ``met or
unknown`` is met, ``not unknown`` is unknown.

>>> tree = parse_expression("a and not (b or c)", lambda tokens: tokens.take_name())
>>> tree.evaluate({"a": MET, "b": NOT_MET, "c": UNKNOWN}.__getitem__)
'unknown'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

MET = "met"
NOT_MET = "not met"
UNKNOWN = "unknown"
VERDICTS = (MET, NOT_MET, UNKNOWN)

KEYWORDS = frozenset({"and", "or", "not"})

_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<op>==|!=|>=|<=|>|<)
    | (?P<punct>[()\[\],*])
    | (?P<word>[^\s()\[\],*=!<>"']+)
    | (?P<bad>\S)
    )""",
    re.VERBOSE,
)


class ExpressionError(ValueError):
    """The text does not parse; the message says where and what was expected."""


@dataclass(frozen=True)
class Token:
    kind: str  # string | op | punct | word
    text: str
    pos: int

    @property
    def keyword(self) -> str | None:
        low = self.text.lower()
        return low if self.kind == "word" and low in KEYWORDS else None


def tokenize(text: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is None:  # trailing whitespace
            continue
        value = match.group(kind)
        if kind == "bad":
            raise ExpressionError(f"unexpected {value!r} at character {match.start(kind) + 1}")
        tokens.append(Token(kind, value, match.start(kind)))
    return tokens


class Tokens:
    """A cursor over the tokens of one expression, for parsers of atoms."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.items = tokenize(text)
        self.i = 0

    def peek(self) -> Token | None:
        return self.items[self.i] if self.i < len(self.items) else None

    def next(self, expected: str = "more") -> Token:
        token = self.peek()
        if token is None:
            raise ExpressionError(f"{expected} expected at the end of {self.text!r}")
        self.i += 1
        return token

    def at_end(self) -> bool:
        return self.i >= len(self.items)

    def where(self, token: Token | None) -> str:
        return f"at character {token.pos + 1}" if token else "at the end"

    def take_name(self) -> str:
        """A bare word that is not a keyword (a criterion name)."""
        token = self.next("a name")
        if token.kind != "word" or token.keyword:
            raise ExpressionError(f"a name expected {self.where(token)}, got {token.text!r}")
        return token.text


A = TypeVar("A")


@dataclass(frozen=True)
class Node(Generic[A]):
    """``op`` is ``atom`` (with ``atom`` set), ``not``, ``and`` or ``or`` (with ``children``)."""

    op: str
    children: tuple[Node[A], ...] = ()
    atom: A | None = None

    def atoms(self) -> Iterator[A]:
        if self.op == "atom":
            yield self.atom  # type: ignore[misc]
        for child in self.children:
            yield from child.atoms()

    def evaluate(self, verdict_of: Callable[[A], str]) -> str:
        """The three-valued verdict of the tree, given each atom's verdict."""
        if self.op == "atom":
            return verdict_of(self.atom)  # type: ignore[arg-type]
        values = [child.evaluate(verdict_of) for child in self.children]
        if self.op == "not":
            return {MET: NOT_MET, NOT_MET: MET}.get(values[0], UNKNOWN)
        decisive, other = (NOT_MET, MET) if self.op == "and" else (MET, NOT_MET)
        if decisive in values:
            return decisive
        return other if all(v == other for v in values) else UNKNOWN


def parse_expression(text: str, parse_atom: Callable[[Tokens], Any]) -> Node[Any]:
    """Parse ``text``: or < and < not < parentheses; ``parse_atom`` reads one atom from the cursor."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty expression")
    tokens = Tokens(text)

    def parse_or() -> Node[Any]:
        parts = [parse_and()]
        while (t := tokens.peek()) and t.keyword == "or":
            tokens.next()
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else Node("or", tuple(parts))

    def parse_and() -> Node[Any]:
        parts = [parse_not()]
        while (t := tokens.peek()) and t.keyword == "and":
            tokens.next()
            parts.append(parse_not())
        return parts[0] if len(parts) == 1 else Node("and", tuple(parts))

    def parse_not() -> Node[Any]:
        token = tokens.peek()
        if token and token.keyword == "not":
            tokens.next()
            return Node("not", (parse_not(),))
        if token and token.kind == "punct" and token.text == "(":
            tokens.next()
            inner = parse_or()
            close = tokens.peek()
            if not close or close.text != ")":
                raise ExpressionError(f"')' expected {tokens.where(close)}")
            tokens.next()
            return inner
        if token is None:
            raise ExpressionError(f"something expected at the end of {text!r}")
        return Node("atom", atom=parse_atom(tokens))

    tree = parse_or()
    if not tokens.at_end():
        extra = tokens.peek()
        raise ExpressionError(f"unexpected {extra.text!r} {tokens.where(extra)}")  # type: ignore[union-attr]
    return tree

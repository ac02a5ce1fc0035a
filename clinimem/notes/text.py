"""Note text out of FHIR: attachment decoding and HTML reduced to text with an offset map.

A mention's span must index the *decoded* note (the base64-decoded attachment,
the HTML source for ``text/html``), because that is what a citation can point
into and what the ground truth indexes. So HTML is reduced to plain text for
reading while every plain character remembers where it came from.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass
from typing import Any

# Tags, comments, character references and runs of plain text, in document order.
_PIECE = re.compile(
    r"(?P<comment><!--.*?-->)"
    r"|(?P<skip><(?P<skipname>script|style|head)\b[^>]*>.*?</(?P=skipname)\s*>)"
    r"|(?P<tag></?(?P<name>[a-zA-Z][a-zA-Z0-9]*)\b[^>]*>)"
    r"|(?P<entity>&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);)"
    r"|(?P<text>[^<&]+|[<&])",
    re.DOTALL | re.IGNORECASE,
)
# Tags that end a line of text: a sentence never runs across them.
_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "td",
        "th",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "title",
        "pre",
        "blockquote",
        "dt",
        "dd",
    ]
)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PlainText:
    """Plain text read from a source string, and where each of its characters came from.

    ``starts[i]``/``ends[i]`` are the source offsets of plain character ``i``
    (one entity such as ``&amp;`` gives one character spanning five). For plain
    sources both maps are None: offsets are the same.
    """

    text: str
    source: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source span of plain ``text[start:end]`` (``end`` > ``start``)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


# Unicode spaces (no-break, thin, ...) read as plain spaces: the tokenizer splits on " " only.
_ODD_SPACES = str.maketrans({c: " " for c in "\u00a0\u2002\u2003\u2007\u2009\u202f"})


def plain(text: str) -> PlainText:
    """A plain-text note: same offsets, odd spaces read as spaces."""
    return PlainText(text=text.translate(_ODD_SPACES), source=text)


def reduce_html(markup: str) -> PlainText:
    """Strip tags from (X)HTML, decode entities, put a newline where a block ends.

    Runs of whitespace inside text collapse to one space (as a browser shows
    them); a block tag gives one newline. Each plain character keeps its source
    offsets, so a span found in the plain text maps back into the markup.
    """
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def emit(text: str, start: int, end: int) -> None:
        for ch in text:
            chars.append(ch)
            starts.append(start)
            ends.append(end)

    for m in _PIECE.finditer(markup):
        kind = m.lastgroup
        if kind == "tag" or kind == "name":
            if m.group("name").lower() in _BLOCK_TAGS and (not chars or chars[-1] != "\n"):
                emit("\n", m.start(), m.start())
        elif kind == "entity":
            emit(html.unescape(m.group()).translate(_ODD_SPACES), m.start(), m.end())
        elif kind == "text":
            run, base = m.group(), m.start()
            pos = 0
            run = run.translate(_ODD_SPACES)
            for ws in _WHITESPACE.finditer(run):
                for offset in range(pos, ws.start()):
                    emit(run[offset], base + offset, base + offset + 1)
                # collapse whitespace, and drop it at the start of a line
                if chars and chars[-1] not in " \n":
                    emit(" ", base + ws.start(), base + ws.start() + 1)
                pos = ws.end()
            for offset in range(pos, len(run)):
                emit(run[offset], base + offset, base + offset + 1)
        # comments and script/style/head are dropped
    return PlainText("".join(chars), markup, tuple(starts), tuple(ends))


def is_html(content_type: str | None, text: str) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    return kind == "" and text.lstrip()[:1] == "<"


def decode_attachment(attachment: dict[str, Any]) -> tuple[str, str] | None:
    """``(decoded text, content type)`` of a textual attachment, else None.

    ``data`` is base64 as FHIR says; a source that put the note inline as plain
    text (not valid base64) is read as it is rather than garbled. Attachments
    that are not ``text/*`` (PDF, images) or that only link a ``url`` give None.
    """
    content_type = (attachment.get("contentType") or "text/plain").split(";")[0].strip().lower()
    raw = attachment.get("data")
    if not isinstance(raw, str) or not raw or not content_type.startswith("text/"):
        return None
    try:
        data = base64.b64decode("".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        return raw, content_type  # inline text, not base64
    # Not UTF-8 (a Latin-1 export, say): keep the text readable, a few characters replaced.
    text = data.decode("utf-8", errors="replace")
    if _looks_binary(text):
        return raw, content_type  # plain words that happened to be valid base64 ("Cold")
    return text, content_type


def _looks_binary(text: str) -> bool:
    odd = sum(1 for c in text if c == "\ufffd" or (c < " " and c not in "\t\n\r"))
    return odd * 10 > len(text)  # over a tenth of the characters are not text


def readable(text: str, content_type: str | None) -> PlainText:
    """The text to read: HTML reduced with its offset map, anything else as it is."""
    return reduce_html(text) if is_html(content_type, text) else plain(text)


def note_source_at(resource: dict[str, Any], path: str) -> tuple[str, str] | None:
    """The decoded note that a note entry's ``path`` points into, and its content type.

    ``path`` is the entry's path (``$.content[0].attachment#mention[3]``,
    ``$.presentedForm[1]#mention[0]``, ``$.text.div#mention[2]``); the text is
    the one that ``span`` indexes (the HTML source for HTML notes), the content
    type the one the ingest read it as (XHTML for a narrative ``text.div``).
    """
    where = path.split("#", 1)[0]
    if where == "$.text.div":
        div = (resource.get("text") or {}).get("div")
        return (div, "application/xhtml+xml") if isinstance(div, str) else None
    m = re.fullmatch(r"\$\.(content|presentedForm)\[(\d+)\](\.attachment)?", where)
    if m is None:
        return None
    items = resource.get(m.group(1)) or []
    index = int(m.group(2))
    if index >= len(items) or not isinstance(items[index], dict):
        return None
    attachment = items[index].get("attachment") if m.group(1) == "content" else items[index]
    return decode_attachment(attachment if isinstance(attachment, dict) else {})


def note_at(resource: dict[str, Any], path: str) -> str | None:
    """The decoded note that a note entry's ``path`` points into, so its ``span`` can be highlighted."""
    found = note_source_at(resource, path)
    return found[0] if found else None

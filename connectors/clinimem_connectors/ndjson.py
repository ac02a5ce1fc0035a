"""NDJSON bulk files (``.ndjson``, ``.ndjson.gz``, ``.jsonl``): one FHIR resource a line.

A bad line is rejected alone and the rest of the file loads. References are
expected as ``Type/id`` already (bulk export writes them so); nothing to resolve.
:func:`iter_ndjson_lines` is the parser that the REST and ``$export`` clients
share; its signature is stable.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from clinimem.fhir.resource import Origin, Reject, SourcedResource
from clinimem.fhir.validate import DEFAULT_POLICY, ValidationPolicy, check_resource, iter_payload
from clinimem.fhir.version import version_reject

SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")


def _unreadable(origin: Origin, problem: str, hint: str) -> Reject:
    return Reject(origin=origin, code="unreadable", reason=f"{origin}: {problem}. {hint}")


def parse_line(
    line: str | bytes,
    source: str,
    number: int,
    *,
    policy: ValidationPolicy = DEFAULT_POLICY,
) -> Iterator[SourcedResource | Reject]:
    """Resources of one NDJSON line (``number`` is 1-based); nothing for a blank line.

    A line that holds a Bundle yields its entries, each with ``Origin(line=…, entry=…)``.
    """
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            yield _unreadable(
                Origin(source, line=number),
                "line is not valid UTF-8",
                "Re-export the file as UTF-8 NDJSON.",
            )
            return
    text = line.strip().lstrip("\ufeff")
    if not text:
        return
    origin = Origin(source, line=number)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        yield _unreadable(
            origin,
            f"invalid JSON at column {exc.colno}: {exc.msg}",
            "Fix or remove this line; the other lines still load.",
        )
        return
    if not isinstance(obj, dict):
        yield _unreadable(
            origin,
            f"line holds a JSON {type(obj).__name__}, not a resource object",
            "NDJSON needs one resource object per line.",
        )
        return
    if obj.get("resourceType") == "Bundle":
        for item in iter_payload(obj, source, policy=policy):
            entry_origin = Origin(source, line=number, entry=item.origin.entry)
            yield dataclasses.replace(item, origin=entry_origin)
        return
    rejected = version_reject(obj, origin)
    if rejected is not None:
        yield rejected
        return
    yield check_resource(obj, origin, policy=policy)


def iter_ndjson_lines(
    lines: Iterable[str | bytes],
    source: str,
    *,
    policy: ValidationPolicy = DEFAULT_POLICY,
) -> Iterator[SourcedResource | Reject]:
    """Resources of NDJSON ``lines`` (str or bytes, with or without newline), ``Origin(line=n)``.

    Blank lines are skipped (they hold nothing); every other line yields a
    :class:`SourcedResource` or a :class:`Reject`.

    Example::

        >>> lines = ['{"resourceType": "Patient", "id": "p1"}', "not json"]
        >>> [type(r).__name__ for r in iter_ndjson_lines(lines, "export.ndjson")]
        ['SourcedResource', 'Reject']
    """
    for number, line in enumerate(lines, start=1):
        yield from parse_line(line, source, number, policy=policy)


def read_ndjson(
    path: str | Path,
    *,
    source: str | None = None,
    policy: ValidationPolicy = DEFAULT_POLICY,
) -> Iterator[SourcedResource | Reject]:
    """Resources of an NDJSON file (gzip when the name ends in ``.gz``).

    A file that cannot be opened, or a gzip stream that breaks off, yields one
    ``unreadable`` Reject (with the line it broke at); lines read before load.
    """
    path = Path(path)
    source = source or str(path)
    number = 0
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                yield from parse_line(line, source, number, policy=policy)
    except (OSError, EOFError, zlib.error) as exc:
        # gzip.BadGzipFile is an OSError; a cut-off gzip stream raises EOFError.
        where = Origin(source, line=number + 1) if number else Origin(source)
        yield _unreadable(
            where,
            f"cannot read {'after line ' + str(number) if number else 'the file'}: {exc or type(exc).__name__}",
            "Check that the file is complete (download it again) and readable.",
        )

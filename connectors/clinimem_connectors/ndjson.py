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
from typing import Any

from clinimem.errors import RejectCode
from clinimem.fhir.resource import Origin, Reject, SourcedResource
from clinimem.fhir.validate import (
    DEFAULT_POLICY,
    ValidationPolicy,
    check_resource,
    held_resources,
    iter_payload,
)
from clinimem.fhir.version import RELEASE, SUPPORTED, version_evidence, version_reject

SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")


def _unreadable(origin: Origin, problem: str, hint: str) -> Reject:
    return Reject(origin=origin, code=RejectCode.UNREADABLE, reason=f"{origin}: {problem}. {hint}")


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

    The first :data:`SNIFF_LINES` lines are looked at for the FHIR version before
    any is yielded (a download is a stream, so not the whole file as for files on
    disk): a stream of another version yields ONE ``fhir-version`` Reject and its
    remaining lines are read and dropped.
    """
    iterator = iter(lines)
    head: list[str | bytes] = []
    for line in iterator:
        head.append(line)
        refused = _version_of_line(line, source, len(head))
        if refused is not None:
            # drain: the server's file is consumed, nothing of it is loaded; every line is counted
            yield dataclasses.replace(refused, counts=line_counts([*head, *iterator]))
            return
        if len(head) >= SNIFF_LINES:
            break
    for number, line in enumerate(head, start=1):
        yield from parse_line(line, source, number, policy=policy)
    for number, line in enumerate(iterator, start=len(head) + 1):
        yield from parse_line(line, source, number, policy=policy)


SNIFF_LINES = 1000  # lines of an NDJSON stream looked at for its version before any is loaded


def _version_of_line(line: str | bytes, source: str, number: int) -> Reject | None:
    """A whole-file ``fhir-version`` Reject when this line shows another version than R4, else None."""
    try:
        obj = json.loads(line.strip() if isinstance(line, str) else line.strip().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(obj, dict):
        return None
    evidence = version_evidence(obj)
    if evidence is None or evidence.version in SUPPORTED:
        return None
    reason = (
        f"{source}: this NDJSON file is FHIR {evidence.version} ({RELEASE[evidence.version]}), "
        f"seen from {evidence.marker} in {evidence.resource or 'the resource'} on line {number}; "
        "clinimem reads R4/R4B only, so no line of this file was loaded (half an export "
        "would answer wrongly). Convert the export to R4 (re-export it from the source "
        "system as R4, or run it through a FHIR version converter) and load it again."
    )
    return Reject(origin=Origin(source), code=RejectCode.FHIR_VERSION, reason=reason, path=f"line {number}")


def line_counts(lines: Iterable[str | bytes]) -> tuple[tuple[str, int], ...]:
    """The resources NDJSON ``lines`` hold, ``(type, number)`` per type (a line that is not JSON: ``(file)``),
    for a reject that refuses them all (:attr:`Reject.counts`)."""
    counts: dict[str, int] = {}
    for line in lines:
        text = line.strip() if isinstance(line, str) else line.strip()
        if not text:
            continue
        try:
            obj = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            obj = None
        for rtype, n in held_resources(obj):
            counts[rtype] = counts.get(rtype, 0) + n
    return tuple(sorted(counts.items()))


def file_counts(path: str | Path) -> tuple[tuple[str, int], ...]:
    """:func:`line_counts` of an NDJSON file (gzip when named so); what cannot be read is not counted."""
    try:
        with _open(Path(path)) as handle:
            return line_counts(handle)
    except (OSError, EOFError, zlib.error):
        return (("(file)", 1),)


def _open(path: Path) -> Any:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")  # noqa: SIM115


def sniff_version(path: str | Path, source: str | None = None) -> tuple[Reject | None, int]:
    """(a ``fhir-version`` Reject for the whole file when it is not R4, number of non-blank lines).

    Every line is looked at (parsed JSON, the markers of :mod:`clinimem.fhir.version`),
    because an STU3 export shows its version only in some resources: an Encounter
    looks the same in STU3 and R4, a Condition does not. Unreadable lines are left
    to the reading pass, which rejects them one by one.
    """
    path = Path(path)
    source = source or str(path)
    lines = 0
    try:
        with _open(path) as handle:
            for number, raw in enumerate(handle, start=1):
                text = raw.strip()
                if not text:
                    continue
                lines += 1
                refused = _version_of_line(text, source, number)
                if refused is not None:
                    return dataclasses.replace(refused, counts=file_counts(path)), lines
    except (OSError, EOFError, zlib.error):
        if lines == 0:
            raise  # cannot be read at all: the caller reports it
        # else: the reading pass reports where the file breaks off
    return None, lines


def read_ndjson(
    path: str | Path,
    *,
    source: str | None = None,
    policy: ValidationPolicy = DEFAULT_POLICY,
    sniffed: tuple[Reject | None, int] | None = None,
) -> Iterator[SourcedResource | Reject]:
    """Resources of an NDJSON file (gzip when the name ends in ``.gz``).

    ``sniffed``: what :func:`sniff_version` said of this file already (the caller
    looked at a whole export first), so the file is not read twice for it.

    The file's FHIR version is checked first over all its lines: a file of
    another version yields ONE ``fhir-version`` Reject and nothing else. An empty
    file yields one ``empty`` Reject. A file that cannot be opened, or a gzip
    stream that breaks off, yields one ``unreadable`` Reject (with the line it
    broke at); lines read before load.
    """
    path = Path(path)
    source = source or str(path)
    number = 0
    try:
        refused, lines = sniffed if sniffed is not None else sniff_version(path, source)
        if refused is not None:
            yield refused
            return
        if lines == 0:
            yield Reject(
                origin=Origin(source),
                code=RejectCode.EMPTY,
                reason=f"{source}: the file is empty (no resource on any line). Check the export that wrote it.",
            )
            return
        with _open(path) as handle:
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

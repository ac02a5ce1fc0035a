"""FHIR JSON files (``.json``, ``.json.gz``): one Bundle or one resource per file.

A file that is not valid JSON (e.g. cut off by a failed copy) yields ONE
``unreadable`` Reject with the parse error's line and column, never an
exception that would stop a directory load.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path

from clinimem.errors import RejectCode
from clinimem.fhir.resource import Origin, Reject, SourcedResource
from clinimem.fhir.validate import DEFAULT_POLICY, ValidationPolicy, iter_payload

SUFFIXES = (".json", ".json.gz")


def _unreadable(source: str, problem: str, hint: str) -> Reject:
    return Reject(origin=Origin(source), code=RejectCode.UNREADABLE, reason=f"{source}: {problem}. {hint}")


def read_json_file(
    path: str | Path,
    *,
    source: str | None = None,
    policy: ValidationPolicy = DEFAULT_POLICY,
) -> Iterator[SourcedResource | Reject]:
    """Resources of one FHIR JSON file (a Bundle of any type, or a single resource).

    Example::

        >>> for item in read_json_file("Angelic_Mueller.json"):  # doctest: +SKIP
        ...     print(item.origin, getattr(item, "ref", None))
    """
    path = Path(path)
    source = source or str(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        yield _unreadable(
            source, f"cannot read the file: {exc}", "Check that it exists, is complete and readable."
        )
        return
    if not raw.strip():
        yield Reject(
            origin=Origin(source),
            code=RejectCode.EMPTY,
            reason=f"{source}: the file is empty (no resource in it). Check the export or copy that wrote it.",
        )
        return
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        hint = "The file is not valid JSON (cut off or damaged?): export or copy it again."
        if exc.msg == "Extra data":
            hint = "The file holds more than one JSON value: if it is NDJSON, name it .ndjson."
        yield _unreadable(source, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", hint)
        return
    except UnicodeDecodeError as exc:
        yield _unreadable(
            source, f"not UTF-8 text ({exc.reason} at byte {exc.start})", "Save it as UTF-8 JSON."
        )
        return
    if isinstance(obj, dict) and obj.get("resourceType") == "Bundle" and not obj.get("entry"):
        # A file holding an empty Bundle says so (a server's empty search page is no file: nothing to say).
        yield Reject(
            origin=Origin(source),
            code=RejectCode.EMPTY,
            reason=(
                f"{source}: the file holds a Bundle without entries, so there is nothing to load. "
                "Check the export or copy that wrote it."
            ),
            resource_type="Bundle",
            resource_id=obj.get("id") if isinstance(obj.get("id"), str) else None,
            path="$.entry",
        )
        return
    yield from iter_payload(obj, source, policy=policy)

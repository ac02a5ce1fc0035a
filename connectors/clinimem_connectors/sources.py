"""Files and directories as FHIR sources: walk, dispatch by extension, report what cannot be read.

Directories are walked recursively in sorted order (so a load is
deterministic); hidden files and folders (``.git``, ``.DS_Store``) are skipped.
Every other file yields resources or at least one Reject.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from clinimem.fhir.resource import Origin, Reject, SourcedResource
from clinimem.fhir.validate import DEFAULT_POLICY, ValidationPolicy
from clinimem_connectors.bundle import read_json_file
from clinimem_connectors.ndjson import read_ndjson

Reader = Callable[..., Iterator[SourcedResource | Reject]]

# Longest suffix first, so ".ndjson.gz" is not taken for ".gz".
READERS: tuple[tuple[str, Reader], ...] = (
    (".ndjson.gz", read_ndjson),
    (".jsonl.gz", read_ndjson),
    (".json.gz", read_json_file),
    (".ndjson", read_ndjson),
    (".jsonl", read_ndjson),
    (".json", read_json_file),
)


def reader_for(path: str | Path) -> Reader | None:
    """The reader for a file name, or None when clinimem does not read that kind of file."""
    name = Path(path).name.lower()
    for suffix, reader in READERS:
        if name.endswith(suffix):
            return reader
    return None


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files under ``paths``, directories walked recursively, sorted, hidden entries skipped.

    In each folder a ``Patient.*`` file (a bulk export's ``Patient.ndjson``) comes first.

    A path given explicitly is yielded even if it does not exist (its reader reports it).
    """
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            # Patient files first (a bulk export's Patient.ndjson): the resources of the
            # other files then find their patient already loaded instead of waiting for it.
            for name in sorted(files, key=lambda n: (not n.startswith("Patient."), n)):
                if not name.startswith("."):
                    yield Path(root) / name


def iter_sources(
    paths: Iterable[str | Path],
    *,
    policy: ValidationPolicy = DEFAULT_POLICY,
) -> Iterator[SourcedResource | Reject]:
    """Resources of every FHIR file under ``paths`` (files or directories), in sorted order.

    Dispatch by extension: ``.json``/``.json.gz`` (Bundle or resource),
    ``.ndjson``/``.ndjson.gz``/``.jsonl`` (one resource a line). A missing path,
    or a file of another kind, yields one ``unreadable`` Reject.

    Example::

        >>> from clinimem_connectors.report import LoadReport
        >>> report = LoadReport()
        >>> for item in iter_sources(["exports/"]):  # doctest: +SKIP
        ...     report.add(item)
    """
    for path in iter_files(paths):
        source = str(path)
        if not path.exists():
            yield Reject(
                origin=Origin(source),
                code="unreadable",
                reason=f"{source}: no such file or directory. Check the path.",
            )
            continue
        reader = reader_for(path)
        if reader is None:
            yield Reject(
                origin=Origin(source),
                code="unreadable",
                reason=(
                    f"{source}: not a FHIR file clinimem reads (by its extension). "
                    "Use .json (Bundle or resource), .ndjson, .ndjson.gz or .jsonl, or move the file away."
                ),
            )
            continue
        yield from _guarded(reader, path, source, policy)


def _guarded(
    reader: Reader, path: Path, source: str, policy: ValidationPolicy
) -> Iterator[SourcedResource | Reject]:
    """The reader's items; an error it raises ends this file with one Reject, never the load."""
    count = 0
    try:
        for item in reader(path, source=source, policy=policy):
            count += 1
            yield item
    except Exception as exc:
        done = f" after {count} resources (those are kept)" if count else ""
        yield Reject(
            origin=Origin(source),
            code="unreadable",
            reason=(
                f"{source}: reading stopped{done} on an unexpected error ({type(exc).__name__}: "
                f"{str(exc)[:160]}); the rest of this file was not read, the other files still load. "
                "Report this file to the clinimem developers."
            ),
        )

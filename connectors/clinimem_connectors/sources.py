"""Files and directories as FHIR sources: walk, dispatch by extension, report what cannot be read.

Directories are walked recursively in sorted order (so a load is
deterministic); hidden files and folders (``.git``, ``.DS_Store``) are skipped.
Every other file yields resources or at least one Reject.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from clinimem.errors import RejectCode
from clinimem.fhir.resource import Origin, Reject, SourcedResource
from clinimem.fhir.validate import DEFAULT_POLICY, ValidationPolicy
from clinimem.fhir.version import SUPPORTED
from clinimem_connectors.bundle import read_json_file
from clinimem_connectors.ndjson import file_counts, read_ndjson, sniff_version

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
    files = list(iter_files(paths))
    sniffed, refused_dirs = _sniff_exports(files)
    packages = _package_versions(files)
    for path in files:
        source = str(path)
        if path.name == PACKAGE_MANIFEST and path.parent in packages:
            yield _manifest_reject(path, packages[path.parent][1])
            continue
        package = _package_of(path, packages)
        if package is not None and package[1] not in SUPPORTED and path.is_file() and reader_for(path):
            yield _package_refused(path, *package)
            continue
        if path in sniffed:
            refused = refused_dirs.get(path.parent)
            if refused is not None and sniffed[path][0] is None and _type_named(path):
                yield _export_refused(path, *refused)
                continue
            yield from _guarded(functools.partial(read_ndjson, sniffed=sniffed[path]), path, source, policy)
            continue
        if not path.exists():
            yield Reject(
                origin=Origin(source),
                code=RejectCode.UNREADABLE,
                reason=f"{source}: no such file or directory. Check the path.",
            )
            continue
        reader = reader_for(path)
        if reader is None:
            yield Reject(
                origin=Origin(source),
                code=RejectCode.UNREADABLE,
                reason=(
                    f"{source}: not a FHIR file clinimem reads (by its extension). "
                    "Use .json (Bundle or resource), .ndjson, .ndjson.gz or .jsonl, or move the file away."
                ),
            )
            continue
        yield from _guarded(reader, path, source, policy)


PACKAGE_MANIFEST = "package.json"


def _package_versions(files: list[Path]) -> dict[Path, tuple[Path, str]]:
    """Folders that hold a FHIR package manifest (``package.json`` with ``fhirVersions``, as the
    HL7 and implementation-guide NPM packages ship): folder -> (the manifest, the version it names).

    Only a manifest that names one version label (R4 for 4.0.x and 4.3.x) counts; its version
    holds for every file in its folder and below, because most resources of another version look
    the same as R4 one by one (an STU3 Observation, an R5 Patient) and would load as R4 data.
    """
    from clinimem.fhir.version import version_of_release

    found: dict[Path, tuple[Path, str]] = {}
    for path in files:
        if path.name != PACKAGE_MANIFEST or not path.is_file():
            continue
        try:
            manifest = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        if not isinstance(manifest, dict):
            continue
        releases = manifest.get("fhirVersions") or manifest.get("fhir-version-list")
        if isinstance(releases, str):
            releases = [releases]
        if not isinstance(releases, list):
            continue
        versions = {version_of_release(r) for r in releases if isinstance(r, str)}
        if len(versions) == 1 and None not in versions:
            found[path.parent] = (path, versions.pop())
    return found


def _package_of(path: Path, packages: dict[Path, tuple[Path, str]]) -> tuple[Path, str] | None:
    """The nearest package manifest above ``path`` and its version, or None."""
    if not packages:
        return None
    for folder in path.parents:
        if folder in packages:
            return packages[folder]
    return None


def _manifest_reject(path: Path, version: str) -> Reject:
    return Reject(
        origin=Origin(str(path)),
        code=RejectCode.OUT_OF_SCOPE,
        reason=(
            f"{path}: a FHIR package manifest (FHIR {version}), not a resource; it is read for the version "
            "of the files in its folder. Nothing to do."
        ),
    )


def _package_refused(path: Path, manifest: Path, version: str) -> Reject:
    """A ``fhir-version`` Reject for a file of a package of another version, counting what it holds."""
    from clinimem.fhir.validate import held_resources
    from clinimem.fhir.version import RELEASE

    if reader_for(path) is read_ndjson:
        counts = file_counts(path)
    else:
        try:
            raw = path.read_bytes()
            counts = held_resources(json.loads(gzip.decompress(raw) if path.name.endswith(".gz") else raw))
        except (OSError, EOFError, ValueError, zlib.error):
            counts = (("(file)", 1),)
    return Reject(
        origin=Origin(str(path)),
        code=RejectCode.FHIR_VERSION,
        reason=(
            f"{path}: not loaded: it is part of a FHIR {version} ({RELEASE[version]}) package, as its manifest "
            f"{manifest} says (fhirVersions); clinimem reads R4/R4B only, and resources of another version "
            "that look like R4 would load as wrong R4 data. Use the R4 edition of the package, or convert "
            "it to R4 and load it again."
        ),
        counts=counts,
    )


def _sniff_exports(
    files: list[Path],
) -> tuple[dict[Path, tuple[Reject | None, int]], dict[Path, tuple[Path, str]]]:
    """The version of every NDJSON file, and the folders where one file is not R4.

    A bulk export is one NDJSON file per type, and only some types show an old
    version (an STU3 Encounter looks like R4, an STU3 Condition does not): so the
    files of one folder named after resource types (an export's files) are judged
    together, and one refused file refuses them all.
    Returns (path -> :func:`sniff_version` result, folder -> (the refused file, its version)).
    """
    sniffed: dict[Path, tuple[Reject | None, int]] = {}
    refused: dict[Path, tuple[Path, str]] = {}
    for path in files:
        if reader_for(path) is not read_ndjson or not path.is_file():
            continue
        try:
            result = sniff_version(path, str(path))
        except (OSError, EOFError, zlib.error):
            continue  # unreadable: its own read reports it
        sniffed[path] = result
        if result[0] is not None and path.parent not in refused and _type_named(path):
            found = re.search(r"is FHIR (\S+) ", result[0].reason)
            refused[path.parent] = (path, found[1] if found else "another version than R4")
    return sniffed, refused


def _type_named(path: Path) -> bool:
    """Whether a file is named after a resource type, as bulk export files are (``Encounter.ndjson``,
    ``1.Condition.ndjson``, ``Observation_2.ndjson.gz``): the files of one export."""
    from clinimem.fhir.validate import model_class
    from clinimem.fhir.version import type_version

    stem = path.name.split(".ndjson")[0].split(".jsonl")[0]
    for part in re.split(r"[.\-_ ]", stem):
        if part[:1].isupper() and (model_class(part) is not None or type_version(part) is not None):
            return True
    return False


def _export_refused(path: Path, other: Path, version: str) -> Reject:
    return Reject(
        origin=Origin(str(path)),
        counts=file_counts(path),
        code=RejectCode.FHIR_VERSION,
        reason=(
            f"{path}: not loaded: it belongs to the same export (folder) as {other.name}, which is FHIR "
            f"{version}; clinimem reads R4/R4B only, and half an export would answer wrongly. Convert the "
            "whole export to R4 and load it again."
        ),
    )


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
            code=RejectCode.UNREADABLE,
            reason=(
                f"{source}: reading stopped{done} on an unexpected error ({type(exc).__name__}: "
                f"{str(exc)[:160]}); the rest of this file was not read, the other files still load. "
                "Report this file to the clinimem developers."
            ),
        )

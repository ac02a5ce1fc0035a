"""Count the resources in FHIR files from the raw JSON, without clinimem, per resource type.

The independent side of "seen = loaded + rejected" (issue 15): a load report counts what its
own stages saw, so its totals add up by construction; this module counts what the files hold,
and the tests compare the two per type. The rules are the load's, written out:

- a ``.json`` file holds one Bundle or one resource; a Bundle counts its entries (an empty
  Bundle counts as one ``Bundle``), each under its resource's type, or, for an entry without a
  resource, under the type its request URL, response location or fullUrl names;
- an ``.ndjson``/``.jsonl`` file holds one resource (or Bundle) a non-blank line;
- whatever is not JSON, not an object or has no ``resourceType`` (an empty or cut file, a
  package manifest), and a file of another kind (``README.md``), counts once under ``(file)``.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

FILE_ROW = "(file)"
SUFFIXES = (".json", ".ndjson", ".jsonl", ".json.gz", ".ndjson.gz", ".jsonl.gz")


def _url_type(entry: dict[str, Any]) -> str:
    request = entry.get("request") if isinstance(entry.get("request"), dict) else {}
    response = entry.get("response") if isinstance(entry.get("response"), dict) else {}
    url = str(request.get("url") or response.get("location") or entry.get("fullUrl") or "")
    tail = url.split("?")[0].split("/_history")[0].rstrip("/").split("/")
    if len(tail) >= 2 and tail[-2][:1].isupper():
        return tail[-2]
    if tail and tail[-1][:1].isupper():
        return tail[-1]
    return FILE_ROW


def count_document(obj: Any, counts: Counter[str]) -> None:
    """Add the resources of one parsed JSON document to ``counts``."""
    if not isinstance(obj, dict) or not isinstance(obj.get("resourceType"), str) or not obj["resourceType"]:
        counts[FILE_ROW] += 1
        return
    entries = obj.get("entry")
    if obj["resourceType"] != "Bundle" or not isinstance(entries, list) or not entries:
        counts[obj["resourceType"]] += 1
        return
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict):
            rtype = resource.get("resourceType")
            counts[rtype if isinstance(rtype, str) and rtype else FILE_ROW] += 1
        else:
            counts[_url_type(entry) if isinstance(entry, dict) else FILE_ROW] += 1


def count_file(path: Path, counts: Counter[str]) -> None:
    """Add the resources of one file to ``counts``."""
    name = path.name.lower()
    if not name.endswith(SUFFIXES):
        counts[FILE_ROW] += 1  # a load reports a file it does not read
        return
    raw = path.read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
        name = name[: -len(".gz")]
    if name.endswith((".ndjson", ".jsonl")):
        lines = [line for line in raw.splitlines() if line.strip()]
        if not lines:
            counts[FILE_ROW] += 1
        for line in lines:
            try:
                count_document(json.loads(line), counts)
            except ValueError:
                counts[FILE_ROW] += 1
        return
    try:
        count_document(json.loads(raw), counts)
    except ValueError:
        counts[FILE_ROW] += 1


def fhir_files(folder: Path) -> list[Path]:
    """The files a load looks at under ``folder`` (hidden ones skipped)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def count_resources(*paths: Path) -> Counter[str]:
    """Resources per type in the files and folders ``paths``."""
    counts: Counter[str] = Counter()
    for path in paths:
        for file in [path] if path.is_file() else fhir_files(path):
            count_file(file, counts)
    return counts

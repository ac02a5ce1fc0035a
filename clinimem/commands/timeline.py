"""``clinimem timeline --patient ID``: a patient's memory, visit by visit.

Light on purpose: it imports the store (qdrant-client) only to open it, and never
torch, transformers or gradio. When a ``clinimem serve`` owns the store folder, the
entries come from it over loopback (:mod:`clinimem.owner`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence

from clinimem.errors import UnknownPatientError
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.timeline import sort_key
from clinimem.settings import Settings, add_store_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patient", required=True, metavar="ID", help="FHIR Patient.id")
    add_store_arguments(parser)
    parser.add_argument(
        "--kind",
        action="append",
        help="only entries of this kind (repeatable); only the visits that hold one are shown",
    )
    parser.add_argument("--json", action="store_true", help="entries as JSON lines")


def select(entries: Sequence[MemoryEntry], kinds: Iterable[str] | None) -> list[MemoryEntry]:
    """The entries of ``kinds`` (all when None), with the encounters of the visits that hold one.

    Visit ordinals are those of the whole memory (the entries come ordered from the store), so
    ``visit 7`` is the patient's seventh visit whatever the filter.
    """
    if not kinds:
        return list(entries)
    wanted = set(kinds)
    visits = {e.encounter for e in entries if e.kind in wanted and e.encounter}
    return [e for e in entries if e.kind in wanted or (e.kind == "encounter" and e.resource in visits)]


def render(entries: Sequence[MemoryEntry]) -> list[str]:
    """The text lines of the timeline: a header per visit that holds an entry, then its entries.

    Grouped by the entries' own visit ordinals (set by the store from all of the patient's
    encounters), not renumbered from the encounters left after a ``--kind`` filter.
    """
    by_visit: dict[int, list[MemoryEntry]] = {}
    for entry in sorted(entries, key=sort_key):
        by_visit.setdefault(entry.visit or 0, []).append(entry)
    lines = []
    for ordinal in sorted(by_visit):
        items = by_visit[ordinal]
        if ordinal:
            encounter = next((e for e in items if e.kind == "encounter"), None)
            start = (encounter.time or "")[:10] if encounter else ""
            lines.append(
                f"visit {ordinal}  {start}  {encounter.resource if encounter else items[0].encounter}"
            )
        else:
            lines.append("no visit")
        for entry in items:
            if entry.kind != "encounter" or not ordinal:
                lines.append(
                    f"  {entry.date or '----------'}  {entry.kind:<12} {entry.text}   [{entry.resource}]"
                )
            else:
                lines.append(f"  {entry.date}  {entry.text}")
    return lines


def read_entries(args: argparse.Namespace) -> list[MemoryEntry]:
    """The patient's entries in time order: from the store's owner process if one runs, else the store."""
    from clinimem.owner import ask_owner

    settings = Settings.from_args(args)
    reply = ask_owner(settings, "timeline", {"patient_id": args.patient})
    if reply is not None:
        return [MemoryEntry.from_payload(p) for p in reply]
    return settings.open_store().entries(args.patient)


def run(args: argparse.Namespace) -> int:
    entries = read_entries(args)
    if not entries:
        raise UnknownPatientError(
            "no such patient in the memory",
            resource=f"Patient/{args.patient}",
            hint="`clinimem patients` lists the ids",
        )
    entries = select(entries, args.kind)
    if args.json:
        for entry in entries:
            print(json.dumps(entry.payload(), ensure_ascii=False))
        return 0
    for line in render(entries):
        print(line)
    return 0

"""``clinimem timeline --patient ID``: a patient's memory, visit by visit."""

from __future__ import annotations

import argparse
import json

from clinimem.errors import UnknownPatientError
from clinimem.memory.timeline import group_by_visit
from clinimem.settings import Settings, add_store_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patient", required=True, metavar="ID", help="FHIR Patient.id")
    add_store_arguments(parser)
    parser.add_argument("--kind", action="append", help="only entries of this kind (repeatable)")
    parser.add_argument("--json", action="store_true", help="entries as JSON lines")


def run(args: argparse.Namespace) -> int:
    store = Settings.from_args(args).open_store()
    entries = store.entries(args.patient)
    if not entries:
        raise UnknownPatientError(
            "no such patient in the memory",
            resource=f"Patient/{args.patient}",
            hint="`clinimem patients` lists the ids",
        )
    if args.kind:
        entries = [e for e in entries if e.kind in args.kind or e.kind == "encounter"]
    if args.json:
        for entry in entries:
            print(json.dumps(entry.payload(), ensure_ascii=False))
        return 0
    for visit in group_by_visit(entries):
        header = (
            f"visit {visit.ordinal}  {(visit.start or '')[:10]}  {visit.encounter}"
            if visit.ordinal
            else "no visit"
        )
        print(header)
        for entry in visit.entries:
            if entry.kind != "encounter" or not visit.ordinal:
                print(f"  {entry.date or '----------'}  {entry.kind:<12} {entry.text}   [{entry.resource}]")
            else:
                print(f"  {entry.date}  {entry.text}")
    return 0

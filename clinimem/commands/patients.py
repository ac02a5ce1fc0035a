"""``clinimem patients``: who is in the memory."""

from __future__ import annotations

import argparse
import json

from clinimem.settings import Settings, add_store_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_arguments(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object a line")


def run(args: argparse.Namespace) -> int:
    store = Settings.from_args(args).open_store()
    patients = store.patients()
    for p in patients:
        if args.json:
            print(json.dumps(p.__dict__))
        else:
            print(
                f"{p.patient_id}  {p.name or '(no name)'}  {p.gender or '-'}  born {p.birth_date or '-'}  {p.entries} entries"
            )
    if not args.json:
        print(f"{len(patients)} patients")
    return 0

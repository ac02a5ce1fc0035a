"""``clinimem patients``: who is in the memory.

Light on purpose: never torch, transformers or gradio; when a ``clinimem serve`` owns the
store folder, the list comes from it over loopback (:mod:`clinimem.owner`).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from clinimem.settings import Settings, add_store_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_arguments(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object a line")


def read_patients(settings: Settings) -> list[dict[str, Any]]:
    """Every patient's summary (id, name, gender, birth date, entries), sorted by name then id."""
    from clinimem.owner import ask_owner

    reply = ask_owner(settings, "patients")
    if reply is not None:
        return list(reply)
    return [dict(p.__dict__) for p in settings.open_store().patients()]


def run(args: argparse.Namespace) -> int:
    patients = read_patients(Settings.from_args(args))
    for p in patients:
        if args.json:
            print(json.dumps(p))
        else:
            print(
                f"{p['patient_id']}  {p['name'] or '(no name)'}  {p['gender'] or '-'}  "
                f"born {p['birth_date'] or '-'}  {p['entries']} entries"
            )
    if not args.json:
        print(f"{len(patients)} patients")
    return 0

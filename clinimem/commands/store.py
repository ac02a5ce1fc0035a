"""``clinimem store migrate OLD NEW``: move a store of qdrant-client's local mode to the embedded engine."""

from __future__ import annotations

import argparse
import json

from clinimem.memory.migrate import migrate_store
from clinimem.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    migrate = actions.add_parser(
        "migrate",
        help="copy a local-mode store folder (clinimem before 0.2) into a new embedded store",
        description="Copy every collection of OLD (qdrant-client local mode) into a new embedded "
        "store at NEW, then compare entry counts and ids. OLD is only read.",
    )
    migrate.add_argument("old", metavar="OLD", help="the local-mode store folder")
    migrate.add_argument("new", metavar="NEW", help="a new (absent or empty) folder")
    migrate.add_argument("--json", action="store_true", help="the report as one JSON object")


def run(args: argparse.Namespace) -> int:
    report = migrate_store(args.old, args.new, prefix=Settings.from_env().prefix)
    if args.json:
        print(json.dumps({**report.__dict__, "entries": report.entries}))
    else:
        for name, count in report.collections.items():
            print(f"{name}: {count} points copied, counts and ids match")
        print(f"{report.entries} entries moved to {report.new} in {report.seconds:.1f} s")
    return 0

"""``clinimem store migrate OLD NEW`` (a local-mode store to the embedded engine) and ``clinimem store optimize``."""

from __future__ import annotations

import argparse
import json
import time

from clinimem.memory.migrate import migrate_store
from clinimem.settings import Settings, add_store_arguments


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
    optimize = actions.add_parser(
        "optimize",
        help="compact an embedded store after a large load (read-only segments, on-disk indexes)",
    )
    add_store_arguments(optimize)


def run(args: argparse.Namespace) -> int:
    if args.action == "optimize":
        store = Settings.from_args(args).open_store()
        started = time.perf_counter()
        changed = store.optimize()
        print(
            f"{store.describe()}: {'optimized' if changed else 'nothing to do'} in {time.perf_counter() - started:.1f} s"
        )
        return 0
    report = migrate_store(args.old, args.new, prefix=Settings.from_env().prefix)
    if args.json:
        print(json.dumps({**report.__dict__, "entries": report.entries}))
    else:
        for name, count in report.collections.items():
            print(f"{name}: {count} points copied, counts and ids match")
        print(f"{report.entries} entries moved to {report.new} in {report.seconds:.1f} s")
    return 0

"""``clinimem ingest SOURCE...``: files, folders or FHIR server URLs into the memory."""

from __future__ import annotations

import argparse
import sys

from clinimem.settings import Settings, add_store_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="FHIR JSON/NDJSON files or folders (walked recursively), or a FHIR server URL",
    )
    add_store_arguments(parser)
    parser.add_argument(
        "--patient", action="append", dest="patients", help="with a server URL: only this patient"
    )
    parser.add_argument("--export", action="store_true", help="with a server URL: use Bulk Data $export")
    parser.add_argument("--rejects", metavar="FILE", help="write every reject as JSONL here")
    parser.add_argument("--batch-size", type=int, default=2000, help="resources per write (default 2000)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from clinimem_connectors.load import load_sources

    settings = Settings.from_args(args)
    settings.open_store(create=True)  # fail fast on a locked store, before reading anything
    result = load_sources(
        args.sources,
        store_location=settings.store_location,
        qdrant_url=settings.qdrant_url,
        prefix=settings.prefix,
        patient_ids=args.patients,
        export=args.export,
        batch_size=args.batch_size,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    report, stats = result.report, result.stats
    print(report.render())
    print(
        f"memory: {stats.added} resources added, {stats.updated} updated, {stats.unchanged} unchanged, "
        f"{stats.removed} removed (entered-in-error), {stats.stale} older versions ignored; "
        f"{stats.entries_written} entries written, {stats.entries_deleted} deleted; "
        f"{result.concepts_encoded} new concepts embedded"
    )
    print(f"{report.total_seen} resources in {result.seconds:.1f} s ({result.resources_per_second:,.0f}/s)")
    if args.rejects:
        print(f"rejects written to {report.write_rejects(args.rejects)}")
    elif report.rejects:
        shown = [r for r in report.rejects if r.code != "out-of-scope"][:10]
        for reject in shown:
            print(f"  rejected {reject.ref or '(file)'} [{reject.code}] {reject.origin}: {reject.reason}")
        if report.total_rejected > len(shown):
            print("  (use --rejects FILE for the full list)")
    return 0

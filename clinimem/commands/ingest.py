"""``clinimem ingest SOURCE...``: files, folders or FHIR server URLs into the memory.

Exit codes (for scripts):

==  ===========================================================================
0   loaded; some resources may have been rejected or warned about (see the table)
1   an error stopped the load (store locked or unreachable, server failure, a bug);
    no patient of this load was changed
2   wrong arguments
3   a SOURCE does not exist: nothing was read
4   nothing was loaded: every resource was rejected, or the sources held none
==  ===========================================================================
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from clinimem.errors import RejectCode
from clinimem.settings import Settings, add_store_arguments

if TYPE_CHECKING:
    from clinimem.fhir.resource import Reject

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_MISSING_SOURCE = 3
EXIT_NOTHING_LOADED = 4
SHOWN = 10  # rejects and warnings printed without --rejects


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
    parser.epilog = (
        "exit codes: 0 loaded (rejects are listed), 1 the load failed (nothing changed), "
        "3 a SOURCE does not exist, 4 nothing was loaded"
    )


def _located(reject: Reject) -> str:
    """A reject's reason, after its origin unless the reason starts with it already (most do)."""
    return (
        reject.reason
        if reject.reason.startswith(reject.origin.source)
        else f"{reject.origin}: {reject.reason}"
    )


def missing_sources(sources: list[str]) -> list[str]:
    """The SOURCE arguments that are neither a URL nor an existing file or folder."""
    from clinimem.ingest import is_url_source

    return [s for s in sources if not is_url_source(s) and not Path(s).exists()]


def run(args: argparse.Namespace) -> int:
    from clinimem.errors import ClinimemError
    from clinimem.ingest import load_sources

    missing = missing_sources(args.sources)
    if missing:
        for source in missing:
            print(f"clinimem ingest: {source}: no such file or directory", file=sys.stderr)
        print("nothing was loaded: check the path(s) and run again", file=sys.stderr)
        return EXIT_MISSING_SOURCE
    settings = Settings.from_args(args)
    settings.open_store(create=True)  # fail fast on a locked store, before reading anything
    try:
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
    except (ClinimemError, KeyboardInterrupt):
        raise
    except Exception as exc:  # never a bare traceback: say what failed, keep the details for a report
        print(
            f"clinimem ingest: the load failed on an unexpected error ({type(exc).__name__}: {exc}); "
            "no patient of this load was changed. Run again with -vv for the details, "
            "and report them with the source that caused it.",
            file=sys.stderr,
        )
        if getattr(args, "verbose", 0) >= 2:
            traceback.print_exc()
        return EXIT_FAILED
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
        written = report.write_rejects(args.rejects)
        warned = f" (and {len(report.warnings)} warnings)" if report.warnings else ""
        print(f"rejects written to {written}{warned}")
    else:
        shown = [r for r in report.rejects if r.code != RejectCode.OUT_OF_SCOPE][:SHOWN]
        for reject in shown:
            print(f"  rejected {reject.ref or '(file)'} [{reject.code}] {_located(reject)}")
        for warning in report.warnings[:SHOWN]:
            print(f"  warning {warning.ref or '(file)'} [{warning.code}] {_located(warning)}")
        if report.total_rejected > len(shown) or len(report.warnings) > SHOWN:
            print("  (use --rejects FILE for the full list)")
    if report.total_loaded == 0:
        unread = {RejectCode.UNREADABLE, RejectCode.EMPTY}
        why = (
            "the sources held no resource"
            if report.total_seen == 0
            else "no source could be read, or all were empty"
            if all(r.code in unread for r in report.rejects)
            else "every resource was rejected"
        )
        print(f"clinimem ingest: nothing was loaded: {why} (see above)", file=sys.stderr)
        return EXIT_NOTHING_LOADED
    return EXIT_OK

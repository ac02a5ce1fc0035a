"""Audit what a load makes of a set of folders: ``python -m clinimem.ingest.audit DIR...``.

For each folder (a kind of material: validator cases, HL7 examples, old-version
exports, hand-made files) it loads the folder through :func:`load_sources` into
a fresh temporary embedded store, file by file (a subfolder, e.g. an NDJSON export,
is one load), and prints one row:

``files  seen  loaded  rejected  warned  crashed  seen=loaded+rejected``

``crashed`` counts files whose load raised (it must be 0: every problem of one
resource or file is a Reject). ``--rejects DIR`` writes each folder's rejects
and warnings as JSONL there.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

from clinimem_connectors.report import LoadReport
from clinimem_connectors.sources import iter_files

from clinimem.memory.store import release_shared_store, shared_store

from .load import load_sources


def audit_folder(folder: Path, store_root: Path) -> tuple[dict[str, int], LoadReport, list[str]]:
    """Load every file of ``folder`` on its own; the totals, one report of all files, the crashes."""
    report = LoadReport()
    crashes: list[str] = []
    # Each child is one load: a file, or a subfolder (an export of several files, judged together).
    files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    for i, path in enumerate(files):
        location = str(store_root / f"s{i}")
        try:
            result = load_sources([path], store_location=location, reader_process=False)
        except Exception as exc:  # what this tool is there to find
            crashes.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        finally:
            release_shared_store(shared_store(location))
        report.loaded.update(result.report.loaded)
        report.rejected.update(result.report.rejected)
        report.rejects.extend(result.report.rejects)
        report.warnings.extend(result.report.warnings)
    row = {
        "files": len(list(iter_files(files))),
        "seen": report.total_seen,
        "loaded": report.total_loaded,
        "rejected": report.total_rejected,
        "warned": len({(w.origin, w.ref) for w in report.warnings}),
        "crashed": len(crashes),
    }
    return row, report, crashes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clinimem.ingest.audit", description=__doc__)
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--rejects", type=Path, help="write <folder name>.jsonl of rejects and warnings here")
    args = parser.parse_args(argv)
    print(
        f"{'material':<28} {'files':>6} {'seen':>7} {'loaded':>7} {'rejected':>8} {'warned':>6} {'crashed':>7}  adds up"
    )
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for folder in args.folders:
            row, report, crashes = audit_folder(folder, Path(tmp) / folder.name)
            adds_up = all(report.seen[t] == report.loaded[t] + report.rejected[t] for t in report.seen)
            adds_up = adds_up and row["seen"] == row["loaded"] + row["rejected"]
            print(
                f"{folder.name:<28} {row['files']:>6} {row['seen']:>7} {row['loaded']:>7} {row['rejected']:>8} "
                f"{row['warned']:>6} {row['crashed']:>7}  {'yes' if adds_up else 'NO'}"
            )
            codes = Counter(r.code for r in report.rejects)
            warned = Counter(w.code for w in report.warnings)
            print(
                f"{'':<28} rejected: {dict(sorted(codes.items()))}; warnings: {dict(sorted(warned.items()))}"
            )
            for crash in crashes:
                print(f"{'':<28} CRASH {crash}")
            if args.rejects:
                report.write_rejects(args.rejects / f"{folder.name}.jsonl")
            bad += row["crashed"] + (not adds_up)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Bad-input audit (issue 15): ``clinimem ingest`` over kinds of material, one table row each.

    python bench/bad_input.py NAME=PATH [NAME=PATH ...] [--clinimem "clinimem"] [--out DIR]

Each PATH (a file or folder: the HL7 example packages unpacked from ``npm pack
hl7.fhir.r4.examples`` and its ``r3``/``r5`` siblings, old-version exports, hand-made broken
files) is loaded by ``clinimem ingest PATH --store <fresh> --rejects <file>`` in its own
process, as a user would, and one Markdown row is printed:

``material | resources in the files | seen | loaded | rejected | warned | crashed | seen = files per type | exit``

- *resources in the files* is counted from the raw JSON without clinimem
  (``tests/input_count.py``): a Bundle counts its entries, an NDJSON file its lines;
- *seen / loaded / rejected* are the load report's totals; *warned* counts the loaded
  resources with at least one warning (``normalised``, ``implausible``, ``id-assigned``);
- *crashed* is 1 when the command failed with exit 1 or printed a traceback (it must be 0);
- *seen = files per type* is ``yes`` when the report's seen equals the files' count for
  every resource type (the differences are printed otherwise).

Below each row an HTML comment gives the reject and warning codes. ``--clinimem`` is the
command that runs clinimem (default ``clinimem``).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from input_count import count_resources  # noqa: E402

ROW = re.compile(r"^(\S+(?: \S+)*?)\s{2,}(\d+)\s+(\d+)\s+(\d+)\s*$")
HEADER = (
    "| material | resources in the files | seen | loaded | rejected | warned | crashed "
    "| seen = files per type | exit | time |\n|---|---|---|---|---|---|---|---|---|---|"
)


def audit(name: str, path: Path, command: list[str], work: Path, out: Path | None) -> tuple[str, bool]:
    """The Markdown row (and comments) of one material, and whether it holds (0 crashed, seen = files)."""
    store = work / f"{name}-store"
    rejects = (out or work) / f"{name}.jsonl"
    shutil.rmtree(store, ignore_errors=True)
    started = time.perf_counter()
    proc = subprocess.run(
        [*command, "ingest", str(path), "--store", str(store), "--rejects", str(rejects), "--no-progress"],
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - started
    report: dict[str, tuple[int, int, int]] = {}
    for line in proc.stdout.splitlines():
        match = ROW.match(line)
        if match and match[1] != "resource type":
            report[match[1]] = (int(match[2]), int(match[3]), int(match[4]))
    seen, loaded, rejected = report.pop("total", (0, 0, 0))
    rows = (
        [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
        if rejects.exists()
        else []
    )
    warned = len(
        {
            (r["source"], r["line"], r["entry"], r["resource_type"], r["resource_id"])
            for r in rows
            if r["severity"] == "warning"
        }
    )
    held = count_resources(path)
    differ = {
        rtype: (held.get(rtype, 0), report.get(rtype, (0, 0, 0))[0])
        for rtype in set(held) | set(report)
        if held.get(rtype, 0) != report.get(rtype, (0, 0, 0))[0]
    }
    crashed = int(proc.returncode == 1 or "Traceback" in proc.stdout + proc.stderr)
    lines = [
        f"| {name} | {sum(held.values()):,} | {seen:,} | {loaded:,} | {rejected:,} | {warned:,} | {crashed} "
        f"| {'yes' if not differ else 'NO'} | {proc.returncode} | {took:.0f} s |"
    ]
    codes = " / ".join(
        line for line in proc.stdout.splitlines() if line.startswith(("rejected:", "warnings"))
    )
    lines.append(f"<!-- {name}: {codes or 'no rejects'} -->")
    if differ:
        lines.append(f"<!-- {name}: (in the files, seen) per type: {dict(sorted(differ.items()))} -->")
    if crashed:
        lines.append(f"<!-- {name}: {(proc.stdout + proc.stderr)[-2000:]} -->")
    return "\n".join(lines), not crashed and not differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("materials", nargs="+", metavar="NAME=PATH")
    parser.add_argument("--clinimem", default="clinimem", help="the command that runs clinimem")
    parser.add_argument("--out", type=Path, help="keep each material's rejects file (NAME.jsonl) here")
    args = parser.parse_args(argv)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    print(HEADER, flush=True)
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for material in args.materials:
            name, _, path = material.partition("=")
            row, holds = audit(name, Path(path), shlex.split(args.clinimem), Path(tmp), args.out)
            print(row, flush=True)
            bad += not holds
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

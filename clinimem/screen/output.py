"""Where rows go: a JSONL journal written row by row, and CSV / parquet written from it at the end.

Resuming rests on the journal. Each row is appended as one line and fsynced
before the next patient is reported done, so after a crash or Ctrl-C every
patient in the journal is complete and no finished patient is lost. On
restart the journal is read back: a torn last line (the process died in the
middle of a write) is cut off, and the patients already there are skipped, so
nothing is written twice.

``--out results.jsonl``: the output is the journal itself (rows in the order
they finished). ``--out results.csv`` / ``.parquet``: the journal is
``results.csv.journal.jsonl`` next to it, and the table is written from it,
atomically, when every patient is done, in the job's patient order (so a
resumed job writes the same table as an uninterrupted one). The journal is kept:
it holds the full rows and lets a later run add patients without redoing any.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from clinimem.errors import ClinimemError
from clinimem.screen.rows import ScreenRow

log = logging.getLogger(__name__)

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


class OutputError(ClinimemError):
    code = "screen-output"


def output_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OutputError(
            f"unknown output type {path.suffix or '(none)'}",
            file=str(path),
            hint="name the output .jsonl, .csv or .parquet",
        )
    return fmt


def journal_path(out: Path) -> Path:
    return out if output_format(out) == "jsonl" else out.with_name(out.name + ".journal.jsonl")


class Journal:
    """An append-only JSONL file of rows, one fsynced line each, readable after a crash."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self._file: BinaryIO | None = None
        self.rows: dict[str, ScreenRow] = {}

    def recover(self) -> dict[str, ScreenRow]:
        """Read the rows already written (cutting off a torn last line); patient id -> row."""
        if not self.path.exists():
            return {}
        with open(self.path, "rb+") as f:
            data = f.read()
            # Everything up to the last newline was written whole (rows are fsynced one by one);
            # bytes after it are a row the process did not finish writing.
            end = data.rfind(b"\n") + 1
            if end < len(data):
                log.warning("the journal ends with an unfinished row: cut it off (%d bytes)", len(data) - end)
                f.truncate(end)
                f.flush()
                os.fsync(f.fileno())
        rows: dict[str, ScreenRow] = {}
        for number, line in enumerate(data[:end].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = ScreenRow.from_dict(json.loads(line))
            except (ValueError, KeyError, TypeError) as err:
                raise OutputError(
                    f"line {number} is not a screening row ({type(err).__name__})",
                    file=str(self.path),
                    hint="fix or delete that line, or write to another --out",
                ) from err
            if row.fingerprint != self.fingerprint:
                raise OutputError(
                    "the output holds results of other criteria",
                    file=str(self.path),
                    hint="write to another --out (or delete this file to start over)",
                )
            rows.setdefault(row.patient_id, row)
        self.rows = rows
        return rows

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "ab")  # noqa: SIM115 - held open for the whole job

    def append(self, row: ScreenRow) -> None:
        """Write one row durably: the patient counts as done only after this returns."""
        if row.patient_id in self.rows:
            return  # a duplicate in the input, or a retried patient: written once
        assert self._file is not None, "open() the journal first"
        self._file.write((row.to_json() + "\n").encode("utf-8"))
        self._file.flush()
        os.fsync(self._file.fileno())
        self.rows[row.patient_id] = row

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def ordered_rows(rows: dict[str, ScreenRow], patient_order: Sequence[str]) -> list[ScreenRow]:
    """The job's patients in its order, then any other rows of the journal in journal order."""
    ordered = [rows[p] for p in dict.fromkeys(patient_order) if p in rows]
    wanted = set(patient_order)
    ordered.extend(r for pid, r in rows.items() if pid not in wanted)
    return ordered


def write_table(out: Path, rows: Iterable[ScreenRow]) -> None:
    """Write CSV or parquet atomically (a temporary file renamed over the output)."""
    fmt = output_format(out)
    tmp = out.with_name(f".{out.name}.tmp")
    if fmt == "csv":
        import csv

        records = [r.flat(join_lists=True) for r in rows]
        columns = list(dict.fromkeys(k for rec in records for k in rec)) or ["patient_id", "verdict"]
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(records)
            f.flush()
            os.fsync(f.fileno())
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        records = [r.flat(join_lists=False) for r in rows]
        pq.write_table(pa.Table.from_pylist(records), tmp)
    else:
        raise OutputError("only CSV and parquet are written as tables", file=str(out))
    os.replace(tmp, out)
